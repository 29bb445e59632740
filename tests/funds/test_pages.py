"""The funds pages: what each role sees, every form refusing bad input without a 500 and without
changing anything, and purchases in the shipment form drawing on a fund."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.funds.models import CashDonation, DonationStatus, Fund
from aidtracker.funds.service import fund_balance
from aidtracker.models import CatalogueItem, City, Organisation, Shipment
from tests.conftest import page_text, partner_of
from tests.funds.conftest import ACCOUNTANT, FUND, STAFF, demo_fund, logged_in

TEXTILES = "Example Textiles Sp. z o.o."


def _fund_id(app) -> int:
    with app.app_context():
        return demo_fund().id


def _id_of(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(select(model.id).filter_by(**where))


def _state(app) -> tuple:
    """Everything the funds forms can change."""
    with app.app_context():
        fund = demo_fund()
        return (
            db.session.scalar(select(func.count(Fund.id))),
            db.session.scalar(select(func.count(CashDonation.id))),
            fund.name,
            fund.is_open,
            fund.overdraft_limit,
            tuple(d.status for d in fund.donations),
        )


def test_the_fund_page_shows_paid_in_spent_and_left_with_the_pledge_apart(demo):
    client = logged_in(demo, ACCOUNTANT)
    text = page_text(client.get(f"/funds/{_fund_id(demo)}"))
    assert "PLN268,470.00" in text
    assert "119,270.00" in text
    assert "149,200.00" in text
    assert "Pledged, not yet paid PLN15,000.00" in text
    assert "Summer convoy" in text
    assert "LUB-KRR-2023-0003" in text  # the draft's purchase already holds its money


def test_the_funds_list_shows_each_balance_in_the_fund_and_base_currency(demo):
    client = logged_in(demo, STAFF)
    text = page_text(client.get("/funds/"))
    assert FUND in text
    assert text.count("PLN149,200.00") == 2


def test_a_partner_sees_the_funds_its_organisation_gave_to_and_only_its_own_donations(demo):
    partner_of(demo, TEXTILES, "partner@textiles.example")
    client = logged_in_as(demo, "partner@textiles.example")
    text = page_text(client.get(f"/funds/{_fund_id(demo)}"))
    assert "Transfer 2022/04/001" in text
    assert "Summer convoy" in text
    assert "Collection 1/2022" not in text  # the residents' own donation
    assert "LUB-KRR-2023-0003" not in text  # purchases are the city's books
    assert "Record a donation" not in text


def test_a_partner_that_gave_nothing_gets_not_found(demo):
    client = logged_in(demo, "partner@kryvyirih.example")
    assert client.get(f"/funds/{_fund_id(demo)}").status_code == 404
    assert FUND not in page_text(client.get("/funds/"))
    assert client.get(f"/funds/{_fund_id(demo)}/ledger.xlsx").status_code in (403, 404)


def test_a_partner_may_not_record_a_donation(demo):
    client = logged_in(demo, "partner@kryvyirih.example")
    before = _state(demo)
    response = client.post(f"/funds/{_fund_id(demo)}/donations/new", data={"amount": "5"})
    assert response.status_code in (403, 404)
    assert _state(demo) == before


def logged_in_as(app, email):
    from tests.conftest import PARTNER_PASSWORD, log_in

    client = app.test_client()
    assert log_in(client, email, PARTNER_PASSWORD).status_code == 302
    return client


def test_staff_records_a_paid_donation_and_the_balance_grows(demo):
    client = logged_in(demo, STAFF)
    fund_id = _fund_id(demo)
    response = client.post(
        f"/funds/{fund_id}/donations/new",
        data={
            "donor": _id_of(demo, Organisation, name=TEXTILES),
            "amount": "1 234,56",
            "currency": "pln",
            "donated_on": "2024-01-15",
            "status": "paid",
            "reference": "Transfer 2024/01/007",
        },
    )
    assert response.status_code == 302
    with demo.app_context():
        assert fund_balance(demo_fund()).left.own == Decimal("150434.56")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "-5"}, "more than zero"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "abc"}, "Not a valid decimal value"),
        ({"amount": "99999999999999"}, "too large"),
        ({"amount": ""}, "Enter the amount"),
        ({"currency": "QQQ"}, "not an ISO 4217"),
        ({"currency": "UAH"}, "No exchange rate for UAH"),
        ({"donor": ""}, "Choose the donor"),
        ({"donor": "999999"}, "Not a valid choice"),
        ({"status": "refunded"}, "Not a valid choice"),
        ({"donated_on": "2999-01-01"}, "future"),
        ({"donated_on": "yesterday"}, "Not a valid date value"),
        ({"reference": "x" * 121}, "At most 120 characters"),
    ],
)
def test_the_donation_form_refuses_bad_input_and_changes_nothing(demo, changes, message):
    client = logged_in(demo, STAFF)
    data = {
        "donor": _id_of(demo, Organisation, name=TEXTILES),
        "amount": "100",
        "currency": "PLN",
        "donated_on": "2024-01-15",
        "status": "paid",
        "reference": "",
    }
    data.update(changes)
    before = _state(demo)
    response = client.post(f"/funds/{_fund_id(demo)}/donations/new", data=data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _state(demo) == before


def test_a_pledge_is_marked_paid_from_the_fund_page(demo):
    client = logged_in(demo, ACCOUNTANT)
    with demo.app_context():
        pledge = db.session.scalar(select(CashDonation).filter_by(reference="Summer convoy"))
        pledge_id = pledge.id
    response = client.post(
        f"/funds/donations/{pledge_id}/advance", data={"status": "paid", "on": "2024-02-01"}
    )
    assert response.status_code == 302
    with demo.app_context():
        assert db.session.get(CashDonation, pledge_id).status is DonationStatus.PAID
        assert fund_balance(demo_fund()).left.own == Decimal("164200.00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "pledged", "on": "2024-02-01"}, "never back"),
        ({"status": "bogus", "on": "2024-02-01"}, "Not a valid choice"),
        ({"status": "paid", "on": "2023-01-01"}, "cannot move on before"),
        ({"status": "paid", "on": "not a day"}, "Not a valid date value"),
    ],
)
def test_moving_a_donation_wrongly_is_refused_and_changes_nothing(demo, data, message):
    client = logged_in(demo, ACCOUNTANT)
    with demo.app_context():
        pledge_id = db.session.scalar(select(CashDonation.id).filter_by(reference="Summer convoy"))
    before = _state(demo)
    response = client.post(
        f"/funds/donations/{pledge_id}/advance", data=data, follow_redirects=True
    )
    assert response.status_code == 200
    assert message in page_text(response)
    assert _state(demo) == before


def test_another_donation_id_that_does_not_exist_is_not_found(demo):
    client = logged_in(demo, ACCOUNTANT)
    assert (
        client.post("/funds/donations/987654/advance", data={"status": "paid"}).status_code == 404
    )
    assert client.get("/funds/987654").status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Name the fund"),
        ({"name": FUND.upper()}, "exists already"),
        ({"currency": "EURO"}, "not an ISO 4217"),
        ({"owner": ""}, "Choose the organisation"),
        ({"owner": "-3"}, "Not a valid choice"),
    ],
)
def test_the_fund_form_refuses_bad_input_and_changes_nothing(demo, changes, message):
    client = logged_in(demo, STAFF)
    data = {
        "name": "Winter 2024",
        "currency": "PLN",
        "owner": _id_of(demo, Organisation, name="City of Lublin"),
        "purpose": "",
    }
    data.update(changes)
    before = _state(demo)
    response = client.post("/funds/new", data=data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _state(demo) == before


def test_staff_opens_a_fund_in_euro_and_closes_it_later(demo):
    client = logged_in(demo, STAFF)
    owner = _id_of(demo, Organisation, name="City of Lublin")
    response = client.post(
        "/funds/new", data={"name": "Generator fund", "currency": "eur", "owner": owner}
    )
    assert response.status_code == 302
    fund_id = _id_of(demo, Fund, name="Generator fund")
    response = client.post(
        f"/funds/{fund_id}/edit",
        data={"name": "Generator fund", "currency": "EUR", "owner": owner, "is_open": ""},
    )
    assert response.status_code == 302
    with demo.app_context():
        fund = db.session.get(Fund, fund_id)
        assert (fund.currency, fund.is_open) == ("EUR", False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"limit": "-1", "reason": "Because of the pledge"}, "more than zero"),
        ({"limit": "", "reason": "Because of the pledge"}, "Enter an amount"),
        ({"limit": "500", "reason": ""}, "Say why"),
        ({"limit": "1e20", "reason": "Because of the pledge"}, "too large"),
    ],
)
def test_the_overdraft_form_refuses_bad_input_and_changes_nothing(demo, data, message):
    client = logged_in(demo, ACCOUNTANT)
    before = _state(demo)
    response = client.post(f"/funds/{_fund_id(demo)}/overdraft", data=data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _state(demo) == before


def test_staff_cannot_open_the_overdraft_form(demo):
    client = logged_in(demo, STAFF)
    assert client.get(f"/funds/{_fund_id(demo)}/overdraft").status_code == 403


# --- purchases in the shipment form -------------------------------------------------------------


def _shipment_form(app, quantity: str, **changes) -> dict:
    with app.app_context():

        def city(code):
            return db.session.scalar(select(City.id).filter_by(code=code))

        def organisation(name):
            return db.session.scalar(select(Organisation.id).filter_by(name=name))

        data = {
            "origin_city": city("LUB"),
            "destination_city": city("KRR"),
            "sender": organisation("City of Lublin"),
            "transport_mode": "road",
            "planned_departure": "2024-05-06",
            "lines-0-item": db.session.scalar(
                select(CatalogueItem.id).filter_by(name_en="Rice 1 kg")
            ),
            "lines-0-quantity": quantity,
            "lines-0-donor": organisation("Lublin Residents' Fundraiser"),
            "lines-0-funding": "purchased",
            "lines-0-fund": demo_fund().id,
        }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _shipments(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Shipment.id)))


def test_a_purchase_the_fund_cannot_pay_is_refused_with_the_shortfall(staff, demo):
    before = _shipments(demo)
    response = staff.post("/shipments/new", data=_shipment_form(demo, "30000"))
    assert response.status_code == 422
    text = page_text(response)
    assert "cannot pay for this" in text
    assert "PLN18,800.00 below zero" in text  # 168,000.00 wanted, 149,200.00 left
    assert _shipments(demo) == before


def test_a_purchase_within_the_fund_is_saved_and_the_balance_falls(staff, demo):
    response = staff.post("/shipments/new", data=_shipment_form(demo, "1000"))
    assert response.status_code == 302
    with demo.app_context():
        assert fund_balance(demo_fund()).left.own == Decimal("143600.00")  # − 5,600.00


def test_a_purchase_without_a_fund_takes_the_donors_own(staff, demo):
    response = staff.post("/shipments/new", data=_shipment_form(demo, "10", **{"lines-0-fund": ""}))
    assert response.status_code == 302
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).order_by(Shipment.id.desc()))
        assert shipment.lines[0].fund.name == FUND


def test_a_purchase_whose_donor_holds_no_fund_must_name_one(staff, demo):
    with demo.app_context():
        textiles = db.session.scalar(select(Organisation.id).filter_by(name=TEXTILES))
    data = _shipment_form(demo, "10", **{"lines-0-fund": "", "lines-0-donor": textiles})
    before = _shipments(demo)
    response = staff.post("/shipments/new", data=data)
    assert response.status_code == 422
    assert "Choose the fund that pays for this." in page_text(response)
    assert _shipments(demo) == before


def test_an_in_kind_line_draws_on_no_fund(staff, demo):
    data = _shipment_form(demo, "10", **{"lines-0-funding": "in_kind"})
    response = staff.post("/shipments/new", data=data)
    assert response.status_code == 422
    assert "draws on no fund" in page_text(response)


def test_a_fund_that_is_not_offered_is_not_a_valid_choice(staff, demo):
    response = staff.post(
        "/shipments/new", data=_shipment_form(demo, "10", **{"lines-0-fund": "777"})
    )
    assert response.status_code == 422
    assert "Not a valid choice" in page_text(response)


def test_a_donation_to_a_closed_fund_is_refused_on_the_page(demo):
    with demo.app_context():
        demo_fund().is_open = False
        db.session.commit()
    client = logged_in(demo, STAFF)
    before = _state(demo)
    response = client.post(
        f"/funds/{_fund_id(demo)}/donations/new",
        data={
            "donor": _id_of(demo, Organisation, name=TEXTILES),
            "amount": "100",
            "currency": "PLN",
            "donated_on": "2024-01-15",
            "status": "paid",
        },
    )
    assert response.status_code == 422
    assert "is closed: it takes no more donations" in page_text(response)
    assert _state(demo) == before
    assert "Record a donation" not in page_text(client.get(f"/funds/{_fund_id(demo)}"))
