"""Browser tests: Debian's Chromium, driven by Playwright, against the app on a live local server.

Each test gets its own application with CSRF protection on (browsers exercise the real forms), on
a fresh database of the same backends as the rest of the suite, loaded with the demo data and
served by werkzeug on a free port. One Chromium runs for the whole session; each test gets a new
browser context (own cookies) and page.

Without Chromium at ``/usr/bin/chromium`` (or wherever AIDTRACKER_CHROMIUM points) every browser
test is skipped; the rest of the suite is unaffected.
"""

import os
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import fresh_app

CHROMIUM = os.environ.get("AIDTRACKER_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_MISSING = (
    f"Debian's chromium is not installed at {CHROMIUM} (make test installs it when run as root)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000  # for actions and navigations, and for expect() assertions (default 5 s)


@pytest.fixture(scope="session", autouse=True)
def _require_chromium() -> None:
    """Skip every browser test, before any server or browser starts, when Chromium is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(CHROMIUM_MISSING)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[Browser]:
    expect.set_options(timeout=TIMEOUT_MS)
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def app(database_url, tmp_path):
    """Like the suite's ``app`` fixture, but with CSRF protection left on."""
    with fresh_app(database_url, tmp_path) as app:
        yield app


class RequestGate:
    """Counts the requests in flight and, once closed, turns new ones away untouched.

    werkzeug serves each request on a daemon thread that nobody joins, and a browser may still
    be sending one (a click the test no longer waits for) when the test ends. Closing the gate
    waits for those, so the database is emptied only after every request has given its
    connection back; on PostgreSQL the emptying would otherwise deadlock with them.
    """

    def __init__(self, app):
        self.app = app
        self.in_flight = 0
        self.open = True
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            if not self.open:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"The test is over."]
            self.in_flight += 1
        try:
            # Flask has popped the request's context, and so returned its connection, by the
            # time it hands back the response.
            return self.app(environ, start_response)
        finally:
            with self.changed:
                self.in_flight -= 1
                self.changed.notify_all()

    def close(self, timeout: float) -> None:
        with self.changed:
            self.open = False
            self.changed.wait_for(lambda: self.in_flight == 0, timeout)


@pytest.fixture
def live_server(demo) -> Iterator[str]:
    """The demo installation served on a free local port; yields its base URL."""
    assert demo.config.get("WTF_CSRF_ENABLED", True), "browser tests must exercise CSRF"
    gate = RequestGate(demo)
    server = make_server("127.0.0.1", 0, gate, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll; the default is 0.5 s
        name="live-server",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        gate.close(timeout=30)
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page, in English, for one test."""
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
