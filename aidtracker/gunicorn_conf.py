"""Gunicorn's settings for AidTracker in production, each with the reason for its value.

``make serve`` runs ``gunicorn --config python:aidtracker.gunicorn_conf "aidtracker:create_app()"``.
Options given on gunicorn's command line still override these.
"""

import os


def _cpu_count() -> int:
    """The CPUs this process may run on (a container's or taskset's share, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _workers(environ=os.environ) -> int:
    for name in ("AIDTRACKER_WORKERS", "WEB_CONCURRENCY"):
        if environ.get(name):
            return int(environ[name])
    return 2 * _cpu_count() + 1


proc_name = "aidtracker"
"""What `ps` and `top` show for the arbiter and its workers."""

bind = [
    address.strip()
    for address in (os.environ.get("AIDTRACKER_BIND") or "127.0.0.1:8000").split(",")
    if address.strip()
]
"""AIDTRACKER_BIND (comma-separated, ``unix:/run/aidtracker.sock`` too). By default only this
machine: the reverse proxy in front terminates HTTPS and buffers slow clients."""

worker_class = "sync"
"""One request per process: requests are short and wait on the database, and the proxy in front
buffers uploads and downloads, so a slow client never holds a worker."""

workers = _workers()
"""2 × CPUs + 1 (Gunicorn's rule for sync workers: one waits on the database while another
computes). AIDTRACKER_WORKERS, else WEB_CONCURRENCY, overrides it. A serving worker's resident
size is about 95 MB, much of it shared with the arbiter; an import of 20,000 lines peaks near
150 MB."""

preload_app = False
"""Each worker builds its own app after the fork, with its own database pool and Redis connection,
which processes must not share. The package's modules are imported once in the arbiter all the
same (reading this file imports them), so the workers share that memory; it also means that new
code needs a restart (or USR2, then TERM to the old arbiter, for one without downtime), not HUP."""

timeout = 60
"""A worker silent this long is killed and replaced. The longest requests, a report of 20,000
lines written while the user waits or an import of a 10 MB workbook, take a few seconds; anything
longer goes to a background export."""

graceful_timeout = 30
"""On restart or stop, requests in flight, and reports being written in the background, get this
long to finish before their worker is killed."""

keepalive = 5
"""Seconds an idle connection stays open for worker classes that keep them (``--worker-class
gthread``). Sync workers close each connection after its response, which costs nothing behind
nginx: by default it opens a connection to the app server per request anyway."""

max_requests = 1000
max_requests_jitter = 100
"""A worker is replaced after 1000 to 1100 requests, which returns the memory that large imports
and reports leave fragmented; the jitter keeps the workers from restarting together."""

secure_scheme_headers: dict[str, str] = {}
"""Gunicorn would otherwise believe X-Forwarded-Proto from 127.0.0.1; whether a request came over
HTTPS is decided in one place, by the app, from AIDTRACKER_PROXY_COUNT (aidtracker.headers)."""

control_socket_disable = True
"""Gunicorn's control socket would sit in the user's home, one path for every gunicorn the user
runs. Signals manage the server instead: HUP replaces the workers, TERM stops, TTIN and TTOU add
or remove a worker."""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
"""To stdout, for journald or the container's log: the client (the proxy's client once
AIDTRACKER_PROXY_COUNT is set), time, request, status, bytes, duration, referrer and browser."""

errorlog = "-"
loglevel = "info"
"""Gunicorn's messages and the app's errors with their stack traces go to stderr."""


def worker_exit(server, worker) -> None:
    """Let reports being written in the background finish, for up to ``graceful_timeout``,
    before the worker's process ends (recycled after max_requests, or the server stops). An
    export cut short shows as failed after a while (aidtracker.reports.jobs)."""
    from aidtracker.reports.jobs import wait_for_exports

    wait_for_exports(graceful_timeout)
