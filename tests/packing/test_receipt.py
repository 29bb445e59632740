"""Receipt by unit: a whole unit confirmed at once, a missing or damaged unit marking its lines,
an opened unit counted line by line, and bad counts refused with nothing written."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.packing import service
from aidtracker.packing.models import PackingUnit
from aidtracker.packing.service import BulkPacking
from aidtracker.shipments import status
from tests.conftest import form_fields, log_in, page_text
from tests.packing.helpers import DRAFT, shipment, user

RECEIPT = f"/shipments/{DRAFT}/units/receipt"
RECIPIENT = "partner@kryvyirih.example"


def deliver_packed(app, quantity: str | None = None) -> None:
    """The demo draft's kits in 10 boxes of 25 on 2 pallets (or only `quantity` of them), then
    dispatched, cleared and delivered."""
    with app.app_context():
        draft = shipment(DRAFT)
        order = BulkPacking(
            line_id=draft.lines[0].id,
            per_unit=Decimal(25),
            pallets=2,
            quantity=Decimal(quantity) if quantity else None,
        )
        service.pack_line(draft, order, by=user())
        staff = user()
        status.mark_ready(draft, by=staff)
        status.dispatch(draft, by=staff)
        status.declare_customs(draft, by=staff, declaration_number="23PL301020E0009999")
        status.clear_customs(draft, by=staff)
        status.deliver(draft, by=staff)


def recipient(app):
    client = app.test_client()
    log_in(client, RECIPIENT)
    return client


def the_line(app) -> tuple:
    with app.app_context():
        draft = shipment(DRAFT)
        line = draft.lines[0]
        return (draft.status.value, line.received_quantity, line.condition, line.receipt_note)


def conditions(app) -> list:
    with app.app_context():
        return [
            unit.condition.value if unit.condition else None
            for unit in db.session.scalars(select(PackingUnit).order_by(PackingUnit.number))
        ]


def form_of(client) -> dict:
    page = client.get(RECEIPT)
    assert page.status_code == 200
    return form_fields(page)


def test_every_unit_arrived_whole_confirms_every_line(demo):
    deliver_packed(demo)
    client = recipient(demo)
    response = client.post(RECEIPT, data=form_of(client))
    assert response.status_code == 302
    assert the_line(demo) == ("received", Decimal(250), "good", None)
    assert conditions(demo) == ["good"] * 12


def test_a_missing_pallet_marks_its_boxes_missing_and_the_line_short(demo):
    deliver_packed(demo)
    client = recipient(demo)
    fields = form_of(client)
    assert fields["unit_1"] == "good"
    assert fields["unit_3"] == "inherit"  # a box fares as its pallet unless said otherwise
    fields["unit_1"] = "missing"
    fields["unit_12"] = "damaged"
    response = client.post(RECEIPT, data=fields, follow_redirects=True)
    assert "is received with discrepancy" in page_text(response)
    state, received, condition, note = the_line(demo)
    assert (state, received, condition.value) == (
        "received_with_discrepancy",
        Decimal(125),
        "damaged",
    )
    assert note == "Missing units: 3/12, 4/12, 5/12, 6/12, 7/12. Damaged unit: 12/12."
    assert conditions(demo) == ["missing", "good"] + ["missing"] * 5 + ["good"] * 4 + ["damaged"]


def test_an_opened_box_is_counted_line_by_line(demo):
    deliver_packed(demo)
    client = recipient(demo)
    fields = form_of(client)
    with demo.app_context():
        box = db.session.scalar(select(PackingUnit).filter_by(number=4))
        content = box.contents[0].id
    fields["unit_4"] = "open"
    fields[f"content_{content}_quantity"] = "23"
    fields[f"content_{content}_condition"] = "damaged"
    assert client.post(RECEIPT, data=fields).status_code == 302
    assert the_line(demo)[:3] == ("received_with_discrepancy", Decimal(248), "damaged")


def test_goods_packed_in_no_unit_are_counted_apart(demo):
    deliver_packed(demo, quantity="100")  # 4 boxes on 2 pallets; 150 kits travel loose
    client = recipient(demo)
    fields = form_of(client)
    with demo.app_context():
        line = shipment(DRAFT).lines[0].id
    assert fields[f"line_{line}_quantity"] == "150"
    fields[f"line_{line}_quantity"] = "140"
    assert client.post(RECEIPT, data=fields).status_code == 302
    assert the_line(demo)[:3] == ("received_with_discrepancy", Decimal(240), "good")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit_1", "lost in space", "Not a valid choice."),
        ("unit_1", "inherit", "Not a valid choice."),  # a pallet stands on nothing
        ("content_quantity", "many", "Not a valid decimal value."),
        ("content_quantity", "-3", "The quantity received cannot be negative."),
        ("content_quantity", "", "Enter the quantity received (0 if nothing arrived)."),
        ("content_quantity", "1e20", "This quantity is too large."),
        ("content_condition", "missing", "Goods marked missing did not arrive"),
        ("received_on", "2999-01-01", "The date cannot be in the future."),
    ],
)
def test_bad_counts_are_refused_next_to_the_field_and_nothing_is_written(
    demo, field, value, message
):
    deliver_packed(demo)
    client = recipient(demo)
    fields = form_of(client)
    fields["unit_3"] = "open"
    with demo.app_context():
        content = db.session.scalar(select(PackingUnit).filter_by(number=3)).contents[0].id
    fields[field.replace("content", f"content_{content}")] = value
    response = client.post(RECEIPT, data=fields)
    assert response.status_code == 422
    assert message in page_text(response)
    assert "is-invalid" in response.get_data(as_text=True)
    assert the_line(demo) == ("delivered", None, None, None)
    assert conditions(demo) == [None] * 12


def test_a_stale_form_is_refused_without_writing(demo):
    deliver_packed(demo)
    client = recipient(demo)
    fields = form_of(client)
    fields["version"] = "1"
    assert client.post(RECEIPT, data=fields).status_code == 409
    assert the_line(demo) == ("delivered", None, None, None)
    assert conditions(demo) == [None] * 12


def test_only_the_recipient_and_city_staff_confirm_and_only_once_delivered(demo):
    with demo.app_context():
        draft = shipment(DRAFT)
        service.pack_line(
            draft, BulkPacking(line_id=draft.lines[0].id, per_unit=Decimal(50)), by=user()
        )
    client = recipient(demo)
    response = client.get(RECEIPT, follow_redirects=True)
    assert "Receipt by unit is for a delivered shipment packed in units." in page_text(response)
    accountant = demo.test_client()
    log_in(accountant, "accountant@lublin.example")
    assert accountant.get(RECEIPT).status_code == 403
    assert accountant.post(RECEIPT, data={"unit_1": "missing"}).status_code == 403
    assert the_line(demo) == ("draft", None, None, None)
