"""Render the dashboards of a database of 20,000 shipments and 200,000 lines, and time them.

    .venv/bin/python bench/dashboard_bench.py [--shipments 20000] [--runs 30] [--database URL]

Without --database it creates a throw-away PostgreSQL database on 127.0.0.1:5432 when one answers,
else a SQLite file (as export_bench.py does), fills it with `generate-data` (10 lines per shipment,
over the last three years, so that this month, quarter and year have shipments) and drops it
afterwards. Then it logs in as the demo's staff member, accountant and Kryvyi Rih partner and
renders each one's dashboard through Flask's test client: a few warm-up requests, then --runs timed
ones. Printed per role: median and 95th percentile in milliseconds. Target (issue 9): under 300 ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_bench import app_for, scratch_database

ROLES = {
    "staff": "staff@lublin.example",
    "accountant": "accountant@lublin.example",
    "partner (Kryvyi Rih)": "partner@kryvyirih.example",
}
PASSWORD = "aidtracker-demo"
WARM_UP = 3
TARGET_MS = 300


def fill(database: str, instance: str, shipments: int, per_shipment: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from aidtracker.extensions import db
    from aidtracker.generate import generate_data
    from aidtracker.shipments.models import Shipment, ShipmentLine

    app = app_for(database, instance)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        this_year = date.today().year
        generate_data(
            shipments=shipments,
            lines_per_shipment=per_shipment,
            seed=1,
            years=(this_year - 2, this_year),
        )
        counted = db.session.scalar(select(func.count(Shipment.id)))
        lines = db.session.scalar(select(func.count(ShipmentLine.id)))
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: statistics for the planner, and the
            # visibility map that index-only scans need. Outside a transaction, or it is undone.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        print(
            f"Generated {counted:,} shipments with {lines:,} lines "
            f"({time.perf_counter() - started:.1f} s)"
        )


def measure(database: str, instance: str, runs: int) -> dict[str, list[float]]:
    app = app_for(database, instance)
    app.config["WTF_CSRF_ENABLED"] = False  # the test client posts the login form directly
    timings = {}
    for role, email in ROLES.items():
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"{email} could not log in ({response.status_code})")
        for _run in range(WARM_UP):
            client.get("/dashboard/")
        durations = []
        for _run in range(runs):
            started = time.perf_counter()
            response = client.get("/dashboard/")
            durations.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"the dashboard of {email} answered {response.status_code}")
        timings[role] = durations
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=20_000)
    parser.add_argument("--lines-per-shipment", type=int, default=10)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database", help="an existing, filled database to measure")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aidtracker-bench-") as workdir:
        work = Path(workdir)
        instance = str(work / "instance")
        if options.database:
            database = options.database
            timings = measure(database, instance, options.runs)
        else:
            with scratch_database(work) as database:
                fill(database, instance, options.shipments, options.lines_per_shipment)
                timings = measure(database, instance, options.runs)
    backend = database.split(":", 1)[0]
    print(f"\nDashboard rendering on {backend}, {sys.platform}, {os.cpu_count()} CPUs")
    print(f"{'role':<24} {'runs':>5} {'median ms':>10} {'p95 ms':>8}")
    worst = 0.0
    for role, durations in timings.items():
        median, p95 = statistics.median(durations), percentile(durations, 0.95)
        worst = max(worst, p95)
        print(f"{role:<24} {len(durations):>5} {median:>10.1f} {p95:>8.1f}")
    verdict = "met" if worst < TARGET_MS else "NOT met"
    print(f"\ntarget: every p95 under {TARGET_MS} ms: {verdict} (worst p95 {worst:.1f} ms)")


if __name__ == "__main__":
    main()
