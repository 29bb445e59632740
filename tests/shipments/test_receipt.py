"""The recipient confirms what arrived, line by line; discrepancies are listed where they matter."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.models import Shipment, ShipmentLine, StatusEvent, User
from aidtracker.shipments import receipt, status
from aidtracker.shipments.models import LineCondition, ShipmentStatus
from tests.conftest import form_fields, log_in, page_text, partner_of

KIT = "LUB-KRR-2023-0003"  # one line: 250 family hygiene kits, for Kryvyi Rih
MEDICAL = "LUB-KRR-2023-0001"  # three lines, under inspection


def _user(email: str) -> User:
    return db.session.scalar(select(User).filter_by(email=email))


def _shipment(reference: str) -> Shipment:
    return db.session.scalar(select(Shipment).filter_by(reference=reference))


def deliver(app, reference: str) -> None:
    """Take a demo shipment to `delivered` through the service, as staff would."""
    with app.app_context():
        staff = _user("staff@lublin.example")
        shipment = _shipment(reference)
        if shipment.status is ShipmentStatus.DRAFT:
            status.mark_ready(shipment, by=staff)
            status.dispatch(shipment, by=staff)
            status.declare_customs(shipment, by=staff, declaration_number="24PL1")
        status.clear_customs(shipment, by=staff)
        status.deliver(shipment, by=staff)


def snapshot(app, reference: str) -> tuple:
    with app.app_context():
        shipment = _shipment(reference)
        lines = tuple(
            (line.received_quantity, line.condition, line.receipt_note) for line in shipment.lines
        )
        events = db.session.scalar(
            select(func.count(StatusEvent.id)).where(StatusEvent.shipment_id == shipment.id)
        )
        return shipment.status, shipment.version, lines, events


def client_of(app, email: str, password: str | None = None):
    client = app.test_client()
    response = log_in(client, email, password) if password else log_in(client, email)
    assert response.status_code == 302
    return client


def receipt_form(client, reference: str, **changes) -> dict:
    """The receipt form as the page fills it in, with `changes` applied."""
    response = client.get(f"/shipments/{reference}/receipt")
    assert response.status_code == 200
    fields = form_fields(response)
    fields.update(changes)
    return fields


def test_the_recipient_partner_confirms_that_everything_arrived(demo):
    deliver(demo, KIT)
    partner = client_of(demo, "partner@kryvyirih.example")
    fields = receipt_form(partner, KIT)
    assert fields["lines-0-received_quantity"] == "250"  # the quantity sent, filled in
    assert fields["lines-0-condition"] == "good"

    response = partner.post(f"/shipments/{KIT}/receipt", data=fields)
    assert response.status_code == 302
    text = page_text(partner.get(response.location))
    assert "Receipt confirmed: LUB-KRR-2023-0003 is received." in text
    assert "Delivered → Received" in text
    with demo.app_context():
        shipment = _shipment(KIT)
        assert shipment.status is ShipmentStatus.RECEIVED
        assert shipment.lines[0].received_quantity == Decimal(250)
        assert shipment.lines[0].condition is LineCondition.GOOD
        event = shipment.events[-1]
        assert (event.from_status, event.to_status) == ("delivered", "received")
        assert event.user.email == "partner@kryvyirih.example"
        assert event.location == "Kryvyi Rih"


def test_a_line_that_arrived_short_is_a_discrepancy_seen_by_staff_and_recipient(demo):
    deliver(demo, KIT)
    partner = client_of(demo, "partner@kryvyirih.example")
    fields = receipt_form(
        partner,
        KIT,
        **{
            "lines-0-received_quantity": "240",
            "lines-0-condition": "damaged",
            "lines-0-note": "10 kits soaked",
        },
    )
    response = partner.post(f"/shipments/{KIT}/receipt", data=fields)
    assert response.status_code == 302
    page = page_text(partner.get(f"/shipments/{KIT}"))
    assert "Received with discrepancy" in page
    assert "Discrepancies" in page
    assert "10 kits soaked" in page
    assert "1 line differs from what was sent." in page

    staff = client_of(demo, "staff@lublin.example")
    for client in (staff, partner):
        listed = page_text(client.get("/shipments/discrepancies"))
        assert "LUB-KRR-2023-0003" in listed
        assert "Family hygiene kit" in listed
        assert "-10" in listed

    lutsk = client_of(demo, "partner@lutsk.example")
    listed = page_text(lutsk.get("/shipments/discrepancies"))
    assert "LUB-KRR-2023-0003" not in listed
    assert "LUB-LUT-2023-0001" in listed  # its own: 50 tins of fish damaged


def test_the_discrepancies_view_searches_and_has_an_empty_state(demo):
    staff = client_of(demo, "staff@lublin.example")
    assert "Canned fish" in page_text(staff.get("/shipments/discrepancies?q=fish"))
    empty = page_text(staff.get("/shipments/discrepancies?q=generator"))
    assert "No discrepancy matches" in empty
    with demo.app_context():
        db.session.execute(
            ShipmentLine.__table__.update().values(received_quantity=ShipmentLine.quantity)
        )
        db.session.execute(ShipmentLine.__table__.update().values(condition="good"))
        db.session.commit()
    assert "No discrepancies" in page_text(staff.get("/shipments/discrepancies"))


def test_more_than_was_sent_is_also_a_discrepancy(demo):
    deliver(demo, KIT)
    with demo.app_context():
        shipment = _shipment(KIT)
        line = shipment.lines[0]
        receipt.confirm_receipt(
            shipment,
            by=_user("staff@lublin.example"),
            lines={line.id: (Decimal(260), "good", None)},
        )
        assert shipment.status is ShipmentStatus.RECEIVED_WITH_DISCREPANCY
        assert receipt.shipment_discrepancies(shipment, _user("staff@lublin.example")) == [line]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lines-0-received_quantity": "-5"}, "The quantity received cannot be negative."),
        ({"lines-0-received_quantity": ""}, "Enter the quantity received (0 if nothing arrived)."),
        ({"lines-0-received_quantity": "lots"}, "Not a valid decimal value."),
        ({"lines-0-received_quantity": "1.0005"}, "Use at most three decimals."),
        ({"lines-0-received_quantity": "1e15"}, "This quantity is too large."),
        ({"lines-0-condition": "stolen"}, "Not a valid choice."),
        (
            {"lines-0-condition": "missing"},
            "Goods marked missing did not arrive: enter 0 or choose another condition.",
        ),
        ({"received_on": "2999-01-01"}, "The date cannot be in the future."),
        ({"received_on": "2023-01-01"}, "The date cannot be before the last recorded change"),
    ],
)
def test_bad_receipt_input_is_refused_next_to_the_field_and_nothing_is_written(
    demo, changes, message
):
    deliver(demo, KIT)
    partner = client_of(demo, "partner@kryvyirih.example")
    fields = receipt_form(partner, KIT, **changes)
    before = snapshot(demo, KIT)
    response = partner.post(f"/shipments/{KIT}/receipt", data=fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "invalid-feedback" in html
    assert message in page_text(response)
    assert snapshot(demo, KIT) == before


def test_every_line_must_be_confirmed(demo):
    deliver(demo, MEDICAL)
    staff = client_of(demo, "staff@lublin.example")
    fields = receipt_form(staff, MEDICAL)
    partial = {key: value for key, value in fields.items() if not key.startswith("lines-2-")}
    before = snapshot(demo, MEDICAL)
    response = staff.post(f"/shipments/{MEDICAL}/receipt", data=partial)
    assert response.status_code == 409
    assert "Confirm every line of the shipment" in page_text(response)
    assert snapshot(demo, MEDICAL) == before


def test_receipt_of_a_shipment_still_on_its_way_is_refused(demo):
    partner = client_of(demo, "partner@kryvyirih.example")
    before = snapshot(demo, "LUB-KRR-2023-0002")
    response = partner.get("/shipments/LUB-KRR-2023-0002/receipt")
    assert response.status_code == 409
    assert "the shipment is dispatched, not delivered" in page_text(response)
    response = partner.post("/shipments/LUB-KRR-2023-0002/receipt", data={})
    assert response.status_code == 409
    assert snapshot(demo, "LUB-KRR-2023-0002") == before


def test_a_stale_receipt_form_is_refused(demo):
    deliver(demo, KIT)
    partner = client_of(demo, "partner@kryvyirih.example")
    fields = receipt_form(partner, KIT, version="1")
    before = snapshot(demo, KIT)
    response = partner.post(f"/shipments/{KIT}/receipt", data=fields)
    assert response.status_code == 409
    assert "Someone changed this shipment" in page_text(response)
    assert snapshot(demo, KIT) == before


def test_another_partner_does_not_find_the_shipment(demo):
    deliver(demo, KIT)
    lutsk = client_of(demo, "partner@lutsk.example")
    before = snapshot(demo, KIT)
    assert lutsk.get(f"/shipments/{KIT}/receipt").status_code == 404
    assert lutsk.post(f"/shipments/{KIT}/receipt", data={}).status_code == 404
    assert snapshot(demo, KIT) == before


def test_the_carrier_sees_the_shipment_but_cannot_confirm_receipt(demo):
    deliver(demo, KIT)
    partner_of(demo, "Lublin Municipal Fleet", "dispatch@fleet.example")
    carrier = client_of(demo, "dispatch@fleet.example", "partner password 1")
    assert carrier.get(f"/shipments/{KIT}").status_code == 200
    assert "Confirm receipt" not in page_text(carrier.get(f"/shipments/{KIT}"))
    before = snapshot(demo, KIT)
    assert carrier.get(f"/shipments/{KIT}/receipt").status_code == 403
    partner = client_of(demo, "partner@kryvyirih.example")
    fields = receipt_form(partner, KIT)
    assert carrier.post(f"/shipments/{KIT}/receipt", data=fields).status_code == 403
    assert snapshot(demo, KIT) == before


def test_the_accountant_cannot_confirm_receipt(demo):
    deliver(demo, KIT)
    accountant = client_of(demo, "accountant@lublin.example")
    assert accountant.get(f"/shipments/{KIT}/receipt").status_code == 403


def test_the_recipient_records_its_distribution_report(demo):
    deliver(demo, KIT)
    partner = client_of(demo, "partner@kryvyirih.example")
    partner.post(f"/shipments/{KIT}/receipt", data=receipt_form(partner, KIT))
    page = page_text(partner.get(f"/shipments/{KIT}"))
    assert "Distribution report" in page
    assert "days left" in page or "due by" in page

    fields = {
        key: value
        for key, value in form_fields(partner.get(f"/shipments/{KIT}")).items()
        if key.startswith("report-")
    }
    assert set(fields) == {"report-version", "report-submitted_on"}
    before = snapshot(demo, KIT)
    response = partner.post(
        f"/shipments/{KIT}/distribution-report", data={**fields, "report-submitted_on": ""}
    )
    assert response.status_code == 422
    assert "Enter the day the report was submitted." in page_text(response)
    assert snapshot(demo, KIT) == before

    response = partner.post(f"/shipments/{KIT}/distribution-report", data=fields)
    assert response.status_code == 302
    assert "submitted on" in page_text(partner.get(f"/shipments/{KIT}"))
    with demo.app_context():
        assert _shipment(KIT).distribution_report_submitted_on is not None
