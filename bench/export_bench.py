"""Export the shipment register of 100,000 lines and compare it with pandas and with a floor.

    .venv/bin/python bench/export_bench.py [--lines 100000] [--database URL]

Needs the bench extra (`pip install -e '.[bench]'`). Without --database it creates a throw-away
PostgreSQL database on 127.0.0.1:5432 when one answers, else a SQLite file, fills it with
`generate-data` (10 lines per shipment over 2022-2024) and drops it afterwards.

Every contender runs in its own process, so its peak memory (maximum resident set size) is its
own. Printed per contender: wall time and peak memory.
- aidtracker: the register end to end (rate check, query, conversion, workbook), as the Reports
  page and `aidtracker export register` run it;
- pandas: `read_sql` of the same query, then `to_excel` with the openpyxl engine;
- floor: the same cells (read back from AidTracker's own file into a Python list beforehand,
  untimed) written by each well-kept general writer: XlsxWriter (constant_memory), pyexcelerate,
  openpyxl (write-only). The floor is the fastest of them.
Targets (issue 5): peak memory at most 150 MB, at least 3x faster than pandas, at most 1.0x the
floor.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PERIOD = (date(2022, 1, 1), date(2024, 12, 31))
WRITERS = ("xlsxwriter", "pyexcelerate", "openpyxl")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def app_for(database: str, instance: str):
    from aidtracker import create_app

    os.environ["AIDTRACKER_DATABASE_URL"] = database
    return create_app(instance_path=instance)


# --- contenders, each run in a child process -------------------------------------------------


def run_aidtracker(database: str, instance: str, output: str, date_to: str) -> dict:
    from aidtracker.auth.models import Role, User
    from aidtracker.extensions import db
    from aidtracker.reports.register import write_register
    from aidtracker.reports.scope import ReportParameters

    app = app_for(database, instance)
    with app.app_context():
        admin = db.session.scalar(db.select(User).filter_by(role=Role.ADMIN).order_by(User.id))
        parameters = ReportParameters(PERIOD[0], date.fromisoformat(date_to), "PLN")
        baseline = peak_mb()
        started = time.perf_counter()
        totals = write_register(output, admin, parameters)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "lines": totals.lines, "baseline_mb": baseline}


def register_sql(database: str, instance: str) -> str:
    """The register's own query as SQL text, for pandas to run."""
    from aidtracker.auth.models import Role, User
    from aidtracker.extensions import db
    from aidtracker.reports import scope

    app = app_for(database, instance)
    with app.app_context():
        admin = db.session.scalar(db.select(User).filter_by(role=Role.ADMIN).order_by(User.id))
        statement = scope.line_statement(admin, scope.ReportParameters(*PERIOD, "PLN"))
        compiled = statement.compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
        )
        return str(compiled)


def run_pandas(database: str, instance: str, output: str) -> dict:
    import pandas
    from sqlalchemy import create_engine

    sql = register_sql(database, instance)
    engine = create_engine(database)
    baseline = peak_mb()
    started = time.perf_counter()
    with engine.connect() as connection:
        frame = pandas.read_sql(sql, connection)
    frame.to_excel(output, index=False, engine="openpyxl")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "lines": len(frame), "baseline_mb": baseline}


def run_writer(writer: str, source: str, output: str) -> dict:
    import openpyxl

    workbook = openpyxl.load_workbook(source, read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    baseline = peak_mb()
    started = time.perf_counter()
    if writer == "xlsxwriter":
        import xlsxwriter

        book = xlsxwriter.Workbook(output, {"constant_memory": True})
        sheet = book.add_worksheet("Register")
        for number, row in enumerate(rows):
            sheet.write_row(number, 0, row)
        book.close()
    elif writer == "pyexcelerate":
        from pyexcelerate import Workbook

        book = Workbook()
        book.new_sheet("Register", data=rows)
        book.save(output)
    else:
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Register")
        for row in rows:
            sheet.append(row)
        book.save(output)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "lines": len(rows) - 1, "baseline_mb": baseline}


def child(arguments: list[str]) -> dict:
    """Run one contender in a fresh interpreter; its figures come back as JSON."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the database ------------------------------------------------------------------------------


def postgres_answers() -> bool:
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=3).close()
    except Exception:
        return False
    return True


@contextmanager
def scratch_database(workdir: Path):
    if postgres_answers():
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"aidtracker_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        yield f"sqlite:///{workdir / 'bench.db'}"


def fill(database: str, instance: str, lines: int, per_shipment: int) -> None:
    """Generate shipments until the register of the period holds at least `lines` lines (drafts
    and cancelled shipments are generated too, and are not in it)."""
    from flask_migrate import upgrade

    from aidtracker.auth.models import Role, User
    from aidtracker.extensions import db
    from aidtracker.generate import generate_data
    from aidtracker.reports.scope import ReportParameters, count_lines

    app = app_for(database, instance)
    with app.app_context():
        upgrade()
        admin = None
        in_register, seed, started = 0, 1, time.perf_counter()
        while in_register < lines:
            missing = lines - in_register
            generate_data(
                shipments=max(1, round(missing * 1.15 / per_shipment)),
                lines_per_shipment=per_shipment,
                seed=seed,
                years=(PERIOD[0].year, PERIOD[1].year),
            )
            admin = admin or db.session.scalar(
                db.select(User).filter_by(role=Role.ADMIN).order_by(User.id)
            )
            in_register = count_lines(admin, ReportParameters(*PERIOD, "PLN"))
            seed += 1
        seconds = time.perf_counter() - started
    print(f"Generated data: the register holds {in_register:,} lines ({seconds:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--lines-per-shipment", type=int, default=10)
    parser.add_argument("--database", help="an existing, filled database to export from")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        kind, *rest = options.child
        figures = {"aidtracker": run_aidtracker, "pandas": run_pandas, "writer": run_writer}[kind](
            *rest
        )
        figures["peak_mb"] = peak_mb()
        print(json.dumps(figures))
        return

    with tempfile.TemporaryDirectory(prefix="aidtracker-bench-") as workdir:
        work = Path(workdir)
        instance = str(work / "instance")
        with (
            scratch_database(work) if not options.database else _given(options.database)
        ) as database:
            if not options.database:
                fill(database, instance, options.lines, options.lines_per_shipment)
            backend = database.split(":", 1)[0]
            ours = str(work / "aidtracker.xlsx")
            results = {
                "aidtracker": child(["aidtracker", database, instance, ours, "2024-12-31"]),
                "aidtracker, one year": child(
                    ["aidtracker", database, instance, str(work / "year.xlsx"), "2022-12-31"]
                ),
                "pandas read_sql + to_excel": child(
                    ["pandas", database, instance, str(work / "pandas.xlsx")]
                ),
            }
            for writer in WRITERS:
                results[f"floor: {writer}"] = child(
                    ["writer", writer, ours, str(work / f"{writer}.xlsx")]
                )
    report(results, backend)


@contextmanager
def _given(database: str):
    yield database


def report(results: dict, backend: str) -> None:
    print(f"\nShipment register export on {backend}, {sys.platform}, {os.cpu_count()} CPUs")
    print(f"{'contender':<30} {'lines':>9} {'seconds':>8} {'peak MB':>8} {'baseline MB':>12}")
    for name, figures in results.items():
        print(
            f"{name:<30} {figures['lines']:>9,} {figures['seconds']:>8.2f} "
            f"{figures['peak_mb']:>8.0f} {figures['baseline_mb']:>12.0f}"
        )
    ours = results["aidtracker"]
    pandas_seconds = results["pandas read_sql + to_excel"]["seconds"]
    floor_name, floor = min(
        ((name, figures) for name, figures in results.items() if name.startswith("floor")),
        key=lambda item: item[1]["seconds"],
    )
    print()
    print(f"peak memory: {ours['peak_mb']:.0f} MB (target at most 150 MB)")
    print(f"speed-up over pandas: {pandas_seconds / ours['seconds']:.1f}x (target at least 3x)")
    print(
        f"time over the floor ({floor_name.removeprefix('floor: ')}): "
        f"{ours['seconds'] / floor['seconds']:.2f}x (target at most 1.0x)"
    )


if __name__ == "__main__":
    main()
