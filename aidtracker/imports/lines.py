"""Shipment lines from a spreadsheet: which columns are read, how every row is checked, and the
commit that adds them all to a draft shipment in one transaction, or nothing.

Donors and warehouses send packing lists as spreadsheets; this turns one into lines without
retyping. The rules a line must follow are the shipment form's (``entry.line_problems``); what is
added here is reading the cells as people type them and naming the catalogue item, the donor,
the unit and the funding by the words they use:

- **Item**: the catalogue name in English, Polish or Ukrainian, compared without regard to case
  or repeated spaces. The HS code never overrides a name: it only tells apart items that share
  a name (in different units), and names the item when the item cell is empty and exactly one
  active catalogue item has that code. A deactivated item is refused, as the form no longer
  offers it.
- **Donor**: an organisation's name, as above; empty is allowed for in-kind lines.
- **Unit**: a code (``pcs``) or a label or usual word in English, Polish or Ukrainian ("szt.",
  "шт"); empty takes the item's unit.
- **Unit value and currency**: empty takes the catalogue's default; a value with no default is
  refused. The currency is an ISO 4217 code (a few symbols such as "zł" and "€" are read too).
- **Funding**: ``in_kind`` or ``purchased``, their labels, or the usual Polish and Ukrainian
  words; empty means an in-kind donation, as in the form.
- **Fund**: for purchased goods, the fund's name as AidTracker lists it; empty takes the donor's
  own fund when it holds exactly one open fund, as in the form. The purchases of the file must
  not take a fund below zero (``funds.service.draw_problems``). A file without a Fund column
  (written before funds existed, or exported from a packing list) adds its purchased lines
  without a fund, as lines entered before funds existed: they draw on no fund until one is
  chosen in the shipment form, and the preview says how many there are.
- **Lot, expiry, gross weight**: as in the form; medical goods need a lot and an expiry date.

The headers of AidTracker's own register and packing list are among those recognised, and the
totals under a packing list are skipped, so an exported file imports back as it was.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission, has_permission
from aidtracker.catalogue.models import CatalogueItem, Category, Unit
from aidtracker.catalogue.service import (
    InvalidHsCode,
    InvalidUnitValue,
    check_unit_value,
    normalise_hs_code,
)
from aidtracker.database import utcnow
from aidtracker.extensions import db
from aidtracker.funds.models import Fund
from aidtracker.funds.service import Draw, default_fund, draw_problems, purchase_day
from aidtracker.imports.blank import TemplateColumn, template_workbook
from aidtracker.imports.reader import (
    Field,
    ImportFileError,
    Problem,
    Row,
    Table,
    normalise_header,
    read_table,
)
from aidtracker.imports.values import (
    CellError,
    date_value,
    decimal,
    normalise,
    spellings_of,
    text,
)
from aidtracker.money.currencies import known_currencies
from aidtracker.money.rates import round_cents
from aidtracker.parties.models import Organisation
from aidtracker.shipments.entry import EditConflict, LineEntry, NotEditable, line_problems
from aidtracker.shipments.models import Funding, Shipment, ShipmentLine, ShipmentStatus

Source = BinaryIO | Path | str | bytes

LINE_FIELDS = [
    Field(
        "number",
        frozenset(
            {"No.", "No", "Line", "#", "Nr", "Nr.", "Lp.", "Lp", "Pozycja", "№", "№ з/п", "Рядок"}
        ),
    ),
    Field(
        "item",
        frozenset(
            {
                "Item",
                "Item name",
                "Description",
                "Goods",
                "Description of goods",
                "Towar",
                "Nazwa",
                "Nazwa towaru",
                "Artykuł",
                "Товар",
                "Назва",
                "Найменування",
                "Найменування товару",
            }
        ),
        required=True,
    ),
    Field(
        "hs_code",
        frozenset({"HS code", "HS", "Kod HS", "Kod CN", "Kod taryfy", "Код HS", "Код УКТ ЗЕД"}),
    ),
    Field(
        "quantity",
        frozenset({"Quantity", "Qty", "Ilość", "Liczba", "Кількість", "К-сть"}),
        required=True,
    ),
    Field(
        "unit",
        frozenset({"Unit", "Units", "UoM", "Jednostka", "J.m.", "Jm", "Одиниця", "Од. виміру"}),
    ),
    Field(
        "unit_value",
        frozenset(
            {
                "Unit value",
                "Unit price",
                "Price",
                "Value per unit",
                "Wartość jednostkowa",
                "Cena jednostkowa",
                "Cena",
                "Вартість одиниці",
                "Вартість за одиницю",
                "Ціна",
                "Ціна за одиницю",
            }
        ),
    ),
    Field("currency", frozenset({"Currency", "Waluta", "Валюта"})),
    Field("donor", frozenset({"Donor", "Funder", "Darczyńca", "Донор", "Благодійник"})),
    Field(
        "funding",
        frozenset({"Funding", "Type of aid", "Finansowanie", "Фінансування", "Вид допомоги"}),
    ),
    Field("fund", frozenset({"Fund", "Fundusz", "Фонд"})),
    Field(
        "lot",
        frozenset(
            {"Lot", "Lot number", "Batch", "Partia", "Nr partii", "Numer partii", "Серія", "Партія"}
        ),
    ),
    Field(
        "expiry",
        frozenset(
            {
                "Expiry",
                "Expiry date",
                "Expires",
                "Best before",
                "Data ważności",
                "Termin ważności",
                "Ważne do",
                "Термін придатності",
                "Придатний до",
            }
        ),
    ),
    Field(
        "gross_weight_kg",
        frozenset(
            {
                "Gross weight (kg)",
                "Gross weight",
                "Weight",
                "Waga brutto",
                "Masa brutto",
                "Waga",
                "Вага брутто",
                "Маса брутто",
                "Вага",
            }
        ),
    ),
]
FIELD_ORDER = {line_field.name: index for index, line_field in enumerate(LINE_FIELDS)}

COLUMN_LABELS = {
    "number": _l("No."),
    "item": _l("Item"),
    "hs_code": _l("HS code"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "unit_value": _l("Unit value"),
    "currency": _l("Currency"),
    "donor": _l("Donor"),
    "funding": _l("Funding"),
    "fund": _l("Fund"),
    "lot": _l("Lot"),
    "expiry": _l("Expiry"),
    "gross_weight_kg": _l("Gross weight (kg)"),
}
"""What messages and the template call each column. With "Line" (the register's), these are
also the headers AidTracker's exports write, in the user's language."""
EXPORT_HEADERS = {name: (label,) for name, label in COLUMN_LABELS.items()} | {
    "number": (_l("No."), _l("Line"))
}

UNIT_WORDS = {
    Unit.PCS: ("pc", "piece", "pieces", "szt", "szt.", "sztuka", "sztuki", "шт", "шт.", "штука"),
    Unit.KG: ("kgs", "kilogram", "kilograms", "kilogramy", "кг", "кілограм"),
    Unit.L: ("litre", "litres", "liter", "liters", "litr", "litry", "л", "літр", "літри"),
    Unit.BOX: ("boxes", "carton", "cartons", "karton", "kartony", "pudło", "коробка", "ящик"),
    Unit.PALLET: ("pallets", "paleta", "palety", "палета", "піддон"),
    Unit.SET: ("sets", "kit", "kits", "zestaw", "komplet", "набір", "комплект"),
}
"""Usual words for the units besides their codes and labels."""

FUNDING_WORDS = {
    Funding.IN_KIND: (
        "in kind",
        "in-kind",
        "donation",
        "donated",
        "dar",
        "darowizna",
        "darowizna rzeczowa",
        "dar rzeczowy",
        "w naturze",
        "пожертва",
        "натуральна пожертва",
        "гуманітарна допомога в натурі",
    ),
    Funding.PURCHASED: (
        "purchase",
        "bought",
        "zakup",
        "zakupione",
        "zakupiony",
        "zakup z darowizn pieniężnych",
        "закупівля",
        "закуплено",
        "придбано",
        "куплено",
    ),
}
"""Usual words for the funding besides its codes and labels."""

CURRENCY_SYMBOLS = {"zł": "PLN", "zł.": "PLN", "zl": "PLN", "€": "EUR", "euro": "EUR", "грн": "UAH"}

MAX_QUANTITY = Decimal(10) ** 11  # Numeric(14, 3): eleven digits before the point
MAX_WEIGHT = Decimal(10) ** 9  # Numeric(12, 3)
MAX_LOT_LENGTH = 60
THOUSANDTH = Decimal("0.001")
PLURAL_SAMPLES = (0, 1, 2, 5, 11, 21, 22, 25, 101, 102, 105, 111)
"""Numbers that between them reach every plural form of English, Polish and Ukrainian."""


class LinesRefused(Exception):
    """Some rows are wrong: nothing was added. ``problems`` lists each, by sheet, row and column."""

    def __init__(self, problems: list[Problem]):
        super().__init__(
            ngettext(
                "%(num)d problem in the file; no line was added.",
                "%(num)d problems in the file; no line was added.",
                len(problems),
            )
        )
        self.problems = problems


@dataclass(slots=True)
class NewLine:
    """A line as it will be added, with the row of the file it came from."""

    sheet: str
    row: int
    item: CatalogueItem
    quantity: Decimal
    unit: Unit
    unit_value: Decimal
    currency: str
    donor: Organisation | None
    funding: Funding
    lot: str | None
    expiry: date | None
    gross_weight_kg: Decimal | None
    fund: Fund | None = None
    value_from_catalogue: bool = False
    """The file left the unit value empty and the catalogue's default was taken."""

    @property
    def value(self) -> Decimal:
        return round_cents(self.quantity * self.unit_value)


@dataclass
class LineTotals:
    """What the preview sums up: lines, value per currency (never mixed), gross weight."""

    lines: int = 0
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    weight: Decimal = Decimal("0.000")
    unweighed: int = 0


def totals_of(lines: Iterable[NewLine]) -> LineTotals:
    totals = LineTotals()
    for line in lines:
        totals.lines += 1
        totals.by_currency[line.currency] = (
            totals.by_currency.get(line.currency, Decimal("0.00")) + line.value
        )
        if line.gross_weight_kg is None:
            totals.unweighed += 1
        else:
            totals.weight += line.gross_weight_kg
    totals.by_currency = dict(sorted(totals.by_currency.items()))
    return totals


# --- which shipments take imported lines --------------------------------------------------------


def ensure_draft(shipment: Shipment) -> None:
    """Lines are imported into drafts only: a shipment that is ready has been packed and its
    papers prepared for what it holds. Raises NotEditable."""
    if shipment.status is not ShipmentStatus.DRAFT:
        raise NotEditable(
            _(
                "Lines can be imported only into a draft shipment; %(reference)s is %(status)s.",
                reference=shipment.reference,
                status=shipment.status.label.lower(),
            )
        )


# --- checking ----------------------------------------------------------------------------------


def check_lines(shipment: Shipment, source: Source) -> tuple[list[NewLine], list[Problem]]:
    """Read the lines of the workbook `source` for the draft `shipment` and check every row.

    Returns the lines that would be added and the problems found; the lines count only when
    there is no problem. Raises ImportFileError when the file cannot be used at all, and
    NotEditable when the shipment is not a draft. Writes nothing.
    """
    ensure_draft(shipment)
    table = read_table(source, line_fields())
    rules = LineRules.load(departure=shipment.planned_departure)
    rules.fund_column = "fund" in table.columns
    lines: list[NewLine] = []
    problems = list(table.problems)
    troubled = {(problem.row, problem.column) for problem in table.problems}
    for row in table.rows:
        if rules.is_footer(row):
            continue
        line, row_problems = rules.check(row)
        for name, message in row_problems.items():
            column = column_title(table, name)
            if (row.number, column) not in troubled:
                problems.append(Problem(row.sheet, row.number, column, message))
        if line is not None and not row_problems:
            lines.append(line)
    if not lines and not problems:
        raise ImportFileError(
            _(
                "The table on sheet “%(sheet)s” has no lines under its header row (row %(row)d).",
                sheet=table.sheet,
                row=table.header_row,
            )
        )
    if not problems:
        problems = _purchase_problems(shipment, table, lines)
        if problems:
            lines = []
    order = {title: FIELD_ORDER[name] for name, title in table.columns.items()}
    problems.sort(key=lambda problem: (problem.row, order.get(problem.column, len(order))))
    return lines, problems


def _purchase_problems(shipment: Shipment, table: Table, lines: list[NewLine]) -> list[Problem]:
    """The purchases that their funds cannot pay for, on top of what the shipment holds."""
    draws = [
        Draw(index, line.fund, line.quantity, line.unit_value, line.currency)
        for index, line in enumerate(lines)
        if line.fund is not None
    ]
    day = purchase_day(shipment.dispatch_date, shipment.planned_departure)
    column = column_title(table, "fund")
    return [
        Problem(lines[index].sheet, lines[index].row, column, message)
        for index, message in sorted(draw_problems(draws, shipment=None, on=day).items())
    ]


def line_fields() -> list[Field]:
    """LINE_FIELDS, plus the headers of AidTracker's own exports in every language it speaks,
    so that a register or packing list exported in Polish or Ukrainian reads back too."""
    taken = {normalise_header(h): f.name for f in LINE_FIELDS for h in f.headers}
    extra: dict[str, set[str]] = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            for name, labels in EXPORT_HEADERS.items():
                for label in labels:
                    header = str(label)
                    if taken.setdefault(normalise_header(header), name) == name:
                        extra.setdefault(name, set()).add(header)
    return [
        Field(f.name, f.headers | extra.get(f.name, set()), f.required, f.label)
        for f in LINE_FIELDS
    ]


def column_title(table: Table, name: str) -> str:
    """The header of a field's column as the file spells it, or our name for a missing one."""
    return table.columns.get(name) or str(COLUMN_LABELS[name])


class LineRules:
    """The catalogue, organisations and spellings, loaded once per file, and the row check.

    Loading everything up front keeps a 20,000-row file to a handful of queries; and as a file
    names the same few items, units and donors again and again, each spelling is looked up once.
    """

    def __init__(
        self,
        items: list[CatalogueItem],
        organisations: list[Organisation],
        departure: date | None,
        funds: list[Fund] = (),
    ):
        self.departure = departure
        self.funds = {normalise(f.name): f for f in funds}
        self.fund_column = True
        self.items_by_name: dict[str, list[CatalogueItem]] = {}
        self.items_by_hs_code: dict[str, list[CatalogueItem]] = {}
        for item in items:
            for name in {normalise(n) for n in (item.name_en, item.name_pl, item.name_uk) if n}:
                self.items_by_name.setdefault(name, []).append(item)
            if item.hs_code and item.active:
                self.items_by_hs_code.setdefault(item.hs_code, []).append(item)
        self.organisations = {normalise(o.name): o for o in organisations}
        self.currencies = known_currencies()
        languages = current_app.config["LANGUAGES"]
        self.units = _spellings(Unit, UNIT_WORDS, languages)
        self.fundings = _spellings(Funding, FUNDING_WORDS, languages)
        self.footers = _packing_list_footers(languages)
        self._known: dict[tuple, tuple[object, dict[str, str]]] = {}

    @classmethod
    def load(cls, *, departure: date | None) -> "LineRules":
        return cls(
            list(db.session.scalars(select(CatalogueItem))),
            list(db.session.scalars(select(Organisation))),
            departure,
            list(db.session.scalars(select(Fund))),
        )

    def is_footer(self, row: Row) -> bool:
        """A total or note under the lines of AidTracker's packing list, in any language."""
        if row.cells.get("quantity") is not None:
            return False
        label = text(row.cells.get("item"))
        return label is not None and any(
            pattern.fullmatch(spelling)
            for spelling in spellings_of(label)
            for pattern in self.footers
        )

    def check(self, row: Row) -> tuple[NewLine | None, dict[str, str]]:
        """The line of one row, or the problems of its cells by field name."""
        cells = row.cells
        problems: dict[str, str] = {}

        def read(name: str, reader):
            try:
                return reader(cells.get(name))
            except CellError as error:
                problems[name] = error.message
                return None

        unit = self._once(problems, self._unit, cells.get("unit"))
        item = self._once(problems, self._item, cells.get("item"), cells.get("hs_code"), unit)
        quantity = read("quantity", number)
        if quantity is None and "quantity" not in problems:
            problems["quantity"] = _("Enter the quantity.")
        elif quantity is not None and quantity <= 0:
            problems["quantity"] = _("The quantity must be more than zero.")
        elif quantity is not None:
            _check_measure(quantity, MAX_QUANTITY, "quantity", problems)
        unit_value = read("unit_value", number)
        if unit_value is not None:
            try:
                unit_value = check_unit_value(unit_value)
            except InvalidUnitValue as error:
                problems["unit_value"] = str(error)
        currency = self._once(problems, self._currency, cells.get("currency"))
        donor = self._once(problems, self._donor, cells.get("donor"))
        funding = self._once(problems, self._funding, cells.get("funding"))
        fund = self._once(problems, self._fund, cells.get("fund"))
        if (
            fund is None
            and funding is Funding.PURCHASED
            and self.fund_column
            and "fund" not in problems
        ):
            fund = self._once(problems, self._default_fund, donor)
        lot = read("lot", text)
        if lot is not None and len(lot) > MAX_LOT_LENGTH:
            problems["lot"] = _(
                "A lot number has at most %(count)d characters.", count=MAX_LOT_LENGTH
            )
        expiry = read("expiry", date_value)
        weight = read("gross_weight_kg", number)
        if weight is not None and weight < 0:
            problems["gross_weight_kg"] = _("The weight cannot be negative.")
        elif weight is not None:
            _check_measure(weight, MAX_WEIGHT, "gross_weight_kg", problems)
        if item is None:
            return None, problems
        entry = LineEntry(
            item=item,
            quantity=quantity,
            donor=donor,
            funding=funding or Funding.IN_KIND,
            fund=fund,
            unit=unit,
            unit_value=unit_value,
            currency=currency,
            lot=lot,
            expiry=expiry,
            gross_weight_kg=weight,
        )
        checked = line_problems(entry, departure=self.departure, fund_required=self.fund_column)
        for name, message in checked.items():
            problems.setdefault(name, message)
        if problems:
            return None, problems
        return NewLine(
            sheet=row.sheet,
            row=row.number,
            item=item,
            quantity=quantity,
            unit=unit or item.unit,
            unit_value=unit_value if unit_value is not None else item.default_unit_value,
            currency=currency or item.default_currency,
            donor=donor,
            funding=entry.funding,
            fund=fund,
            lot=lot,
            expiry=expiry,
            gross_weight_kg=weight,
            value_from_catalogue=unit_value is None,
        ), problems

    def _once(self, problems: dict[str, str], lookup, *cells):
        """`lookup(*cells)` -> (value, problems), computed once per distinct cell values (the
        type is part of the key: the number 1 and the flag TRUE are different cells)."""
        key = (lookup.__name__, *((type(cell), cell) for cell in cells))
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = lookup(*cells)
        value, found = known
        problems.update(found)
        return value

    def _unit(self, cell) -> tuple[Unit | None, dict[str, str]]:
        try:
            unit = _pick(cell, self.units)
        except CellError as error:
            return None, {"unit": error.message}
        return (Unit(unit) if unit else None), {}

    def _funding(self, cell) -> tuple[Funding | None, dict[str, str]]:
        try:
            funding = _pick(cell, self.fundings)
        except CellError as error:
            return None, {"funding": error.message}
        return (Funding(funding) if funding else None), {}

    def _fund(self, cell) -> tuple[Fund | None, dict[str, str]]:
        name = text(cell)
        if name is None:
            return None, {}
        fund = self.funds.get(normalise(name))
        if fund is None:
            return None, {"fund": _("No fund is named “%(name)s”.", name=name)}
        return fund, {}

    def _default_fund(self, donor: Organisation | None) -> tuple[Fund | None, dict[str, str]]:
        return default_fund(donor), {}

    def _item(self, name_cell, hs_cell, unit: Unit | None) -> tuple[CatalogueItem | None, dict]:
        """The catalogue item the row names; see the module's docstring for the rule."""
        name = text(name_cell)
        hs_code = None
        try:
            hs_code = normalise_hs_code(text(hs_cell))
        except InvalidHsCode as error:
            if name is None:
                return None, {"hs_code": str(error)}
        if name is not None:
            candidates = next(
                (
                    found
                    for spelling in spellings_of(name)
                    if (found := self.items_by_name.get(normalise(spelling)))
                ),
                [],
            )
            if not candidates:
                return None, {
                    "item": _(
                        "The catalogue has no item named “%(name)s”. Use the item's name as the "
                        "catalogue writes it (in English, Polish or Ukrainian), or add it to the "
                        "catalogue first.",
                        name=name,
                    )
                }
        elif hs_code is not None:
            candidates = self.items_by_hs_code.get(hs_code, [])
            if not candidates:
                return None, {
                    "hs_code": _(
                        "No active catalogue item has the HS code %(code)s: name the item.",
                        code=hs_code,
                    )
                }
        else:
            return None, {"item": _("Name the item.")}
        if len(candidates) > 1:
            candidates = _narrowed(candidates, unit, hs_code)
        if len(candidates) > 1:
            return None, {
                "item": _(
                    "“%(name)s” could be any of these catalogue items: %(items)s. Give the unit "
                    "to tell them apart.",
                    name=name or hs_code,
                    items="; ".join(
                        f"{item.name_en} ({item.unit.label})"
                        for item in sorted(candidates, key=lambda i: i.id)
                    ),
                )
            }
        item = candidates[0]
        if not item.active:
            return None, {
                "item": _(
                    "“%(name)s” is deactivated in the catalogue: it is no longer offered for new "
                    "lines.",
                    name=item.name_en,
                )
            }
        return item, {}

    def _currency(self, cell) -> tuple[str | None, dict[str, str]]:
        typed = text(cell)
        if typed is None:
            return None, {}
        code = CURRENCY_SYMBOLS.get(normalise(typed), typed.upper())
        if code not in self.currencies:
            return None, {
                "currency": _(
                    "“%(code)s” is not an ISO 4217 currency code, e.g. PLN, EUR, UAH.",
                    code=typed,
                )
            }
        return code, {}

    def _donor(self, cell) -> tuple[Organisation | None, dict[str, str]]:
        name = text(cell)
        if name is None:
            return None, {}
        donor = self.organisations.get(normalise(name))
        if donor is None:
            return None, {
                "donor": _(
                    "No organisation is named “%(name)s”. Add it to the organisations first, "
                    "or write its name as AidTracker lists it.",
                    name=name,
                )
            }
        return donor, {}


def _narrowed(candidates: list, unit: Unit | None, hs_code: str | None) -> list:
    """Items sharing a name told apart by the unit, then the HS code, then being active."""
    for keep in (
        lambda item: item.unit is unit,
        lambda item: hs_code is not None and item.hs_code == hs_code,
        lambda item: item.active,
    ):
        kept = [item for item in candidates if keep(item)]
        if kept:
            candidates = kept
        if len(candidates) == 1:
            break
    return candidates


def number(value) -> Decimal | None:
    """A number cell as Excel shows it: a float to 15 significant digits, so that 5.6 + 0.1
    computed in a sheet (stored as 5.699999999999999) is 5.7, as on screen. Text and the rest
    as ``values.decimal`` reads them."""
    if isinstance(value, float) and math.isfinite(value):
        value = Decimal(format(value, ".15g"))
    return decimal(value)


def _check_measure(value: Decimal, limit: Decimal, name: str, problems: dict[str, str]) -> None:
    if value != value.quantize(THOUSANDTH):
        problems[name] = _("Use at most three decimals.")
    elif value >= limit:
        problems[name] = _("This number is too large.")


def _pick(value, spellings: dict[str, str]) -> str | None:
    """The canonical value of a cell's spelling; raises CellError listing the codes."""
    typed = text(value)
    if typed is None:
        return None
    canonical = next(
        (spellings[key] for key in map(normalise, spellings_of(typed)) if key in spellings),
        None,
    )
    if canonical is None:
        raise CellError(
            _(
                "“%(value)s” is not one of: %(allowed)s.",
                value=typed,
                allowed=", ".join(dict.fromkeys(spellings.values())),
            )
        )
    return canonical


def _spellings(enum_class, words: dict, languages: Iterable[str]) -> dict[str, str]:
    """Every accepted spelling of each member, normalised: value, label in each language, words."""
    spellings: dict[str, str] = {}
    for member in enum_class:
        spellings[normalise(member.value)] = member.value
        spellings[normalise(member.value.replace("_", " "))] = member.value
        for word in words.get(member, ()):
            spellings.setdefault(normalise(word), member.value)
    for language in languages:
        with force_locale(language):
            for member in enum_class:
                spellings.setdefault(normalise(member.label), member.value)
    return spellings


def _packing_list_footers(languages: Iterable[str]) -> list[re.Pattern]:
    """The texts that the packing list (``reports.packing_list``) writes in its Item column
    under the lines, in every language, as patterns: they are totals and notes, not lines."""
    texts: set[str] = set()
    for language in languages:
        with force_locale(language):
            for number in PLURAL_SAMPLES:
                texts.add(
                    ngettext("Total: %(num)d line", "Total: %(num)d lines", number).replace(
                        str(number), "\x00"
                    )
                )
            texts.add(_("Total value in %(currency)s", currency="\x01"))
            texts.add(_("Values are not shown: your organisation may not see them all."))
    return [
        re.compile(re.escape(sample).replace("\x00", r"\d+").replace("\x01", r"[A-Z]{3}"))
        for sample in sorted(texts)
    ]


# --- the template ------------------------------------------------------------------------------

COMMON_CURRENCIES = ("PLN", "EUR", "UAH", "USD", "GBP", "CHF", "CZK", "SEK", "NOK", "DKK")
"""Offered first in the template's currency list; every other ISO 4217 code follows."""


def lines_template() -> bytes:
    """The workbook to fill in: the columns the import reads, in the user's language where it
    reads back, one example row taken from the catalogue, drop-down lists and instructions."""
    example = db.session.scalar(
        select(CatalogueItem)
        .where(
            CatalogueItem.active.is_(True),
            CatalogueItem.default_unit_value.is_not(None),
            CatalogueItem.category != Category.MEDICAL,
        )
        .order_by(CatalogueItem.name_en)
        .limit(1)
    )
    organisations = list(
        db.session.scalars(
            select(Organisation).order_by(Organisation.is_donor.desc(), Organisation.name)
        )
    )
    donor = organisations[0] if organisations and organisations[0].is_donor else None
    currencies = [*COMMON_CURRENCIES, *sorted(known_currencies() - set(COMMON_CURRENCIES))]

    recognised = {f.name: {normalise_header(h) for h in f.headers} for f in line_fields()}

    def header(name: str) -> str:
        label = str(COLUMN_LABELS[name])
        if normalise_header(label) in recognised[name]:
            return label
        with force_locale("en"):
            return str(COLUMN_LABELS[name])

    columns = [
        TemplateColumn(
            header("item"),
            example.name_en if example else "Rice 1 kg",
            _("The item's name as the catalogue writes it, in English, Polish or Ukrainian."),
            width=32,
            required=True,
        ),
        TemplateColumn(
            header("hs_code"),
            example.hs_code if example else None,
            _(
                "Optional: tells apart items of the same name, or names the item when the item "
                "column is empty."
            ),
            width=12,
        ),
        TemplateColumn(
            header("quantity"),
            100,
            _("More than zero; up to three decimals."),
            width=12,
            required=True,
        ),
        TemplateColumn(
            header("unit"),
            example.unit.label if example else Unit.PCS.label,
            _("Empty: the item's unit in the catalogue."),
            choices=[unit.label for unit in Unit],
            width=10,
        ),
        TemplateColumn(
            header("unit_value"),
            example.default_unit_value if example else None,
            _("Empty: the catalogue's default value of the item."),
            width=12,
        ),
        TemplateColumn(
            header("currency"),
            example.default_currency if example else None,
            _("ISO 4217 code, e.g. PLN, EUR, UAH. Empty: the currency of the catalogue's value."),
            choices=currencies,
            width=10,
        ),
        TemplateColumn(
            header("donor"),
            donor.name if donor else None,
            _("An organisation as AidTracker lists it. Needed for purchased goods."),
            choices=[organisation.name for organisation in organisations] or None,
            width=30,
        ),
        TemplateColumn(
            header("funding"),
            Funding.IN_KIND.label,
            _("Empty: in-kind donation."),
            choices=[funding.label for funding in Funding],
            width=28,
        ),
        TemplateColumn(header("lot"), None, _("Needed for medical goods."), width=14),
        TemplateColumn(
            header("expiry"),
            None,
            _("A date cell, or YYYY-MM-DD or DD.MM.YYYY. Needed for medical goods."),
            width=12,
        ),
        TemplateColumn(
            header("gross_weight_kg"),
            Decimal("105.5"),
            _("Kilograms, up to three decimals."),
            width=14,
        ),
    ]
    instructions = [
        _("One row per line: replace the example in row 2 with yours. Empty rows are skipped."),
        _("Columns may come in any order; headers in English, Polish or Ukrainian are recognised."),
        _("Numbers may have a decimal comma or point; dates may be date cells or YYYY-MM-DD."),
        _("Nothing is added unless every row is right; you then see which cells to correct."),
    ]
    return template_workbook(_("Shipment lines"), columns, instructions)


# --- committing --------------------------------------------------------------------------------


def add_lines(shipment: Shipment, source: Source, *, expected_version: int, by: User) -> int:
    """Check the workbook `source` again and add all its lines to the draft `shipment` in one
    transaction, numbered after the lines it has; returns how many were added.

    `expected_version` is the shipment's version when the user checked the file: if anyone
    saved the shipment since, or it left draft, nothing is written. Raises LinesRefused with the
    problems of the rows, ImportFileError for an unusable file, EditConflict or NotEditable.
    """
    if not has_permission(by, Permission.EDIT_SHIPMENTS):
        raise NotEditable(_("%(user)s may not edit shipments.", user=by.email))
    ensure_draft(shipment)
    if shipment.version != expected_version:
        raise EditConflict(_changed_message(shipment))
    lines, problems = check_lines(shipment, source)
    if problems:
        raise LinesRefused(problems)
    shipments = Shipment.__table__
    # The shipment row is claimed first: its version moves on, so a form opened before the
    # import cannot save over the new lines, and a concurrent import or edit waits or fails.
    claimed = db.session.execute(
        update(shipments)
        .where(
            shipments.c.id == shipment.id,
            shipments.c.version == expected_version,
            shipments.c.status == ShipmentStatus.DRAFT,
        )
        .values(version=expected_version + 1, updated_at=utcnow())
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        current = db.session.get(Shipment, shipment.id, populate_existing=True)
        if current is not None:
            ensure_draft(current)
        raise EditConflict(_changed_message(shipment))
    last = db.session.scalar(
        select(func.coalesce(func.max(ShipmentLine.position), 0)).where(
            ShipmentLine.shipment_id == shipment.id
        )
    )
    db.session.execute(
        insert(ShipmentLine.__table__),
        [
            {
                "shipment_id": shipment.id,
                "position": position,
                "catalogue_item_id": line.item.id,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_value": line.unit_value,
                "currency": line.currency,
                "donor_id": line.donor.id if line.donor else None,
                "funding": line.funding,
                "fund_id": line.fund.id if line.fund else None,
                "lot": line.lot,
                "expiry": line.expiry,
                "gross_weight_kg": line.gross_weight_kg,
            }
            for position, line in enumerate(lines, start=last + 1)
        ],
    )
    db.session.commit()
    return len(lines)


def _changed_message(shipment: Shipment) -> str:
    return _(
        "%(reference)s was changed after the file was checked. No line was added: check the "
        "file again against the shipment as it is now.",
        reference=shipment.reference,
    )


def import_lines_from_path(shipment: Shipment, path: Path | str, user: User) -> int:
    """Check the workbook at `path` and add its lines to the draft `shipment` for `user`, in
    one go (the command line and benchmarks); returns the number of lines added.

    Raises LinesRefused, ImportFileError, NotEditable or EditConflict, writing nothing.
    """
    return add_lines(shipment, path, expected_version=shipment.version, by=user)
