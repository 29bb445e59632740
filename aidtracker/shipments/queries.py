"""Reading shipments for pages: one query per page, whatever the number of rows on it."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import to_utc
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Bundle, aliased, joinedload, selectinload

from aidtracker.auth.models import User
from aidtracker.auth.permissions import visible_lines_clause, visible_shipments_clause
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.pagination import Page, paginate
from aidtracker.parties.models import City, Organisation
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
    changed_from: date | None = None
    changed_to: date | None = None
    """The day (local) of the latest status or customs change: how long it has stood still."""
    sort: str = "newest"


def _departure():
    """The day a shipment left, or the day it is planned to leave."""
    return func.coalesce(Shipment.dispatch_date, Shipment.planned_departure)


def _some_event():
    """One event of the shipment, or NULL when its status never changed (a scalar subquery, so
    the database looks it up in the index per shipment instead of reading every event)."""
    return (
        select(StatusEvent.id)
        .where(StatusEvent.shipment_id == Shipment.id)
        .limit(1)
        .scalar_subquery()
    )


def _changed_since(moment: datetime):
    """The latest change of status or customs status (the creation, if none) is at `moment` or
    later: some event since then, found through the index on event times."""
    recent = select(StatusEvent.shipment_id).where(StatusEvent.occurred_at >= moment)
    return or_(
        Shipment.id.in_(recent),
        and_(Shipment.created_at >= moment, _some_event().is_(None)),
    )


def _unchanged_since(moment: datetime):
    """The latest change (the creation, if none) is before `moment`: no event since then."""
    since = exists().where(
        StatusEvent.shipment_id == Shipment.id, StatusEvent.occurred_at >= moment
    )
    return and_(~since, or_(Shipment.created_at < moment, _some_event().is_not(None)))


def _start_of_local_day(day: date) -> datetime:
    """Midnight of `day` where users live, in UTC; far-fetched days are clamped, not refused."""
    day = min(max(day, date(1900, 1, 1)), date(9999, 12, 30))
    return to_utc(datetime.combine(day, time.min)).replace(tzinfo=UTC)


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
    if filters.changed_from:
        conditions.append(_changed_since(_start_of_local_day(filters.changed_from)))
    if filters.changed_to:
        day_after = min(filters.changed_to, date(9999, 12, 30)) + timedelta(days=1)
        conditions.append(_unchanged_since(_start_of_local_day(day_after)))
    return conditions


def count_statement(user: User, filters: ShipmentFilters) -> Select:
    """How many shipments the list shows for `filters`: dashboards count with the list's rules."""
    return select(func.count(Shipment.id)).where(*_filter_conditions(user, filters))


def _paginated(
    rows: Select, user: User, page: int, per_page: int, filters: ShipmentFilters | None
) -> Page:
    """`rows` narrowed to the shipments `user` may see that match `filters`, sorted as asked, one
    page of them: two queries whatever the page size, the count (of rows, not of ids, which the
    database would read first) and the rows."""
    filters = filters or ShipmentFilters()
    conditions = _filter_conditions(user, filters)
    order = SORT_ORDERS.get(filters.sort, SORT_ORDERS["newest"])()
    return paginate(
        rows.where(*conditions).order_by(*order),
        page,
        per_page,
        select(func.count()).select_from(Shipment).where(*conditions),
    )


def shipment_page(
    user: User, page: int, per_page: int, filters: ShipmentFilters | None = None
) -> Page:
    """The shipments `user` may see that match `filters`, one page of them, sorted as asked, with
    the cities and parties loaded in the same statement (the API)."""
    with_parties = select(Shipment).options(
        joinedload(Shipment.origin_city),
        joinedload(Shipment.destination_city),
        joinedload(Shipment.recipient),
        joinedload(Shipment.carrier),
    )
    return _paginated(with_parties, user, page, per_page, filters)


_ORIGIN, _DESTINATION = aliased(City), aliased(City)
_RECIPIENT, _CARRIER = aliased(Organisation), aliased(Organisation)
_LIST_ROW = Bundle(
    "row",
    Shipment.reference,
    _ORIGIN.name.label("origin"),
    _DESTINATION.name.label("destination"),
    _RECIPIENT.name.label("recipient"),
    _CARRIER.name.label("carrier"),
    Shipment.dispatch_date,
    Shipment.planned_departure,
    Shipment.status,
    Shipment.customs_status,
)
_LIST_ROWS = (
    select(_LIST_ROW)
    .join(_ORIGIN, _ORIGIN.id == Shipment.origin_city_id)
    .join(_DESTINATION, _DESTINATION.id == Shipment.destination_city_id)
    .outerjoin(_RECIPIENT, _RECIPIENT.id == Shipment.recipient_id)
    .outerjoin(_CARRIER, _CARRIER.id == Shipment.carrier_id)
)


def list_page(user: User, page: int, per_page: int, filters: ShipmentFilters | None = None) -> Page:
    """The shipment list's page, as ``shipment_page`` chooses it, with rows of the nine values
    the list shows (reference, cities, recipient, carrier, dates, statuses) instead of shipments:
    the list is the busiest page, and plain rows cost a fraction of ORM objects."""
    return _paginated(_LIST_ROWS, user, page, per_page, filters)


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
            selectinload(Shipment.lines).joinedload(ShipmentLine.fund),
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
