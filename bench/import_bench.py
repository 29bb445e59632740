"""Read a packing list of 20,000 lines × 15 columns as an import does, and compare the readers.

    .venv/bin/python bench/import_bench.py [--rows 20000]

Builds the workbook in a temporary folder with XlsxWriter (the bench extra), which writes it as
Excel does: shared strings, date cells, and a formula column (line value = quantity × unit value)
with its saved value. Cells come in the forms people type: quantities and values sometimes as
text ("1 234", "12,50"), expiry dates sometimes as text ("30.06.2026"), HS codes as numbers.

Every contender runs in its own process, so its peak memory (maximum resident set size) is its
own. Printed per contender: wall time, peak memory, and the memory before it started (imports).
- aidtracker: ``read_table`` (checks, header search, rows, the XML pass for formulas and merged
  cells) and then every cell parsed with ``aidtracker.imports.values``: what each import does
  before it looks anything up in the database;
- read_table alone;
- openpyxl floor: load in read-only mode and iterate the rows' values, nothing else;
- python-calamine (when importable, e.g. ``pip install python-calamine==0.9.1``): the sheet's
  values as lists, and its merged ranges.
- aidtracker import lines: the whole import of as many lines naming demo items and donors into
  the demo's draft shipment on a fresh SQLite database (check, then add in one transaction).
Target (issue 6, for the whole import): under 10 s and under 200 MB.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADER = [
    "No.",
    "Item",
    "HS code",
    "Quantity",
    "Unit",
    "Unit value",
    "Currency",
    "Line value",
    "Donor",
    "Funding",
    "Lot",
    "Expiry",
    "Gross weight (kg)",
    "Category",
    "Note",
]
ITEMS = [
    ("Canned fish 240 g", 1604, "food"),
    ("Wool blanket", 6301, "shelter"),
    ("Paracetamol 500 mg x20", 3004, "medical"),
    ("Elastic bandage", 3005, "medical"),
    ("Diesel generator 100 kVA", 8502, "energy"),
    ("Soap 100 g", 3401, "hygiene"),
]
UNITS = {"pcs": "pcs", "szt.": "pcs", "шт": "pcs", "kg": "kg", "box": "box", "karton": "box"}
CURRENCIES = {code.casefold(): code for code in ("PLN", "EUR", "UAH", "USD")}
FUNDING = {"in_kind": "in_kind", "in kind": "in_kind", "purchased": "purchased"}
CATEGORIES = {c: c for c in ("food", "clothing", "medical", "hygiene", "shelter", "energy")}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fields():
    from aidtracker.imports.reader import Field

    return [
        Field("item", {"Item", "Towar", "Найменування"}, required=True),
        Field("hs_code", {"HS code", "Kod HS"}),
        Field("quantity", {"Quantity", "Ilość", "Кількість"}, required=True),
        Field("unit", {"Unit", "J.m."}),
        Field("unit_value", {"Unit value", "Wartość jednostkowa"}),
        Field("currency", {"Currency", "Waluta"}),
        Field("donor", {"Donor", "Darczyńca"}),
        Field("funding", {"Funding", "Finansowanie"}),
        Field("lot", {"Lot", "Partia"}),
        Field("expiry", {"Expiry", "Data ważności"}),
        Field("gross_weight", {"Gross weight", "Waga brutto"}),
        Field("category", {"Category", "Kategoria"}),
        Field("note", {"Note", "Uwagi"}),
    ]


# --- the workbook ------------------------------------------------------------------------------


def build(path: Path, rows: int) -> None:
    import xlsxwriter

    # Not constant_memory: that writes inline strings, and Excel writes a shared-string table.
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Packing list")
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["PACKING LIST"])
    sheet.write_row(1, 0, ["Sender:", "City of Lublin"])
    sheet.write_row(2, 0, ["Recipient:", "Kryvyi Rih City Council"])
    sheet.write_row(4, 0, HEADER)
    first = 5
    for index in range(rows):
        number = first + index
        excel_row = number + 1
        name, hs_code, category = ITEMS[index % len(ITEMS)]
        quantity = (index % 500) + 1
        unit_value = round(2.5 + (index % 97) * 1.37, 2)
        row = [
            index + 1,
            f"{name} #{index % 250}",
            float(hs_code),
            f"{quantity:,}".replace(",", " ") if index % 10 == 0 else quantity,
            ("pcs", "szt.", "шт", "box")[index % 4],
            f"{unit_value:.2f}".replace(".", ",") if index % 7 == 0 else unit_value,
            ("PLN", "EUR", "uah")[index % 3],
            None,
            ("Lublin Residents' Fundraiser", "Protection Civile", "Example Textiles")[index % 3],
            ("purchased", "in kind")[index % 2],
            f"LOT-{index:06d}",
            None,
            round(quantity * 0.85, 3),
            category,
            "Humanitarian aid, not for sale" if index % 50 == 0 else None,
        ]
        sheet.write_row(number, 0, row)
        sheet.write_formula(number, 7, f"=D{excel_row}*F{excel_row}", None, quantity * unit_value)
        expiry = date(2026, 1, 1) + timedelta(days=index % 700)
        if index % 5 == 0:
            sheet.write_string(number, 11, expiry.strftime("%d.%m.%Y"))
        else:
            sheet.write_datetime(number, 11, expiry, dated)
    sheet.write_row(first + rows, 0, ["Total", None, None, None])
    book.close()


# --- contenders, each run in a child process ---------------------------------------------------


def parse(table) -> int:
    """Every cell through the cell readers, as an import does; returns how many were read."""
    from aidtracker.imports.values import CellError, choice, date_value, decimal, text

    readers = {
        "item": text,
        "hs_code": text,
        "quantity": decimal,
        "unit": lambda v: choice(v, UNITS),
        "unit_value": decimal,
        "currency": lambda v: choice(v, CURRENCIES),
        "donor": text,
        "funding": lambda v: choice(v, FUNDING),
        "lot": text,
        "expiry": date_value,
        "gross_weight": decimal,
        "category": lambda v: choice(v, CATEGORIES),
        "note": text,
    }
    count = 0
    for row in table.rows:
        for name, value in row.cells.items():
            try:
                readers[name](value)
            except CellError as error:
                raise SystemExit(f"row {row.number} {name}: {error.message}") from None
            count += 1
    return count


def run_aidtracker(path: str, with_values: str) -> dict:
    from aidtracker.imports.reader import read_table

    wanted = fields()
    baseline = peak_mb()
    started = time.perf_counter()
    table = read_table(path, wanted)
    cells = parse(table) if with_values == "yes" else 0
    seconds = time.perf_counter() - started
    assert not table.problems, table.problems[:3]
    return {"seconds": seconds, "rows": len(table.rows), "cells": cells, "baseline_mb": baseline}


def run_openpyxl(path: str) -> dict:
    import openpyxl

    baseline = peak_mb()
    started = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()
    rows = sum(1 for _row in sheet.iter_rows(values_only=True))
    workbook.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "cells": 0, "baseline_mb": baseline}


def run_calamine(path: str) -> dict:
    import python_calamine

    baseline = peak_mb()
    started = time.perf_counter()
    workbook = python_calamine.CalamineWorkbook.from_path(path)
    sheet = workbook.get_sheet_by_index(0)
    rows = len(sheet.to_python(skip_empty_area=False))
    sheet.merged_cell_ranges  # noqa: B018 (what read_table would need from it)
    workbook.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "cells": 0, "baseline_mb": baseline}


def calamine_capabilities() -> str:
    """Whether python-calamine shows a formula Excel never calculated, and merged ranges."""
    import io
    from importlib import metadata

    import openpyxl
    import python_calamine

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Item", "Quantity", "Lot"])
    sheet.append(["Soap", "=2*3", "L1"])  # a formula Excel never calculated
    sheet.append([None, None, "L2"])  # the item merged from above; no quantity
    sheet.merge_cells("A2:A3")
    output = io.BytesIO()
    workbook.save(output)
    output.seek(0)
    read = python_calamine.CalamineWorkbook.from_filelike(output).get_sheet_by_index(0)
    values = read.to_python(skip_empty_area=False)
    formula_seen = values[1][1] != values[2][1]
    merged_seen = bool(read.merged_cell_ranges)
    return (
        f"python-calamine {metadata.version('python-calamine')}: tells a formula without a saved "
        f"value from an empty cell: {'yes' if formula_seen else 'no'}; "
        f"shows merged ranges: {'yes' if merged_seen else 'no'}"
    )


def run_import(workdir: str, rows: str) -> dict:
    """The whole line import on a fresh SQLite database with the demo data: a workbook of
    `rows` lines naming demo catalogue items and donors is checked and added to the demo's
    draft shipment in one transaction, as the import page's "Add N lines" does."""
    import openpyxl
    from flask_migrate import upgrade
    from sqlalchemy import select

    from aidtracker import create_app
    from aidtracker.auth.models import Role, User
    from aidtracker.catalogue.models import CatalogueItem
    from aidtracker.demo import load_demo
    from aidtracker.extensions import db
    from aidtracker.imports.lines import import_lines_from_path
    from aidtracker.parties.models import Organisation
    from aidtracker.shipments.queries import shipment_by_reference

    os.environ["AIDTRACKER_DATABASE_URL"] = f"sqlite:///{workdir}/import.db"
    app = create_app(instance_path=f"{workdir}/instance")
    path = Path(workdir) / "lines.xlsx"
    with app.app_context():
        upgrade()
        load_demo()
        admin = db.session.scalar(select(User).filter_by(role=Role.ADMIN))
        items = db.session.scalars(select(CatalogueItem).order_by(CatalogueItem.id)).all()
        donors = db.session.scalars(select(Organisation.name).filter_by(is_donor=True)).all()
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Lines")
        sheet.append(
            [
                "Item",
                "Quantity",
                "Unit",
                "Unit value",
                "Currency",
                "Donor",
                "Funding",
                "Lot",
                "Expiry",
                "Gross weight (kg)",
            ]
        )
        for number in range(int(rows)):
            item = items[number % len(items)]
            medical = item.category.value == "medical"
            sheet.append(
                [
                    item.name_en,
                    10 + number % 90,
                    item.unit.value,
                    float(item.default_unit_value or 1),
                    item.default_currency or "PLN",
                    donors[number % len(donors)],
                    "in_kind",
                    f"L{number}" if medical else None,
                    date(2027, 6, 30) if medical else None,
                    round(1.5 + number % 7, 1),
                ]
            )
        book.save(path)
        shipment = shipment_by_reference(admin, "LUB-KRR-2023-0003")
        baseline = peak_mb()
        started = time.perf_counter()
        added = import_lines_from_path(shipment, path, admin)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": added, "cells": added * 10, "baseline_mb": baseline}


CONTENDERS = {
    "aidtracker": run_aidtracker,
    "openpyxl": run_openpyxl,
    "calamine": run_calamine,
    "import": run_import,
}


def child(arguments: list[str]) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *arguments],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        kind, *rest = options.child
        figures = CONTENDERS[kind](*rest)
        figures["peak_mb"] = peak_mb()
        print(json.dumps(figures))
        return

    with tempfile.TemporaryDirectory(prefix="aidtracker-import-bench-") as workdir:
        path = Path(workdir) / "packing-list.xlsx"
        started = time.perf_counter()
        build(path, options.rows)
        size = path.stat().st_size
        print(
            f"Built {options.rows:,} lines × {len(HEADER)} columns: {size / 1024 / 1024:.1f} MB "
            f"({time.perf_counter() - started:.1f} s)"
        )
        results = {
            "aidtracker: import lines (SQLite)": child(["import", workdir, str(options.rows)]),
            "aidtracker: read_table + values": child(["aidtracker", str(path), "yes"]),
            "aidtracker: read_table alone": child(["aidtracker", str(path), "no"]),
            "floor: openpyxl read-only rows": child(["openpyxl", str(path)]),
        }
        try:
            import python_calamine  # noqa: F401
        except ImportError:
            capabilities = "python-calamine is not installed: not measured"
        else:
            results["python-calamine to_python"] = child(["calamine", str(path)])
            capabilities = calamine_capabilities()
    report(results, capabilities)


def report(results: dict, capabilities: str) -> None:
    print(f"\nImport reading on {sys.platform}, {os.cpu_count()} CPUs, Python {sys.version[:6]}")
    print(
        f"{'contender':<34} {'rows':>7} {'cells':>8} {'seconds':>8} {'peak MB':>8} {'base MB':>8}"
    )
    for name, figures in results.items():
        print(
            f"{name:<34} {figures['rows']:>7,} {figures['cells']:>8,} {figures['seconds']:>8.2f} "
            f"{figures['peak_mb']:>8.0f} {figures['baseline_mb']:>8.0f}"
        )
    whole = results["aidtracker: import lines (SQLite)"]
    print()
    print(f"{capabilities}")
    print(
        f"whole import of {whole['rows']:,} lines: {whole['seconds']:.2f} s (target: under 10 s), "
        f"peak {whole['peak_mb']:.0f} MB (target: under 200 MB)"
    )


if __name__ == "__main__":
    main()
