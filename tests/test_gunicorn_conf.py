"""`make serve`: gunicorn reads aidtracker/gunicorn_conf.py, sized from the environment."""

import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from gunicorn.config import Config

from aidtracker import gunicorn_conf


@pytest.fixture
def load_settings(monkeypatch):
    """Read the module afresh under the given environment, as gunicorn does at start."""

    def load(**environ):
        for name in ("AIDTRACKER_WORKERS", "WEB_CONCURRENCY", "AIDTRACKER_BIND"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        module = importlib.reload(gunicorn_conf)
        config = Config()
        for name, value in vars(module).items():
            if name in config.settings:
                config.set(name, value)
        return config

    yield load
    monkeypatch.undo()
    importlib.reload(gunicorn_conf)


def test_every_setting_in_the_module_is_one_gunicorn_knows():
    """Gunicorn silently ignores names it does not know: a misspelt setting would do nothing."""
    known = Config().settings
    settings = [
        name
        for name, value in vars(gunicorn_conf).items()
        if not name.startswith("_") and name.islower() and not isinstance(value, type(os))
    ]
    assert sorted(name for name in settings if name not in known) == []
    assert {"workers", "bind", "timeout", "max_requests", "accesslog"} <= set(settings)


def test_by_default_two_workers_per_cpu_plus_one_listening_on_this_machine_only(load_settings):
    config = load_settings()
    assert config.workers == 2 * len(os.sched_getaffinity(0)) + 1
    assert config.bind == ["127.0.0.1:8000"]
    assert config.worker_class_str == "sync"
    assert config.preload_app is False
    assert config.max_requests == 1000
    assert config.max_requests_jitter > 0
    assert config.accesslog == "-"


def test_workers_and_address_follow_the_environment(load_settings):
    config = load_settings(AIDTRACKER_WORKERS="3", AIDTRACKER_BIND="0.0.0.0:8080, unix:/tmp/a.sock")
    assert config.workers == 3
    assert config.bind == ["0.0.0.0:8080", "unix:/tmp/a.sock"]


def test_web_concurrency_is_honoured_and_aidtracker_workers_wins_over_it(load_settings):
    assert load_settings(WEB_CONCURRENCY="5").workers == 5
    assert load_settings(WEB_CONCURRENCY="5", AIDTRACKER_WORKERS="2").workers == 2


def test_gunicorn_does_not_decide_https_from_forwarded_headers(load_settings):
    """The app alone does, from AIDTRACKER_PROXY_COUNT (tests/test_headers.py)."""
    assert load_settings().secure_scheme_headers == {}


def test_a_recycled_worker_lets_a_background_report_finish_first():
    finished = threading.Event()
    release = threading.Event()

    def export():
        release.wait(5)
        finished.set()

    thread = threading.Thread(target=export, name="report-export-test", daemon=True)
    thread.start()
    threading.Timer(0.05, release.set).start()

    gunicorn_conf.worker_exit(server=None, worker=None)

    assert finished.is_set()


def test_a_report_that_outlasts_the_graceful_timeout_does_not_hold_the_worker(monkeypatch):
    monkeypatch.setattr(gunicorn_conf, "graceful_timeout", 0.05)
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="report-export-stuck", daemon=True)
    thread.start()
    try:
        gunicorn_conf.worker_exit(server=None, worker=None)
        assert thread.is_alive()
    finally:
        release.set()
        thread.join()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_serves_the_app_behind_a_proxy_with_this_configuration(tmp_path):
    port = free_port()
    environ = {
        **os.environ,
        "AIDTRACKER_WORKERS": "1",
        "AIDTRACKER_BIND": f"127.0.0.1:{port}",
        "AIDTRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
        "AIDTRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'aidtracker.db'}",
        "AIDTRACKER_SECRET_KEY": "test-secret-key",
        "AIDTRACKER_PROXY_COUNT": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "--config", "python:aidtracker.gunicorn_conf"]
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        [*command, "aidtracker:create_app()"],
        env=environ,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        forwarded = _get_when_listening(server, f"{address}/healthz", FORWARDED)
        # A sync worker logs a request before it takes the next: this one flushes the line above.
        direct = _get(f"{address}/login")
    finally:
        # Killed, arbiter and worker at once: a graceful stop would add two interpreters'
        # shutdown (seconds) to prove what gunicorn itself does.
        os.killpg(server.pid, signal.SIGKILL)
        access_log, error_log = server.communicate(timeout=30)

    assert forwarded.status == 200, error_log.decode()
    assert forwarded.headers["X-Frame-Options"] == "DENY"
    assert forwarded.headers["Strict-Transport-Security"]  # the proxy said HTTPS: believed
    assert direct.status == 200
    assert "Strict-Transport-Security" not in direct.headers
    # The access log names the proxy's client, not the proxy.
    assert b"203.0.113.9 [" in access_log
    assert b'"GET /healthz HTTP/1.1" 200' in access_log
    assert b"Using worker: sync" in error_log


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
"""What nginx adds in front of the app server (AIDTRACKER_PROXY_COUNT=1)."""


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310  (http://127.0.0.1)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        response.read()
        return response


def _get_when_listening(server: subprocess.Popen, url: str, headers: dict, within: float = 30.0):
    """GET `url` once the server accepts connections; fail if it exits or never does."""
    deadline = time.monotonic() + within
    while True:
        try:
            return _get(url, headers)
        except urllib.error.HTTPError:
            raise
        except OSError:  # not listening yet
            assert server.poll() is None, "gunicorn stopped before answering"
            assert time.monotonic() < deadline, "gunicorn did not answer in time"
            time.sleep(0.02)
