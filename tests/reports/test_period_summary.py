"""The period summary: value and count by category × destination, month by month, adding up."""

from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.money.service import rate_book
from aidtracker.parties.models import City
from aidtracker.reports.scope import DISPATCHED_OR_LATER, ReportParameters
from aidtracker.reports.service import ReportKind, export_report, file_name
from aidtracker.reports.summary import write_period_summary
from aidtracker.shipments.models import Shipment, ShipmentLine
from tests.reports.helpers import cents, expected_total, sheet_rows, user

YEAR_2023 = (date(2023, 1, 1), date(2023, 12, 31))
TWO_YEARS = (date(2022, 1, 1), date(2023, 12, 31))
ACCOUNTANT = "accountant@lublin.example"
BY_MONTH = "By month"
MATRIX = "Category × destination"


def export(tmp_path, currency="PLN", period=YEAR_2023, **filters):
    path = tmp_path / f"summary-{currency}.xlsx"
    parameters = ReportParameters(*period, currency, **filters)
    totals = write_period_summary(path, user(ACCOUNTANT), parameters)
    return path, totals


def expected_by_month(currency: str, start: date, end: date) -> dict[date, Decimal]:
    """Each month's value in `currency` from the ORM lines, converted and rounded line by line."""
    book = rate_book()
    lines = db.session.scalars(
        select(ShipmentLine)
        .join(Shipment)
        .where(
            Shipment.status.in_(DISPATCHED_OR_LATER),
            Shipment.dispatch_date.between(start, end),
        )
    )
    months: dict[date, Decimal] = {}
    for line in lines:
        day = line.shipment.dispatch_date
        value = book.convert(line.quantity * line.unit_value, line.currency, currency, day)
        month = date(day.year, day.month, 1)
        months[month] = months.get(month, Decimal("0.00")) + value
    return months


def month_blocks(path) -> tuple[dict[date, list[tuple]], dict[date, tuple], tuple]:
    """The By month sheet split into each month's rows, its total row, and the grand total."""
    rows = sheet_rows(path, BY_MONTH)
    details: dict[date, list[tuple]] = {}
    month_totals: dict[date, tuple] = {}
    grand = None
    for row in rows[1:]:
        if row[1] == "Total":
            grand = row
        elif row[1] == "Month total":
            month_totals[row[0].date()] = row
        else:
            details.setdefault(row[0].date(), []).append(row)
    return details, month_totals, grand


def matrix_block(path, title: str) -> tuple[tuple, list[tuple]]:
    """One table of the matrix sheet: its header row and its rows down to the total row."""
    rows = sheet_rows(path, MATRIX)
    start = next(index for index, row in enumerate(rows) if row[0] == title)
    end = next(index for index in range(start, len(rows)) if rows[index][0] == "Total")
    return rows[start + 1], rows[start + 2 : end + 1]


@pytest.mark.parametrize("currency", ["PLN", "EUR"])
@pytest.mark.parametrize("period", [YEAR_2023, TWO_YEARS])
def test_month_subtotals_add_up_to_the_database_total(demo, tmp_path, currency, period):
    with demo.app_context():
        path, totals = export(tmp_path, currency, period)
        expected_months = expected_by_month(currency, *period)
        expected = expected_total(currency, *period)
    details, month_totals, grand = month_blocks(path)
    assert {month: cents(row[6]) for month, row in month_totals.items()} == expected_months
    for month, rows in details.items():
        assert sum(cents(row[6]) for row in rows) == cents(month_totals[month][6])
        assert sum(row[5] for row in rows) == month_totals[month][5]
    assert sum(cents(row[6]) for row in month_totals.values()) == expected == totals.value
    assert cents(grand[6]) == expected
    if period == YEAR_2023 and currency == "PLN":
        assert expected == Decimal("177870.00")


def test_march_2023_counts_two_shipments_and_four_lines(demo, tmp_path):
    with demo.app_context():
        path, totals = export(tmp_path)
    details, month_totals, grand = month_blocks(path)
    march = date(2023, 3, 1)
    assert [row[1:6] for row in details[march]] == [
        ("Medical", "Kryvyi Rih", "UA", 1, 3),
        ("Energy", "Kryvyi Rih", "UA", 1, 1),
    ]
    assert month_totals[march][4:] == (2, 4, 158230)  # 41,480.00 + 116,750.00
    assert grand[4:6] == (3, 6)
    assert (totals.shipments, totals.lines) == (3, 6)


def test_months_are_real_dates_and_totals_are_bold(demo, tmp_path):
    with demo.app_context():
        path, _totals = export(tmp_path)
    sheet = openpyxl.load_workbook(path)[BY_MONTH]
    month = sheet["A2"]
    assert month.is_date
    assert month.value.date() == date(2023, 2, 1)
    assert month.number_format == "yyyy-mm-dd"
    total = next(row for row in sheet.iter_rows() if row[1].value == "Month total")
    assert total[1].font.b
    assert total[6].font.b


@pytest.mark.parametrize("currency", ["PLN", "EUR"])
def test_the_matrix_totals_equal_the_grand_total(demo, tmp_path, currency):
    with demo.app_context():
        path, totals = export(tmp_path, currency, TWO_YEARS)
        expected = expected_total(currency, *TWO_YEARS)
    header, rows = matrix_block(path, f"Value ({currency})")
    assert header == ("Category", "Kryvyi Rih (UA)", "Lutsk (UA)", "Total")
    *categories, total_row = rows
    assert [row[0] for row in categories] == ["Food", "Clothing", "Medical", "Shelter", "Energy"]
    for row in categories:
        assert sum(cents(cell) for cell in row[1:-1] if cell is not None) == cents(row[-1])
    for column in (1, 2):
        column_cells = [row[column] for row in categories if row[column] is not None]
        assert sum(cents(cell) for cell in column_cells) == cents(total_row[column])
    assert sum(cents(row[-1]) for row in categories) == cents(total_row[-1])
    assert cents(total_row[1]) + cents(total_row[2]) == cents(total_row[-1])
    assert cents(total_row[-1]) == expected == totals.value
    _details, _months, grand = month_blocks(path)
    assert cents(grand[6]) == expected

    _header, line_rows = matrix_block(path, "Lines")
    assert line_rows[-1] == ("Total", 9, 2, 11)


def test_the_destination_filter_leaves_one_column(demo, tmp_path):
    with demo.app_context():
        lutsk = db.session.scalar(select(City).filter_by(name="Lutsk"))
        path, totals = export(tmp_path, destination_city_id=lutsk.id)
    header, rows = matrix_block(path, "Value (PLN)")
    assert header == ("Category", "Lutsk (UA)", "Total")
    assert rows == [("Food", 19640, 19640), ("Total", 19640, 19640)]
    assert totals.value == Decimal("19640.00")


def test_the_service_exports_the_summary_under_its_title_and_file_name(demo, tmp_path):
    path = tmp_path / "summary.xlsx"
    with demo.app_context():
        parameters = ReportParameters(*YEAR_2023, "EUR")
        totals = export_report(ReportKind.SUMMARY, path, user(ACCOUNTANT), parameters)
        assert ReportKind.SUMMARY.title == "Period summary"
    assert file_name(ReportKind.SUMMARY, parameters) == (
        "aidtracker-summary-2023-01-01_2023-12-31-EUR.xlsx"
    )
    assert totals.value == Decimal("37980.65")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [BY_MONTH, MATRIX, "Parameters"]
    parameters_sheet = {row[0]: row[1] for row in sheet_rows(path, "Parameters") if row[0]}
    assert (parameters_sheet["Months"], parameters_sheet["Lines"]) == (2, 6)


def test_a_partner_summarises_only_its_own_shipments(demo, tmp_path):
    path = tmp_path / "lutsk.xlsx"
    with demo.app_context():
        parameters = ReportParameters(*YEAR_2023, "PLN")
        totals = write_period_summary(path, user("partner@lutsk.example"), parameters)
    assert (totals.shipments, totals.value) == (1, Decimal("19640.00"))
    header, _rows = matrix_block(path, "Value (PLN)")
    assert header == ("Category", "Lutsk (UA)", "Total")
