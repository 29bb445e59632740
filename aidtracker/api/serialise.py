"""Shipments as JSON, cut to what the user's shipment page shows them (``ShipmentAccess``).

Decimals travel as strings (``"3000.000"``), never floats: amounts and quantities stay exact.
"""

from datetime import date, datetime
from decimal import Decimal

from aidtracker.auth.models import User
from aidtracker.auth.permissions import ShipmentAccess
from aidtracker.parties.models import City, Organisation
from aidtracker.shipments.models import Shipment, ShipmentLine, StatusEvent


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _city(city: City) -> dict:
    return {"id": city.id, "name": city.name, "country": city.country}


def _organisation(organisation: Organisation | None) -> dict | None:
    if organisation is None:
        return None
    return {"id": organisation.id, "name": organisation.name}


def shipment_summary(shipment: Shipment) -> dict:
    """A row of the list: what the shipment list page shows."""
    return {
        "reference": shipment.reference,
        "status": shipment.status.value,
        "customs_status": shipment.customs_status.value,
        "origin_city": _city(shipment.origin_city),
        "destination_city": _city(shipment.destination_city),
        "recipient": _organisation(shipment.recipient),
        "carrier": _organisation(shipment.carrier),
        "planned_departure": _day(shipment.planned_departure),
        "dispatch_date": _day(shipment.dispatch_date),
        "delivery_date": _day(shipment.delivery_date),
    }


def _line(access: ShipmentAccess, line: ShipmentLine, language: str) -> dict:
    valued = access.sees_value_of(line)
    return {
        "id": line.id,
        "position": line.position,
        "item": {
            "id": line.item.id,
            "name": line.item.name_in(language),
            "category": line.item.category.value,
            "hs_code": line.item.hs_code,
        },
        "quantity": _decimal(line.quantity),
        "unit": line.unit.value,
        "gross_weight_kg": _decimal(line.gross_weight_kg),
        "donor": _organisation(line.donor),
        "funding": line.funding.value,
        "lot": line.lot,
        "expiry": _day(line.expiry),
        "unit_value": _decimal(line.unit_value) if valued else None,
        "value": _decimal(line.value) if valued else None,
        "currency": line.currency if valued else None,
        "received_quantity": _decimal(line.received_quantity),
        "condition": line.condition.value if line.condition else None,
        "receipt_note": line.receipt_note,
    }


def event_json(event: StatusEvent) -> dict:
    return {
        "id": event.id,
        "kind": event.kind.value,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "occurred_at": _moment(event.occurred_at),
        "location": event.location,
        "note": event.note,
        "by": event.user.name if event.user else None,
    }


def shipment_detail(user: User, shipment: Shipment) -> dict:
    """The shipment page as data: lines and values as `user` may see them, and the history."""
    access = ShipmentAccess(user, shipment)
    return {
        **shipment_summary(shipment),
        "sender": _organisation(shipment.sender),
        "transport_mode": shipment.transport_mode.value,
        "customs_declaration_number": shipment.customs_declaration_number,
        "border_crossing": shipment.border_crossing,
        "all_lines_shown": access.sees_all_lines,
        "values_shown": access.sees_any_value,
        "lines": [_line(access, line, user.language) for line in access.lines],
        "events": [event_json(event) for event in shipment.events],
    }
