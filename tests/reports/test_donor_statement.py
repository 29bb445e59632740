"""The donor statement: each donor's lines and totals by category and destination, to the cent."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.parties.models import Organisation
from aidtracker.reports.donors import write_donor_statement
from aidtracker.reports.scope import DISPATCHED_OR_LATER, ReportParameters
from aidtracker.reports.service import ReportKind, export_report
from aidtracker.shipments.models import Shipment, ShipmentLine
from tests.reports.helpers import cents, expected_total, sheet_rows, user

YEAR_2023 = (date(2023, 1, 1), date(2023, 12, 31))
ACCOUNTANT = "accountant@lublin.example"
FUNDRAISER = "Lublin Residents' Fundraiser"
CIVILE = "Protection Civile"
STATEMENT = "By donor, category, destination"
LINES = "Lines by donor"


def export(tmp_path, currency="PLN", email=ACCOUNTANT, period=YEAR_2023, **filters):
    path = tmp_path / f"donors-{currency}.xlsx"
    parameters = ReportParameters(*period, currency, **filters)
    totals = write_donor_statement(path, user(email), parameters)
    return path, totals


def expected_by_donor(currency: str, start: date, end: date) -> dict[str, Decimal]:
    """Each donor's value in `currency`, from the ORM lines and the stored rates: every line
    converted through PLN at the latest rate on or before dispatch, rounded half-up, then added."""
    stored = db.session.scalars(select(ExchangeRate).order_by(ExchangeRate.rate_date)).all()

    def rate(code: str, on: date) -> Decimal:
        if code == "PLN":
            return Decimal(1)
        return [r.rate for r in stored if r.currency == code and r.rate_date <= on][-1]

    lines = db.session.scalars(
        select(ShipmentLine)
        .join(Shipment)
        .where(
            Shipment.status.in_(DISPATCHED_OR_LATER),
            Shipment.dispatch_date.between(start, end),
        )
    )
    sums: dict[str, Decimal] = {}
    for line in lines:
        on = line.shipment.dispatch_date
        amount = line.quantity * line.unit_value * rate(line.currency, on) / rate(currency, on)
        donor = line.donor.name if line.donor else "No donor"
        sums[donor] = sums.get(donor, Decimal("0.00")) + amount.quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    return sums


def donor_totals(path) -> dict[str, tuple]:
    """The bold "Donor total" rows of the statement sheet, by donor."""
    return {row[0]: row for row in sheet_rows(path, STATEMENT) if row[1] == "Donor total"}


def grand_total(path) -> tuple:
    return next(row for row in sheet_rows(path, STATEMENT) if row[0] == "Total")


def test_the_2023_statement_totals_177870_pln_split_between_two_donors(demo, tmp_path):
    with demo.app_context():
        path, totals = export(tmp_path)
    assert totals.value == Decimal("177870.00")
    assert {name: tally.value for name, tally in totals.by_donor.items()} == {
        FUNDRAISER: Decimal("61120.00"),  # 19,640.00 to Lutsk + 41,480.00 of medical supplies
        CIVILE: Decimal("116750.00"),  # the generator: 25,000 EUR × 4.6700
    }
    donors = donor_totals(path)
    assert list(donors) == [FUNDRAISER, CIVILE]
    assert cents(donors[FUNDRAISER][6]) == Decimal("61120.00")
    assert cents(donors[CIVILE][6]) == Decimal("116750.00")
    assert grand_total(path)[4:] == (3, 6, 177870)


@pytest.mark.parametrize("currency", ["PLN", "EUR"])
def test_every_donor_total_reconciles_with_the_database(demo, tmp_path, currency):
    with demo.app_context():
        path, totals = export(tmp_path, currency)
        expected = expected_by_donor(currency, *YEAR_2023)
        expected_sum = expected_total(currency, *YEAR_2023)
    assert sum(expected.values()) == expected_sum == totals.value
    assert {donor: cents(row[6]) for donor, row in donor_totals(path).items()} == expected
    assert cents(grand_total(path)[6]) == expected_sum

    statement = sheet_rows(path, STATEMENT)[1:]
    for donor, value in expected.items():
        details = [row for row in statement if row[0] == donor and row[1] != "Donor total"]
        assert sum(cents(row[6]) for row in details) == value

    lines = sheet_rows(path, LINES)
    column = lines[0].index(f"Value ({currency})")
    for donor, value in expected.items():
        assert sum(cents(row[column]) for row in lines[1:] if row[0] == donor) == value


def test_in_eur_the_generator_keeps_its_value_and_pln_lines_are_rounded_one_by_one(demo, tmp_path):
    with demo.app_context():
        path, totals = export(tmp_path, "EUR")
    # 2,943.40 + 1,174.00 (Lutsk, at 4.7700) + 5,555.56 + 1,538.46 + 1,769.23 (at 4.6800)
    assert totals.by_donor[FUNDRAISER].value == Decimal("12980.65")
    assert totals.by_donor[CIVILE].value == Decimal("25000.00")
    assert cents(grand_total(path)[6]) == Decimal("37980.65")


def test_a_donor_row_per_category_and_destination_and_distinct_shipments(demo, tmp_path):
    with demo.app_context():
        path, _totals = export(tmp_path)
    rows = [row for row in sheet_rows(path, STATEMENT)[1:] if row[0] == FUNDRAISER]
    assert [row[1:6] for row in rows] == [
        ("Food", "Lutsk", "UA", 1, 2),
        ("Medical", "Kryvyi Rih", "UA", 1, 3),
        ("Donor total", None, None, 2, 5),
    ]
    sheet = openpyxl.load_workbook(path)[STATEMENT]
    total_row = next(row for row in sheet.iter_rows() if row[1].value == "Donor total")
    assert total_row[6].font.b
    assert total_row[6].number_format == "#,##0.00"


def test_the_donor_filter_narrows_the_statement_to_that_donor(demo, tmp_path):
    with demo.app_context():
        civile = db.session.scalar(select(Organisation).filter_by(name=CIVILE))
        path, totals = export(tmp_path, donor_id=civile.id)
    assert list(totals.by_donor) == [CIVILE]
    assert (totals.lines, totals.value) == (1, Decimal("116750.00"))
    assert {row[0] for row in sheet_rows(path, LINES)[1:]} == {CIVILE}
    assert list(donor_totals(path)) == [CIVILE]
    parameters = {row[0]: row[1] for row in sheet_rows(path, "Parameters") if row[0]}
    assert parameters["Donor"] == CIVILE
    assert parameters["Donors"] == 1


def test_lines_without_a_donor_come_last_under_no_donor(demo, tmp_path):
    with demo.app_context():
        rice = db.session.scalar(
            select(ShipmentLine).join(Shipment).filter(Shipment.reference == "LUB-LUT-2023-0001")
        )
        rice.donor = None
        db.session.commit()
        path, totals = export(tmp_path)
        expected = expected_by_donor("PLN", *YEAR_2023)
    assert list(totals.by_donor)[-1] == "No donor"
    assert {donor: cents(row[6]) for donor, row in donor_totals(path).items()} == expected
    assert expected["No donor"] == Decimal("14040.00")  # 1,800 tins of fish × 7.80


def test_the_lines_sheet_shows_every_line_with_its_rate_and_an_optional_hxl_row(demo, tmp_path):
    with demo.app_context():
        path, _totals = export(tmp_path, "EUR", hxl=True)
    sheet = openpyxl.load_workbook(path)[LINES]
    header = [cell.value for cell in sheet[1]]
    assert sheet["A2"].value == "#org+funder+name"
    first_aid = next(row for row in sheet.iter_rows(min_row=3) if row[6].value.startswith("Veh"))
    assert cents(first_aid[header.index("Value (EUR)")].value) == Decimal("5555.56")
    assert first_aid[header.index("Rate date")].value.date() == date(2023, 3, 27)
    assert first_aid[header.index("Dispatch date")].is_date
    assert sheet.max_row == 2 + 6


def test_a_donor_named_like_a_formula_stays_literal_text(demo, tmp_path):
    name = '=HYPERLINK("http://example.com","x")'
    with demo.app_context():
        civile = db.session.scalar(select(Organisation).filter_by(name=CIVILE))
        civile.name = name
        db.session.commit()
        path, totals = export(tmp_path)
    assert totals.by_donor[name].value == Decimal("116750.00")
    workbook = openpyxl.load_workbook(path)
    for sheet_name in (STATEMENT, LINES):
        cells = [row[0] for row in workbook[sheet_name].iter_rows(min_row=2)]
        named = [cell for cell in cells if cell.value == name]
        assert named
        assert all(cell.data_type == "s" and cell.quotePrefix is True for cell in named)


def test_the_service_exports_the_statement_under_its_title(demo, tmp_path):
    path = tmp_path / "statement.xlsx"
    with demo.app_context():
        parameters = ReportParameters(*YEAR_2023, "PLN")
        totals = export_report(ReportKind.DONORS, path, user(ACCOUNTANT), parameters)
        assert ReportKind.DONORS.title == "Donor statement"
    assert totals.value == Decimal("177870.00")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [STATEMENT, LINES, "Cash and funds", "Parameters"]
    assert workbook.properties.title == "Donor statement"


def test_progress_counts_the_lines_written(demo, tmp_path):
    seen: list[int] = []
    with demo.app_context():
        parameters = ReportParameters(*YEAR_2023, "PLN")
        write_donor_statement(tmp_path / "d.xlsx", user(ACCOUNTANT), parameters, seen.append)
    assert seen[-1] == 6


def test_a_period_without_lines_gives_a_statement_with_a_zero_total(demo, tmp_path):
    with demo.app_context():
        path, totals = export(tmp_path, period=(date(2021, 1, 1), date(2021, 12, 31)))
    assert (totals.lines, totals.value, totals.by_donor) == (0, Decimal("0.00"), {})
    assert sheet_rows(path, STATEMENT)[1:] == [("Total", None, None, None, 0, 0, 0)]
