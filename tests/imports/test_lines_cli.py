"""`aidtracker import lines REFERENCE FILE`: the web page's rules from the command line, exiting
non-zero with one line per problem, and adding nothing unless every row is right."""

import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.imports.cli import import_group
from aidtracker.models import Shipment, ShipmentLine
from tests.imports.files import xlsx

DRAFT = "LUB-KRR-2023-0003"
HEADER = ["Item", "Quantity", "Donor", "Funding", "Lot", "Expiry"]
GOOD = [
    ["Rice 1 kg", 1000, "Lublin Residents' Fundraiser", "purchased", None, None],
    ["Paracetamol 500 mg ×20", 40, "Protection Civile", "in_kind", "P-7", "2027-05-31"],
]


@pytest.fixture
def files(tmp_path):
    def write(rows, name="lines.xlsx"):
        path = tmp_path / name
        path.write_bytes(xlsx([HEADER, *rows]))
        return path

    return write


def run(app, *args):
    return app.test_cli_runner().invoke(import_group, [str(arg) for arg in args])


def line_count(app, reference: str = DRAFT) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(ShipmentLine.id))
            .join(Shipment)
            .where(Shipment.reference == reference)
        )


def test_a_good_file_adds_its_lines(demo, files):
    result = run(demo, "lines", DRAFT.lower(), files(GOOD), "--user", "staff@lublin.example")

    assert result.exit_code == 0, result.output
    assert result.output == f"Added 2 lines to {DRAFT}.\n"
    assert line_count(demo) == 3


def test_the_first_active_administrator_imports_when_no_user_is_named(demo, files):
    result = run(demo, "lines", DRAFT, files(GOOD[:1]))

    assert result.exit_code == 0, result.output
    assert result.output == f"Added 1 line to {DRAFT}.\n"


def test_each_problem_is_printed_as_sheet_row_column_and_nothing_is_added(demo, files):
    rows = [GOOD[0], ["Rice 2 kg", 0, None, None, None, None], ["Paracetamol 500 mg ×20", 1]]

    path = files(rows, "bad.xlsx")
    result = run(demo, "lines", DRAFT, path)

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"Error: {path}: 4 problems; nothing was imported."
    assert lines[1:] == [
        "Lines!3, Item: The catalogue has no item named “Rice 2 kg”. Use the item's name as "
        "the catalogue writes it (in English, Polish or Ukrainian), or add it to the catalogue "
        "first.",
        "Lines!3, Quantity: The quantity must be more than zero.",
        "Lines!4, Lot: Medical goods need a lot number.",
        "Lines!4, Expiry: Medical goods need an expiry date.",
    ]
    assert line_count(demo) == 1


def test_a_file_that_is_not_a_workbook_is_refused_in_one_line(demo, tmp_path):
    path = tmp_path / "lines.xlsx"
    path.write_text("Item,Quantity\nRice 1 kg,10\n")

    result = run(demo, "lines", DRAFT, path)

    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: This is not an Excel .xlsx workbook")
    assert line_count(demo) == 1


def test_a_shipment_that_is_not_a_draft_is_refused(demo, files):
    result = run(demo, "lines", "LUB-KRR-2023-0001", files(GOOD))

    assert result.exit_code == 1
    assert result.output == (
        "Error: Lines can be imported only into a draft shipment; LUB-KRR-2023-0001 is "
        "dispatched.\n"
    )
    assert line_count(demo, "LUB-KRR-2023-0001") == 3


def test_unknown_shipments_users_and_users_who_may_not_edit_are_refused(demo, files):
    path = files(GOOD)

    unknown = run(demo, "lines", "LUB-KRR-2099-0001", path)
    assert unknown.exit_code == 1
    assert "no shipment LUB-KRR-2099-0001 for admin@lublin.example" in unknown.output

    nobody = run(demo, "lines", DRAFT, path, "--user", "nobody@example.org")
    assert nobody.exit_code == 1
    assert "no user has the e-mail address 'nobody@example.org'" in nobody.output

    accountant = run(demo, "lines", DRAFT, path, "--user", "accountant@lublin.example")
    assert accountant.exit_code == 1
    assert "accountant@lublin.example (accountant) may not make this import" in accountant.output
    assert line_count(demo) == 1


def test_a_missing_file_is_named_by_click(demo, tmp_path):
    result = run(demo, "lines", DRAFT, tmp_path / "absent.xlsx")

    assert result.exit_code == 2
    assert "does not exist" in result.output
