"""The figures of the dashboards, computed in SQL within the user's scope.

Counts of shipments use the shipment list's own filters (``count_statement``), so a number on the
dashboard and the list its link opens always agree. Values are summed by the database: lines in the
base currency as they are, lines in other currencies through a small table of factors, one per
currency and valuation day, taken from the RateBook. Each line is rounded to the cent after
conversion, as the register rounds it, so a dashboard total is the register's total for the same
period. Python only sees groups (a few per month, category, destination and donor), never lines.

"Today" is a parameter everywhere: the view passes the installation's day (or the ``TODAY``
setting, which tests and demonstrations use to look at the data from a fixed day).
"""

import calendar
import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Numeric,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    extract,
    func,
    literal,
    or_,
    select,
    text,
    type_coerce,
)

from aidtracker.auth.models import Role, User
from aidtracker.auth.permissions import (
    valued_lines_clause,
    visible_lines_clause,
    visible_shipments_clause,
)
from aidtracker.catalogue.models import CatalogueItem, Category
from aidtracker.extensions import db
from aidtracker.money.models import ExchangeRate
from aidtracker.money.rates import MissingRate, RateBook
from aidtracker.money.service import base_currency, rate_book, rate_rule
from aidtracker.parties.models import City, Organisation
from aidtracker.reports.scope import DISPATCHED_OR_LATER, valuation_date
from aidtracker.shipments import lifecycle
from aidtracker.shipments.models import CustomsStatus, Shipment, ShipmentLine, ShipmentStatus
from aidtracker.shipments.queries import ShipmentFilters, count_statement

INSPECTION_DAYS = 3
"""Under inspection for longer than this, a shipment needs someone to call the border."""
CONFIRMATION_DAYS = 7
"""Delivered and not confirmed for longer than this, the recipient needs a reminder."""
RECENT_DAYS = 30
""""Recently received" looks this far back."""
LAPSE_WARNING_DAYS = lifecycle.REPORT_DUE_SOON_DAYS
"""Recognition codes and declarations that lapse within this many days are shown, as reports
due within as many days are."""
EXPIRY_AMBER_MONTHS = 9
EXPIRY_RED_MONTHS = 3
ROWS_SHOWN = 10
"""Rows of a dashboard table; the total says how many more there are."""

ON_THE_WAY = (
    ShipmentStatus.DRAFT,
    ShipmentStatus.READY,
    ShipmentStatus.DISPATCHED,
    ShipmentStatus.DELIVERED,
)
"""Shipments whose goods have not reached the recipient's hands yet: expiry still matters."""
INCOMING = (ShipmentStatus.READY, ShipmentStatus.DISPATCHED, ShipmentStatus.DELIVERED)
OPEN_CUSTOMS = tuple(CustomsStatus(status) for status in sorted(lifecycle.OPEN_CUSTOMS_STATUSES))
BEFORE_DELIVERY = (ShipmentStatus.DRAFT, ShipmentStatus.READY, ShipmentStatus.DISPATCHED)
MEDICAL = tuple(category for category in Category if category.needs_lot_and_expiry)

OPERATIONS = "operations"
FINANCE = "finance"
PARTNER = "partner"
SECTIONS = {
    Role.ADMIN: (OPERATIONS, FINANCE),
    Role.STAFF: (OPERATIONS,),
    Role.ACCOUNTANT: (FINANCE,),
    Role.PARTNER: (PARTNER,),
}
"""What each role's dashboard answers first: the day's work, the money, or a partner's own."""

Row = TypeVar("Row")


# Dates -----------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), on the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_start(day: date) -> date:
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def year_start(day: date) -> date:
    return date(day.year, 1, 1)


# Counts linked to the shipment list ------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """How many shipments match `filters`: a figure with the filtered list behind it."""

    key: str
    filters: ShipmentFilters
    count: int = 0

    @property
    def list_arguments(self) -> dict[str, str]:
        return list_arguments(self.filters)


def list_arguments(filters: ShipmentFilters) -> dict[str, str]:
    """`filters` as the shipment list's URL parameters (the names of ShipmentFilterForm)."""
    renamed = {"text": "q", "destination_city_id": "destination"}
    arguments = {}
    for field_ in dataclasses.fields(filters):
        value = getattr(filters, field_.name)
        if field_.name == "sort" or value in (None, ""):
            continue
        name = renamed.get(field_.name, field_.name)
        arguments[name] = value.isoformat() if isinstance(value, date) else str(value)
    return arguments


def needs_action(today: date) -> list[Tally]:
    """Shipments someone in the city office should act on now."""
    dispatched = ShipmentStatus.DISPATCHED.value
    return [
        Tally("ready", ShipmentFilters(status=ShipmentStatus.READY.value)),
        Tally("held", ShipmentFilters(status=dispatched, customs_status=CustomsStatus.HELD.value)),
        Tally(
            "inspection",
            ShipmentFilters(
                status=dispatched,
                customs_status=CustomsStatus.UNDER_INSPECTION.value,
                changed_to=today - timedelta(days=INSPECTION_DAYS + 1),
            ),
        ),
        Tally(
            "unconfirmed",
            ShipmentFilters(
                status=ShipmentStatus.DELIVERED.value,
                changed_to=today - timedelta(days=CONFIRMATION_DAYS + 1),
            ),
        ),
        Tally(
            "discrepancies",
            ShipmentFilters(
                status=ShipmentStatus.RECEIVED_WITH_DISCREPANCY.value,
                changed_from=today - timedelta(days=RECENT_DAYS),
            ),
        ),
    ]


def on_the_way(today: date) -> list[Tally]:
    return [
        Tally("in_transit", ShipmentFilters(status=ShipmentStatus.DISPATCHED.value)),
        Tally("delivered", ShipmentFilters(status=ShipmentStatus.DELIVERED.value)),
    ]


def recently_received(today: date) -> list[Tally]:
    since = today - timedelta(days=RECENT_DAYS)
    return [
        Tally(
            "received", ShipmentFilters(status=ShipmentStatus.RECEIVED.value, changed_from=since)
        ),
        Tally(
            "received_with_discrepancy",
            ShipmentFilters(
                status=ShipmentStatus.RECEIVED_WITH_DISCREPANCY.value, changed_from=since
            ),
        ),
    ]


def waiting_for_partner(today: date) -> list[Tally]:
    """What a partner's organisation is expected to do: confirm receipt, help clear customs."""
    return [
        Tally("confirm_receipt", ShipmentFilters(status=ShipmentStatus.DELIVERED.value)),
        Tally(
            "held",
            ShipmentFilters(
                status=ShipmentStatus.DISPATCHED.value, customs_status=CustomsStatus.HELD.value
            ),
        ),
        Tally("in_transit", ShipmentFilters(status=ShipmentStatus.DISPATCHED.value)),
    ]


def count_tallies(user: User, tallies: Sequence[Tally]) -> list[Tally]:
    """Fill in the counts, all in one statement, with the list's rules and the user's scope."""
    if not tallies:
        return []
    counts = db.session.execute(
        select(
            *(
                count_statement(user, tally.filters).scalar_subquery().label(f"count_{index}")
                for index, tally in enumerate(tallies)
            )
        )
    ).one()
    return [
        dataclasses.replace(tally, count=count or 0)
        for tally, count in zip(tallies, counts, strict=True)
    ]


def shipments_by_status(user: User) -> dict[ShipmentStatus, int]:
    """How many shipments the user may see stand in each status, in the lifecycle's order."""
    counts = dict(
        db.session.execute(
            select(Shipment.status, func.count(Shipment.id))
            .where(visible_shipments_clause(user))
            .group_by(Shipment.status)
        ).all()
    )
    return {status: counts[status] for status in ShipmentStatus if counts.get(status)}


# Tables of the few most urgent rows ------------------------------------------------------------


@dataclass(frozen=True)
class Listing(Generic[Row]):
    """The first rows of a longer list, and how long it is."""

    rows: list[Row] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


@dataclass(frozen=True)
class Deadline:
    """A date by which something must be done about a shipment."""

    kind: str
    """``report`` (distribution report), ``recognition_code`` or ``declaration``."""
    reference: str
    destination: str
    due_on: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class Deadlines:
    rows: list[Deadline]
    """The most urgent first (lapsed and overdue ones before those still to come)."""
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


def deadlines(user: User, today: date) -> Deadlines:
    """Distribution reports due within 14 days or overdue, and recognition codes (90 days) and
    declarations (30 days) that lapse within 14 days, or did, before customs cleared the goods.

    Three small statements, each returning its first rows and its total (a window count)."""
    destination = City.name.label("destination")
    total = func.count().over().label("total")
    reports = db.session.execute(
        select(Shipment.reference, destination, Shipment.distribution_report_due_on, total)
        .join(City, City.id == Shipment.destination_city_id)
        .where(
            visible_shipments_clause(user),
            Shipment.distribution_report_submitted_on.is_(None),
            Shipment.distribution_report_due_on <= today + timedelta(days=LAPSE_WARNING_DAYS),
            Shipment.status.not_in((ShipmentStatus.RETURNED, ShipmentStatus.LOST)),
        )
        .order_by(Shipment.distribution_report_due_on, Shipment.reference)
        .limit(ROWS_SHOWN)
    ).all()
    customs_open = (
        visible_shipments_clause(user),
        Shipment.customs_status.in_(OPEN_CUSTOMS),
        Shipment.status.in_(BEFORE_DELIVERY),
    )

    def lapsing(issued, valid_days: int) -> list:
        last_safe_issue = today + timedelta(days=LAPSE_WARNING_DAYS - valid_days)
        return db.session.execute(
            select(Shipment.reference, destination, issued, total)
            .join(City, City.id == Shipment.destination_city_id)
            .where(*customs_open, issued <= last_safe_issue)
            .order_by(issued, Shipment.reference)
            .limit(ROWS_SHOWN)
        ).all()

    codes = lapsing(Shipment.aid_recognition_code_issued_on, lifecycle.RECOGNITION_CODE_VALID_DAYS)
    declarations = lapsing(Shipment.customs_declared_on, lifecycle.DECLARATION_VALID_DAYS)
    rows = []
    for kind, found, until in (
        ("report", reports, lambda day: day),
        ("recognition_code", codes, lifecycle.recognition_code_valid_until),
        ("declaration", declarations, lifecycle.declaration_valid_until),
    ):
        for reference, place, day, _total in found:
            due_on = until(day)
            rows.append(Deadline(kind, reference, place, due_on, (due_on - today).days))
    rows.sort(key=lambda row: (row.due_on, row.reference, row.kind))
    return Deadlines(
        rows=rows[:ROWS_SHOWN],
        counts={
            "report": reports[0].total if reports else 0,
            "recognition_code": codes[0].total if codes else 0,
            "declaration": declarations[0].total if declarations else 0,
        },
    )


def expiry_level(expiry: date | None, today: date) -> str | None:
    """``red`` under 3 months from today (or past), ``amber`` under 9 months, else None."""
    if expiry is None:
        return None
    if expiry < add_months(today, EXPIRY_RED_MONTHS):
        return "red"
    if expiry < add_months(today, EXPIRY_AMBER_MONTHS):
        return "amber"
    return None


@dataclass(frozen=True)
class ExpiringLine:
    reference: str
    status: ShipmentStatus
    item: str
    lot: str | None
    expiry: date
    level: str
    """``red`` or ``amber`` (``expiry_level``)."""
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def expiring_lines(user: User, today: date, language: str) -> tuple[Listing[ExpiringLine], int]:
    """Medical lines of shipments still on their way whose expiry is near, soonest first; and
    how many of them are red (under 3 months)."""
    red_before = add_months(today, EXPIRY_RED_MONTHS)
    # Materialised first, so that the database joins the few expiring lines to the shipments on
    # their way in one pass rather than walking the expiry index line by line.
    expiring = (
        select(
            Shipment.reference,
            Shipment.status,
            CatalogueItem.name_en,
            CatalogueItem.name_pl,
            CatalogueItem.name_uk,
            ShipmentLine.lot,
            ShipmentLine.expiry,
            ShipmentLine.position,
        )
        .select_from(ShipmentLine)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(CatalogueItem, CatalogueItem.id == ShipmentLine.catalogue_item_id)
        .where(
            visible_lines_clause(user),
            Shipment.status.in_(ON_THE_WAY),
            CatalogueItem.category.in_(MEDICAL),
            ShipmentLine.expiry < add_months(today, EXPIRY_AMBER_MONTHS),
        )
        .cte("expiring")
        .prefix_with("MATERIALIZED")
    )
    rows = db.session.execute(
        select(
            expiring,
            func.count().over().label("total"),
            func.sum(case((expiring.c.expiry < red_before, 1), else_=0)).over().label("red"),
        )
        .order_by(expiring.c.expiry, expiring.c.reference, expiring.c.position)
        .limit(ROWS_SHOWN)
    ).all()
    lines = [
        ExpiringLine(
            reference=row.reference,
            status=row.status,
            item={"pl": row.name_pl, "uk": row.name_uk}.get(language) or row.name_en,
            lot=row.lot,
            expiry=row.expiry,
            level=expiry_level(row.expiry, today) or "amber",
            days_left=(row.expiry - today).days,
        )
        for row in rows
    ]
    total = rows[0].total if rows else 0
    red = int(rows[0].red or 0) if rows else 0
    return Listing(lines, total), red


@dataclass(frozen=True)
class IncomingShipment:
    reference: str
    origin: str
    status: ShipmentStatus
    customs_status: CustomsStatus
    dispatch_date: date | None
    planned_departure: date | None


def incoming_shipments(user: User) -> Listing[IncomingShipment]:
    """Shipments coming to the user's organisation: ready, on the road, or delivered."""
    return _party_shipments(user, Shipment.recipient_id, Shipment.origin_city_id)


def outgoing_shipments(user: User) -> Listing[IncomingShipment]:
    """Shipments the user's organisation sends, from ready to delivered; `origin` then names
    where they go."""
    return _party_shipments(user, Shipment.sender_id, Shipment.destination_city_id)


def _party_shipments(user: User, party, other_city) -> Listing[IncomingShipment]:
    if user.organisation_id is None:
        return Listing()
    departure = func.coalesce(Shipment.dispatch_date, Shipment.planned_departure)
    rows = db.session.execute(
        select(
            Shipment.reference,
            City.name,
            Shipment.status,
            Shipment.customs_status,
            Shipment.dispatch_date,
            Shipment.planned_departure,
            func.count().over(),
        )
        .join(City, City.id == other_city)
        .where(
            visible_shipments_clause(user),
            party == user.organisation_id,
            Shipment.status.in_(INCOMING),
        )
        .order_by(departure.desc().nulls_last(), Shipment.reference.desc())
        .limit(ROWS_SHOWN)
    ).all()
    return Listing([IncomingShipment(*row[:6]) for row in rows], rows[0][6] if rows else 0)


# Values in the base currency -----------------------------------------------------------------


def _lines(statement: Select) -> Select:
    return (
        statement.select_from(ShipmentLine)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(CatalogueItem, CatalogueItem.id == ShipmentLine.catalogue_item_id)
    )


def rates_for_span(first: date, last: date) -> tuple[RateBook, set[str]]:
    """A RateBook with the rates that can apply from `first` to `last`: those published in the
    span and, for each currency, the last one before it (every rule looks back from the day), so
    a long history of rates is not read to value one year; and the currencies it knows."""
    latest_before = (
        select(ExchangeRate.currency, func.max(ExchangeRate.rate_date).label("rate_date"))
        .where(ExchangeRate.rate_date < first)
        .group_by(ExchangeRate.currency)
        .subquery()
    )
    columns = (ExchangeRate.currency, ExchangeRate.rate_date, ExchangeRate.rate)
    in_span = select(*columns).where(ExchangeRate.rate_date.between(first, last))
    before = select(*columns).join(
        latest_before,
        and_(
            latest_before.c.currency == ExchangeRate.currency,
            latest_before.c.rate_date == ExchangeRate.rate_date,
        ),
    )
    rows = db.session.execute(in_span.union_all(before)).all()
    return RateBook(base_currency(), rows, rule=rate_rule()), {row.currency for row in rows}


def conversion_factors(first: date, last: date) -> tuple[list[tuple[str, date, Decimal]], str]:
    """Units of the base currency per unit of each currency with rates, for every day from
    `first` to `last`, as the RateBook applies them (days it has no rate for are left out)."""
    book, currencies = rates_for_span(first, last)
    base = book.base
    factors = []
    for currency in sorted(currencies - {base}):
        day = first
        while day <= last:
            try:
                source, target = book.rate(currency, day), book.rate(base, day)
            except MissingRate:
                pass
            else:
                factors.append((currency, day, source.rate / target.rate))
            day += timedelta(days=1)
    return factors, base


@dataclass(frozen=True)
class FactorLookup:
    """How a statement finds each line's factor: `factor` is its expression (NULL when the
    RateBook has none), `table` the table to join for it, if any."""

    factor: ColumnElement
    table: object | None = None


def _factor_lookup(factors: Sequence[tuple[str, date, Decimal]], day) -> FactorLookup:
    """The factors, sent as one JSON parameter: the statement's text stays the same whatever
    their number, so it is compiled once and never meets a parameter limit.

    PostgreSQL reads them as a table and hash-joins it to the lines. SQLite cannot hash a join,
    and would scan the factors once per line; it looks each line's factor up by key in the JSON
    instead (it parses the parameter once per statement).
    """
    if db.engine.dialect.name == "postgresql":
        payload = json.dumps(
            [{"currency": c, "day": d.isoformat(), "factor": str(f)} for c, d, f in factors]
        )
        table = (
            text(
                "SELECT currency, day, factor FROM json_to_recordset(CAST(:factors AS json)) "
                "AS f(currency varchar(3), day date, factor numeric)"
            )
            .bindparams(factors=payload)
            .columns(column("currency", String(3)), column("day", Date), column("factor", Numeric))
            .subquery("factors")
        )
        return FactorLookup(table.c.factor, table)
    payload = json.dumps({f"{c}|{d.isoformat()}": str(f) for c, d, f in factors})
    key = literal('$."') + ShipmentLine.currency + "|" + cast(day, String) + '"'
    found = func.json_extract(bindparam("factors", payload, type_=String), key)
    return FactorLookup(cast(found, Float))


def converted_sums(
    dimensions: Sequence[ColumnElement],
    conditions: Sequence[ColumnElement],
    first: date,
    last: date,
) -> tuple[dict[tuple, Decimal], list[MissingRate]]:
    """The value of the lines meeting `conditions` (valued from `first` to `last`), in the base
    currency, grouped by `dimensions`; and the (currency, day) pairs without a rate, whose lines
    are left out.

    One statement reads the lines once: each is converted and rounded to the cent in SQL
    (``round(quantity × unit value × factor, 2)``, as the register rounds), with the factor of its
    currency on its valuation day that the RateBook chose. Raises nothing: a missing rate is
    reported, not fatal.
    """
    factors, base = conversion_factors(first, last)
    day = valuation_date()
    lookup = _factor_lookup(factors, day)
    if db.engine.dialect.name == "postgresql":
        # A year has tens of thousands of lines but a few hundred groups; with the default 4 MB
        # the planner, unable to foresee that, sorts on disk instead of hashing in memory.
        db.session.execute(text("SET LOCAL work_mem = '32MB'"))
    joined = _lines(select())  # the lines, with their factor (none in the base currency)
    if lookup.table is not None:
        joined = joined.outerjoin(
            lookup.table,
            and_(lookup.table.c.currency == ShipmentLine.currency, lookup.table.c.day == day),
        )
    unpriced = and_(ShipmentLine.currency != base, lookup.factor.is_(None))
    amount = ShipmentLine.quantity * ShipmentLine.unit_value
    line_value = case(
        (ShipmentLine.currency == base, func.round(amount, 2)),
        else_=func.round(amount * lookup.factor, 2),
    )
    value = type_coerce(func.sum(line_value), Numeric(18, 2))
    rows = db.session.execute(
        joined.add_columns(*dimensions, value, func.sum(case((unpriced, 1), else_=0)))
        .where(*conditions)
        .group_by(*dimensions)
    ).all()
    sums: dict[tuple, Decimal] = {}
    left_out = 0
    for *key, total, without_rate in rows:
        left_out += int(without_rate or 0)
        if total is not None:
            sums[tuple(key)] = Decimal(total)
    missing: list[MissingRate] = []
    if left_out:
        pairs = db.session.execute(
            joined.add_columns(ShipmentLine.currency, day).where(*conditions, unpriced).distinct()
        ).all()
        missing = sorted(
            (MissingRate(currency, on) for currency, on in pairs),
            key=lambda problem: (problem.currency, problem.on),
        )
    return sums, missing


@dataclass(frozen=True)
class ValueCube:
    """The value shipped in a span, in the base currency, by month, category, destination and
    donor: every figure of the charts and the accountant's tables is a sum of its cells."""

    currency: str
    first: date
    last: date
    cells: dict[tuple[date, Category, int, int | None], Decimal]
    destinations: dict[int, str]
    donors: dict[int, str]
    missing: list[MissingRate]

    def _within(self, first: date | None, last: date | None):
        first, last = first or self.first, last or self.last
        return (
            (key, value) for key, value in self.cells.items() if first <= key[0] <= last and value
        )

    def total(self, first: date | None = None, last: date | None = None) -> Decimal:
        return sum((value for _key, value in self._within(first, last)), Decimal("0.00"))

    def _by(self, index: int, first: date | None, last: date | None) -> dict:
        sums: dict = {}
        for key, value in self._within(first, last):
            sums[key[index]] = sums.get(key[index], Decimal("0.00")) + value
        return sums

    def by_category(self, first: date | None = None, last: date | None = None):
        sums = self._by(1, first, last)
        return {category: sums[category] for category in Category if category in sums}

    def by_destination(self, first: date | None = None, last: date | None = None):
        return _largest_first(self._by(2, first, last))

    def by_donor(self, first: date | None = None, last: date | None = None):
        return _largest_first(self._by(3, first, last))

    def by_month_and_category(self) -> dict[date, dict[Category, Decimal]]:
        """Every month of the span (empty ones too), each with its value per category."""
        months: dict[date, dict[Category, Decimal]] = {}
        month = month_start(self.first)
        while month <= self.last:
            months[month] = {}
            month = add_months(month, 1)
        for (month, category, _destination, _donor), value in self._within(None, None):
            per_category = months.setdefault(month, {})
            per_category[category] = per_category.get(category, Decimal("0.00")) + value
        return months

    def destination_name(self, city_id: int) -> str:
        return self.destinations.get(city_id, "—")

    def donor_name(self, organisation_id: int | None) -> str | None:
        return self.donors.get(organisation_id) if organisation_id is not None else None


def _largest_first(sums: dict) -> dict:
    return dict(sorted(sums.items(), key=lambda item: (-item[1], str(item[0]))))


def value_cube(user: User, first: date, last: date) -> ValueCube:
    """The value dispatched from `first` to `last` (by dispatch date, dispatched or later, as the
    register counts it) that `user` may see, in the base currency."""
    month_of = (extract("year", Shipment.dispatch_date), extract("month", Shipment.dispatch_date))
    sums, missing = converted_sums(
        (*month_of, CatalogueItem.category, Shipment.destination_city_id, ShipmentLine.donor_id),
        (
            valued_lines_clause(user),
            Shipment.status.in_(DISPATCHED_OR_LATER),
            Shipment.dispatch_date >= first,
            Shipment.dispatch_date <= last,
        ),
        first,
        last,
    )
    cells = {
        (date(int(year), int(month), 1), Category(category), destination, donor): value
        for (year, month, category, destination, donor), value in sums.items()
    }
    city_ids = {key[2] for key in cells}
    donor_ids = {key[3] for key in cells if key[3] is not None}
    destinations = (
        {
            city_id: f"{name} ({country})"
            for city_id, name, country in db.session.execute(
                select(City.id, City.name, City.country).where(City.id.in_(city_ids))
            )
        }
        if city_ids
        else {}
    )
    donors = (
        dict(
            db.session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(donor_ids))
            ).all()
        )
        if donor_ids
        else {}
    )
    return ValueCube(base_currency(), first, last, cells, destinations, donors, missing)


def years_with_shipments(user: User) -> list[int]:
    """The years from the first dispatch the user may see to the last, oldest first (read from
    the index on the dispatch date, not from every shipment)."""
    first, last = db.session.execute(
        select(func.min(Shipment.dispatch_date), func.max(Shipment.dispatch_date)).where(
            visible_shipments_clause(user), Shipment.status.in_(DISPATCHED_OR_LATER)
        )
    ).one()
    if first is None:
        return []
    return list(range(first.year, last.year + 1))


@dataclass(frozen=True)
class MissingRates:
    """Days on which lines in `currency` have no rate: each stops an export of its period."""

    currency: str
    days: int
    first: date
    last: date


def missing_export_rates(user: User) -> list[MissingRates]:
    """The rates that exports of dispatched shipments will ask for and not find, per currency.

    Every rule looks back in time for a rate, so a line can lack one only in a currency that has
    no rate at all, or on a day up to its currency's first rate: only those lines are read (the
    second through the index on dispatch dates), and the RateBook decides which of their days
    really have none.
    """
    base = base_currency()
    first_rates = dict(
        db.session.execute(
            select(ExchangeRate.currency, func.min(ExchangeRate.rate_date))
            .where(ExchangeRate.currency != base)
            .group_by(ExchangeRate.currency)
        ).all()
    )
    day = valuation_date()
    scope = (visible_lines_clause(user), Shipment.status.in_(DISPATCHED_OR_LATER))
    unrated = set(
        db.session.scalars(
            select(ShipmentLine.currency)
            .where(ShipmentLine.currency.not_in([base, *first_rates]))
            .distinct()
        )
    )
    candidates: list = []
    if unrated:
        candidates += db.session.execute(
            _lines(select(ShipmentLine.currency, day))
            .where(*scope, ShipmentLine.currency.in_(unrated))
            .distinct()
        ).all()
    if first_rates:
        candidates += db.session.execute(
            _lines(select(ShipmentLine.currency, day))
            .where(
                *scope,
                Shipment.dispatch_date <= max(first_rates.values()),
                or_(
                    *(
                        and_(ShipmentLine.currency == currency, day <= first)
                        for currency, first in first_rates.items()
                    )
                ),
            )
            .distinct()
        ).all()
    pairs = [(currency, day) for currency, day in candidates if day is not None]
    missing = rate_book({currency for currency, _day in pairs}).missing(pairs) if pairs else []
    per_currency: dict[str, list[date]] = {}
    for problem in missing:
        per_currency.setdefault(problem.currency, []).append(problem.on)
    return [
        MissingRates(currency, len(days), min(days), max(days))
        for currency, days in sorted(per_currency.items())
    ]


# The partnerships page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AidSent:
    """What went from a city to its partner city: dispatched shipments and their value."""

    currency: str
    shipments: int = 0
    value: Decimal = Decimal("0.00")
    incomplete: bool = False
    """Some lines have no exchange rate and are left out of the value."""


def aid_sent(user: User, routes: Iterable[tuple[int, int]]) -> dict[tuple[int, int], AidSent]:
    """For each (origin city, destination city): the shipments dispatched so far (dispatched or
    later, as the register counts them) and their value in the base currency."""
    routes = set(routes)
    if not routes:
        return {}
    origins = {origin for origin, _destination in routes}
    destinations = {destination for _origin, destination in routes}
    on_routes = (
        Shipment.status.in_(DISPATCHED_OR_LATER),
        Shipment.dispatch_date.is_not(None),
        Shipment.origin_city_id.in_(origins),
        Shipment.destination_city_id.in_(destinations),
    )
    counts = {
        (origin, destination): count
        for origin, destination, count in db.session.execute(
            select(Shipment.origin_city_id, Shipment.destination_city_id, func.count(Shipment.id))
            .where(visible_shipments_clause(user), *on_routes)
            .group_by(Shipment.origin_city_id, Shipment.destination_city_id)
        )
    }
    first, last = db.session.execute(
        select(func.min(Shipment.dispatch_date), func.max(Shipment.dispatch_date)).where(*on_routes)
    ).one()
    sums, missing = (
        converted_sums(
            (Shipment.origin_city_id, Shipment.destination_city_id),
            (valued_lines_clause(user), *on_routes),
            first,
            last,
        )
        if first is not None
        else ({}, [])
    )
    currency = base_currency()
    return {
        route: AidSent(
            currency,
            counts.get(route, 0),
            sums.get(route, Decimal("0.00")),
            bool(missing) and counts.get(route, 0) > 0,
        )
        for route in routes
    }


# The dashboard as a whole --------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    """``month``, ``quarter`` or ``year``."""
    first: date
    last: date


@dataclass
class Dashboard:
    """Everything one user's dashboard shows, for one day."""

    today: date
    sections: tuple[str, ...]
    status_counts: dict[ShipmentStatus, int]
    years: list[int]
    chart_year: int
    charts: ValueCube
    needs_action: list[Tally] = field(default_factory=list)
    on_the_way: list[Tally] = field(default_factory=list)
    recently_received: list[Tally] = field(default_factory=list)
    waiting: list[Tally] = field(default_factory=list)
    incoming: Listing[IncomingShipment] = field(default_factory=Listing)
    outgoing: Listing[IncomingShipment] = field(default_factory=Listing)
    deadlines: Deadlines | None = None
    expiring: Listing[ExpiringLine] = field(default_factory=Listing)
    expiring_red: int = 0
    periods: list[Period] = field(default_factory=list)
    finance: ValueCube | None = None
    missing_rates: list[MissingRates] = field(default_factory=list)

    def shows(self, section: str) -> bool:
        return section in self.sections


def periods(today: date) -> list[Period]:
    """This month, this quarter and this year, up to the end of each."""
    return [
        Period("month", month_start(today), add_months(month_start(today), 1) - timedelta(1)),
        Period("quarter", quarter_start(today), add_months(quarter_start(today), 3) - timedelta(1)),
        Period("year", year_start(today), date(today.year, 12, 31)),
    ]


def chosen_year(asked: int | None, years: list[int], today: date) -> int:
    """The year the charts show: the one asked for if it has shipments, else this year if it
    has, else the latest that has (a fresh installation shows this year, empty)."""
    if asked in years:
        return asked
    if today.year in years or not years:
        return today.year
    return years[-1]


def dashboard_for(user: User, *, today: date, language: str, year: int | None = None) -> Dashboard:
    """The dashboard of `user`'s role, seen on `today`, with the charts of `year`."""
    sections = SECTIONS[user.role]
    years = years_with_shipments(user)
    chart_year = chosen_year(year, years, today)
    charts = value_cube(user, date(chart_year, 1, 1), date(chart_year, 12, 31))
    dashboard = Dashboard(
        today=today,
        sections=sections,
        status_counts=shipments_by_status(user),
        years=years,
        chart_year=chart_year,
        charts=charts,
    )
    tallies: list[Tally] = []
    if OPERATIONS in sections:
        tallies += needs_action(today) + on_the_way(today) + recently_received(today)
    if PARTNER in sections:
        tallies += waiting_for_partner(today)
    counted = iter(count_tallies(user, tallies))
    if OPERATIONS in sections:
        dashboard.needs_action = [next(counted) for _ in needs_action(today)]
        dashboard.on_the_way = [next(counted) for _ in on_the_way(today)]
        dashboard.recently_received = [next(counted) for _ in recently_received(today)]
    if PARTNER in sections:
        dashboard.waiting = [next(counted) for _ in waiting_for_partner(today)]
        dashboard.incoming = incoming_shipments(user)
        dashboard.outgoing = outgoing_shipments(user)
    if OPERATIONS in sections or PARTNER in sections:
        dashboard.deadlines = deadlines(user, today)
        dashboard.expiring, dashboard.expiring_red = expiring_lines(user, today, language)
    if FINANCE in sections:
        dashboard.periods = periods(today)
        dashboard.finance = (
            charts
            if chart_year == today.year
            else value_cube(user, date(today.year, 1, 1), date(today.year, 12, 31))
        )
        dashboard.missing_rates = missing_export_rates(user)
    return dashboard
