"""The rules of funds and donations: amounts, currencies, statuses, balances and overdrafts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.funds.models import CashDonation, DonationStatus, Fund
from aidtracker.funds.service import (
    DonationTransitionNotAllowed,
    Draw,
    FundRefusal,
    NotPermitted,
    advance_donation,
    allow_overdraft,
    create_fund,
    draw_problems,
    fund_balance,
    record_donation,
)
from aidtracker.money.models import ExchangeRate
from aidtracker.shipments.models import Shipment, ShipmentStatus
from tests.funds.conftest import ACCOUNTANT, STAFF, demo_fund, organisation, user

TEXTILES = "Example Textiles Sp. z o.o."


def _donate(fund, **changes):
    values = {
        "fund": fund,
        "donor": organisation(TEXTILES),
        "amount": Decimal("100.00"),
        "currency": "PLN",
        "donated_on": date(2024, 1, 10),
        "status": DonationStatus.PAID,
        "reference": "T-1",
        "by": user(STAFF),
    }
    values.update(changes)
    return record_donation(**values)


def _donation_count() -> int:
    return db.session.scalar(select(func.count(CashDonation.id)))


def test_the_demo_fund_paid_in_268470_spent_119270_and_has_149200_left(demo):
    with demo.app_context():
        balance = fund_balance(demo_fund())
        assert balance.paid_in.own == Decimal("268470.00")  # 5,000 EUR × 4.6940 among them
        assert balance.spent.own == Decimal("119270.00")  # every purchase but the cancelled one
        assert balance.left.own == Decimal("149200.00")
        assert balance.pledged.own == Decimal("15000.00")
        assert balance.left.base == balance.left.own  # the fund counts in the base currency


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "more than zero"),
        (Decimal("-5.00"), "more than zero"),
        (Decimal("1.005"), "two decimals"),
        (Decimal("1000000000000"), "too large"),
        (Decimal("NaN"), "more than zero"),
        (None, "Enter the amount"),
    ],
)
def test_a_donation_of_a_wrong_amount_is_refused_and_nothing_is_saved(demo, amount, message):
    with demo.app_context():
        before = _donation_count()
        with pytest.raises(FundRefusal, match=message) as refusal:
            _donate(demo_fund(), amount=amount)
        assert refusal.value.field == "amount"
        db.session.rollback()
        assert _donation_count() == before


def test_a_donation_in_an_unknown_currency_is_refused(demo):
    with demo.app_context(), pytest.raises(FundRefusal, match="XXY is not an ISO 4217"):
        _donate(demo_fund(), currency="xxy")


def test_a_paid_donation_whose_currency_has_no_rate_yet_is_refused(demo):
    with demo.app_context(), pytest.raises(FundRefusal, match="No exchange rate for UAH"):
        _donate(demo_fund(), currency="UAH")


def test_a_donation_dated_in_the_future_is_refused(demo):
    with demo.app_context(), pytest.raises(FundRefusal, match="future"):
        _donate(demo_fund(), donated_on=date.today() + timedelta(days=1))


def test_a_closed_fund_takes_no_donations(demo):
    with demo.app_context():
        fund = demo_fund()
        fund.is_open = False
        db.session.commit()
        with pytest.raises(FundRefusal, match="is closed"):
            _donate(fund)


def test_a_partner_may_not_record_donations(demo):
    with demo.app_context(), pytest.raises(NotPermitted):
        _donate(demo_fund(), by=user("partner@kryvyirih.example"))


def test_a_foreign_donation_counts_in_the_fund_at_the_rate_of_its_day(demo):
    with demo.app_context():
        fund = demo_fund()
        before = fund_balance(fund).paid_in.own
        _donate(fund, amount=Decimal("1000.00"), currency="EUR", donated_on=date(2023, 3, 28))
        assert fund_balance(fund).paid_in.own - before == Decimal("4680.00")  # × 4.6800


def test_a_pledge_moves_to_committed_then_paid_and_only_then_counts(demo):
    with demo.app_context():
        fund = demo_fund()
        left = fund_balance(fund).left.own
        pledge = _donate(fund, status=DonationStatus.PLEDGED, amount=Decimal("500.00"))
        assert fund_balance(fund).left.own == left
        advance_donation(pledge, to=DonationStatus.COMMITTED, on=date(2024, 1, 11), by=user(STAFF))
        assert fund_balance(fund).committed.own == Decimal("500.00")
        advance_donation(pledge, to=DonationStatus.PAID, on=date(2024, 1, 12), by=user(STAFF))
        assert fund_balance(fund).left.own == left + Decimal("500.00")
        assert pledge.donated_on == date(2024, 1, 12)


@pytest.mark.parametrize(
    ("start", "wanted"),
    [
        (DonationStatus.PAID, DonationStatus.PLEDGED),
        (DonationStatus.PAID, DonationStatus.COMMITTED),
        (DonationStatus.COMMITTED, DonationStatus.PLEDGED),
        (DonationStatus.PLEDGED, DonationStatus.PLEDGED),
    ],
)
def test_money_never_moves_back_from_paid_or_committed(demo, start, wanted):
    with demo.app_context():
        donation = _donate(demo_fund(), status=start)
        with pytest.raises(DonationTransitionNotAllowed, match="never back"):
            advance_donation(donation, to=wanted, on=date(2024, 2, 1), by=user(STAFF))
        db.session.rollback()
        assert db.session.get(CashDonation, donation.id).status is start


def test_a_donation_cannot_be_paid_before_it_was_pledged(demo):
    with demo.app_context():
        pledge = _donate(demo_fund(), status=DonationStatus.PLEDGED)
        with pytest.raises(FundRefusal, match="cannot move on before"):
            advance_donation(pledge, to=DonationStatus.PAID, on=date(2024, 1, 1), by=user(STAFF))


def test_a_fund_needs_a_unique_name_an_owner_and_a_known_currency(demo):
    with demo.app_context():
        owner = organisation("City of Lublin")
        staff = user(STAFF)
        for name, currency, holder, field in [
            ("", "PLN", owner, "name"),
            ("lublin residents' FUNDRAISER", "PLN", owner, "name"),
            ("New fund", "ZZZ", owner, "currency"),
            ("New fund", "PLN", None, "owner"),
        ]:
            with pytest.raises(FundRefusal) as refusal:
                create_fund(name=name, currency=currency, owner=holder, purpose=None, by=staff)
            assert refusal.value.field == field
            db.session.rollback()
        assert db.session.scalar(select(func.count(Fund.id))) == 1


def _rice(fund, quantity: str, index: int = 0, currency: str = "PLN", value: str = "5.60"):
    return Draw(index, fund, Decimal(quantity), Decimal(value), currency)


def test_a_purchase_beyond_what_is_left_is_refused_with_the_shortfall(demo):
    with demo.app_context():
        fund = demo_fund()  # 149,200.00 PLN left
        assert draw_problems([_rice(fund, "26000")], shipment=None, on=date(2024, 5, 1)) == {}
        problems = draw_problems([_rice(fund, "30000")], shipment=None, on=date(2024, 5, 1))
        # 30,000 × 5.60 = 168,000.00: 18,800.00 more than is left
        assert list(problems) == [0]
        assert "18,800.00" in problems[0]
        assert "below zero" in problems[0]


def test_an_accountant_allows_an_overdraft_with_a_reason_that_is_kept(demo):
    with demo.app_context():
        fund = demo_fund()
        accountant = user(ACCOUNTANT)
        with pytest.raises(FundRefusal, match="Say why"):
            allow_overdraft(fund, limit=Decimal("5000.00"), reason="", by=accountant)
        db.session.rollback()
        allow_overdraft(
            fund, limit=Decimal("5000.00"), reason="Pledge of the summer convoy", by=accountant
        )
        assert (fund.overdraft_allowed_by.email, fund.overdraft_reason) == (
            ACCOUNTANT,
            "Pledge of the summer convoy",
        )
        assert fund.overdraft_allowed_at is not None
        assert draw_problems([_rice(fund, "27000")], shipment=None, on=date(2024, 5, 1)) == {}
        problems = draw_problems([_rice(fund, "30000")], shipment=None, on=date(2024, 5, 1))
        assert "13,800.00 beyond the overdraft" in problems[0]  # 149,200 − 168,000 = −18,800


def test_staff_may_not_allow_an_overdraft(demo):
    with demo.app_context():
        fund = demo_fund()
        with pytest.raises(NotPermitted):
            allow_overdraft(fund, limit=Decimal("1.00"), reason="Because", by=user(STAFF))
        db.session.rollback()
        assert demo_fund().overdraft_limit == Decimal("0.00")


def test_a_closed_fund_buys_nothing_more(demo):
    with demo.app_context():
        fund = demo_fund()
        fund.is_open = False
        db.session.commit()
        problems = draw_problems([_rice(fund, "1")], shipment=None, on=date(2024, 5, 1))
        assert "is closed" in problems[0]


def test_a_purchase_in_another_currency_is_converted_at_the_rate_of_its_day(demo):
    with demo.app_context():
        fund = demo_fund()
        # 35,000 EUR × 4.67 = 163,450.00 PLN > 149,200.00: short by 14,250.00
        draw = _rice(fund, "1", currency="EUR", value="35000.00")
        problems = draw_problems([draw], shipment=None, on=date(2023, 4, 1))
        assert "14,250.00" in problems[0]
        db.session.add(
            ExchangeRate(currency="EUR", rate_date=date(2023, 4, 1), rate=Decimal("4.2"))
        )
        db.session.commit()
        assert draw_problems([draw], shipment=None, on=date(2023, 4, 1)) == {}  # 147,000.00


def test_cancelling_a_shipment_gives_its_purchases_back_to_the_fund(demo):
    with demo.app_context():
        fund = demo_fund()
        left = fund_balance(fund).left.own
        draft = db.session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0003"))
        draft.status = ShipmentStatus.CANCELLED
        db.session.commit()
        assert fund_balance(fund).left.own == left + Decimal("23750.00")


def test_editing_a_shipment_without_drawing_more_is_never_refused(demo):
    with demo.app_context():
        fund = demo_fund()
        fund.overdraft_limit = Decimal("0.00")
        draft = db.session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0003"))
        kit = db.session.scalar(select(CatalogueItem).filter_by(name_en="Family hygiene kit"))
        line = draft.lines[0]
        assert line.item is kit
        # Drain the fund with another purchase elsewhere, then re-save the same draft.
        _donate(fund, amount=Decimal("1.00"))
        same = Draw(0, fund, line.quantity, line.unit_value, line.currency)
        fund_left = fund_balance(fund).left.own
        assert fund_left > 0
        assert draw_problems([same], shipment=draft, on=date(2023, 4, 12)) == {}
        more = Draw(0, fund, line.quantity * 10, line.unit_value, line.currency)
        assert "below zero" in draw_problems([more], shipment=draft, on=date(2023, 4, 12))[0]


def test_donations_and_overdrafts_are_in_the_audit_trail(demo):
    from aidtracker.audit.models import AuditAction, AuditedEntity, AuditEntry
    from aidtracker.audit.service import act_as

    with demo.app_context():
        act_as(user(STAFF))
        _donate(demo_fund())
        act_as(user(ACCOUNTANT))
        allow_overdraft(
            demo_fund(),
            limit=Decimal("10.00"),
            reason="Rounding of the summer convoy",
            by=user(ACCOUNTANT),
        )
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type.in_([AuditedEntity.CASH_DONATION, AuditedEntity.FUND])
            )
        ).all()
        created = next(e for e in entries if e.entity_label.endswith("2024-01-10"))
        assert (created.action, created.entity_label, created.user_email) == (
            AuditAction.CREATE,
            "100.00 PLN 2024-01-10",
            STAFF,
        )
        changed = next(e for e in entries if e.action is AuditAction.CHANGE)
        assert changed.entity_label == "Lublin Residents' Fundraiser"
        assert changed.after["overdraft_reason"] == "Rounding of the summer convoy"
        assert changed.user_email == ACCOUNTANT
