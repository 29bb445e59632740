"""The arithmetic of packing, free of Flask and the database: how a quantity splits into boxes,
how boxes spread over pallets, what numbers a form may hold, and how the parts of a line that
arrived in different units add up to one confirmed line.

Messages are English templates marked with ``N_`` for extraction; the service translates them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from aidtracker.shipments.lifecycle import (
    DAMAGED,
    GOOD,
    MISSING,
    N_,
    QUANTITY_LIMIT,
    QUANTITY_PLACES,
)

MAX_UNITS_AT_ONCE = 1000
"""Bulk packing makes at most this many units in one step: more is surely a typing slip."""
WEIGHT_LIMIT = Decimal(10) ** 9
"""Weights are NUMERIC(12, 3): below 10^9 kg, to the gram."""
LENGTH_LIMIT = Decimal(10) ** 6
"""Dimensions are NUMERIC(7, 1): below 10^6 cm, to the millimetre."""
GRAM = Decimal("0.001")


class PackingRuleError(Exception):
    """A number or a plan the rules refuse; ``field`` names the form field it belongs to."""

    def __init__(self, field: str | None, template: str, **params):
        self.field = field
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


def check_quantity(field: str, value: Decimal | None) -> Decimal:
    """A quantity of goods: more than zero, below the column's limit, three decimals at most."""
    if value is None:
        raise PackingRuleError(field, N_("Enter a quantity."))
    if not value.is_finite():
        raise PackingRuleError(field, N_("Enter a number."))
    if value <= 0:
        raise PackingRuleError(field, N_("The quantity must be more than zero."))
    if value >= QUANTITY_LIMIT:
        raise PackingRuleError(field, N_("This quantity is too large."))
    if value != value.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise PackingRuleError(field, N_("Use at most three decimals."))
    return value


def check_weight(field: str, value: Decimal | None) -> Decimal | None:
    """A gross weight in kg, or None when not weighed."""
    if value is None:
        return None
    if not value.is_finite():
        raise PackingRuleError(field, N_("Enter a number."))
    if value < 0:
        raise PackingRuleError(field, N_("The weight cannot be negative."))
    if value >= WEIGHT_LIMIT:
        raise PackingRuleError(field, N_("This weight is too large."))
    if value != value.quantize(GRAM):
        raise PackingRuleError(field, N_("Weigh to the gram at most: three decimals."))
    return value


@dataclass(frozen=True)
class Dimensions:
    """Outer length, width and height in centimetres."""

    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal


def check_dimensions(
    length: Decimal | None, width: Decimal | None, height: Decimal | None, *, prefix: str = ""
) -> Dimensions | None:
    """All three dimensions, or none; each more than zero, below 10 km, to the millimetre."""
    values = {
        f"{prefix}length_cm": length,
        f"{prefix}width_cm": width,
        f"{prefix}height_cm": height,
    }
    if all(value is None for value in values.values()):
        return None
    for field, value in values.items():
        if value is None:
            raise PackingRuleError(
                field, N_("Enter the length, the width and the height, or none of them.")
            )
        if not value.is_finite():
            raise PackingRuleError(field, N_("Enter a number."))
        if value <= 0:
            raise PackingRuleError(field, N_("A dimension must be more than zero."))
        if value >= LENGTH_LIMIT:
            raise PackingRuleError(field, N_("This dimension is too large."))
        if value != value.quantize(Decimal("0.1")):
            raise PackingRuleError(field, N_("Measure to the millimetre at most: one decimal."))
    return Dimensions(length, width, height)


@dataclass(frozen=True)
class BulkPlan:
    """What bulk packing makes: the quantity in each box, and how many boxes on each pallet."""

    box_quantities: tuple[Decimal, ...]
    boxes_per_pallet: tuple[int, ...]


def plan_bulk(quantity: Decimal, per_box: Decimal, pallets: int) -> BulkPlan:
    """Split `quantity` into boxes of `per_box` (the last one holds the rest), then spread the
    boxes as evenly as possible over `pallets` pallets (the first ones take one more).

    Raises PackingRuleError when that makes no box, too many units, or pallets left empty.
    """
    check_quantity("per_unit", per_box)
    full, rest = divmod(quantity, per_box)
    count = int(full) + (1 if rest else 0)
    if pallets < 0:
        raise PackingRuleError("pallets", N_("The number of pallets cannot be negative."))
    if count + pallets > MAX_UNITS_AT_ONCE:
        raise PackingRuleError(
            "per_unit",
            N_("That makes %(count)s units; at most %(limit)s can be made in one step."),
            count=count + pallets,
            limit=MAX_UNITS_AT_ONCE,
        )
    if pallets > count:
        raise PackingRuleError(
            "pallets",
            N_("%(pallets)s pallets for %(boxes)s boxes would leave pallets empty."),
            pallets=pallets,
            boxes=count,
        )
    boxes = (per_box,) * int(full) + ((rest,) if rest else ())
    spread: tuple[int, ...] = ()
    if pallets:
        each, extra = divmod(count, pallets)
        spread = tuple(each + (1 if index < extra else 0) for index in range(pallets))
    return BulkPlan(boxes, spread)


def share_of_weight(line_weight: Decimal | None, line_quantity: Decimal, part: Decimal):
    """The gross weight of `part` of a line that weighs `line_weight` in all, to the gram."""
    if line_weight is None:
        return None
    return (line_weight * part / line_quantity).quantize(GRAM)


# Receipt by unit --------------------------------------------------------------------------------

ARRIVED_WHOLE = GOOD
OPENED = "open"
AS_CONTAINER = "inherit"
UNIT_STATES = (ARRIVED_WHOLE, DAMAGED, MISSING, OPENED, AS_CONTAINER)


def effective_states(stated: dict[int, str], parents: dict[int, int | None]) -> dict[int, str]:
    """Each unit's state once "as the unit it is on" is resolved (`parents`: unit → its unit).

    A unit on a missing or damaged unit shares its fate; on an opened one it arrived whole
    unless said otherwise; a unit on nothing that says "as the unit it is on" arrived whole.
    """
    resolved: dict[int, str] = {}

    def state_of(unit: int, seen: frozenset = frozenset()) -> str:
        if unit in resolved:
            return resolved[unit]
        state = stated.get(unit, AS_CONTAINER)
        if state == AS_CONTAINER:
            parent = parents.get(unit)
            if parent is None or parent in seen:
                state = ARRIVED_WHOLE
            else:
                state = state_of(parent, seen | {unit})
                state = ARRIVED_WHOLE if state == OPENED else state
        resolved[unit] = state
        return state

    for unit in parents:
        state_of(unit)
    return resolved


@dataclass(frozen=True)
class ArrivedPart:
    """What arrived of one part of a line (the content of one unit, or what was not packed)."""

    sent: Decimal
    received: Decimal
    condition: str


def combine_parts(parts: Iterable[ArrivedPart]) -> tuple[Decimal, str]:
    """One line's received quantity and condition from its parts: the quantities add up; the
    line is missing when every part is, damaged when any part is, else good (a missing unit then
    shows as a quantity short)."""
    parts = list(parts)
    received = sum((part.received for part in parts), Decimal(0))
    if parts and all(part.condition == MISSING for part in parts):
        return received, MISSING
    if any(part.condition == DAMAGED for part in parts):
        return received, DAMAGED
    return received, GOOD
