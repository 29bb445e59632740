"""Values on the dashboards: the register's figures, within each user's scope, in PLN."""

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from aidtracker.catalogue.models import Category
from aidtracker.dashboard.queries import (
    aid_sent,
    missing_export_rates,
    value_cube,
)
from aidtracker.extensions import db
from aidtracker.generate import generate_data
from aidtracker.money.models import ExchangeRate
from aidtracker.parties.models import City
from aidtracker.reports.register import write_register
from aidtracker.reports.scope import ReportParameters, valuation_needs
from aidtracker.reports.summary import valued_lines
from aidtracker.reports.valuation import Valuation
from aidtracker.shipments.models import ShipmentLine
from tests.conftest import add_donated_line, log_in, page_text, partner_of
from tests.dashboard.helpers import ACCOUNTANT, KRYVYI_RIH, LUTSK, STAFF, shipment, user

YEAR_2023 = (date(2023, 1, 1), date(2023, 12, 31))


def register_total(email: str, first: date, last: date) -> Decimal:
    totals = write_register(io.BytesIO(), user(email), ReportParameters(first, last, "PLN"))
    return totals.value


def register_by(email: str, first: date, last: date, key) -> dict:
    """The register's lines, converted and rounded line by line, added up by `key(row)`."""
    parameters = ReportParameters(first, last, "PLN")
    valuation = Valuation.checked("PLN", valuation_needs(user(email), parameters))
    sums: dict = {}
    for row, converted in valued_lines(user(email), parameters, valuation):
        sums[key(row)] = sums.get(key(row), Decimal("0.00")) + converted.value
    return sums


def test_the_2023_value_is_the_registers_177870_pln(demo):
    with demo.app_context():
        cube = value_cube(user(ACCOUNTANT), *YEAR_2023)
        assert cube.total() == Decimal("177870.00") == register_total(ACCOUNTANT, *YEAR_2023)
        assert cube.total(date(2023, 3, 1), date(2023, 3, 31)) == Decimal("158230.00")
        assert cube.by_category() == {
            Category.FOOD: Decimal("19640.00"),
            Category.MEDICAL: Decimal("41480.00"),
            Category.ENERGY: Decimal("116750.00"),  # 25,000 EUR × 4.67 on 2023-03-30
        }
        assert cube.missing == []


def test_generated_lines_in_four_currencies_reconcile_with_the_register_to_the_cent(demo):
    with demo.app_context():
        generate_data(shipments=40, lines_per_shipment=6, seed=5, years=(2023, 2023))
        cube = value_cube(user(ACCOUNTANT), *YEAR_2023)
        currencies = set(db.session.scalars(select(ShipmentLine.currency).distinct()))
        assert currencies >= {"PLN", "EUR", "USD", "UAH"}
        assert cube.total() == register_total(ACCOUNTANT, *YEAR_2023)
        assert cube.by_category() == register_by(ACCOUNTANT, *YEAR_2023, lambda row: row.category)
        by_destination = {cube.destination_name(key): v for key, v in cube.by_destination().items()}
        assert by_destination == register_by(
            ACCOUNTANT, *YEAR_2023, lambda row: f"{row.destination} ({row.destination_country})"
        )
        by_donor = {cube.donor_name(key): v for key, v in cube.by_donor().items()}
        assert by_donor == register_by(ACCOUNTANT, *YEAR_2023, lambda row: row.donor)
        first_quarter = (date(2023, 1, 1), date(2023, 3, 31))
        assert cube.total(*first_quarter) == register_total(ACCOUNTANT, *first_quarter)


@pytest.mark.parametrize(
    ("today", "month", "quarter", "year"),
    [
        (date(2023, 3, 31), "158,230.00", "177,870.00", "177,870.00"),
        (date(2023, 11, 15), "0.00", "0.00", "177,870.00"),
    ],
)
def test_the_accountant_sees_this_month_quarter_and_year_in_pln(demo, today, month, quarter, year):
    demo.config["TODAY"] = today
    client = demo.test_client()
    log_in(client, ACCOUNTANT)
    html = client.get("/dashboard/").get_data(as_text=True)
    for period, figure in (("month", month), ("quarter", quarter), ("year", year)):
        shown = html.split(f'data-testid="total-{period}">')[1].split("<")[0]
        assert figure in shown, period
    text = page_text(client.get("/dashboard/"))
    assert "By category" in text
    assert "By donor" in text
    assert "By destination" in text
    assert "Every dispatched shipment has the exchange rates its exports need." in text


def test_a_partner_counts_and_values_only_its_own_shipments(demo):
    with demo.app_context():
        krr = value_cube(user(KRYVYI_RIH), *YEAR_2023)
        lutsk = value_cube(user(LUTSK), *YEAR_2023)
        assert krr.total() == Decimal("158230.00")
        assert [krr.destination_name(key) for key in krr.by_destination()] == ["Kryvyi Rih (UA)"]
        assert lutsk.total() == Decimal("19640.00")
    demo.config["TODAY"] = date(2023, 4, 20)
    client = demo.test_client()
    log_in(client, KRYVYI_RIH)
    text = page_text(client.get("/dashboard/"))
    assert "Waiting for you" in text
    assert "Incoming shipments" in text
    assert "LUB-KRR-2023-0002" in text
    assert "LUB-LUT" not in text
    assert "Lutsk" not in text
    assert "158,230.00" in text
    assert "177,870.00" not in text
    assert "19,640.00" not in text
    assert "Needs action now" not in text  # the city office's list, not a partner's


def test_a_carrier_sees_its_loads_counted_but_no_values(demo):
    partner_of(demo, "Lublin Municipal Fleet", "dispatch@fleet.example")
    with demo.app_context():
        assert value_cube(user("dispatch@fleet.example"), *YEAR_2023).total() == 0
    client = demo.test_client()
    log_in(client, "dispatch@fleet.example", "partner password 1")
    text = page_text(client.get("/dashboard/?year=2023"))
    assert "PLN" not in text
    assert "zł" not in text
    assert "No dispatched value to show for 2023." in text
    assert "Shipments by status" in text


def test_missing_rates_are_named_and_their_lines_left_out(demo):
    with demo.app_context():
        db.session.execute(delete(ExchangeRate).where(ExchangeRate.currency == "EUR"))
        db.session.commit()
        gaps = missing_export_rates(user(ACCOUNTANT))
        assert [(g.currency, g.days, g.first, g.last) for g in gaps] == [
            ("EUR", 1, date(2023, 3, 30), date(2023, 3, 30))
        ]
        cube = value_cube(user(ACCOUNTANT), *YEAR_2023)
        assert cube.total() == Decimal("61120.00")  # without the generator
        assert [(problem.currency, problem.on) for problem in cube.missing] == [
            ("EUR", date(2023, 3, 30))
        ]
    demo.config["TODAY"] = date(2023, 4, 20)
    client = demo.test_client()
    log_in(client, ACCOUNTANT)
    text = page_text(client.get("/dashboard/"))
    assert "Exchange rates are missing: exports that include these days will be refused." in text
    assert "EUR: 1 day without a rate, from Mar 30, 2023 to Mar 30, 2023" in text
    assert "Lines without an exchange rate are left out of the figures below." in text


def test_a_currency_without_any_rate_blocks_exports_of_its_days(demo):
    with demo.app_context():
        jackets = shipment("LUB-KRR-2022-0002")
        jackets.lines[0].currency = "USD"
        db.session.commit()
        gaps = missing_export_rates(user(ACCOUNTANT))
    assert [(g.currency, g.days, g.first) for g in gaps] == [("USD", 1, date(2022, 11, 21))]


def test_a_rate_before_the_first_dispatch_leaves_nothing_missing(demo):
    with demo.app_context():
        assert missing_export_rates(user(ACCOUNTANT)) == []
        db.session.add(
            ExchangeRate(currency="USD", rate_date=date(2022, 1, 3), rate=Decimal("4.02"))
        )
        jackets = shipment("LUB-KRR-2022-0002")
        jackets.lines[0].currency = "USD"
        db.session.commit()
        assert missing_export_rates(user(ACCOUNTANT)) == []


def test_the_partnerships_page_shows_the_aid_sent_to_each_partner_city(demo, staff):
    text = page_text(staff.get("/partnerships/"))
    assert "Aid sent so far" in text
    assert "Lublin – Kryvyi Rih" in text
    assert "251,130.00 4 shipments" in text  # 34,400 + 58,500 + 41,480 + 116,750
    assert "19,640.00 1 shipment" in text
    with demo.app_context():
        cities = {city.code: city.id for city in db.session.scalars(select(City))}
        sent = aid_sent(
            user(STAFF), [(cities["LUB"], cities["KRR"]), (cities["KRR"], cities["LUB"])]
        )
    assert sent[(cities["KRR"], cities["LUB"])].shipments == 0
    assert sent[(cities["KRR"], cities["LUB"])].value == 0


def test_a_donors_own_line_is_valued_for_it_even_on_a_shipment_it_only_gave_to(demo):
    add_donated_line(demo, "LUB-KRR-2023-0001", "Example Textiles Sp. z o.o.")
    partner_of(demo, "Example Textiles Sp. z o.o.", "csr@textiles.example")
    with demo.app_context():
        cube = value_cube(user("csr@textiles.example"), *YEAR_2023)
    assert cube.total() == Decimal("2250.00")
