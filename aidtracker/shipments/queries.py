"""Reading shipments for pages: one query per page, whatever the number of rows on it."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from aidtracker.auth.models import User
from aidtracker.auth.permissions import visible_shipments_clause
from aidtracker.extensions import db
from aidtracker.shipments.models import Shipment, ShipmentLine, StatusEvent


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def shipment_page(user: User, page: int, per_page: int) -> Page:
    """The shipments `user` may see, newest first, with the cities and parties a list shows."""
    scope = visible_shipments_clause(user)
    total = db.session.scalar(select(func.count(Shipment.id)).where(scope))
    page = min(max(page, 1), max(1, -(-total // per_page)))
    rows = db.session.scalars(
        select(Shipment)
        .options(
            joinedload(Shipment.origin_city),
            joinedload(Shipment.destination_city),
            joinedload(Shipment.recipient),
            joinedload(Shipment.carrier),
        )
        .where(scope)
        .order_by(Shipment.reference_year.desc(), Shipment.reference.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(rows), page=page, per_page=per_page, total=total)


def shipment_by_reference(user: User, reference: str) -> Shipment | None:
    """One shipment `user` may see, with what its page shows; None when absent or out of scope."""
    return db.session.scalar(
        select(Shipment)
        .where(Shipment.reference == reference.strip().upper(), visible_shipments_clause(user))
        .options(
            joinedload(Shipment.origin_city),
            joinedload(Shipment.destination_city),
            joinedload(Shipment.sender),
            joinedload(Shipment.recipient),
            joinedload(Shipment.carrier),
            selectinload(Shipment.lines).joinedload(ShipmentLine.item),
            selectinload(Shipment.lines).joinedload(ShipmentLine.donor),
            selectinload(Shipment.events).joinedload(StatusEvent.user),
            selectinload(Shipment.documents),
        )
    )


def totals_by_currency(lines: list[ShipmentLine]) -> dict[str, Decimal]:
    """Sum of the rounded line values per currency: amounts in different currencies never mix."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, Decimal("0.00")) + line.value
    return dict(sorted(totals.items()))
