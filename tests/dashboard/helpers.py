"""Putting demo shipments into the states a dashboard rule looks at, on chosen days."""

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.shipments.models import (
    CustomsStatus,
    EventKind,
    Shipment,
    ShipmentStatus,
    StatusEvent,
)

STAFF = "staff@lublin.example"
ACCOUNTANT = "accountant@lublin.example"
KRYVYI_RIH = "partner@kryvyirih.example"
LUTSK = "partner@lutsk.example"


def user(email: str) -> User:
    return db.session.scalar(select(User).filter_by(email=email))


def shipment(reference: str) -> Shipment:
    return db.session.scalar(select(Shipment).filter_by(reference=reference))


def noon(day: date) -> datetime:
    """Midday in UTC: the same day in Warsaw, whatever the season."""
    return datetime.combine(day, time(12)).replace(tzinfo=UTC)


def move(
    reference: str,
    *,
    on: date,
    status: ShipmentStatus | None = None,
    customs: CustomsStatus | None = None,
) -> Shipment:
    """Set the shipment's status or customs status, with the event that records it on `on`."""
    found = shipment(reference)
    if status is not None:
        found.events.append(
            StatusEvent(
                kind=EventKind.STATUS,
                from_status=found.status.value,
                to_status=status.value,
                occurred_at=noon(on),
            )
        )
        found.status = status
    if customs is not None:
        found.events.append(
            StatusEvent(
                kind=EventKind.CUSTOMS,
                from_status=found.customs_status.value,
                to_status=customs.value,
                occurred_at=noon(on),
            )
        )
        found.customs_status = customs
    db.session.commit()
    return found
