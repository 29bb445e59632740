"""Location updates: where a shipment on the road is now, reported by its carrier or by staff.

Not a move: the status stays what it is. The event records the status it is in as ``to_status``
(and no ``from_status``), so every timeline keeps reading an event as "kind: status, location".
"""

from flask_babel import gettext

from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission, ShipmentAccess, has_permission
from aidtracker.database import utcnow
from aidtracker.shipments.models import EventKind, Shipment, ShipmentStatus, StatusEvent
from aidtracker.shipments.status import (
    NotPermitted,
    in_one_transaction,
    lock_for_change,
)

LOCATION_STATUSES = frozenset({ShipmentStatus.DISPATCHED})
"""Only goods on their way have a location worth reporting."""


class NotOnTheWay(Exception):
    """The shipment is not travelling: there is no location to report."""

    def __init__(self, shipment: Shipment):
        super().__init__(
            gettext(
                "A location can only be reported while the shipment is on its way; "
                "it is %(status)s.",
                status=shipment.status.label.lower(),
            )
        )


class LocationErrors(Exception):
    """``errors[field]`` says what is wrong with that field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(gettext("Some fields need correcting; see the messages next to them."))
        self.errors = errors


def may_report_location(shipment: Shipment, user: User) -> bool:
    """City staff who move shipments, or a partner of the shipment's carrier."""
    if has_permission(user, Permission.EDIT_SHIPMENTS):
        return True
    return has_permission(user, Permission.VIEW_SHIPMENTS) and "carrier" in (
        ShipmentAccess(user, shipment).parts
    )


def report_location(
    shipment: Shipment,
    *,
    by: User,
    location: str,
    note: str | None = None,
) -> StatusEvent:
    """Append a location event to a dispatched shipment.

    Raises NotPermitted, NotOnTheWay, LocationErrors or ShipmentChanged; nothing is written then.
    """
    if not may_report_location(shipment, by):
        raise NotPermitted()
    place = (location or "").strip()

    def work():
        lock_for_change(shipment, None)
        if shipment.status not in LOCATION_STATUSES:
            raise NotOnTheWay(shipment)
        errors = {}
        if not place:
            errors["location"] = gettext("Say where the shipment is.")
        elif len(place) > 200:
            errors["location"] = gettext("At most 200 characters.")
        if errors:
            raise LocationErrors(errors)
        event = StatusEvent(
            kind=EventKind.LOCATION,
            from_status=None,
            to_status=shipment.status.value,
            occurred_at=utcnow(),
            user=by,
            location=place,
            note=(note or "").strip() or None,
        )
        shipment.events.append(event)
        return event

    return in_one_transaction(work)
