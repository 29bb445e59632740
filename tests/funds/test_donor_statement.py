"""The donor statement's cash and funds: per donor, cash by status, its part of what its funds
bought (pro rata to its share of the money paid in), and its goods in kind, to the cent."""

from datetime import date
from decimal import Decimal

import pytest

from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.reports.donors import write_donor_statement
from aidtracker.reports.scope import ReportParameters
from aidtracker.reports.valuation import ExportRefused
from tests.funds.conftest import ACCOUNTANT, organisation, user
from tests.reports.helpers import cents, sheet_rows

YEAR_2023 = (date(2023, 1, 1), date(2023, 12, 31))
SHEET = "Cash and funds"
FUNDRAISER = "Lublin Residents' Fundraiser"
TEXTILES = "Example Textiles Sp. z o.o."
CIVILE = "Protection Civile"


def _statement(app, tmp_path, currency="PLN", **filters):
    path = tmp_path / "donors.xlsx"
    with app.app_context():
        totals = write_donor_statement(
            path, user(ACCOUNTANT), ReportParameters(*YEAR_2023, currency, **filters)
        )
    return sheet_rows(path, SHEET), totals


def _by_donor(rows) -> dict[str, tuple]:
    donors = {}
    for row in rows[1:]:
        if row[0] == "Total":
            break
        donors[row[0]] = tuple(cents(value) for value in row[1:6])
    return donors


def test_each_donor_has_its_cash_its_part_of_the_purchases_and_its_goods_in_kind(demo, tmp_path):
    rows, totals = _statement(demo, tmp_path)
    assert rows[0][:4] == ("Donor", "Cash pledged", "Cash committed", "Cash paid")
    zero = Decimal("0.00")
    # Paid in by the end of 2023: 235,000.00 residents, 10,000.00 Textiles, 23,470.00 Civile
    # (268,470.00); bought from the fund in 2023: 19,640.00 + 41,480.00 = 61,120.00.
    assert _by_donor(rows) == {
        CIVILE: (zero, zero, Decimal("23470.00"), Decimal("5343.19"), Decimal("116750.00")),
        TEXTILES: (Decimal("15000.00"), zero, zero, Decimal("2276.60"), zero),
        FUNDRAISER: (zero, zero, Decimal("150000.00"), Decimal("53500.20"), zero),
    }
    assert set(totals.funds_by_donor) == {CIVILE, TEXTILES, FUNDRAISER}


def test_the_parts_add_up_to_the_funds_purchases_within_a_cent_per_donor(demo, tmp_path):
    rows, _totals = _statement(demo, tmp_path)
    total = next(row for row in rows if row[0] == "Total")
    assert cents(total[4]) == Decimal("61119.99")  # 61,120.00 less one cent of rounding
    start = next(i for i, row in enumerate(rows) if row[0] == "Donor" and row[1] == "Fund")
    shares = [row for row in rows[start + 1 :] if row[0] and row[1]]
    assert sum(Decimal(str(row[4])) for row in shares) == Decimal("100.000")
    assert {cents(row[5]) for row in shares} == {Decimal("61120.00")}
    assert any("pro rata" in (row[0] or "") for row in rows)  # the method is stated


def test_goods_given_in_kind_match_the_statements_own_donor_totals(demo, tmp_path):
    rows, totals = _statement(demo, tmp_path)
    assert _by_donor(rows)[CIVILE][4] == totals.by_donor[CIVILE].value


def test_filtering_on_a_donor_keeps_only_its_cash_and_parts(demo, tmp_path):
    with demo.app_context():
        textiles = organisation(TEXTILES).id
    rows, _totals = _statement(demo, tmp_path, donor_id=textiles)
    assert list(_by_donor(rows)) == [TEXTILES]


def test_in_euro_the_cash_is_converted_on_its_day(demo, tmp_path):
    rows, _totals = _statement(demo, tmp_path, currency="EUR")
    # 5,000 EUR paid on 2023-02-01: converted through PLN at 4.6940 both ways.
    assert _by_donor(rows)[CIVILE][2] == Decimal("5000.00")


def test_a_pledge_in_a_currency_without_a_rate_refuses_the_statement_before_writing(demo, tmp_path):
    from aidtracker.funds.models import CashDonation, DonationStatus
    from tests.funds.conftest import demo_fund

    with demo.app_context():
        db.session.add(
            CashDonation(
                fund_id=demo_fund().id,
                donor_id=organisation(CIVILE).id,
                amount=Decimal("100.00"),
                currency="UAH",
                donated_on=date(2023, 6, 1),
                status=DonationStatus.PLEDGED,
            )
        )
        db.session.commit()
        assert db.session.query(ExchangeRate).filter_by(currency="UAH").count() == 0
    with pytest.raises(ExportRefused, match="No exchange rate for UAH on 2023-06-01"):
        _statement(demo, tmp_path)
    assert not (tmp_path / "donors.xlsx").exists()
