"""The lifecycle service against the database: moves are locked, checked, dated and recorded."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.models import Organisation, Shipment, StatusEvent, User
from aidtracker.shipments import lifecycle, status
from aidtracker.shipments.entry import ShipmentEntry, create_shipment
from aidtracker.shipments.models import CustomsStatus, EventKind, ShipmentStatus
from tests.conftest import QueryCounter


@pytest.fixture
def ctx(demo):
    with demo.app_context():
        yield demo


def shipment(reference: str) -> Shipment:
    return db.session.scalar(select(Shipment).filter_by(reference=reference))


def user(email: str) -> User:
    return db.session.scalar(select(User).filter_by(email=email))


def snapshot(reference: str) -> tuple:
    """Everything a move could change, read fresh from the database."""
    db.session.expire_all()
    found = shipment(reference)
    events = db.session.scalar(
        select(func.count(StatusEvent.id)).where(StatusEvent.shipment_id == found.id)
    )
    return (
        found.status,
        found.customs_status,
        found.version,
        found.dispatch_date,
        found.delivery_date,
        found.customs_declaration_number,
        found.customs_cleared_on,
        found.distribution_report_due_on,
        found.distribution_report_submitted_on,
        events,
    )


def last_event(reference: str) -> StatusEvent:
    return shipment(reference).events[-1]


def test_the_rules_know_exactly_the_statuses_of_the_models():
    assert {s.value for s in ShipmentStatus} == lifecycle.STATUSES
    assert {s.value for s in CustomsStatus} == lifecycle.CUSTOMS_STATUSES
    assert set(lifecycle.ACTIONS) == set(status.ACTION_LABELS)


def test_staff_take_a_draft_to_delivery_and_every_change_is_recorded(ctx):
    staff = user("staff@lublin.example")
    kit = shipment("LUB-KRR-2023-0003")

    status.mark_ready(kit, by=staff, on=date(2024, 4, 10), location="Warehouse 2", note="Packed")
    event = last_event("LUB-KRR-2023-0003")
    assert (event.kind, event.from_status, event.to_status) == (EventKind.STATUS, "draft", "ready")
    assert (event.user, event.location, event.note) == (staff, "Warehouse 2", "Packed")
    # A change recorded for an earlier day is stamped noon of that day in Warsaw (UTC+2 in April).
    assert event.occurred_at == datetime(2024, 4, 10, 10, 0, tzinfo=UTC)

    status.dispatch(kit, by=staff, on=date(2024, 4, 12))
    assert kit.status is ShipmentStatus.DISPATCHED
    assert kit.dispatch_date == date(2024, 4, 12)
    assert last_event("LUB-KRR-2023-0003").location == "Lublin"  # the origin, by default

    status.declare_customs(
        kit,
        by=staff,
        declaration_number="24PL301020E0000001",
        border_crossing="Dorohusk–Yahodyn",
        on=date(2024, 4, 13),
    )
    assert kit.customs_status is CustomsStatus.DECLARED
    assert kit.customs_declaration_number == "24PL301020E0000001"
    assert kit.customs_declared_on == date(2024, 4, 13)
    event = last_event("LUB-KRR-2023-0003")
    assert (event.kind, event.from_status, event.to_status) == (
        EventKind.CUSTOMS,
        "documents_pending",
        "declared",
    )
    assert event.location == "Dorohusk–Yahodyn"  # the border crossing, by default

    status.clear_customs(kit, by=staff, on=date(2024, 4, 14))
    assert kit.customs_cleared_on == date(2024, 4, 14)
    assert kit.distribution_report_due_on == date(2024, 4, 14) + timedelta(days=90)

    status.deliver(kit, by=staff, on=date(2024, 4, 15), location="Kryvyi Rih depot")
    assert kit.status is ShipmentStatus.DELIVERED
    assert kit.delivery_date == date(2024, 4, 15)

    db.session.expire_all()
    history = [(e.kind.value, e.from_status, e.to_status) for e in shipment(kit.reference).events]
    assert history[-5:] == [
        ("status", "draft", "ready"),
        ("status", "ready", "dispatched"),
        ("customs", "documents_pending", "declared"),
        ("customs", "declared", "cleared"),
        ("status", "dispatched", "delivered"),
    ]


def test_a_change_made_today_is_stamped_now(ctx):
    before = datetime.now(UTC)
    status.mark_ready(shipment("LUB-KRR-2023-0003"), by=user("staff@lublin.example"))
    assert last_event("LUB-KRR-2023-0003").occurred_at >= before.replace(microsecond=0)


def test_a_shipment_that_needs_customs_cannot_be_delivered_before_clearance(ctx):
    before = snapshot("LUB-KRR-2023-0002")  # dispatched, declared
    with pytest.raises(lifecycle.GuardFailed) as refused:
        status.deliver(shipment("LUB-KRR-2023-0002"), by=user("staff@lublin.example"))
    assert "cleared" in status.user_message(refused.value)
    assert snapshot("LUB-KRR-2023-0002") == before


def test_cancelling_needs_a_reason_and_keeps_it(ctx):
    staff = user("staff@lublin.example")
    before = snapshot("LUB-KRR-2023-0003")
    with pytest.raises(lifecycle.MissingReason):
        status.cancel(shipment("LUB-KRR-2023-0003"), by=staff, reason="  ")
    assert snapshot("LUB-KRR-2023-0003") == before

    status.cancel(shipment("LUB-KRR-2023-0003"), by=staff, reason="Supplier withdrew the kits.")
    event = last_event("LUB-KRR-2023-0003")
    assert (event.to_status, event.note) == ("cancelled", "Supplier withdrew the kits.")
    assert shipment("LUB-KRR-2023-0003").status is ShipmentStatus.CANCELLED


@pytest.mark.parametrize(("move", "final"), [("mark_returned", "returned"), ("mark_lost", "lost")])
def test_a_dispatched_shipment_ends_returned_or_lost_with_a_reason(ctx, move, final):
    staff = user("staff@lublin.example")
    before = snapshot("LUB-KRR-2023-0002")
    with pytest.raises(lifecycle.MissingReason):
        getattr(status, move)(shipment("LUB-KRR-2023-0002"), by=staff, reason="")
    assert snapshot("LUB-KRR-2023-0002") == before
    getattr(status, move)(shipment("LUB-KRR-2023-0002"), by=staff, reason="Road closed.")
    assert shipment("LUB-KRR-2023-0002").status.value == final
    assert last_event("LUB-KRR-2023-0002").note == "Road closed."


def test_a_hold_returns_to_the_step_it_interrupted(ctx):
    staff = user("staff@lublin.example")
    medical = shipment("LUB-KRR-2023-0001")  # under inspection
    with pytest.raises(lifecycle.MissingReason):
        status.hold_at_customs(medical, by=staff, reason=None)
    status.hold_at_customs(medical, by=staff, reason="Import licence for paracetamol asked.")
    assert medical.customs_status is CustomsStatus.HELD
    status.release_from_hold(medical, by=staff, note="Licence shown.")
    assert medical.customs_status is CustomsStatus.UNDER_INSPECTION
    status.clear_customs(medical, by=staff)
    status.deliver(medical, by=staff)
    assert medical.status is ShipmentStatus.DELIVERED


def test_customs_rejection_is_final(ctx):
    staff = user("staff@lublin.example")
    generator = shipment("LUB-KRR-2023-0002")
    status.reject_at_customs(generator, by=staff, reason="Declaration refused.")
    before = snapshot("LUB-KRR-2023-0002")
    for move in (status.clear_customs, status.start_inspection, status.deliver):
        with pytest.raises(lifecycle.TransitionNotAllowed):
            move(shipment("LUB-KRR-2023-0002"), by=staff)
    assert snapshot("LUB-KRR-2023-0002") == before


def test_a_move_dated_in_the_future_or_before_the_last_change_is_refused(ctx):
    staff = user("staff@lublin.example")
    before = snapshot("LUB-KRR-2023-0003")
    with pytest.raises(lifecycle.DateNotAllowed):
        status.mark_ready(
            shipment("LUB-KRR-2023-0003"), by=staff, on=status.local_today() + timedelta(days=1)
        )
    with pytest.raises(lifecycle.DateNotAllowed):
        status.mark_ready(shipment("LUB-KRR-2023-0003"), by=staff, on=date(2023, 3, 30))
    assert snapshot("LUB-KRR-2023-0003") == before


def test_a_move_based_on_a_stale_page_is_refused(ctx):
    kit = shipment("LUB-KRR-2023-0003")
    seen = kit.version
    status.mark_ready(kit, by=user("admin@lublin.example"))
    before = snapshot("LUB-KRR-2023-0003")
    with pytest.raises(status.ShipmentChanged, match="now ready"):
        status.return_to_draft(kit, by=user("staff@lublin.example"), expected_version=seen)
    assert snapshot("LUB-KRR-2023-0003") == before


@pytest.mark.parametrize("email", ["accountant@lublin.example", "partner@kryvyirih.example"])
def test_only_city_staff_and_admins_move_shipments(ctx, email):
    before = snapshot("LUB-KRR-2023-0003")
    with pytest.raises(status.NotPermitted):
        status.mark_ready(shipment("LUB-KRR-2023-0003"), by=user(email))
    assert snapshot("LUB-KRR-2023-0003") == before


def test_the_shipment_row_is_locked_while_a_move_is_checked(ctx):
    with QueryCounter(db.engine) as queries:
        status.mark_ready(shipment("LUB-KRR-2023-0003"), by=user("staff@lublin.example"))
    locking = [sql for sql in queries.statements if "FOR UPDATE" in sql]
    if db.engine.dialect.name == "postgresql":
        assert len(locking) == 1
        assert "FROM shipments" in locking[0]
    else:
        assert locking == []  # SQLite serialises writers and has no FOR UPDATE


def test_allowed_actions_follow_the_state_and_the_role(ctx):
    staff = user("staff@lublin.example")
    draft = shipment("LUB-KRR-2023-0003")
    assert [offer.action for offer in status.allowed_actions(draft, staff)] == [
        "mark_ready",
        "cancel",
    ]
    dispatched = shipment("LUB-KRR-2023-0002")
    assert [offer.action for offer in status.allowed_actions(dispatched, staff)] == [
        "mark_returned",
        "mark_lost",
        "start_inspection",
        "clear_customs",
        "hold_at_customs",
        "reject_at_customs",
    ]
    assert status.blocked_actions(dispatched, staff)[0][0] == "Mark delivered"
    assert status.allowed_actions(draft, user("accountant@lublin.example")) == []
    assert status.allowed_actions(draft, user("partner@kryvyirih.example")) == []


def test_the_distribution_report_is_recorded_once_by_the_recipient(ctx):
    lutsk = user("partner@lutsk.example")
    received = shipment("LUB-LUT-2023-0001")  # cleared 2023-02-15, report still owed
    assert received.distribution_report_due_on == date(2023, 5, 16)
    before = snapshot("LUB-LUT-2023-0001")
    with pytest.raises(lifecycle.DateNotAllowed):
        status.record_distribution_report(received, by=lutsk, submitted_on=date(2023, 2, 1))
    with pytest.raises(status.NotPermitted):
        status.record_distribution_report(
            received, by=user("accountant@lublin.example"), submitted_on=date(2023, 5, 2)
        )
    assert snapshot("LUB-LUT-2023-0001") == before

    status.record_distribution_report(received, by=lutsk, submitted_on=date(2023, 5, 2))
    assert shipment("LUB-LUT-2023-0001").distribution_report_submitted_on == date(2023, 5, 2)
    with pytest.raises(lifecycle.ReportNotExpected):
        status.record_distribution_report(received, by=lutsk, submitted_on=date(2023, 5, 3))


def test_customs_details_are_kept_and_checked(ctx):
    staff = user("staff@lublin.example")
    kit = shipment("LUB-KRR-2023-0003")
    status.record_customs_details(
        kit,
        by=staff,
        aid_recognition_code=" GD-2024-000123 ",
        aid_recognition_code_issued_on=date(2024, 4, 1),
        border_crossing="Zosin–Ustyluh",
    )
    assert (kit.aid_recognition_code, kit.border_crossing) == ("GD-2024-000123", "Zosin–Ustyluh")
    before = snapshot("LUB-KRR-2023-0003")
    with pytest.raises(status.DetailErrors) as refused:
        status.record_customs_details(
            kit,
            by=staff,
            aid_recognition_code="GD-2024-000124",
            aid_recognition_code_issued_on=None,
            border_crossing=None,
        )
    assert list(refused.value.errors) == ["aid_recognition_code_issued_on"]
    assert snapshot("LUB-KRR-2023-0003") == before
    assert shipment("LUB-KRR-2023-0003").aid_recognition_code == "GD-2024-000123"


# Nothing that left draft is deleted ------------------------------------------------------------


def _blank_draft() -> Shipment:
    from aidtracker.parties.models import City

    lublin = db.session.scalar(select(City).filter_by(code="LUB"))
    lutsk = db.session.scalar(select(City).filter_by(code="LUT"))
    sender = db.session.scalar(select(Organisation).filter_by(name="City of Lublin"))
    return create_shipment(
        ShipmentEntry(origin_city=lublin, destination_city=lutsk, sender=sender),
        by=user("staff@lublin.example"),
    )


def test_a_draft_entered_by_mistake_can_be_deleted(ctx):
    draft = _blank_draft()
    reference = draft.reference
    assert status.delete_draft(draft, by=user("staff@lublin.example")) == reference
    assert shipment(reference) is None


@pytest.mark.parametrize("reference", ["LUB-KRR-2023-0004", "LUB-KRR-2023-0002"])
def test_a_shipment_that_left_draft_cannot_be_deleted(ctx, reference):
    before = snapshot(reference)
    with pytest.raises(lifecycle.NotDeletable):
        status.delete_draft(shipment(reference), by=user("admin@lublin.example"))
    assert snapshot(reference) == before


def test_a_draft_that_was_ready_once_stays_on_record(ctx):
    staff = user("staff@lublin.example")
    kit = shipment("LUB-KRR-2023-0003")
    status.mark_ready(kit, by=staff)
    status.return_to_draft(kit, by=staff, note="One more pallet to add.")
    with pytest.raises(lifecycle.NotDeletable):
        status.delete_draft(kit, by=staff)
    assert shipment("LUB-KRR-2023-0003").status is ShipmentStatus.DRAFT


def test_no_route_deletes_a_shipment_except_the_draft_one(app):
    deleting = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "DELETE" in rule.methods
        or ("delete" in rule.endpoint and rule.rule.startswith("/shipments"))
    ]
    assert deleting == ["shipment_status.delete_draft"]
