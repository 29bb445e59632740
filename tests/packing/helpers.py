"""Shipments of the demo to pack, and reading their units back."""

from decimal import Decimal

from sqlalchemy import func, select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.packing.models import PackingUnit, UnitContent
from aidtracker.shipments.models import Shipment

DRAFT = "LUB-KRR-2023-0003"
"""250 family hygiene kits, 1,000 kg, a draft: the shipment to pack."""
DISPATCHED = "LUB-KRR-2023-0001"
RECEIVED = "LUB-KRR-2022-0001"
STAFF = "staff@lublin.example"
UNITS = f"/shipments/{DRAFT}/units"


def shipment(reference: str) -> Shipment:
    return db.session.scalar(select(Shipment).filter_by(reference=reference))


def user(email: str = STAFF) -> User:
    return db.session.scalar(select(User).filter_by(email=email))


def units(reference: str) -> list[tuple]:
    """(number, kind, number of the unit it is on, weight, {line position: quantity})."""
    rows = db.session.scalars(
        select(PackingUnit)
        .join(Shipment, Shipment.id == PackingUnit.shipment_id)
        .where(Shipment.reference == reference)
        .order_by(PackingUnit.number)
    ).all()
    return [
        (
            unit.number,
            unit.kind.value,
            unit.parent.number if unit.parent else None,
            unit.gross_weight_kg,
            {content.line.position: content.quantity for content in unit.contents},
        )
        for unit in rows
    ]


def packing_rows() -> tuple[int, int]:
    """How many units and contents the whole database holds."""
    return (
        db.session.scalar(select(func.count(PackingUnit.id))),
        db.session.scalar(select(func.count(UnitContent.id))),
    )


def packed(reference: str) -> Decimal:
    return sum((sum(c.values(), Decimal(0)) for *_, c in units(reference)), Decimal(0))


def line_id(app, reference: str = DRAFT, index: int = 0) -> int:
    """The id of a line of a demo shipment."""
    with app.app_context():
        return shipment(reference).lines[index].id


def bulk(client, app, **fields):
    """Post the units page's bulk packing form: the draft's kits, 25 to a box, and `fields`."""
    data = {"bulk-line": str(line_id(app)), "bulk-per_unit": "25", "bulk-kind": "box"}
    data.update({f"bulk-{name}": value for name, value in fields.items()})
    return client.post(f"{UNITS}/bulk", data=data)
