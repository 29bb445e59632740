"""The shipment register: every dispatched line, valued to the cent, readable by HXL tools."""

import gc
from datetime import date
from decimal import Decimal

import hxl
import openpyxl
import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.parties.models import City, Organisation
from aidtracker.reports.register import write_register
from aidtracker.reports.scope import ReportParameters
from aidtracker.reports.valuation import ExportRefused
from tests.reports.helpers import cents, expected_total, sheet_rows, user

YEAR_2023 = (date(2023, 1, 1), date(2023, 12, 31))
ACCOUNTANT = "accountant@lublin.example"


def export(tmp_path, currency="PLN", email=ACCOUNTANT, **filters):
    path = tmp_path / f"register-{currency}.xlsx"
    parameters = ReportParameters(*YEAR_2023, currency, **filters)
    totals = write_register(path, user(email), parameters)
    return path, totals


def totals_sheet(path) -> dict:
    rows = sheet_rows(path, "Totals")
    return {row[0]: row for row in rows[1:]}


def test_the_demo_register_of_2023_totals_177870_pln(demo, tmp_path):
    with demo.app_context():
        path, totals = export(tmp_path)
    assert totals.value == Decimal("177870.00")
    assert (totals.lines, totals.shipments) == (6, 3)
    assert cents(totals_sheet(path)["Total"][3]) == Decimal("177870.00")
    register = sheet_rows(path, "Shipment register")
    value_column = register[0].index("Value (PLN)")
    assert sum(cents(row[value_column]) for row in register[1:]) == Decimal("177870.00")


@pytest.mark.parametrize(
    ("language", "first_aid_kit"), [("pl", "Apteczka samochodowa"), ("uk", "Автомобільна аптечка")]
)
def test_the_register_speaks_the_users_language_and_keeps_numbers_numbers(
    demo, tmp_path, language, first_aid_kit
):
    with demo.app_context():
        user(ACCOUNTANT).language = language
        db.session.commit()
        with demo.test_request_context(), force_locale(language):
            path, totals = export(tmp_path)
            sheet, item = gettext("Shipment register"), gettext("Item")
            value = gettext("Value (%(currency)s)", currency="PLN")
    assert sheet != "Shipment register"
    register = sheet_rows(path, sheet[:31])
    header = register[0]
    assert item in header
    assert first_aid_kit in [row[header.index(item)] for row in register[1:]]
    assert sum(cents(row[header.index(value)]) for row in register[1:]) == Decimal("177870.00")
    assert totals.value == Decimal("177870.00")


@pytest.mark.parametrize("currency", ["PLN", "EUR"])
def test_every_total_reconciles_with_the_database(demo, tmp_path, currency):
    with demo.app_context():
        path, totals = export(tmp_path, currency)
        expected = expected_total(currency, *YEAR_2023)
    register = sheet_rows(path, "Shipment register")
    header = register[0]
    values = [cents(row[header.index(f"Value ({currency})")]) for row in register[1:]]
    assert sum(values) == expected == totals.value
    subtotals = sheet_rows(path, "Subtotals by shipment")[1:]
    assert sum(cents(row[4]) for row in subtotals) == expected
    assert {row[0] for row in subtotals} == {
        "LUB-LUT-2023-0001",
        "LUB-KRR-2023-0001",
        "LUB-KRR-2023-0002",
    }
    assert cents(totals_sheet(path)["Total"][3]) == expected


def test_the_generator_in_eur_keeps_its_value_and_the_rest_is_converted_per_line(demo, tmp_path):
    with demo.app_context():
        path, totals = export(tmp_path, "EUR")
    register = sheet_rows(path, "Shipment register")
    header = register[0]
    generator = next(row for row in register if row[0] == "LUB-KRR-2023-0002")
    assert cents(generator[header.index("Value (EUR)")]) == Decimal("25000.00")
    assert generator[header.index("Rate to EUR")] == 1
    first_aid = next(row for row in register if row[header.index("Item")].startswith("Vehicle"))
    # 400 × 65.00 PLN on 2023-03-27 at 4.6800 PLN/EUR = 5555.555… → 5555.56
    assert cents(first_aid[header.index("Value (EUR)")]) == Decimal("5555.56")
    assert first_aid[header.index("Rate date")].date() == date(2023, 3, 27)
    assert totals.by_currency["EUR"][2] == Decimal("25000.00")


def test_cells_are_real_numbers_and_dates_with_formats_and_a_frozen_filtered_header(demo, tmp_path):
    with demo.app_context():
        path, _totals = export(tmp_path, hxl=True)
    sheet = openpyxl.load_workbook(path)["Shipment register"]
    header = [cell.value for cell in sheet[1]]
    data = sheet[3]
    date_cell = data[header.index("Dispatch date")]
    value_cell = data[header.index("Value (PLN)")]
    assert date_cell.is_date
    assert date_cell.number_format == "yyyy-mm-dd"
    assert value_cell.data_type == "n"
    assert value_cell.number_format == "#,##0.00"
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref.startswith("A2:")
    assert all(sheet.column_dimensions[letter].width >= 6 for letter in ("A", "B", "O"))
    properties = openpyxl.load_workbook(path).properties
    assert properties.title == "Shipment register"
    assert "accountant@lublin.example" in properties.creator


def test_the_parameters_sheet_states_period_currency_filters_rates_and_author(demo, tmp_path):
    with demo.app_context():
        kryvyi_rih = db.session.scalar(select(City).filter_by(name="Kryvyi Rih"))
        path, totals = export(tmp_path, "PLN", destination_city_id=kryvyi_rih.id)
    parameters = {row[0]: row[1:] for row in sheet_rows(path, "Parameters") if row[0]}
    assert parameters["Period from"][0].date() == date(2023, 1, 1)
    assert parameters["Reporting currency"][0] == "PLN"
    assert parameters["Destination"][0] == "Kryvyi Rih"
    assert parameters["Lines"][0] == totals.lines == 4
    assert "accountant@lublin.example" in parameters["Generated by"][0]
    assert parameters["EUR"][0].date() == date(2023, 3, 30)
    assert parameters["EUR"][1] == pytest.approx(4.67)


def test_filters_narrow_the_lines(demo, tmp_path):
    with demo.app_context():
        civile = db.session.scalar(select(Organisation).filter_by(name="Protection Civile"))
        _path, by_donor = export(tmp_path, donor_id=civile.id)
        _path, medical = export(tmp_path, category="medical")
        _path, received = export(tmp_path, status="received_with_discrepancy")
    assert (by_donor.lines, by_donor.value) == (1, Decimal("116750.00"))
    assert (medical.lines, medical.value) == (3, Decimal("41480.00"))
    assert (received.lines, received.value) == (2, Decimal("19640.00"))


def test_a_missing_rate_stops_the_export_naming_each_currency_and_day_and_writes_no_file(
    demo, tmp_path
):
    with demo.app_context(), pytest.raises(ExportRefused) as refused:
        export(tmp_path, "USD")
    messages = " ".join(refused.value.messages)
    for day in ("2023-02-14", "2023-03-27", "2023-03-30"):
        assert f"USD on {day}" in messages
    assert not (tmp_path / "register-USD.xlsx").exists()


def test_the_previous_day_rule_values_the_generator_at_the_rate_before_dispatch(
    database_url, tmp_path
):
    from aidtracker.demo import load_demo
    from tests.conftest import fresh_app

    with fresh_app(database_url, tmp_path, RATE_RULE="previous_day") as app, app.app_context():
        load_demo()
        path, totals = export(tmp_path)
    # 25,000 EUR at 4.6800 (2023-03-27), not 4.6700 (2023-03-30): 117,000.00 PLN.
    assert totals.value == Decimal("41480.00") + Decimal("117000.00") + Decimal("19640.00")
    register = sheet_rows(path, "Shipment register")
    generator = next(row for row in register if row[0] == "LUB-KRR-2023-0002")
    assert generator[register[0].index("Rate date")].date() == date(2023, 3, 27)


def test_a_donor_named_like_a_formula_stays_literal_text(demo, tmp_path):
    name = '=HYPERLINK("http://example.com","x")'
    with demo.app_context():
        civile = db.session.scalar(select(Organisation).filter_by(name="Protection Civile"))
        civile.name = name
        db.session.commit()
        path, _totals = export(tmp_path)
    sheet = openpyxl.load_workbook(path)["Shipment register"]
    header = [cell.value for cell in sheet[1]]
    donor_cells = [row[header.index("Donor")] for row in sheet.iter_rows(min_row=2)]
    cell = next(cell for cell in donor_cells if cell.value == name)
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    carrier_cell = next(
        row[header.index("Carrier")]
        for row in sheet.iter_rows(min_row=2)
        if row[0].value == "LUB-KRR-2023-0002"
    )
    assert (carrier_cell.value, carrier_cell.data_type) == (name, "s")


# libhxl opens the workbook itself and leaves the file for the garbage collector to close.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_with_the_hxl_row_libhxl_sums_value_per_currency(demo, tmp_path):
    with demo.app_context():
        path, _totals = export(tmp_path, hxl=True)
        db_sums = {
            currency: sum(
                (row.quantity * row.unit_value for row in totals_lines(currency)),
                Decimal("0.00"),
            )
            for currency in ("PLN", "EUR")
        }
    sums: dict[str, Decimal] = {}
    with hxl.data(str(path), hxl.InputOptions(allow_local=True)) as source:
        for row in source:
            currency = row.get("#currency")
            sums[currency] = sums.get(currency, Decimal("0.00")) + cents(row.get("#value"))
        tags = [column.display_tag for column in source.columns]
    assert sums == {"PLN": Decimal("61120.00"), "EUR": Decimal("25000.00")} == db_sums
    assert "#org+funder+name" in tags
    gc.collect()


def totals_lines(currency: str):
    from aidtracker.reports.scope import DISPATCHED_OR_LATER
    from aidtracker.shipments.models import Shipment, ShipmentLine

    return db.session.scalars(
        select(ShipmentLine)
        .join(Shipment)
        .where(
            ShipmentLine.currency == currency,
            Shipment.status.in_(DISPATCHED_OR_LATER),
            Shipment.dispatch_date.between(*YEAR_2023),
        )
    )


def test_a_partner_exporting_sees_only_its_own_shipments(demo, tmp_path):
    with demo.app_context():
        _path, lutsk = export(tmp_path, email="partner@lutsk.example")
    assert (lutsk.shipments, lutsk.value) == (1, Decimal("19640.00"))


def test_without_any_eur_rate_the_register_refuses_rather_than_use_one(demo, tmp_path):
    with demo.app_context():
        for rate in db.session.scalars(select(ExchangeRate)):
            db.session.delete(rate)
        db.session.commit()
        with pytest.raises(ExportRefused, match="EUR on 2023-03-30"):
            export(tmp_path)
