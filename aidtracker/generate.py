"""Realistic random shipments in bulk, for load and export benchmarks (`generate-data`).

The data keeps the rules the application enforces one shipment at a time: references continue
each route's numbering, every status and customs status comes with the history that reached it,
a shipment that crosses a customs border is delivered only once cleared, medical lines carry a lot
and an expiry, every line has a donor, and each currency used gets a rate on every working day of
the span, so that reports never stop at a missing rate. The same seed on the same database gives
the same data.

Rows are written with SQLAlchemy Core bulk inserts, a few thousand at a time, in one transaction:
ORM objects one by one would take minutes for 100,000 lines, and a failure leaves nothing behind.
"""

import calendar
import random
import re
import time as timer
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from aidtracker.auth.models import Role, User
from aidtracker.catalogue.models import CatalogueItem, Category, Unit
from aidtracker.demo import load_demo
from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.money.service import RATE_QUANTUM, base_currency
from aidtracker.parties.models import City, Organisation, OrganisationKind
from aidtracker.shipments.entry import crosses_customs_border, format_reference
from aidtracker.shipments.lifecycle import distribution_report_due
from aidtracker.shipments.models import (
    CustomsStatus,
    EventKind,
    Funding,
    LineCondition,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StatusEvent,
    TransportMode,
)

LINES_PER_BATCH = 5000
"""Lines written per round trip: large enough to be fast, small enough to keep memory flat."""

DEFAULT_YEARS = "2022-2024"
EARLIEST_YEAR = 2000

RECENT_DAYS = 30
"""Planned departures stop this many days before today."""

RATE_LEAD_DAYS = 10
"""Rates start this long before the span, so the first days have a rate under either rate rule."""

S = ShipmentStatus
C = CustomsStatus

# How the final statuses are spread: most shipments have arrived, a few are still being packed,
# on the road or at the border, and a few ended otherwise.
STATUS_WEIGHTS = {
    S.DRAFT: 3,
    S.READY: 3,
    S.CANCELLED: 2,
    S.DISPATCHED: 8,
    S.DELIVERED: 8,
    S.RECEIVED: 62,
    S.RECEIVED_WITH_DISCREPANCY: 11,
    S.RETURNED: 2,
    S.LOST: 1,
}

# For a shipment that crosses a customs border: where customs stands, given its status. Customs
# acts only while a shipment is dispatched, and delivery needs clearance (lifecycle.py).
CUSTOMS_WEIGHTS = {
    S.DRAFT: {C.DOCUMENTS_PENDING: 1},
    S.READY: {C.DOCUMENTS_PENDING: 1},
    S.CANCELLED: {C.DOCUMENTS_PENDING: 1},
    S.DISPATCHED: {
        C.DOCUMENTS_PENDING: 1,
        C.DECLARED: 4,
        C.UNDER_INSPECTION: 3,
        C.HELD: 1,
        C.CLEARED: 3,
    },
    S.DELIVERED: {C.CLEARED: 1},
    S.RECEIVED: {C.CLEARED: 1},
    S.RECEIVED_WITH_DISCREPANCY: {C.CLEARED: 1},
    S.RETURNED: {C.REJECTED: 3, C.HELD: 1},
    S.LOST: {C.DOCUMENTS_PENDING: 1, C.DECLARED: 1},
}

LEFT_STATUSES = frozenset(
    {S.DISPATCHED, S.DELIVERED, S.RECEIVED, S.RECEIVED_WITH_DISCREPANCY, S.RETURNED, S.LOST}
)
DELIVERED_STATUSES = frozenset({S.DELIVERED, S.RECEIVED, S.RECEIVED_WITH_DISCREPANCY})

# Units of PLN per unit, roughly, for pricing lines in other currencies, and the random walk each
# rate follows: start, floor, ceiling, daily step (standard deviation).
PLN_PER_UNIT = {"PLN": 1.0, "EUR": 4.6, "USD": 4.1, "UAH": 0.115}
RATE_WALKS = {
    "EUR": (4.60, 4.30, 4.80, 0.012),
    "USD": (4.10, 3.70, 4.50, 0.018),
    "UAH": (0.115, 0.100, 0.130, 0.0006),
}
OTHER_CURRENCY_WEIGHTS = (10, 5, 4)
"""Weights of the currencies other than the base, in PLN_PER_UNIT's order; the base weighs 80."""
BASE_CURRENCY_WEIGHT = 80

CATEGORY_WEIGHTS = {
    Category.FOOD: 35,
    Category.CLOTHING: 12,
    Category.SHELTER: 12,
    Category.MEDICAL: 18,
    Category.HYGIENE: 15,
    Category.ENERGY: 6,
    Category.OTHER: 2,
}
EXPENSIVE_PLN = 10_000
"""Items dearer than this (generators) are chosen ten times less often, one or two at a time."""

# Kilograms per piece by category, when the name gives no net weight ("Rice 1 kg").
PIECE_WEIGHT_KG = {
    Category.FOOD: 0.6,
    Category.CLOTHING: 1.2,
    Category.SHELTER: 1.8,
    Category.MEDICAL: 0.15,
    Category.HYGIENE: 0.5,
    Category.ENERGY: 0.6,
    Category.OTHER: 1.0,
}
UNIT_WEIGHT_KG = {Unit.KG: 1.03, Unit.L: 1.08, Unit.BOX: 12.0, Unit.PALLET: 450.0, Unit.SET: 3.5}
NET_WEIGHT = re.compile(r"\b(\d+(?:[.,]\d+)?)\s*(kg|g|l|ml)\b", re.IGNORECASE)
PACKAGING = 1.12
LORRY_LOAD_KG = 22_000
WAGON_LOAD_KG = 60_000

ROAD_CROSSINGS = (
    "Dorohusk–Yahodyn",
    "Zosin–Ustyluh",
    "Hrebenne–Rava-Ruska",
    "Medyka–Shehyni",
    "Korczowa–Krakovets",
    "Budomierz–Hrushiv",
)
RAIL_CROSSINGS = ("Dorohusk–Yahodyn", "Hrubieszów–Izov", "Przemyśl–Mostyska")
DRIVERS = (
    "Marek Nowak",
    "Piotr Wiśniewski",
    "Tomasz Kowalczyk",
    "Krzysztof Wójcik",
    "Andrzej Kamiński",
    "Paweł Lewandowski",
    "Michał Zieliński",
    "Grzegorz Woźniak",
    "Łukasz Dąbrowski",
    "Oleksandr Kovalenko",
)
PLATE_LETTERS = "ACEFHJKLMNPRSTUWXY"
SHIPMENT_NOTES = (
    "Urgent: winter supplies.",
    "Unload at the municipal warehouse.",
    "Collected in the city's fundraising drive.",
    "Second part of the order; the rest follows.",
)
CANCEL_REASONS = (
    "The supplier could not deliver.",
    "The recipient asked to postpone; the goods go with a later shipment.",
    "No vehicle available in time.",
)
HOLD_REASONS = (
    "Recognition code missing on the declaration.",
    "Certificate requested for the medical goods.",
    "Weight on the CMR differs from the declaration.",
)
REJECT_REASONS = (
    "Declaration did not match the cargo.",
    "Recognition code expired before clearance.",
)
RETURN_REASONS = ("Rejected at customs; the goods came back to the warehouse.",)
LOSS_REASONS = (
    "Cargo destroyed in a fire at the transit warehouse.",
    "Vehicle and cargo not accounted for after the crossing.",
)
DAMAGE_NOTES = (
    "Packaging damaged in transit.",
    "Crushed cartons; counted at unloading.",
    "Wet cartons, not distributed.",
)
MISSING_NOTES = ("Not on the vehicle at unloading.", "Pallet missing from the load.")
# Share of lines bought with cash, by the kind of organisation that gave (the rest are in kind).
PURCHASED_SHARE = {
    OrganisationKind.FUNDRAISER: 1.0,
    OrganisationKind.MUNICIPALITY: 0.8,
    OrganisationKind.PUBLIC_BODY: 0.8,
    OrganisationKind.NGO: 0.3,
    OrganisationKind.COMPANY: 0.1,
}


class GenerationError(Exception):
    """The data cannot be generated on this database; the message says why (CLI: English)."""


@dataclass(frozen=True)
class Route:
    """Who sends what from where to whom: a sender's city to a recipient's city."""

    origin: City
    destination: City
    sender_id: int
    recipient_id: int
    needs_customs: bool


@dataclass(frozen=True)
class ItemProfile:
    """What a line needs to know of a catalogue item, computed once per item."""

    id: int
    name: str
    category: Category
    unit: Unit
    unit_value: Decimal
    currency: str
    value_pln: float
    weight_kg: float
    weight: float
    """How often it is chosen, relative to the other items."""


@dataclass(frozen=True)
class Donor:
    id: int
    purchased_share: float


@dataclass
class ReferenceData:
    routes: list[Route]
    items: list[ItemProfile]
    donors: list[Donor]
    carrier_ids: list[int]
    staff_user_id: int | None
    partner_user_ids: dict[int, int]

    @property
    def sufficient(self) -> bool:
        return bool(self.routes and self.items and self.donors)


@dataclass(frozen=True)
class GenerationReport:
    shipments: int
    lines: int
    events: int
    rates: int
    rate_currencies: tuple[str, ...]
    demo_loaded: dict[str, int] = field(default_factory=dict)


def generate_data(
    *, shipments: int, lines_per_shipment: int, seed: int, years: tuple[int, int]
) -> GenerationReport:
    """Add `shipments` shipments of `lines_per_shipment` lines each, planned within `years`.

    Loads the demo first when the database lacks the cities, organisations and catalogue to draw
    on. Adds the exchange rates the generated lines need on every working day of the span where
    none exists yet. Commits once; raises GenerationError (after rolling back) when the base
    currency is not one it can make rates for, or when the references collide with shipments
    that someone else added meanwhile.
    """
    base = base_currency()
    if base not in PLN_PER_UNIT:
        raise GenerationError(
            f"generate-data makes up exchange rates against PLN, EUR, USD or UAH; "
            f"the base currency here is {base}"
        )
    reference = _reference_data(base)
    demo_loaded: dict[str, int] = {}
    if not reference.sufficient:
        demo_loaded = load_demo()
        reference = _reference_data(base)
    if not reference.sufficient:
        raise GenerationError(
            "the database needs a sender and a recipient in two different cities, a donor "
            "and a priced catalogue item"
        )

    # Shipments received in the future would make no sense: the span stops a month ago, which
    # leaves the journeys planned at its end the time to finish.
    first = date(years[0], 1, 1)
    last = min(date(years[1], 12, 31), date.today() - timedelta(days=RECENT_DAYS))
    if last < first:
        raise GenerationError(f"choose earlier years: the span must end {RECENT_DAYS} days ago")
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, not secrets)
    rate_rows = _rate_rows(
        random.Random(f"rates-{seed}"),  # noqa: S311  (reproducible test data, not secrets)
        first - timedelta(days=RATE_LEAD_DAYS),
        last,
        base,
    )
    builder = _ShipmentBuilder(rng, reference, base, first, last)
    plans = builder.plans(shipments)
    per_batch = max(1, LINES_PER_BATCH // lines_per_shipment)
    totals = {"lines": 0, "events": 0}
    try:
        if rate_rows:
            db.session.execute(insert(ExchangeRate.__table__), rate_rows)
        for batch in _chunks(plans, per_batch):
            built = [builder.shipment(plan, lines_per_shipment) for plan in batch]
            _insert_batch(built, totals)
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise GenerationError(
            "the generated references or rates collided with data added meanwhile; nothing "
            f"was saved, run the command again ({str(error.orig).splitlines()[0]})"
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    return GenerationReport(
        shipments=len(plans),
        lines=totals["lines"],
        events=totals["events"],
        rates=len(rate_rows),
        rate_currencies=tuple(sorted({row["currency"] for row in rate_rows})),
        demo_loaded=demo_loaded,
    )


@dataclass
class _Built:
    header: dict
    lines: list[dict]
    events: list[dict]


def _insert_batch(built: list[_Built], totals: dict[str, int]) -> None:
    """Write a batch of shipments, then their lines and events under the ids they were given."""
    # Ids are read back by reference: RETURNING in parameter order would make SQLite insert one
    # row at a time.
    db.session.execute(insert(Shipment.__table__), [shipment.header for shipment in built])
    references = [shipment.header["reference"] for shipment in built]
    ids = dict(
        db.session.execute(
            select(Shipment.reference, Shipment.id).where(Shipment.reference.in_(references))
        ).all()
    )
    lines, events = [], []
    for shipment in built:
        shipment_id = ids[shipment.header["reference"]]
        for row in shipment.lines:
            row["shipment_id"] = shipment_id
        for row in shipment.events:
            row["shipment_id"] = shipment_id
        lines.extend(shipment.lines)
        events.extend(shipment.events)
    db.session.execute(insert(ShipmentLine.__table__), lines)
    db.session.execute(insert(StatusEvent.__table__), events)
    totals["lines"] += len(lines)
    totals["events"] += len(events)


def _chunks(rows: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# Reference data ------------------------------------------------------------------------------


def _reference_data(base: str) -> ReferenceData:
    """The routes, items, donors, carriers and users to draw on, in id order (reproducible)."""
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.id)).all()
    cities = {city.id: city for city in db.session.scalars(select(City))}
    senders = [o for o in organisations if o.is_sender and o.city_id is not None]
    recipients = [o for o in organisations if o.is_recipient and o.city_id is not None]
    routes = []
    for sender in senders:
        for recipient in recipients:
            origin, destination = cities[sender.city_id], cities[recipient.city_id]
            if origin.id != destination.id:
                routes.append(
                    Route(
                        origin,
                        destination,
                        sender.id,
                        recipient.id,
                        crosses_customs_border(origin, destination),
                    )
                )
    items = db.session.scalars(
        select(CatalogueItem)
        .where(CatalogueItem.active.is_(True), CatalogueItem.default_unit_value > 0)
        .order_by(CatalogueItem.id)
    ).all()
    per_category: dict[Category, int] = {}
    for item in items:
        per_category[item.category] = per_category.get(item.category, 0) + 1
    profiles = [_profile(item, base, per_category[item.category]) for item in items]
    donors = [Donor(o.id, PURCHASED_SHARE.get(o.kind, 0.5)) for o in organisations if o.is_donor]
    users = db.session.execute(
        select(User.id, User.role, User.organisation_id)
        .where(User.active.is_(True))
        .order_by(User.id)
    ).all()
    staff = next((u.id for u in users if u.role is Role.STAFF), None)
    admin = next((u.id for u in users if u.role is Role.ADMIN), None)
    partners: dict[int, int] = {}
    for user in users:
        if user.role is Role.PARTNER and user.organisation_id is not None:
            partners.setdefault(user.organisation_id, user.id)
    return ReferenceData(
        routes=routes,
        items=profiles,
        donors=donors,
        carrier_ids=[o.id for o in organisations if o.is_carrier],
        staff_user_id=staff or admin,
        partner_user_ids=partners,
    )


def _profile(item: CatalogueItem, base: str, items_in_category: int) -> ItemProfile:
    # An item priced in a currency we make no rates for is taken as priced in the base currency.
    currency = item.default_currency if item.default_currency in PLN_PER_UNIT else base
    unit_value = item.default_unit_value or Decimal(0)
    value_pln = float(unit_value) * PLN_PER_UNIT[currency]
    weight = CATEGORY_WEIGHTS.get(item.category, 2) / items_in_category
    if value_pln > EXPENSIVE_PLN:
        weight /= 10
    return ItemProfile(
        id=item.id,
        name=item.name_en,
        category=item.category,
        unit=item.unit,
        unit_value=unit_value,
        currency=currency,
        value_pln=value_pln,
        weight_kg=_unit_weight_kg(item, value_pln),
        weight=weight,
    )


def _unit_weight_kg(item: CatalogueItem, value_pln: float) -> float:
    """Gross kilograms per unit: from the unit, the net weight in the name, else the category."""
    if item.unit in UNIT_WEIGHT_KG:
        return UNIT_WEIGHT_KG[item.unit]
    if item.category is Category.ENERGY and value_pln > EXPENSIVE_PLN:
        return 1800.0  # a containerised generating set
    match = NET_WEIGHT.search(item.name_en)
    if match:
        amount = float(match[1].replace(",", "."))
        unit = match[2].lower()
        net = amount / 1000 if unit in ("g", "ml") else amount
        return net * PACKAGING
    return PIECE_WEIGHT_KG.get(item.category, 1.0)


# Exchange rates ------------------------------------------------------------------------------


def _rate_rows(rng: random.Random, first: date, last: date, base: str) -> list[dict]:
    """A rate per working day from `first` to `last` for each currency but the base.

    Each PLN rate wanders randomly between a floor and a ceiling; against another base it is
    divided by that base's PLN rate. Days that have a rate already keep it (the walk still steps,
    so the rest of the series is the same whatever exists).
    """
    currencies = [currency for currency in PLN_PER_UNIT if currency != base]
    existing = set(
        db.session.execute(
            select(ExchangeRate.currency, ExchangeRate.rate_date).where(
                ExchangeRate.currency.in_(currencies),
                ExchangeRate.rate_date.between(first, last),
            )
        ).all()
    )
    level = {currency: walk[0] for currency, walk in RATE_WALKS.items()}
    rows = []
    for day in _days(first, last):
        if day.weekday() >= 5:
            continue
        pln = {"PLN": Decimal(1)}
        for currency, (_start, floor, ceiling, step) in RATE_WALKS.items():
            value = level[currency] + rng.gauss(0, step)
            if not floor <= value <= ceiling:  # reflect off the bounds
                value = 2 * (floor if value < floor else ceiling) - value
            level[currency] = value
            pln[currency] = Decimal(f"{value:.4f}")
        for currency in currencies:
            if (currency, day) in existing:
                continue
            rate = (pln[currency] / pln[base]).quantize(RATE_QUANTUM)
            rows.append(
                {"currency": currency, "rate_date": day, "rate": rate, "source": "generated"}
            )
    return rows


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# Shipments -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    planned: date
    route_index: int
    sequence: int


class _Timeline:
    """The status events of one shipment, in order, each starting where the previous one left."""

    def __init__(self, staff_user_id: int | None, partner_user_id: int | None):
        self.staff_user_id = staff_user_id
        self.partner_user_id = partner_user_id or staff_user_id
        self.events: list[dict] = []
        self.current: dict[EventKind, str | None] = {
            EventKind.STATUS: None,
            EventKind.CUSTOMS: None,
        }
        self.last: datetime | None = None

    def add(
        self,
        kind: EventKind,
        to: str,
        at: tuple[date, int, int],
        location: str | None,
        note: str | None = None,
        *,
        by_recipient: bool = False,
    ) -> None:
        """Record a move to `to` at (day, hour, minute); never before the previous event."""
        day, hour, minute = at
        moment = datetime.combine(day, time(hour, minute), tzinfo=UTC)
        if self.last is not None and moment <= self.last:
            moment = self.last + timedelta(minutes=5)
        self.events.append(
            {
                "kind": kind,
                "from_status": self.current[kind],
                "to_status": str(to),
                "occurred_at": moment,
                "user_id": self.partner_user_id if by_recipient else self.staff_user_id,
                "location": location,
                "note": note,
            }
        )
        self.current[kind] = str(to)
        self.last = moment


class _ShipmentBuilder:
    """Draws shipments, their lines and their history from one random generator, in order."""

    def __init__(
        self, rng: random.Random, reference: ReferenceData, base: str, first: date, last: date
    ):
        self.rng = rng
        self.ref = reference
        self.base = base
        self.first = first
        self.last = last
        self.currencies = [base, *(c for c in PLN_PER_UNIT if c != base)]
        self.currency_weights = [BASE_CURRENCY_WEIGHT, *OTHER_CURRENCY_WEIGHTS]
        self.statuses = list(STATUS_WEIGHTS)
        self.status_weights = list(STATUS_WEIGHTS.values())

    def plans(self, count: int) -> list[_Plan]:
        """Planned departures (working days) and routes, numbered per route and year by date.

        Numbering continues after the highest sequence each route and year has already, as
        ``entry.create_shipment`` numbers a new shipment; the year is the planned departure's.
        """
        workdays = [day for day in _days(self.first, self.last) if day.weekday() < 5]
        routes = self.ref.routes
        drawn = sorted(
            (self.rng.choice(workdays), self.rng.randrange(len(routes))) for _ in range(count)
        )
        route_key = Shipment.origin_city_id, Shipment.destination_city_id, Shipment.reference_year
        highest = {
            (origin, destination, year): sequence
            for origin, destination, year, sequence in db.session.execute(
                select(*route_key, func.max(Shipment.sequence)).group_by(*route_key)
            )
        }
        plans = []
        for planned, route_index in drawn:
            route = routes[route_index]
            key = (route.origin.id, route.destination.id, planned.year)
            highest[key] = highest.get(key, 0) + 1
            plans.append(_Plan(planned, route_index, highest[key]))
        return plans

    def shipment(self, plan: _Plan, line_count: int) -> "_Built":
        """One shipment: header, lines and history, coherent with its final status."""
        rng, route = self.rng, self.ref.routes[plan.route_index]
        status = rng.choices(self.statuses, self.status_weights)[0]
        customs = C.NOT_REQUIRED
        if route.needs_customs:
            weights = CUSTOMS_WEIGHTS[status]
            customs = rng.choices(list(weights), list(weights.values()))[0]
        planned, year = plan.planned, plan.planned.year
        dispatched = None
        if status in LEFT_STATUSES:
            delay = rng.choice((0, 0, 0, 0, 1, 1, 2, 3))
            dispatched = min(planned + timedelta(days=delay), self.last)
        mode = TransportMode.RAIL if rng.random() < 0.08 else TransportMode.ROAD
        prepared = status is S.READY or dispatched is not None
        header = {
            "reference": format_reference(route.origin, route.destination, year, plan.sequence),
            "reference_year": year,
            "sequence": plan.sequence,
            "origin_city_id": route.origin.id,
            "destination_city_id": route.destination.id,
            "sender_id": route.sender_id,
            "recipient_id": route.recipient_id,
            "carrier_id": rng.choice(self.ref.carrier_ids) if self.ref.carrier_ids else None,
            "transport_mode": mode,
            "vehicle_registration": None,
            "driver_name": None,
            "cmr_number": None,
            "planned_departure": planned,
            "dispatch_date": dispatched,
            "delivery_date": None,
            "status": status,
            "customs_status": customs,
            "customs_declaration_number": None,
            "customs_declared_on": None,
            "customs_cleared_on": None,
            "border_crossing": None,
            "aid_recognition_code": None,
            "aid_recognition_code_issued_on": None,
            "distribution_report_due_on": None,
            "distribution_report_submitted_on": None,
            "notes": rng.choice(SHIPMENT_NOTES) if rng.random() < 0.05 else None,
            "created_by_id": self.ref.staff_user_id,
            "version": 1,
        }
        if prepared and mode is TransportMode.ROAD:
            plate = f"{route.origin.code[:2]} {rng.randint(1000, 9999)}{rng.choice(PLATE_LETTERS)}"
            header["vehicle_registration"] = plate
            header["driver_name"] = rng.choice(DRIVERS)
        if prepared:
            prefix = "CMR" if mode is TransportMode.ROAD else "CIM"
            header["cmr_number"] = f"{prefix}-{year}-{rng.randint(1, 9999):04d}"
        if prepared and route.needs_customs:
            crossings = ROAD_CROSSINGS if mode is TransportMode.ROAD else RAIL_CROSSINGS
            header["border_crossing"] = rng.choice(crossings)
            if route.destination.country == "UA":
                header["aid_recognition_code"] = f"GD-{year}-{rng.randint(1, 999999):06d}"
                issued = planned - timedelta(days=rng.randint(3, 12))
                header["aid_recognition_code_issued_on"] = issued

        timeline = _Timeline(
            self.ref.staff_user_id, self.ref.partner_user_ids.get(route.recipient_id)
        )
        self._history(timeline, header, route, status, customs)
        header["created_at"] = timeline.events[0]["occurred_at"]
        header["updated_at"] = timeline.last
        lines = self._lines(line_count, dispatched or planned, status, mode)
        return _Built(header, lines, timeline.events)

    def _history(
        self, timeline: _Timeline, header: dict, route: Route, status: S, customs: C
    ) -> None:
        """Replay the moves that led to `status` and `customs`, setting the dates they bring."""
        rng, add = self.rng, timeline.add
        origin, destination = route.origin.name, route.destination.name
        planned, dispatched = header["planned_departure"], header["dispatch_date"]
        created = planned - timedelta(days=rng.randint(5, 20))
        add(EventKind.STATUS, S.DRAFT, (created, 8, rng.randrange(60)), origin)
        if route.needs_customs:
            add(EventKind.CUSTOMS, C.DOCUMENTS_PENDING, (created, 8, 59), origin)
        if status is S.DRAFT:
            return
        ready_day = max(created, planned - timedelta(days=rng.randint(1, 3)))
        if status is S.CANCELLED:
            if rng.random() < 0.5:
                add(EventKind.STATUS, S.READY, (ready_day, 12, rng.randrange(60)), origin)
            cancelled = max(ready_day, planned - timedelta(days=rng.randint(0, 4)))
            reason = rng.choice(CANCEL_REASONS)
            add(EventKind.STATUS, S.CANCELLED, (cancelled, 14, rng.randrange(60)), origin, reason)
            return
        add(EventKind.STATUS, S.READY, (ready_day, 12, rng.randrange(60)), origin)
        if dispatched is None:
            return
        add(EventKind.STATUS, S.DISPATCHED, (dispatched, 7, rng.randrange(60)), origin)
        last_day = dispatched
        if customs not in (C.NOT_REQUIRED, C.DOCUMENTS_PENDING):
            last_day = self._customs(timeline, header, route, customs, dispatched)
        if status in DELIVERED_STATUSES:
            delivered = last_day + timedelta(days=rng.randint(1, 3))  # the road inland
            header["delivery_date"] = delivered
            add(EventKind.STATUS, S.DELIVERED, (delivered, 16, rng.randrange(60)), destination)
            if status is not S.DELIVERED:
                received = delivered + timedelta(days=rng.randint(0, 2))
                at = (received, 10, rng.randrange(60))
                add(EventKind.STATUS, status, at, destination, by_recipient=True)
                due = header["distribution_report_due_on"]
                if due is not None and rng.random() < 0.75:
                    cleared = header["customs_cleared_on"]
                    submitted = max(received, cleared + timedelta(days=rng.randint(20, 85)))
                    if submitted <= date.today():
                        header["distribution_report_submitted_on"] = submitted
        elif status is S.RETURNED:
            returned = last_day + timedelta(days=rng.randint(3, 10))
            at = (returned, 12, rng.randrange(60))
            add(EventKind.STATUS, S.RETURNED, at, origin, rng.choice(RETURN_REASONS))
        elif status is S.LOST:
            lost = last_day + timedelta(days=rng.randint(5, 20))
            add(
                EventKind.STATUS,
                S.LOST,
                (lost, 12, rng.randrange(60)),
                None,
                rng.choice(LOSS_REASONS),
            )

    def _customs(
        self, timeline: _Timeline, header: dict, route: Route, customs: C, dispatched: date
    ) -> date:
        """Customs moves at the border up to `customs`; returns the day of the last one."""
        rng, add, border = self.rng, timeline.add, header["border_crossing"]
        declared = dispatched + timedelta(days=rng.choice((0, 1, 1, 2)))
        year = declared.year % 100
        header["customs_declaration_number"] = f"{year:02d}PL3010{rng.choice(('20', '30'))}E" + (
            f"{rng.randint(1, 9999999):07d}"
        )
        header["customs_declared_on"] = declared
        add(EventKind.CUSTOMS, C.DECLARED, (declared, 9, rng.randrange(60)), border)
        inspected = customs in (C.UNDER_INSPECTION, C.REJECTED) or (
            customs in (C.HELD, C.CLEARED) and rng.random() < 0.3
        )
        if inspected:
            add(EventKind.CUSTOMS, C.UNDER_INSPECTION, (declared, 11, rng.randrange(60)), border)
        if customs is C.HELD:
            at = (declared, 13, rng.randrange(60))
            add(EventKind.CUSTOMS, C.HELD, at, border, rng.choice(HOLD_REASONS))
        elif customs is C.CLEARED:
            cleared = declared + timedelta(days=rng.choice((0, 0, 1, 2)))
            header["customs_cleared_on"] = cleared
            header["distribution_report_due_on"] = distribution_report_due(
                cleared, route.destination.country
            )
            add(EventKind.CUSTOMS, C.CLEARED, (cleared, 15, rng.randrange(60)), border)
            return cleared
        elif customs is C.REJECTED:
            rejected = declared + timedelta(days=rng.randint(1, 3))
            at = (rejected, 10, rng.randrange(60))
            add(EventKind.CUSTOMS, C.REJECTED, at, border, rng.choice(REJECT_REASONS))
            return rejected
        return declared

    def _lines(self, count: int, departure: date, status: S, mode: TransportMode) -> list[dict]:
        rng, donors = self.rng, self.ref.donors
        # A line takes its share of a lorry's or a wagon's load at most.
        load_kg = (WAGON_LOAD_KG if mode is TransportMode.RAIL else LORRY_LOAD_KG) / count
        main_donor = rng.choice(donors)
        one_donor = rng.random() < 0.75
        short = set()
        if status is S.RECEIVED_WITH_DISCREPANCY:
            short = set(rng.sample(range(count), k=min(count, rng.choice((1, 1, 1, 2, 3)))))
        received = status in (S.RECEIVED, S.RECEIVED_WITH_DISCREPANCY)
        rows = []
        for index, item in enumerate(self._pick_items(count)):
            donor = main_donor if one_donor or rng.random() < 0.7 else rng.choice(donors)
            funding = Funding.PURCHASED if rng.random() < donor.purchased_share else Funding.IN_KIND
            currency = item.currency
            if currency == self.base:
                currency = rng.choices(self.currencies, self.currency_weights)[0]
            price = float(item.unit_value) * PLN_PER_UNIT[item.currency] / PLN_PER_UNIT[currency]
            unit_value = max(Decimal("0.01"), Decimal(f"{price * rng.uniform(0.85, 1.2):.2f}"))
            target_pln = min(max(rng.lognormvariate(8.5, 0.7), 300.0), 60_000.0)  # ~5,000
            quantity = _round_quantity(min(target_pln / item.value_pln, load_kg / item.weight_kg))
            row = {
                "position": index + 1,
                "catalogue_item_id": item.id,
                "quantity": Decimal(quantity),
                "unit": item.unit,
                "unit_value": unit_value,
                "currency": currency,
                "donor_id": donor.id,
                "funding": funding,
                "lot": None,
                "expiry": None,
                "gross_weight_kg": _gross_weight(quantity * item.weight_kg),
                "received_quantity": None,
                "condition": None,
                "receipt_note": None,
            }
            if item.category.needs_lot_and_expiry:
                initials = "".join(word[0] for word in re.findall(r"[A-Za-z]+", item.name)[:3])
                number = rng.randint(10, 999)
                row["lot"] = f"{initials.upper() or 'LOT'}-{departure:%y%m}-{number}"
                row["expiry"] = _end_of_month_after(departure, rng.randint(12, 48))
            if received:
                row.update(self._receipt(quantity, short=index in short))
            rows.append(row)
        return rows

    def _receipt(self, quantity: int, *, short: bool) -> dict:
        """What the recipient confirmed of a line: all of it in good condition, unless `short`."""
        rng = self.rng
        if not short:
            return {"received_quantity": Decimal(quantity), "condition": LineCondition.GOOD}
        if rng.random() < 0.3:
            return {
                "received_quantity": Decimal(0),
                "condition": LineCondition.MISSING,
                "receipt_note": rng.choice(MISSING_NOTES),
            }
        damaged = max(1, round(quantity * rng.uniform(0.01, 0.1))) if quantity > 1 else 0
        return {
            "received_quantity": Decimal(quantity - damaged),
            "condition": LineCondition.DAMAGED,
            "receipt_note": rng.choice(DAMAGE_NOTES),
        }

    def _pick_items(self, count: int) -> list[ItemProfile]:
        """`count` items, different ones while the catalogue has enough, favouring heavy weights.

        A weighted sample without replacement (Efraimidis and Spirakis): each item draws
        ``u ** (1 / weight)`` and the largest draws win.
        """
        items, rng = self.ref.items, self.rng
        keys = [rng.random() ** (1 / item.weight) for item in items]
        ranked = [
            item for _key, item in sorted(zip(keys, items, strict=True), key=_first, reverse=True)
        ]
        picked = ranked[:count]
        if count > len(items):
            picked += rng.choices(items, [item.weight for item in items], k=count - len(items))
        return picked


def _first(pair: tuple) -> float:
    return pair[0]


def _round_quantity(quantity: float) -> int:
    """A quantity as people order it: 2,350 rather than 2,347; at least one."""
    for step, above in ((500, 10_000), (100, 2_000), (50, 1_000), (10, 200)):
        if quantity >= above:
            return round(quantity / step) * step
    return max(1, round(quantity))


def _gross_weight(kilograms: float) -> Decimal:
    """Weighed to the kilogram, or to 100 g below 100 kg; never zero."""
    if kilograms >= 100:
        return Decimal(round(kilograms))
    return max(Decimal("0.1"), Decimal(f"{kilograms:.1f}"))


def _end_of_month_after(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


# The command ---------------------------------------------------------------------------------


class YearSpan(click.ParamType):
    """A year (2023) or a span of years (2022-2024), as (first, last)."""

    name = "YEARS"

    def convert(self, value, param, ctx) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", str(value))
        if match is None:
            self.fail(f"'{value}' is not a year or a span of years such as 2022-2024", param, ctx)
        first, last = int(match[1]), int(match[2] or match[1])
        if first > last:
            self.fail(f"'{value}': the first year comes after the last", param, ctx)
        this_year = date.today().year
        if first < EARLIEST_YEAR or last > this_year:
            self.fail(f"'{value}': choose years from {EARLIEST_YEAR} to {this_year}", param, ctx)
        return first, last


@click.command("generate-data")
@with_appcontext
@click.option(
    "--shipments",
    required=True,
    type=click.IntRange(1, 1_000_000),
    help="How many shipments to add.",
)
@click.option(
    "--lines-per-shipment",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Lines in each shipment.",
)
@click.option(
    "--seed",
    default=1,
    show_default=True,
    type=int,
    help="The same seed on the same database gives the same data.",
)
@click.option(
    "--years",
    default=DEFAULT_YEARS,
    show_default=True,
    type=YearSpan(),
    help="Planned departures fall in these years: 2023, or a span such as 2022-2024.",
)
def generate_data_command(
    shipments: int, lines_per_shipment: int, seed: int, years: tuple[int, int]
) -> None:
    """Fill the database with realistic random shipments, for load and export benchmarks.

    An empty database gets the demo data first (its users included), to draw cities,
    organisations and catalogue items from. Never run it on a database in real use.
    """
    started = timer.perf_counter()
    try:
        report = generate_data(
            shipments=shipments, lines_per_shipment=lines_per_shipment, seed=seed, years=years
        )
    except GenerationError as error:
        raise click.ClickException(str(error)) from None
    elapsed = timer.perf_counter() - started
    if report.demo_loaded:
        summary = ", ".join(f"{number} {kind}" for kind, number in report.demo_loaded.items())
        click.echo(f"Loaded the demo data first: {summary}.")
    click.echo(
        f"Generated {report.shipments} shipments with {report.lines} lines "
        f"(seed {seed}) in {elapsed:.1f} s."
    )
    if report.rates:
        currencies = ", ".join(report.rate_currencies)
        click.echo(f"Added {report.rates} exchange rates ({currencies}) for the working days.")
