"""Entering shipments: creating them with their lines, editing them, and numbering them.

A shipment gets its reference on creation (``LUB-KRR-2023-0007``: origin, destination, year,
sequence) and keeps it. Lines can be changed while the shipment is a draft or ready; once it has
left, what was sent is a matter of record. Two people editing the same shipment cannot overwrite
each other: a save based on an older version is refused (``EditConflict``).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from aidtracker.auth.models import User
from aidtracker.catalogue.models import CatalogueItem, Unit
from aidtracker.extensions import db
from aidtracker.funds.models import Fund
from aidtracker.funds.service import Draw, default_fund, draw_problems, purchase_day
from aidtracker.money.currencies import known_currencies
from aidtracker.parties.models import City, Organisation
from aidtracker.shipments.models import (
    CustomsStatus,
    EventKind,
    Funding,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StatusEvent,
    TransportMode,
)

EDITABLE_STATUSES = frozenset({ShipmentStatus.DRAFT, ShipmentStatus.READY})

# The EU is one customs territory: a shipment between two member states crosses no customs border.
EU_CUSTOMS_UNION = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)

REFERENCE_ATTEMPTS = 20


class EntryError(Exception):
    """A shipment cannot be saved as entered; the message says why, in the user's language."""


class NotEditable(EntryError):
    pass


class EditConflict(EntryError):
    """Someone else saved the shipment after this user opened it."""


class LineErrors(EntryError):
    """Some lines are wrong: ``errors[index][field]`` is the message for that field of that line."""

    def __init__(self, errors: dict[int, dict[str, str]]):
        super().__init__(_("Some lines need correcting; see the messages next to them."))
        self.errors = errors


@dataclass
class LineEntry:
    """One line as entered; unit, value and currency may be left to the catalogue's defaults."""

    item: CatalogueItem
    quantity: Decimal
    donor: Organisation | None
    funding: Funding
    unit: Unit | None = None
    unit_value: Decimal | None = None
    currency: str | None = None
    lot: str | None = None
    expiry: date | None = None
    gross_weight_kg: Decimal | None = None
    fund: Fund | None = None
    """The fund a purchased line draws on."""


@dataclass
class ShipmentEntry:
    origin_city: City
    destination_city: City
    sender: Organisation
    recipient: Organisation | None = None
    carrier: Organisation | None = None
    transport_mode: TransportMode = TransportMode.ROAD
    vehicle_registration: str | None = None
    driver_name: str | None = None
    cmr_number: str | None = None
    planned_departure: date | None = None
    notes: str | None = None
    lines: list[LineEntry] = field(default_factory=list)


def crosses_customs_border(origin: City, destination: City) -> bool:
    """True unless both cities are in the same country or both in the EU customs union."""
    if origin.country == destination.country:
        return False
    return not (origin.country in EU_CUSTOMS_UNION and destination.country in EU_CUSTOMS_UNION)


def create_shipment(entry: ShipmentEntry, *, by: User) -> Shipment:
    """Save a new draft shipment with its lines and its first status event; returns it.

    The reference takes the next free sequence number of its route and year. Two users saving at
    the same moment may compute the same number: the database's unique constraint refuses one of
    them, which then takes the next number.
    """
    _check_entry(entry, None)
    year = (entry.planned_departure or date.today()).year
    for _attempt in range(REFERENCE_ATTEMPTS):
        shipment = Shipment(status=ShipmentStatus.DRAFT, created_by=by)
        _apply_entry(shipment, entry)
        shipment.customs_status = (
            CustomsStatus.DOCUMENTS_PENDING
            if crosses_customs_border(entry.origin_city, entry.destination_city)
            else CustomsStatus.NOT_REQUIRED
        )
        shipment.reference_year = year
        shipment.sequence = _next_sequence(entry.origin_city, entry.destination_city, year)
        shipment.reference = format_reference(
            entry.origin_city, entry.destination_city, year, shipment.sequence
        )
        shipment.events.append(
            StatusEvent(
                kind=EventKind.STATUS,
                to_status=ShipmentStatus.DRAFT.value,
                user=by,
                location=entry.origin_city.name,
            )
        )
        if shipment.customs_status is CustomsStatus.DOCUMENTS_PENDING:
            shipment.events.append(
                StatusEvent(
                    kind=EventKind.CUSTOMS,
                    to_status=shipment.customs_status.value,
                    user=by,
                    location=entry.origin_city.name,
                )
            )
        db.session.add(shipment)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if not _reference_taken(shipment.reference):
                raise
            continue
        return shipment
    raise EntryError(_("The shipment could not be numbered. Please save again."))


def update_shipment(
    shipment: Shipment, entry: ShipmentEntry, *, expected_version: int, by: User
) -> Shipment:
    """Replace a draft or ready shipment's details and lines with what was entered.

    Raises EditConflict when the shipment changed since the user opened it (``expected_version``),
    NotEditable once it has left.
    """
    if shipment.version != expected_version:
        raise EditConflict(_conflict_message(shipment))
    if shipment.status not in EDITABLE_STATUSES:
        raise NotEditable(
            _(
                "A %(status)s shipment cannot be edited: what was sent is on record.",
                status=shipment.status.label.lower(),
            )
        )
    if (entry.origin_city.id, entry.destination_city.id) != (
        shipment.origin_city_id,
        shipment.destination_city_id,
    ) and shipment.status is not ShipmentStatus.DRAFT:
        raise NotEditable(_("The route of a shipment can only change while it is a draft."))
    _check_entry(entry, shipment)
    _apply_entry(shipment, entry)
    if shipment.customs_status in (CustomsStatus.NOT_REQUIRED, CustomsStatus.DOCUMENTS_PENDING):
        shipment.customs_status = (
            CustomsStatus.DOCUMENTS_PENDING
            if crosses_customs_border(entry.origin_city, entry.destination_city)
            else CustomsStatus.NOT_REQUIRED
        )
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise EditConflict(_conflict_message(db.session.get(Shipment, shipment.id))) from None
    return shipment


def format_reference(origin: City, destination: City, year: int, sequence: int) -> str:
    return f"{origin.code}-{destination.code}-{year}-{sequence:04d}"


def _conflict_message(shipment: Shipment) -> str:
    return _(
        "Someone else saved this shipment while you were editing it. Your changes were not "
        "saved; they are still in the form. Open the shipment in a new tab to see the other "
        "changes, then save again."
    )


def line_problems(
    line: LineEntry, *, departure: date | None, fund_required: bool = True
) -> dict[str, str]:
    """What is wrong with one line, field by field (empty when nothing is). `fund_required`
    is off only for files written before funds existed (see ``imports.lines``)."""
    problems: dict[str, str] = {}
    if line.quantity is None or line.quantity <= 0:
        problems["quantity"] = _("The quantity must be more than zero.")
    unit_value = line.unit_value if line.unit_value is not None else line.item.default_unit_value
    if unit_value is None:
        problems["unit_value"] = _("Enter the unit value: the catalogue has no default for it.")
    elif unit_value < 0:
        problems["unit_value"] = _("The unit value cannot be negative.")
    currency = line.currency or line.item.default_currency
    if not currency:
        problems["currency"] = _("Choose the currency of the unit value.")
    elif currency not in known_currencies():
        problems["currency"] = _("%(code)s is not an ISO 4217 currency code.", code=currency)
    if line.gross_weight_kg is not None and line.gross_weight_kg < 0:
        problems["gross_weight_kg"] = _("The weight cannot be negative.")
    if line.item.category.needs_lot_and_expiry:
        if not line.lot:
            problems["lot"] = _("Medical goods need a lot number.")
        if line.expiry is None:
            problems["expiry"] = _("Medical goods need an expiry date.")
    if line.expiry is not None and departure is not None and line.expiry < departure:
        problems["expiry"] = _(
            "This expires before the shipment leaves (%(date)s).", date=format_date(departure)
        )
    if line.funding is Funding.PURCHASED and line.donor is None:
        problems["donor"] = _("Name the donor whose money bought this.")
    if line.funding == Funding.PURCHASED and line.fund is None:
        if fund_required and line.donor is not None:
            problems["fund"] = _("Choose the fund that pays for this.")
    elif line.funding == Funding.IN_KIND and line.fund is not None:
        problems["fund"] = _("An in-kind donation draws on no fund: leave the fund empty.")
    return problems


def _check_entry(entry: ShipmentEntry, shipment: Shipment | None) -> None:
    if entry.origin_city.id == entry.destination_city.id:
        raise EntryError(_("The origin and the destination must be different cities."))
    for line in entry.lines:
        if line.funding == Funding.PURCHASED and line.fund is None:
            line.fund = default_fund(line.donor)
    errors = {
        index: problems
        for index, line in enumerate(entry.lines)
        if (problems := line_problems(line, departure=entry.planned_departure))
    }
    if errors:
        raise LineErrors(errors)
    day = purchase_day(shipment.dispatch_date if shipment else None, entry.planned_departure)
    draws = [
        Draw(
            index,
            line.fund,
            line.quantity,
            line.unit_value if line.unit_value is not None else line.item.default_unit_value,
            line.currency or line.item.default_currency,
        )
        for index, line in enumerate(entry.lines)
        if line.funding == Funding.PURCHASED
    ]
    shortfalls = draw_problems(draws, shipment=shipment, on=day)
    if shortfalls:
        raise LineErrors({index: {"fund": message} for index, message in shortfalls.items()})


def _apply_entry(shipment: Shipment, entry: ShipmentEntry) -> None:
    """Copy the header and the lines, numbered from 1 in the order entered. A line keeps its row
    (and what refers to it, such as its packing) while its position and item stay the same."""
    shipment.origin_city = entry.origin_city
    shipment.destination_city = entry.destination_city
    shipment.sender = entry.sender
    shipment.recipient = entry.recipient
    shipment.carrier = entry.carrier
    shipment.transport_mode = entry.transport_mode
    shipment.vehicle_registration = entry.vehicle_registration
    shipment.driver_name = entry.driver_name
    shipment.cmr_number = entry.cmr_number
    shipment.planned_departure = entry.planned_departure
    shipment.notes = entry.notes
    items = {position: line.item.id for position, line in enumerate(entry.lines, start=1)}
    for existing in list(shipment.lines):
        if items.get(existing.position) != existing.catalogue_item_id:
            shipment.lines.remove(existing)  # gone, or another item in its place: a new line
    db.session.flush()  # positions are unique per shipment: remove old lines before numbering anew
    by_position = {existing.position: existing for existing in shipment.lines}
    for position, line in enumerate(entry.lines, start=1):
        values = _line_values(line)
        existing = by_position.get(position)
        if existing is None:
            shipment.lines.append(ShipmentLine(position=position, **values))
        else:
            for name, value in values.items():
                setattr(existing, name, value)
    shipment.lines.sort(key=lambda line: line.position)


def _line_values(line: LineEntry) -> dict:
    """What a line of the form sets, the item's defaults filling what was left empty."""
    return {
        "item": line.item,
        "quantity": line.quantity,
        "unit": line.unit or line.item.unit,
        "unit_value": line.unit_value
        if line.unit_value is not None
        else line.item.default_unit_value,
        "currency": line.currency or line.item.default_currency,
        "donor": line.donor,
        "funding": line.funding,
        "fund": line.fund,
        "lot": line.lot,
        "expiry": line.expiry,
        "gross_weight_kg": line.gross_weight_kg,
    }


def _next_sequence(origin: City, destination: City, year: int) -> int:
    highest = db.session.scalar(
        select(func.max(Shipment.sequence)).where(
            Shipment.origin_city_id == origin.id,
            Shipment.destination_city_id == destination.id,
            Shipment.reference_year == year,
        )
    )
    return (highest or 0) + 1


def _reference_taken(reference: str) -> bool:
    return db.session.scalar(select(Shipment.id).filter_by(reference=reference)) is not None
