"""Twenty people move the same shipments at the same moment: every change is kept exactly once,
the history stays a path the lifecycle allows, and whoever comes second is told why, politely.

PostgreSQL only: the service locks a shipment's row while it judges a move (SELECT … FOR UPDATE),
which is what this test races against; SQLite writes one transaction at a time anyway.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.models import CatalogueItem, City, Organisation, Shipment, StatusEvent, User
from aidtracker.shipments import lifecycle, receipt, status
from aidtracker.shipments.entry import LineEntry, ShipmentEntry, create_shipment
from aidtracker.shipments.lifecycle import LifecycleError
from aidtracker.shipments.models import EventKind, ShipmentStatus

THREADS = 20
SHIPMENTS = 2

# Each round, every thread tries one of these on every shipment, all threads together. Some
# rounds offer rival moves (inspect or clear at once) so that the winner is not always the same.
ROUNDS = (
    ("dispatch",),
    ("declare_customs",),
    ("start_inspection", "clear_customs"),
    ("clear_customs",),
    ("deliver",),
    ("confirm_receipt", "deliver"),
)
REFUSALS = (LifecycleError, status.ShipmentChanged)
"""What a move that lost the race may raise: the domain telling the user why, never a crash."""


@pytest.fixture
def on_postgres(request, app):
    """The demo installation, on PostgreSQL only."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip(
                "races row locks, which need PostgreSQL: set AIDTRACKER_TEST_DATABASE_URL "
                "(SQLite writes one transaction at a time)"
            )
    return request.getfixturevalue("demo")


def _ready_shipments(app) -> list[str]:
    """Shipments from Lublin to Kryvyi Rih (they cross customs), two lines each, ready to go."""
    with app.app_context():
        staff = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        cities = {city.code: city for city in db.session.scalars(select(City))}
        organisations = {org.name: org for org in db.session.scalars(select(Organisation))}
        items = db.session.scalars(select(CatalogueItem).order_by(CatalogueItem.id).limit(2)).all()
        references = []
        for _ in range(SHIPMENTS):
            shipment = create_shipment(
                ShipmentEntry(
                    origin_city=cities["LUB"],
                    destination_city=cities["KRR"],
                    sender=organisations["City of Lublin"],
                    recipient=organisations["Kryvyi Rih City Council"],
                    planned_departure=date.today(),
                    lines=[
                        LineEntry(item=item, quantity=Decimal(100), donor=None, funding="in_kind")
                        for item in items
                    ],
                ),
                by=staff,
            )
            status.mark_ready(shipment, by=staff)
            references.append(shipment.reference)
        return references


def _attempt(action: str, shipment: Shipment, staff: User, thread: int):
    """One person's try at `action`, with what they typed: their own declaration number, and
    for the receipt their own count of what arrived, short by a few pieces (so that the winner
    can be recognised in the lines)."""
    if action == "declare_customs":
        return status.declare_customs(shipment, by=staff, declaration_number=f"DECL-{thread}")
    if action == "confirm_receipt":
        lines = {line.id: (line.quantity - 1 - thread, "good") for line in shipment.lines}
        return receipt.confirm_receipt(shipment, by=staff, lines=lines)
    return getattr(status, action)(shipment, by=staff)


def _race(app, references: list[str]) -> tuple[list, list]:
    """Every thread, in its own app context and session, tries each round's moves on every
    shipment; a barrier starts each round for all threads at the same moment. Nobody holds a
    database connection while waiting at the barrier (the pool has fewer than twenty)."""
    barrier = threading.Barrier(THREADS)
    successes, refusals, crashes = [], [], []

    def person(thread: int):
        with app.app_context():
            try:
                staff = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
                for moves in ROUNDS:
                    action = moves[thread % len(moves)]
                    db.session.commit()  # gives the connection back
                    barrier.wait(timeout=60)
                    for reference in _in_turn(references, thread):
                        shipment = db.session.scalar(
                            select(Shipment).filter_by(reference=reference)
                        )
                        try:
                            event = _attempt(action, shipment, staff, thread)
                        except REFUSALS as refusal:
                            refusals.append((reference, action, refusal))
                        else:
                            successes.append((reference, action, thread, event.id))
            except Exception as crash:
                barrier.abort()  # nobody waits for a person who fell
                crashes.append((thread, repr(crash)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=person, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crashes == []
    return successes, refusals


def _in_turn(references: list[str], thread: int) -> list[str]:
    """The shipments, starting at a different one for each thread."""
    start = thread % len(references)
    return references[start:] + references[:start]


def _history(shipment: Shipment) -> list[StatusEvent]:
    return sorted(shipment.events, key=lambda event: (event.occurred_at, event.id))


def _replay(events: list[StatusEvent]) -> dict[str, str]:
    """Walk the history, checking that each change is a move the lifecycle has from where the
    shipment stood; returns where it ends. Events without a "from" record the creation."""
    state: dict[str, str] = {}
    for event in events:
        kind = event.kind.value
        assert event.kind in (EventKind.STATUS, EventKind.CUSTOMS)
        if event.from_status is None:
            assert kind not in state  # created once
        else:
            assert event.from_status == state[kind], (event.from_status, event.to_status, state)
            assert any(
                transition.kind == kind
                and event.from_status in transition.sources
                and transition.target == event.to_status
                for transition in lifecycle.TRANSITIONS
            ), (kind, event.from_status, event.to_status)
        state[kind] = event.to_status
    return state


def test_twenty_people_moving_the_same_shipments_at_once_lose_and_repeat_nothing(on_postgres):
    references = _ready_shipments(on_postgres)
    with on_postgres.app_context():
        before = set(db.session.scalars(select(StatusEvent.id)))
    successes, refusals = _race(on_postgres, references)

    with on_postgres.app_context():
        for reference in references:
            shipment = db.session.scalar(select(Shipment).filter_by(reference=reference))
            history = _history(shipment)
            won = [success for success in successes if success[0] == reference]

            # Every move that succeeded is in the history, once, and nothing else was added.
            assert sorted(event_id for *_, event_id in won) == sorted(
                event.id for event in history if event.id not in before
            )
            moves = [(event.kind, event.from_status, event.to_status) for event in history]
            assert len(moves) == len(set(moves)), moves  # no transition happened twice

            final = _replay(history)
            assert shipment.status.value == final[lifecycle.STATUS]
            assert shipment.customs_status.value == final[lifecycle.CUSTOMS]
            assert shipment.status is ShipmentStatus.RECEIVED_WITH_DISCREPANCY
            assert shipment.customs_status.value == lifecycle.CLEARED

            # One declaration and one receipt, each wholly one person's.
            declared = [thread for _, action, thread, _ in won if action == "declare_customs"]
            assert len(declared) == 1
            assert shipment.customs_declaration_number == f"DECL-{declared[0]}"
            confirmed = [thread for _, action, thread, _ in won if action == "confirm_receipt"]
            assert len(confirmed) == 1
            for line in shipment.lines:
                assert line.received_quantity == line.quantity - 1 - confirmed[0]
            receipts = [
                event for event in history if event.to_status in lifecycle.RECEIVED_STATUSES
            ]
            assert len(receipts) == 1

    assert len(successes) + len(refusals) == THREADS * len(ROUNDS) * SHIPMENTS  # all answered
    assert {type(refusal) for *_, refusal in refusals} <= {
        lifecycle.TransitionNotAllowed,
        lifecycle.GuardFailed,
        status.ShipmentChanged,
    }
