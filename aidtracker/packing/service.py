"""Packing a shipment into units, and confirming its receipt unit by unit.

Packing changes while the shipment can still be edited (draft or ready): once it left, what was
loaded is on record. Every change locks the shipment's row (as a status change does), so two
people packing the same line at once cannot together pack more than the line holds, then
renumbers the units ``1/N`` to ``N/N`` without gaps and commits once; a refusal raises a named
exception after rolling back, so nothing is half-written.

Weights and volumes: a unit's gross weight is what it weighs with everything in it; when it was
not weighed it is the sum of what it holds (boxes on a pallet), if all of that is known. The
shipment's totals add up the outer units (those on no other unit), which is also the number of
packages a waybill counts.

Receipt by unit turns "pallet 3 missing, box 7 damaged, box 9 opened and counted" into the
line-by-line receipt of ``aidtracker.shipments.receipt``, which stays the one place that moves a
shipment to received.

Saving a shipment's form keeps a line's row while its position and item stay, so its packing
stays too; a session listener (installed when the packing blueprint is registered) only trims
the packing of a line whose quantity was lowered.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext, ngettext
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import get_history

from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission, ShipmentAccess, has_permission
from aidtracker.extensions import db
from aidtracker.packing import rules
from aidtracker.packing.models import PackingUnit, UnitContent, UnitKind
from aidtracker.packing.rules import PackingRuleError
from aidtracker.shipments import lifecycle, receipt
from aidtracker.shipments.entry import EDITABLE_STATUSES
from aidtracker.shipments.models import LineCondition, Shipment, ShipmentLine, StatusEvent
from aidtracker.shipments.status import (
    NotPermitted,
    in_one_transaction,
    lock_for_change,
    user_message,
)


class PackingError(Exception):
    """Packing refused as asked; the message says why, in the user's language."""


class PackingLocked(PackingError):
    pass


class UnitNotFound(PackingError):
    def __init__(self):
        super().__init__(gettext("This unit is no longer there: someone changed the packing."))


class PackingFieldErrors(PackingError):
    """``errors[field]`` is the message to show next to that field of the form."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(gettext("Some fields need correcting; see the messages next to them."))
        self.errors = errors


def _translated(error: PackingRuleError) -> str:
    return gettext(error.template, **{key: str(value) for key, value in error.params.items()})


def _field_errors(error: PackingRuleError) -> PackingFieldErrors:
    return PackingFieldErrors({error.field or "": _translated(error)})


# Reading ---------------------------------------------------------------------------------------


def units_of(shipment: Shipment) -> list[PackingUnit]:
    """The units of `shipment` in number order, with their contents' lines and items."""
    return list(
        db.session.scalars(
            select(PackingUnit)
            .where(PackingUnit.shipment_id == shipment.id)
            .order_by(PackingUnit.number)
            .options(
                selectinload(PackingUnit.contents)
                .joinedload(UnitContent.line)
                .joinedload(ShipmentLine.item),
            )
            .execution_options(populate_existing=True)
        )
    )


def unit_by_token(token: str, number: int) -> tuple[PackingUnit, int] | None:
    """Unit `number` of the shipment whose tracking token is `token`, with the shipment's number
    of units; None when there is no such unit. Only for a token the tracking page accepts."""
    if not token:
        return None
    shipment_id = select(Shipment.id).where(Shipment.tracking_token == token).scalar_subquery()
    unit = db.session.scalar(
        select(PackingUnit).where(
            PackingUnit.shipment_id == shipment_id, PackingUnit.number == number
        )
    )
    if unit is None:
        return None
    total = db.session.scalar(
        select(func.count(PackingUnit.id)).where(PackingUnit.shipment_id == unit.shipment_id)
    )
    return unit, total


def may_pack(shipment: Shipment, user: User) -> bool:
    """Whether `user` may change the packing of `shipment` now."""
    return has_permission(user, Permission.EDIT_SHIPMENTS) and shipment.status in EDITABLE_STATUSES


def packed_by_line(units: list[PackingUnit]) -> dict[int, Decimal]:
    """How much of each line (by id) the units hold together."""
    packed: dict[int, Decimal] = defaultdict(Decimal)
    for unit in units:
        for content in unit.contents:
            packed[content.line_id] += content.quantity
    return dict(packed)


def children_of(units: list[PackingUnit]) -> dict[int | None, list[PackingUnit]]:
    """Units by the id of the unit they are on (None: on nothing), in number order."""
    children: dict[int | None, list[PackingUnit]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit)
    return children


def held_in(unit: PackingUnit, children: dict) -> dict[ShipmentLine, Decimal]:
    """Everything a unit holds, the units on it included: line → quantity."""
    held: dict[ShipmentLine, Decimal] = defaultdict(Decimal)
    stack, seen = [unit], set()
    while stack:
        current = stack.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        for content in current.contents:
            held[content.line] += content.quantity
        stack.extend(children.get(current.id, []))
    return dict(sorted(held.items(), key=lambda pair: pair[0].position))


def _measure(unit: PackingUnit, children: dict, own) -> Decimal | None:
    """`own(unit)` if recorded, else the sum over the units on it if all are known."""
    value = own(unit)
    if value is not None:
        return value
    inside = children.get(unit.id, [])
    if not inside:
        return None
    parts = [_measure(child, children, own) for child in inside]
    return None if None in parts else sum(parts, Decimal(0))


def unit_weight(unit: PackingUnit, children: dict) -> Decimal | None:
    return _measure(unit, children, lambda u: u.gross_weight_kg)


def unit_volume(unit: PackingUnit, children: dict) -> Decimal | None:
    return _measure(unit, children, lambda u: u.volume_m3)


@dataclass(frozen=True)
class PackingTotals:
    units: int
    by_kind: dict[UnitKind, int]
    packages: int
    """Outer units: those on no other unit, as a waybill counts packages."""
    gross_weight_kg: Decimal
    unweighed: int
    """Outer units whose weight is not known (neither weighed nor made of weighed units)."""
    volume_m3: Decimal
    unmeasured: int


def packing_totals(units: list[PackingUnit]) -> PackingTotals:
    children = children_of(units)
    outer = children.get(None, [])
    weights = [unit_weight(unit, children) for unit in outer]
    volumes = [unit_volume(unit, children) for unit in outer]
    by_kind = {kind: sum(unit.kind is kind for unit in units) for kind in UnitKind}
    return PackingTotals(
        units=len(units),
        by_kind={kind: count for kind, count in by_kind.items() if count},
        packages=len(outer),
        gross_weight_kg=sum((w for w in weights if w is not None), Decimal("0.000")),
        unweighed=weights.count(None),
        volume_m3=sum((v for v in volumes if v is not None), Decimal(0)).quantize(Decimal("0.001")),
        unmeasured=volumes.count(None),
    )


def visible_units(units: list[PackingUnit], access: ShipmentAccess) -> list[PackingUnit]:
    """The units a user sees: all of them, or for a donor-only partner the units that hold some
    of its lines (and the units those sit on)."""
    if access.sees_all_lines:
        return units
    mine = {line.id for line in access.lines}
    by_id = {unit.id: unit for unit in units}
    shown: set[int] = set()
    for unit in units:
        if any(content.line_id in mine for content in unit.contents):
            current = unit
            while current is not None and current.id not in shown:
                shown.add(current.id)
                current = by_id.get(current.parent_id)
    return [unit for unit in units if unit.id in shown]


def label_of(unit: PackingUnit, total: int) -> str:
    """``n/N``: the unit's number among the shipment's units."""
    return f"{unit.number}/{total}"


# Changing the packing -------------------------------------------------------------------------


def _packing_session(shipment: Shipment, by: User) -> list[PackingUnit]:
    """Lock the shipment, check that it may be packed now, and read its units afresh."""
    if not has_permission(by, Permission.EDIT_SHIPMENTS):
        raise NotPermitted()
    lock_for_change(shipment, None)
    if shipment.status not in EDITABLE_STATUSES:
        raise PackingLocked(
            gettext(
                "A %(status)s shipment cannot be repacked: packing changes while it is a draft "
                "or ready.",
                status=shipment.status.label.lower(),
            )
        )
    return units_of(shipment)


def _line(shipment: Shipment, line_id: int | None, field: str = "line") -> ShipmentLine:
    line = next((line for line in shipment.lines if line.id == line_id), None)
    if line is None:
        raise PackingFieldErrors({field: gettext("Choose one of the lines of this shipment.")})
    return line


def _unit(units: list[PackingUnit], number: int | None) -> PackingUnit:
    unit = next((unit for unit in units if unit.number == number), None)
    if unit is None:
        raise UnitNotFound()
    return unit


def _check_room(line: ShipmentLine, units: list[PackingUnit], adding: Decimal, field: str):
    """Packed quantities never exceed the line's quantity."""
    left = line.quantity - packed_by_line(units).get(line.id, Decimal(0))
    if adding > left:
        raise PackingFieldErrors(
            {
                field: gettext(
                    "Only %(left)s %(unit)s of this line are left to pack.",
                    left=_plain_number(left),
                    unit=line.unit.label,
                )
            }
        )


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _renumber(units: list[PackingUnit]) -> None:
    """1 to N in the order the units were made; numbers only ever move down, one at a time, so
    the unique (shipment, number) pair holds at every step."""
    for number, unit in enumerate(sorted(units, key=lambda u: (u.number, u.id or 0)), start=1):
        if unit.number != number:
            unit.number = number
            db.session.flush()


def _next_number(units: list[PackingUnit]) -> int:
    return max((unit.number for unit in units), default=0) + 1


def _check_parent(units: list[PackingUnit], unit: PackingUnit | None, parent_number: int | None):
    """The unit it goes on: one of the same shipment, neither itself nor one it carries."""
    if parent_number is None:
        return None
    parent = next((u for u in units if u.number == parent_number), None)
    if parent is None:
        raise PackingFieldErrors({"parent": gettext("Choose one of the units of this shipment.")})
    if unit is not None:
        current = parent
        while current is not None:
            if current is unit:
                raise PackingFieldErrors(
                    {"parent": gettext("A unit cannot go inside itself or a unit it carries.")}
                )
            current = current.parent
    return parent


@dataclass(frozen=True)
class UnitDetails:
    """What a form says about one unit; numbers unchecked yet."""

    kind: UnitKind | None = None
    parent_number: int | None = None
    gross_weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None


def _checked_measures(details: UnitDetails, *, prefix: str = "", weight_field="gross_weight_kg"):
    errors: dict[str, str] = {}
    weight = dimensions = None
    try:
        weight = rules.check_weight(weight_field, details.gross_weight_kg)
    except PackingRuleError as error:
        errors[error.field] = _translated(error)
    try:
        dimensions = rules.check_dimensions(
            details.length_cm, details.width_cm, details.height_cm, prefix=prefix
        )
    except PackingRuleError as error:
        errors[error.field] = _translated(error)
    if errors:
        raise PackingFieldErrors(errors)
    return weight, dimensions


def _set_measures(unit: PackingUnit, weight, dimensions: rules.Dimensions | None) -> None:
    unit.gross_weight_kg = weight
    unit.length_cm = dimensions.length_cm if dimensions else None
    unit.width_cm = dimensions.width_cm if dimensions else None
    unit.height_cm = dimensions.height_cm if dimensions else None


def add_unit(shipment: Shipment, details: UnitDetails, *, by: User) -> PackingUnit:
    """One empty unit, numbered after the others, optionally on another one.

    Raises NotPermitted, PackingLocked or PackingFieldErrors; nothing is written then.
    """
    if not isinstance(details.kind, UnitKind):
        raise PackingFieldErrors({"kind": gettext("Choose a pallet, a box or a crate.")})
    weight, dimensions = _checked_measures(details)

    def work():
        units = _packing_session(shipment, by)
        parent = _check_parent(units, None, details.parent_number)
        unit = PackingUnit(
            shipment_id=shipment.id, number=_next_number(units), kind=details.kind, parent=parent
        )
        _set_measures(unit, weight, dimensions)
        db.session.add(unit)
        return unit

    return in_one_transaction(work)


def change_unit(shipment: Shipment, number: int, details: UnitDetails, *, by: User) -> None:
    """Change what a unit is, put it on another one (or on none), and record its weight and
    dimensions.

    Raises NotPermitted, PackingLocked, UnitNotFound or PackingFieldErrors.
    """
    if details.kind is not None and not isinstance(details.kind, UnitKind):
        raise PackingFieldErrors({"kind": gettext("Choose a pallet, a box or a crate.")})
    weight, dimensions = _checked_measures(details)

    def work():
        units = _packing_session(shipment, by)
        unit = _unit(units, number)
        unit.parent = _check_parent(units, unit, details.parent_number)
        if details.kind is not None:
            unit.kind = details.kind
        _set_measures(unit, weight, dimensions)

    in_one_transaction(work)


def remove_unit(shipment: Shipment, number: int, *, by: User) -> None:
    """Unpack a unit: what it held is no longer packed, units on it move to where it stood.

    Raises NotPermitted, PackingLocked or UnitNotFound.
    """

    def work():
        units = _packing_session(shipment, by)
        unit = _unit(units, number)
        for child in list(unit.children):
            child.parent = unit.parent
        db.session.delete(unit)
        db.session.flush()
        _renumber([u for u in units if u is not unit])

    in_one_transaction(work)


def remove_all_units(shipment: Shipment, *, by: User) -> int:
    """Unpack the whole shipment, to pack it again; returns how many units there were."""

    def work():
        units = _packing_session(shipment, by)
        # One statement: the database empties the units and lets go of units on units itself.
        db.session.execute(
            delete(PackingUnit)
            .where(PackingUnit.shipment_id == shipment.id)
            .execution_options(synchronize_session=False)
        )
        for unit in units:
            db.session.expunge(unit)
        return len(units)

    return in_one_transaction(work)


def put_in_unit(
    shipment: Shipment, number: int, *, by: User, line_id: int | None, quantity: Decimal | None
) -> None:
    """Pack `quantity` of a line into a unit (adding to what of that line it holds already).

    Raises NotPermitted, PackingLocked, UnitNotFound or PackingFieldErrors (the quantity is not
    a positive number, or more than is left of the line to pack).
    """
    try:
        quantity = rules.check_quantity("quantity", quantity)
    except PackingRuleError as error:
        raise _field_errors(error) from None

    def work():
        units = _packing_session(shipment, by)
        unit = _unit(units, number)
        line = _line(shipment, line_id)
        _check_room(line, units, quantity, "quantity")
        content = next((c for c in unit.contents if c.line_id == line.id), None)
        if content is None:
            unit.contents.append(UnitContent(line=line, quantity=quantity))
        else:
            content.quantity += quantity

    in_one_transaction(work)


def take_out(shipment: Shipment, number: int, content_id: int, *, by: User) -> None:
    """Take one line's goods out of a unit: they are no longer packed."""

    def work():
        units = _packing_session(shipment, by)
        unit = _unit(units, number)
        content = next((c for c in unit.contents if c.id == content_id), None)
        if content is None:
            raise UnitNotFound()
        unit.contents.remove(content)

    in_one_transaction(work)


@dataclass(frozen=True)
class BulkPacking:
    """Pack a line into units of `per_unit` each, then spread them over `pallets` pallets.

    `quantity` is how much of the line to pack (all that is left when None); each unit weighs
    `unit_weight_kg` when full (a part of the line's own gross weight when None).
    """

    line_id: int | None
    per_unit: Decimal | None
    kind: UnitKind = UnitKind.BOX
    quantity: Decimal | None = None
    pallets: int | None = 0
    unit_weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None
    pallet_length_cm: Decimal | None = None
    pallet_width_cm: Decimal | None = None
    pallet_height_cm: Decimal | None = None


@dataclass
class BulkResult:
    boxes: list[PackingUnit] = field(default_factory=list)
    pallets: list[PackingUnit] = field(default_factory=list)


def pack_line(shipment: Shipment, order: BulkPacking, *, by: User) -> BulkResult:
    """ "40 boxes of 25 family hygiene kits each, on 4 pallets" in one step.

    The pallets are numbered first, then the boxes, after the units already there. Raises
    NotPermitted, PackingLocked or PackingFieldErrors; nothing is written then.
    """
    if not isinstance(order.kind, UnitKind) or order.kind is UnitKind.PALLET:
        raise PackingFieldErrors({"kind": gettext("Pack goods into boxes or crates.")})
    errors: dict[str, str] = {}
    per_unit = quantity = None
    try:
        per_unit = rules.check_quantity("per_unit", order.per_unit)
    except PackingRuleError as error:
        errors[error.field] = _translated(error)
    if order.quantity is not None:
        try:
            quantity = rules.check_quantity("quantity", order.quantity)
        except PackingRuleError as error:
            errors[error.field] = _translated(error)
    pallets = order.pallets or 0
    if pallets < 0:
        errors["pallets"] = gettext("The number of pallets cannot be negative.")
    try:
        weight, dimensions = _checked_measures(
            UnitDetails(
                gross_weight_kg=order.unit_weight_kg,
                length_cm=order.length_cm,
                width_cm=order.width_cm,
                height_cm=order.height_cm,
            ),
            weight_field="unit_weight_kg",
        )
    except PackingFieldErrors as error:
        errors.update(error.errors)
    try:
        _, pallet_dimensions = _checked_measures(
            UnitDetails(
                length_cm=order.pallet_length_cm,
                width_cm=order.pallet_width_cm,
                height_cm=order.pallet_height_cm,
            ),
            prefix="pallet_",
        )
    except PackingFieldErrors as error:
        errors.update(error.errors)
    if errors:
        raise PackingFieldErrors(errors)

    def work():
        units = _packing_session(shipment, by)
        line = _line(shipment, order.line_id)
        left = line.quantity - packed_by_line(units).get(line.id, Decimal(0))
        if left <= 0:
            raise PackingFieldErrors({"line": gettext("This line is packed already.")})
        to_pack = left if quantity is None else quantity
        _check_room(line, units, to_pack, "quantity")
        try:
            plan = rules.plan_bulk(to_pack, per_unit, pallets)
        except PackingRuleError as error:
            raise _field_errors(error) from None
        number = _next_number(units)
        result = BulkResult()
        for _pallet in plan.boxes_per_pallet:
            pallet = PackingUnit(shipment_id=shipment.id, number=number, kind=UnitKind.PALLET)
            _set_measures(pallet, None, pallet_dimensions)
            result.pallets.append(pallet)
            number += 1
        on_pallets = [
            pallet
            for pallet, count in zip(result.pallets, plan.boxes_per_pallet, strict=True)
            for _ in range(count)
        ]
        for index, box_quantity in enumerate(plan.box_quantities):
            box = PackingUnit(
                shipment_id=shipment.id,
                number=number,
                kind=order.kind,
                parent=on_pallets[index] if on_pallets else None,
            )
            box_weight = (
                rules.share_of_weight(weight, per_unit, box_quantity)
                if weight is not None
                else rules.share_of_weight(line.gross_weight_kg, line.quantity, box_quantity)
            )
            _set_measures(box, box_weight, dimensions)
            box.contents.append(UnitContent(line=line, quantity=box_quantity))
            result.boxes.append(box)
            number += 1
        db.session.add_all(result.pallets + result.boxes)
        return result

    return in_one_transaction(work)


# Receipt by unit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountedPart:
    """What the recipient counted of one part of a line: an opened unit's content, or what of
    a line was not packed in any unit."""

    received_quantity: Decimal | None
    condition: str | None


def confirm_receipt_by_unit(
    shipment: Shipment,
    *,
    by: User,
    states: dict[int, str],
    opened: dict[int, CountedPart],
    unpacked: dict[int, CountedPart],
    on: date | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> StatusEvent:
    """Confirm receipt unit by unit: `states` says for each unit number whether it arrived
    whole, damaged, missing, was opened, or fared as the unit it is on; `opened` gives what was
    counted in opened units (by content id), `unpacked` what arrived of the goods packed in no
    unit (by line id). Every line then gets its received quantity, condition and a note naming
    the units that were missing or damaged, and ``receipt.confirm_receipt`` records it.

    Raises NotPermitted, PackingFieldErrors (keyed ``unit_N``, ``content_ID_quantity``,
    ``content_ID_condition``, ``line_ID_quantity``, ``line_ID_condition``), or what
    ``confirm_receipt`` raises; nothing is written then.
    """
    if not ShipmentAccess(by, shipment).may_confirm_receipt:
        raise NotPermitted()
    units = units_of(shipment)
    total = len(units)
    errors: dict[str, str] = {}
    for unit in units:
        if states.get(unit.number, rules.AS_CONTAINER) not in rules.UNIT_STATES:
            errors[f"unit_{unit.number}"] = gettext("Choose how this unit arrived.")
    by_id = {unit.id: unit for unit in units}
    resolved = rules.effective_states(
        {unit.id: states.get(unit.number, rules.AS_CONTAINER) for unit in units},
        {unit.id: unit.parent_id for unit in units},
    )
    parts: dict[int, list[rules.ArrivedPart]] = defaultdict(list)
    missing_in: dict[int, list[str]] = defaultdict(list)
    damaged_in: dict[int, list[str]] = defaultdict(list)
    for unit in units:
        state = resolved[unit.id]
        for content in unit.contents:
            if state == rules.OPENED:
                counted = opened.get(content.id, CountedPart(None, None))
                part = _counted(counted, content.quantity, f"content_{content.id}", errors)
            else:
                received = Decimal(0) if state == lifecycle.MISSING else content.quantity
                part = rules.ArrivedPart(content.quantity, received, state)
                if state == lifecycle.MISSING:
                    missing_in[content.line_id].append(label_of(unit, total))
                elif state == lifecycle.DAMAGED:
                    damaged_in[content.line_id].append(label_of(unit, total))
            if part is not None:
                parts[content.line_id].append(part)
    packed = packed_by_line(units)
    for line in shipment.lines:
        left = line.quantity - packed.get(line.id, Decimal(0))
        if left > 0:
            counted = unpacked.get(line.id, CountedPart(None, None))
            part = _counted(counted, left, f"line_{line.id}", errors)
            if part is not None:
                parts[line.id].append(part)
    if errors:
        raise PackingFieldErrors(errors)
    lines = {}
    for line in shipment.lines:
        received, condition = rules.combine_parts(parts[line.id])
        remarks = []
        if missing_in[line.id]:
            remarks.append(
                ngettext(
                    "Missing unit: %(units)s.",
                    "Missing units: %(units)s.",
                    len(missing_in[line.id]),
                    units=", ".join(missing_in[line.id]),
                )
            )
        if damaged_in[line.id]:
            remarks.append(
                ngettext(
                    "Damaged unit: %(units)s.",
                    "Damaged units: %(units)s.",
                    len(damaged_in[line.id]),
                    units=", ".join(damaged_in[line.id]),
                )
            )
        lines[line.id] = receipt.ReceivedLine(received, condition, " ".join(remarks) or None)
    for unit_id, state in resolved.items():
        arrived = lifecycle.GOOD if state == rules.OPENED else state
        by_id[unit_id].condition = LineCondition(arrived)
    try:
        # The units' conditions are written in the same transaction as the receipt, or not at all.
        return receipt.confirm_receipt(
            shipment,
            by=by,
            lines=lines,
            on=on,
            note=note,
            expected_version=expected_version,
        )
    except Exception:
        db.session.rollback()
        raise


def _counted(
    counted: CountedPart, sent: Decimal, prefix: str, errors: dict[str, str]
) -> rules.ArrivedPart | None:
    problems = lifecycle.received_line_problems(counted.received_quantity, counted.condition)
    if problems:
        for problem in problems:
            name = "quantity" if problem.field == "received_quantity" else problem.field
            errors.setdefault(f"{prefix}_{name}", user_message(problem))
        return None
    return rules.ArrivedPart(sent, counted.received_quantity, counted.condition)


# Keeping the packing within a line's quantity --------------------------------------------------


def _fit_packing_to_lines(session: Session, flush_context, instances) -> None:
    """A line whose quantity was lowered (the shipment form keeps a line's row while its item
    stays) keeps no more in its units than it now has: units are filled in number order, so the
    last ones come out lighter, or lose it. Lines deleted take their packing with them (the
    database cascades)."""
    lowered = {
        line.id: line.quantity
        for line in session.dirty
        if isinstance(line, ShipmentLine) and _was_lowered(line)
    }
    if not lowered:
        return
    with session.no_autoflush:
        contents = session.scalars(
            select(UnitContent)
            .join(PackingUnit, PackingUnit.id == UnitContent.unit_id)
            .where(UnitContent.line_id.in_(lowered))
            .order_by(PackingUnit.number)
        ).all()
    for content in contents:
        kept = min(content.quantity, lowered[content.line_id])
        lowered[content.line_id] -= kept
        if kept > 0:
            content.quantity = kept
        else:
            session.delete(content)


def _was_lowered(line: ShipmentLine) -> bool:
    history = get_history(line, "quantity")
    return bool(history.deleted and history.added) and history.added[0] < history.deleted[0]


def keep_packing_within_lines() -> None:
    """Install the listener on the application's session, once per process."""
    if not event.contains(db.session, "before_flush", _fit_packing_to_lines):
        event.listen(db.session, "before_flush", _fit_packing_to_lines)
