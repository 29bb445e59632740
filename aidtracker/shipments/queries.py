"""Reading shipments for pages: one query per page, whatever the number of rows on it."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from aidtracker.auth.models import User
from aidtracker.auth.permissions import visible_lines_clause, visible_shipments_clause
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.pagination import Page, paginate
from aidtracker.parties.models import Organisation
from aidtracker.search import text_matches
from aidtracker.shipments.models import Shipment, ShipmentLine, StatusEvent


@dataclass(frozen=True)
class ShipmentFilters:
    """What the list is narrowed to; every field empty means every shipment the user may see."""

    text: str = ""
    status: str = ""
    customs_status: str = ""
    destination_city_id: int | None = None
    category: str = ""
    departure_from: date | None = None
    departure_to: date | None = None
    sort: str = "newest"


def _departure():
    """The day a shipment left, or the day it is planned to leave."""
    return func.coalesce(Shipment.dispatch_date, Shipment.planned_departure)


SORT_ORDERS = {
    "newest": lambda: (Shipment.reference_year.desc(), Shipment.reference.desc()),
    "reference": lambda: (Shipment.reference.asc(),),
    "departure": lambda: (_departure().desc().nulls_last(), Shipment.reference.desc()),
    "departure_asc": lambda: (_departure().asc().nulls_last(), Shipment.reference.asc()),
    "status": lambda: (Shipment.status.asc(), Shipment.reference.desc()),
}


def _filter_conditions(user: User, filters: ShipmentFilters) -> list:
    """WHERE conditions for the filters; line conditions see only the lines the user may see."""
    conditions = [visible_shipments_clause(user)]

    def with_visible_line(*line_conditions):
        return exists(
            select(ShipmentLine.id)
            .join(CatalogueItem, CatalogueItem.id == ShipmentLine.catalogue_item_id)
            .outerjoin(Organisation, Organisation.id == ShipmentLine.donor_id)
            .where(
                ShipmentLine.shipment_id == Shipment.id,
                visible_lines_clause(user),
                *line_conditions,
            )
        )

    text = filters.text.strip()
    if text:
        conditions.append(
            or_(
                text_matches(Shipment.reference, text),
                with_visible_line(
                    or_(
                        text_matches(CatalogueItem.name_en, text),
                        text_matches(CatalogueItem.name_pl, text),
                        text_matches(CatalogueItem.name_uk, text),
                        text_matches(Organisation.name, text),
                    )
                ),
            )
        )
    if filters.status:
        conditions.append(Shipment.status == filters.status)
    if filters.customs_status:
        conditions.append(Shipment.customs_status == filters.customs_status)
    if filters.destination_city_id:
        conditions.append(Shipment.destination_city_id == filters.destination_city_id)
    if filters.category:
        conditions.append(with_visible_line(CatalogueItem.category == filters.category))
    if filters.departure_from:
        conditions.append(_departure() >= filters.departure_from)
    if filters.departure_to:
        conditions.append(_departure() <= filters.departure_to)
    return conditions


def shipment_page(
    user: User, page: int, per_page: int, filters: ShipmentFilters | None = None
) -> Page:
    """The shipments `user` may see that match `filters`, one page of them, sorted as asked.

    Two queries whatever the page size: the count, and the rows with the cities and parties the
    list shows, loaded in the same statement.
    """
    filters = filters or ShipmentFilters()
    conditions = _filter_conditions(user, filters)
    order = SORT_ORDERS.get(filters.sort, SORT_ORDERS["newest"])()
    return paginate(
        select(Shipment)
        .options(
            joinedload(Shipment.origin_city),
            joinedload(Shipment.destination_city),
            joinedload(Shipment.recipient),
            joinedload(Shipment.carrier),
        )
        .where(*conditions)
        .order_by(*order),
        page,
        per_page,
        select(func.count(Shipment.id)).where(*conditions),
    )


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
