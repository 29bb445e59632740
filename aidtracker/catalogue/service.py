"""The catalogue's rules: what a valid item is, when two items are the same, and who may go.

Every function checks before it writes, raises a named ``CatalogueError`` that says which field is
wrong and why, and commits in one transaction. Pages, imports and the shipment form all come here,
so an HS code or a currency is judged the same way wherever it is typed.
"""

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError

from aidtracker.catalogue.defaults import sector_for
from aidtracker.catalogue.models import UNIT_LABELS, CatalogueItem, Category, DacSector, Unit
from aidtracker.extensions import db
from aidtracker.money.currencies import known_currencies
from aidtracker.pagination import Page, paginate
from aidtracker.refusals import FieldRefusal
from aidtracker.search import same_text_taken, text_matches
from aidtracker.shipments.models import ShipmentLine

MAX_UNIT_VALUE = Decimal("1000000000000")  # Numeric(14, 2) holds up to 12 digits before the point
CENT = Decimal("0.01")
_HS_SEPARATORS = re.compile(r"[\s.]+")


class CatalogueError(FieldRefusal):
    """An item cannot be saved or changed as asked; `field` names the form field at fault."""


class NameRequired(CatalogueError):
    field = "name_en"

    def __init__(self) -> None:
        super().__init__(_l("Enter the item's English name."))


class InvalidHsCode(CatalogueError):
    field = "hs_code"

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            _l(
                "“%(code)s” is not an HS code: use 6 to 10 digits, e.g. 850212 or 8502.12.",
                code=code,
            )
        )


class InvalidUnitValue(CatalogueError):
    field = "default_unit_value"

    def __init__(self, message) -> None:
        super().__init__(message)


class CurrencyRequired(CatalogueError):
    field = "default_currency"

    def __init__(self) -> None:
        super().__init__(_l("Choose the currency of the default value, e.g. PLN or EUR."))


class UnknownCurrency(CatalogueError):
    field = "default_currency"

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            _l("“%(code)s” is not an ISO 4217 currency code, e.g. PLN, EUR, UAH.", code=code)
        )


class DuplicateItem(CatalogueError):
    field = "name_en"

    def __init__(self, name: str, unit: Unit) -> None:
        self.name = name
        self.unit = unit
        super().__init__(
            _l(
                "The catalogue already has “%(name)s” counted in %(unit)s. Change that item, "
                "or give this one another name or unit.",
                name=name,
                unit=UNIT_LABELS[unit],
            )
        )


class ItemInUse(CatalogueError):
    """Items on shipment lines stay: old shipments must keep showing what they carried."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        super().__init__(
            _ln(
                "This item is used on %(num)d shipment line, so it cannot be deleted. "
                "Deactivate it instead: it stays on old shipments but is not offered for new ones.",
                "This item is used on %(num)d shipment lines, so it cannot be deleted. "
                "Deactivate it instead: it stays on old shipments but is not offered for new ones.",
                lines,
            )
        )


@dataclass(frozen=True)
class ItemDetails:
    """What a user enters for a catalogue item, before or after normalisation."""

    name_en: str
    category: Category
    unit: Unit
    name_pl: str | None = None
    name_uk: str | None = None
    hs_code: str | None = None
    dac_sector: DacSector | None = None
    """None: the sector that goes with the category."""
    default_unit_value: Decimal | None = None
    default_currency: str | None = None
    active: bool = True


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def normalise_hs_code(code: str | None) -> str | None:
    """Digits only: spaces and dots that users type ("8502.12") go; None when left empty.

    Raises InvalidHsCode unless 6 to 10 digits remain.
    """
    if code is None or not code.strip():
        return None
    digits = _HS_SEPARATORS.sub("", code)
    if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 10):
        raise InvalidHsCode(code.strip())
    return digits


def normalise_currency(code: str | None) -> str | None:
    """The upper-case ISO 4217 code; None when left empty. Raises UnknownCurrency."""
    code = (code or "").strip().upper()
    if not code:
        return None
    if code not in known_currencies():
        raise UnknownCurrency(code)
    return code


def check_unit_value(value: Decimal | None) -> Decimal | None:
    """A default value is zero or more, with at most two decimals. Raises InvalidUnitValue."""
    if value is None:
        return None
    if not value.is_finite():
        raise InvalidUnitValue(_l("Enter an amount, e.g. 12.50."))
    if value < 0:
        raise InvalidUnitValue(_l("The value cannot be negative."))
    if value != value.quantize(CENT):
        raise InvalidUnitValue(_l("Use at most two decimals (cents)."))
    if value >= MAX_UNIT_VALUE:
        raise InvalidUnitValue(_l("This value is too large."))
    return value.quantize(CENT)


def check_currency_given(value: Decimal | None, currency: str | None) -> None:
    """A default value means nothing without its currency. Raises CurrencyRequired."""
    if value is not None and not currency:
        raise CurrencyRequired


def normalise_item(details: ItemDetails) -> ItemDetails:
    """The details as they are stored: trimmed names, digits-only HS code, sector filled in.

    Raises the CatalogueError of the first field at fault.
    """
    name_en = _text(details.name_en)
    if name_en is None:
        raise NameRequired
    value = check_unit_value(details.default_unit_value)
    currency = normalise_currency(details.default_currency)
    check_currency_given(value, currency)
    return replace(
        details,
        name_en=name_en,
        name_pl=_text(details.name_pl),
        name_uk=_text(details.name_uk),
        hs_code=normalise_hs_code(details.hs_code),
        dac_sector=details.dac_sector or sector_for(details.category),
        default_unit_value=value,
        default_currency=currency,
    )


def _check_not_duplicate(details: ItemDetails, *, other_than: int | None = None) -> None:
    if same_text_taken(
        CatalogueItem.name_en,
        details.name_en,
        CatalogueItem.unit == details.unit,
        other_than=other_than,
    ):
        raise DuplicateItem(details.name_en, details.unit)


def _save(item: CatalogueItem, details: ItemDetails) -> CatalogueItem:
    for name in (
        "name_en",
        "name_pl",
        "name_uk",
        "category",
        "unit",
        "hs_code",
        "dac_sector",
        "default_unit_value",
        "default_currency",
        "active",
    ):
        setattr(item, name, getattr(details, name))
    db.session.add(item)
    try:
        db.session.commit()
    except IntegrityError:
        # Someone saved the same name and unit a moment ago.
        db.session.rollback()
        raise DuplicateItem(details.name_en, details.unit) from None
    return item


def add_item(*, details: ItemDetails) -> CatalogueItem:
    """Add an item to the catalogue.

    Raises NameRequired, InvalidHsCode, InvalidUnitValue, CurrencyRequired, UnknownCurrency or
    DuplicateItem (same English name and unit, whatever the case).
    """
    details = normalise_item(details)
    _check_not_duplicate(details)
    return _save(CatalogueItem(), details)


def change_item(*, item: CatalogueItem, details: ItemDetails) -> CatalogueItem:
    """Change an item; shipment lines keep their own quantities, units and values.

    Raises what ``add_item`` raises.
    """
    details = normalise_item(details)
    _check_not_duplicate(details, other_than=item.id)
    return _save(item, details)


def deactivate_item(*, item: CatalogueItem) -> None:
    """Stop offering the item for new lines; shipments that carry it keep it."""
    item.active = False
    db.session.commit()


def reactivate_item(*, item: CatalogueItem) -> None:
    """Offer the item for new lines again."""
    item.active = True
    db.session.commit()


def lines_using(item: CatalogueItem) -> int:
    """How many shipment lines carry the item."""
    return db.session.scalar(
        select(func.count(ShipmentLine.id)).where(ShipmentLine.catalogue_item_id == item.id)
    )


def delete_item(*, item: CatalogueItem) -> None:
    """Delete an item that no shipment line uses. Raises ItemInUse otherwise."""
    used = lines_using(item)
    if used:
        raise ItemInUse(used)
    db.session.delete(item)
    try:
        db.session.commit()
    except IntegrityError:
        # A line was added to it meanwhile.
        db.session.rollback()
        raise ItemInUse(lines_using(item)) from None


def _matching(text: str | None) -> ColumnElement[bool] | None:
    text = (text or "").strip()
    if not text:
        return None
    conditions = [
        text_matches(CatalogueItem.name_en, text),
        text_matches(CatalogueItem.name_pl, text),
        text_matches(CatalogueItem.name_uk, text),
    ]
    digits = _HS_SEPARATORS.sub("", text)
    if digits.isascii() and digits.isdigit():
        conditions.append(CatalogueItem.hs_code.startswith(digits, autoescape=True))
    return or_(*conditions)


def search_items(
    text: str | None, *, limit: int = 20, include_inactive: bool = False
) -> list[CatalogueItem]:
    """Items whose name in any language contains `text`, or whose HS code starts with it.

    Active items only unless `include_inactive`; at most `limit`, by English name. An empty text
    gives the first items of the catalogue, so a picker has something to show.
    """
    query = select(CatalogueItem)
    condition = _matching(text)
    if condition is not None:
        query = query.where(condition)
    if not include_inactive:
        query = query.where(CatalogueItem.active.is_(True))
    query = query.order_by(func.lower(CatalogueItem.name_en), CatalogueItem.id)
    return list(db.session.scalars(query.limit(max(1, limit))))


def item_page(
    *,
    text: str | None = None,
    category: Category | None = None,
    active: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """A page of the catalogue, by English name, filtered as the list's search form asks."""
    conditions = []
    condition = _matching(text)
    if condition is not None:
        conditions.append(condition)
    if category is not None:
        conditions.append(CatalogueItem.category == category)
    if active is not None:
        conditions.append(CatalogueItem.active.is_(active))
    return paginate(
        select(CatalogueItem)
        .where(*conditions)
        .order_by(func.lower(CatalogueItem.name_en), CatalogueItem.id),
        page,
        per_page,
        select(func.count(CatalogueItem.id)).where(*conditions),
    )


def item_as_json(item: CatalogueItem) -> dict:
    """What the shipment form's item picker needs to know about an item."""
    value = item.default_unit_value
    return {
        "id": item.id,
        "name": item.name_en,
        "name_pl": item.name_pl,
        "name_uk": item.name_uk,
        "category": item.category.value,
        "unit": item.unit.value,
        "hs_code": item.hs_code,
        "default_unit_value": None if value is None else str(value.quantize(CENT)),
        "default_currency": item.default_currency,
        "needs_lot_and_expiry": item.category.needs_lot_and_expiry,
    }
