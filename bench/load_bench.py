"""Serve AidTracker with gunicorn on 20,000 shipments and load its busiest pages with wrk.

    .venv/bin/python bench/load_bench.py [--shipments 20000] [--duration 60] [--database URL]

Needs PostgreSQL on 127.0.0.1:5432 and wrk (Debian and Ubuntu: `apt-get install wrk`). Without
--database it creates a throw-away database, fills it with `generate-data` (10 lines per shipment
over the last three years; a few minutes) and drops it afterwards; with --database it measures an
existing, filled one (the bench only logs in and exports: it changes nothing else).

gunicorn serves bench/load_app.py (AidTracker plus a minimal "ok" route, the floor) with 4 sync
workers on a free port, its own options rather than aidtracker/gunicorn_conf.py: no access log,
no worker recycling, which would measure themselves. The bench logs in as the demo's city staff
member and drives, one after the other, each for --duration seconds at --connections connections
(wrk -t2 -c16 --latency, after a 3-second warm-up):

- the floor, without a session (the least any request costs on this server);
- the shipment list (first page, 50 rows, newest first);
- a shipment page (a received shipment that crossed customs: 10 lines and their history);
- its public tracking page (no session, as a visitor opens it);
- a small register export (the lines dispatched on one day, as an Excel file);
- the floor again: the yardstick is the mean of both floor runs, and their difference shows how
  steady the machine was meanwhile.

Printed per URL: requests per second, p50 and p95 latency, errors (responses other than 2xx, and
socket errors: connect, read, write, and answers slower than 10 s), throughput as a share of the
floor's, and pass or fail against each target (issue 10): no errors and p95 under 100 ms for the
four URLs; the list and shipment pages at least 10% of the floor's throughput, the tracking page
at least 30%. The exit status is 1 when a target is missed, or when wrk or PostgreSQL is missing.
The ratios hold on any machine only if nothing else competes for its CPUs meanwhile: another
busy process takes more from the heavy pages than from the floor.

wrk rather than locust: at thousands of requests per second on two CPUs a Python load generator
becomes the bottleneck and measures itself; wrk (C, event loop) uses a fraction of a core, and a
small Lua script (WRK_SCRIPT) counts the answers that are not 2xx, which wrk alone lets pass.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dashboard_bench import fill  # noqa: E402
from export_bench import app_for, postgres_answers, scratch_database  # noqa: E402
from load_app import FLOOR_PATH  # noqa: E402

STAFF_EMAIL = "staff@lublin.example"
PASSWORD = "aidtracker-demo"
USER_AGENT = "aidtracker-load-bench"
"""Sent by the login and by wrk alike: the session is bound to the browser that opened it."""
WORKERS = 4
WRK_THREADS = 2
WARM_UP_SECONDS = 3
WRK_TIMEOUT = "10s"
"""A slow answer is measured as latency (p95 shows it), not counted as a socket error."""
P95_TARGET_MS = 100
FLOOR_SHARE_TARGETS = {"shipment list": 0.10, "shipment page": 0.10, "tracking page": 0.30}

WRK_SCRIPT = """
-- Counts the responses that are not 2xx (wrk itself lets redirects pass: a lost session would
-- go unnoticed) and prints the figures on one line for load_bench.py to read.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total_bad = 0
  for _, thread in ipairs(threads) do total_bad = total_bad + thread:get("bad") end
  local e = summary.errors
  io.write(string.format("FIGURES %d %d %d %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, total_bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95)))
end
"""


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    logged_in: bool
    form: dict[str, str] | None = None
    """Posted as a form when given (the export); else the page is fetched."""


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


# --- preparing -----------------------------------------------------------------------------------


def require_tools() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed: `apt-get install wrk` on Debian or Ubuntu, "
            "`brew install wrk` on macOS, or see https://github.com/wg/wrk"
        )
    if not postgres_answers():
        raise SystemExit("PostgreSQL does not answer on 127.0.0.1:5432 (user postgres)")


def sample(database: str, instance: str) -> dict:
    """What the bench asks for: a received shipment that crossed customs, its tracking token,
    and the day it was dispatched (the export's period)."""
    from sqlalchemy import func, select

    from aidtracker.auth.models import User
    from aidtracker.extensions import db
    from aidtracker.reports.scope import ReportParameters, count_lines
    from aidtracker.shipments.models import CustomsStatus, Shipment, ShipmentLine, ShipmentStatus

    app = app_for(database, instance)
    with app.app_context(), app.test_request_context():
        lines = (
            select(func.count(ShipmentLine.id))
            .where(ShipmentLine.shipment_id == Shipment.id)
            .scalar_subquery()
        )
        shipment = db.session.scalar(
            select(Shipment)
            .where(
                Shipment.status == ShipmentStatus.RECEIVED,
                Shipment.customs_status == CustomsStatus.CLEARED,
                Shipment.tracking_token.is_not(None),
                lines == 10,
            )
            .order_by(Shipment.reference.desc())
            .limit(1)
        )
        if shipment is None:
            raise SystemExit("the database holds no received shipment with 10 lines to load")
        staff = db.session.scalar(select(User).filter_by(email=STAFF_EMAIL))
        day = shipment.dispatch_date
        export_lines = count_lines(staff, ReportParameters(day, day, "PLN"))
        return {
            "reference": shipment.reference,
            "token": shipment.tracking_token,
            "day": day,
            "export_lines": export_lines,
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(database: str, instance: str, log: Path):
    """gunicorn with WORKERS sync workers serving load_app.py; yields the base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "AIDTRACKER_DATABASE_URL": database,
        "AIDTRACKER_INSTANCE_PATH": instance,
        # One key for every worker (else each could race to create the instance's key file).
        "AIDTRACKER_SECRET_KEY": "load-bench-" + os.urandom(16).hex(),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        str(HERE),
        "load_app:app",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, env=environment, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + FLOOR_PATH, server, log)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within a minute:\n{log.read_text()[-3000:]}")


class Browser:
    """A cookie jar and a User-Agent: what wrk must send to be the same logged-in browser."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str):
        return self.opener.open(self.base + path, timeout=30)

    def post(self, path: str, form: dict[str, str]):
        body = urllib.parse.urlencode(form).encode()
        return self.opener.open(self.base + path, data=body, timeout=30)

    def csrf_token(self, path: str) -> str:
        with self.get(path) as response:
            page = response.read().decode()
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if found is None:
            raise SystemExit(f"no CSRF token on {path}")
        return found.group(1)

    def log_in(self) -> None:
        form = {"email": STAFF_EMAIL, "password": PASSWORD, "csrf_token": self.csrf_token("/login")}
        with self.post("/login", form) as response:
            if "/login" in response.url:
                raise SystemExit(f"{STAFF_EMAIL} could not log in")

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


def targets(facts: dict, csrf_token: str) -> list[Target]:
    day = facts["day"].isoformat()
    return [
        Target("floor", FLOOR_PATH, logged_in=False),
        Target("shipment list", "/shipments/", logged_in=True),
        Target("shipment page", f"/shipments/{facts['reference']}", logged_in=True),
        Target("tracking page", f"/track/{facts['token']}", logged_in=False),
        Target(
            "register export",
            "/reports",
            logged_in=True,
            form={
                "csrf_token": csrf_token,
                "report": "register",
                "date_from": day,
                "date_to": day,
                "currency": "PLN",
            },
        ),
    ]


def check(browser: Browser, target: Target) -> None:
    """One request before the load: the URL answers 200 with what it should."""
    if target.form is not None:
        response = browser.post(target.path, target.form)
    elif target.logged_in:
        response = browser.get(target.path)
    else:
        response = urllib.request.urlopen(browser.base + target.path, timeout=30)
    with response:
        body = response.read()
        if response.status != 200 or response.url != browser.base + target.path:
            raise SystemExit(f"{target.name}: {response.status} at {response.url}")
    if target.form is not None and not body.startswith(b"PK"):
        raise SystemExit(f"{target.name}: the answer is not an Excel file")


# --- loading -------------------------------------------------------------------------------------


def wrk(
    base: str, target: Target, cookie: str, seconds: int, connections: int, work: Path
) -> Figures:
    script = WRK_SCRIPT
    if target.form is not None:
        body = urllib.parse.urlencode(target.form)
        script += (
            f'wrk.method = "POST"\nwrk.body = "{body}"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        )
    script_file = work / "load.lua"
    script_file.write_text(script)
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", WRK_TIMEOUT]
    command += ["-s", str(script_file), "-H", f"User-Agent: {USER_AGENT}"]
    if target.logged_in:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run(
        [*command, base + target.path], capture_output=True, text=True, check=True
    )
    found = re.search(r"^FIGURES ([\d ]+)$", result.stdout, re.M)
    if found is None:
        raise SystemExit(f"wrk printed no figures:\n{result.stdout}\n{result.stderr}")
    requests, duration_us, bad, connect, read, write, timeout, p50_us, p95_us = map(
        int, found.group(1).split()
    )
    return Figures(
        requests=requests,
        seconds=duration_us / 1e6,
        non_2xx=bad,
        socket_errors=connect + read + write + timeout,
        p50_ms=p50_us / 1000,
        p95_ms=p95_us / 1000,
    )


def measure(database: str, instance: str, options, work: Path) -> tuple[dict, dict]:
    facts = sample(database, instance)
    log = work / "gunicorn.log"
    with served(database, instance, log) as base:
        try:
            return facts, _load(base, facts, options, work)
        except urllib.error.HTTPError as error:
            raise SystemExit(
                f"HTTP {error.code} at {error.url}; the server said:\n{log.read_text()[-3000:]}"
            ) from None


def _load(base: str, facts: dict, options, work: Path) -> dict[str, Figures]:
    browser = Browser(base)
    browser.log_in()
    token = browser.csrf_token("/reports")  # also puts the CSRF secret in the session
    cookie = browser.cookie_header
    floor, *pages = targets(facts, token)
    # The floor first and last: on a machine that is busy with other work too, the mean of the
    # two is the fairer yardstick, and their difference shows how steady it was.
    runs = [("floor", floor), *((page.name, page) for page in pages), ("floor, again", floor)]
    results = {}
    for name, target in runs:
        check(browser, target)
        wrk(base, target, cookie, WARM_UP_SECONDS, options.connections, work)
        results[name] = wrk(base, target, cookie, options.duration, options.connections, work)
        print(f"  {name}: {results[name].per_second:,.0f} requests/s")
    check(browser, pages[0])  # still logged in after the load
    return results


# --- reporting -----------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "pass" if met else "FAIL"


def report(facts: dict, results: dict[str, Figures], options) -> bool:
    """The table of figures, with pass or fail against each target; True if all are met."""
    floor = (results["floor"].per_second + results["floor, again"].per_second) / 2
    print(
        f"\nLoad on PostgreSQL, gunicorn {WORKERS} sync workers, wrk -t{WRK_THREADS} "
        f"-c{options.connections} -d{options.duration}s; {sys.platform}, {os.cpu_count()} CPUs"
    )
    print(
        f"shipment {facts['reference']}; export: lines dispatched on {facts['day']} "
        f"({facts['export_lines']} lines)\n"
    )
    print(
        f"{'URL':<16} {'requests/s':>10} {'p50 ms':>7} {'p95 ms':>7} {'errors':>7} {'% floor':>8}"
        f"   errors = 0   p95 < {P95_TARGET_MS} ms   share of floor"
    )
    all_met = True
    for name, figures in results.items():
        share = figures.per_second / floor
        line = (
            f"{name:<16} {figures.per_second:>10,.0f} {figures.p50_ms:>7.1f} "
            f"{figures.p95_ms:>7.1f} {figures.errors:>7} {share:>8.1%}"
        )
        if name.startswith("floor"):
            print(f"{line}   (the yardstick)")
            continue
        checks = [figures.errors == 0, figures.p95_ms < P95_TARGET_MS]
        wanted = FLOOR_SHARE_TARGETS.get(name)
        if wanted is not None:
            checks.append(share >= wanted)
        all_met = all_met and all(checks)
        shares = f"{_verdict(checks[2])} (>= {wanted:.0%})" if wanted is not None else "-"
        print(f"{line}   {_verdict(checks[0]):<10}   {_verdict(checks[1]):<12}   {shares}")
    print(f"(% floor: of the mean of the two floor runs, {floor:,.0f} requests/s)")
    print(f"\nall targets: {'met' if all_met else 'NOT met'}")
    return all_met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=20_000)
    parser.add_argument("--lines-per-shipment", type=int, default=10)
    parser.add_argument("--duration", type=int, default=60, help="seconds per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database", help="an existing, filled PostgreSQL database to measure")
    options = parser.parse_args()
    require_tools()
    with tempfile.TemporaryDirectory(prefix="aidtracker-load-") as workdir:
        work = Path(workdir)
        instance = str(work / "instance")
        if options.database:
            facts, results = measure(options.database, instance, options, work)
        else:
            with scratch_database(work) as database:
                fill(database, instance, options.shipments, options.lines_per_shipment)
                facts, results = measure(database, instance, options, work)
    if not report(facts, results, options):
        sys.exit(1)


if __name__ == "__main__":
    main()
