"""Catalogue items and organisations from a spreadsheet: which columns, which checks, one commit.

Every row is judged by the rules the pages use (``aidtracker.catalogue.service`` and
``aidtracker.parties.service``, with the length limits of their forms), so a file cannot add what
a form would refuse. An import only adds: a row whose item (same English name and unit) or
organisation (same name) is in the database already, or earlier in the file, is an error, never
an update; existing records are changed on their own pages. If any row is wrong nothing is
written; otherwise everything is written in one transaction, after the stored file has been read
and checked again (the database may have changed since the preview).
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from babel import Locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms.validators import Length

from aidtracker.catalogue.forms import COMMON_CURRENCIES, DAC_SECTOR_LABELS, ItemForm
from aidtracker.catalogue.models import (
    CATEGORY_LABELS,
    UNIT_LABELS,
    CatalogueItem,
    Category,
    DacSector,
    Unit,
)
from aidtracker.catalogue.service import (
    DuplicateItem,
    ItemDetails,
    check_currency_given,
    check_unit_value,
    normalise_currency,
    normalise_hs_code,
    normalise_item,
)
from aidtracker.extensions import db
from aidtracker.imports.blank import TemplateColumn
from aidtracker.imports.reader import Field, Problem, Row, Table, read_table
from aidtracker.imports.values import CellError, choice, decimal, normalise, text
from aidtracker.parties.forms import OrganisationForm
from aidtracker.parties.models import ORGANISATION_KIND_LABELS, City, Organisation, OrganisationKind
from aidtracker.parties.service import (
    DEFAULT_COUNTRY,
    PARTS,
    DuplicateOrganisation,
    OrganisationDetails,
    country_codes,
    normalise_country,
    normalise_email,
    normalise_organisation,
)
from aidtracker.refusals import FieldRefusal

Source = BinaryIO | Path | str | bytes

# -- columns ----------------------------------------------------------------------------------
# Headers are compared as the reader normalises them: case, blanks, a trailing "*" or ":" and a
# unit in brackets do not count. "Name (PL)" is therefore just "name": Polish and Ukrainian names
# need headers of their own words ("Name in Polish", "Nazwa po polsku", "Назва польською").

CATALOGUE_FIELDS = [
    Field(
        "name_en",
        frozenset(
            {
                "Name in English",
                "Name",
                "English name",
                "Name EN",
                "name_en",
                "Item",
                "Item name",
                "Nazwa",
                "Nazwa po angielsku",
                "Nazwa angielska",
                "Nazwa EN",
                "Nazwa towaru",
                "Назва",
                "Назва англійською",
                "Назва EN",
                "Найменування",
                "Найменування товару",
            }
        ),
        required=True,
        label="Name in English",
    ),
    Field(
        "name_pl",
        frozenset(
            {
                "Name in Polish",
                "Polish name",
                "Name PL",
                "name_pl",
                "Nazwa po polsku",
                "Nazwa polska",
                "Nazwa PL",
                "Назва польською",
                "Назва PL",
            }
        ),
        label="Name in Polish",
    ),
    Field(
        "name_uk",
        frozenset(
            {
                "Name in Ukrainian",
                "Ukrainian name",
                "Name UK",
                "Name UA",
                "name_uk",
                "Nazwa po ukraińsku",
                "Nazwa ukraińska",
                "Nazwa UK",
                "Nazwa UA",
                "Назва українською",
                "Назва UK",
                "Назва UA",
            }
        ),
        label="Name in Ukrainian",
    ),
    Field(
        "category",
        frozenset({"Category", "Kategoria", "Категорія"}),
        required=True,
        label="Category",
    ),
    Field(
        "unit",
        frozenset(
            {
                "Unit",
                "Unit of measure",
                "UoM",
                "Jednostka",
                "Jednostka miary",
                "J.m.",
                "Jm",
                "Одиниця",
                "Одиниця виміру",
                "Од. вим.",
            }
        ),
        required=True,
        label="Unit",
    ),
    Field(
        "hs_code",
        frozenset(
            {
                "HS code",
                "HS",
                "hs_code",
                "Commodity code",
                "Tariff code",
                "Kod HS",
                "Kod CN",
                "Kod taryfy celnej",
                "Код HS",
                "Код УКТЗЕД",
                "УКТЗЕД",
                "Код товару",
            }
        ),
        label="HS code",
    ),
    Field(
        "dac_sector",
        frozenset(
            {"DAC sector", "DAC", "DAC code", "Sektor DAC", "Kod DAC", "Сектор DAC", "Код DAC"}
        ),
        label="DAC sector",
    ),
    Field(
        "default_unit_value",
        frozenset(
            {
                "Default value per unit",
                "Default unit value",
                "Default value",
                "Unit value",
                "Value per unit",
                "Unit price",
                "Wartość jednostkowa",
                "Wartość domyślna",
                "Wartość za jednostkę",
                "Cena jednostkowa",
                "Вартість одиниці",
                "Вартість за одиницю",
                "Ціна за одиницю",
                "Ціна одиниці",
            }
        ),
        label="Default value per unit",
    ),
    Field(
        "default_currency",
        frozenset({"Currency", "Default currency", "Waluta", "Валюта"}),
        label="Currency",
    ),
]

ORGANISATION_FIELDS = [
    Field(
        "name",
        frozenset(
            {
                "Name",
                "Organisation",
                "Organization",
                "Organisation name",
                "Organization name",
                "Nazwa",
                "Nazwa organizacji",
                "Organizacja",
                "Назва",
                "Назва організації",
                "Організація",
                "Найменування",
            }
        ),
        required=True,
        label="Name",
    ),
    Field(
        "kind",
        frozenset(
            {
                "Kind",
                "Type",
                "Organisation kind",
                "Organisation type",
                "Rodzaj",
                "Typ",
                "Rodzaj organizacji",
                "Вид",
                "Тип",
                "Тип організації",
            }
        ),
        required=True,
        label="Kind",
    ),
    Field("country", frozenset({"Country", "Kraj", "Państwo", "Країна"}), label="Country"),
    Field(
        "city",
        frozenset({"City", "Town", "Miasto", "Miejscowość", "Місто", "Населений пункт"}),
        label="City",
    ),
    Field(
        "contact_name",
        frozenset(
            {
                "Contact person",
                "Contact name",
                "Contact",
                "Osoba kontaktowa",
                "Kontakt",
                "Контактна особа",
                "Контакт",
            }
        ),
        label="Contact person",
    ),
    Field(
        "contact_email",
        frozenset(
            {
                "E-mail",
                "Email",
                "E-mail address",
                "Mail",
                "Adres e-mail",
                "Електронна пошта",
                "Ел. пошта",
            }
        ),
        label="E-mail",
    ),
    Field(
        "contact_phone",
        frozenset(
            {
                "Phone",
                "Telephone",
                "Phone number",
                "Tel.",
                "Tel",
                "Telefon",
                "Numer telefonu",
                "Телефон",
                "Тел.",
            }
        ),
        label="Phone",
    ),
    Field("address", frozenset({"Address", "Adres", "Адреса"}), label="Address"),
    Field("is_sender", frozenset({"Sender", "Nadawca", "Відправник"}), label="Sender"),
    Field(
        "is_recipient",
        frozenset({"Recipient", "Odbiorca", "Отримувач", "Одержувач"}),
        label="Recipient",
    ),
    Field("is_carrier", frozenset({"Carrier", "Przewoźnik", "Перевізник"}), label="Carrier"),
    Field("is_donor", frozenset({"Donor", "Darczyńca", "Донор", "Благодійник"}), label="Donor"),
]

# -- words for the values of a choice ---------------------------------------------------------
# The stored value and its English label are always accepted; these add what people write in
# Polish and Ukrainian sheets.

CATEGORY_WORDS = {
    Category.FOOD: {"żywność", "jedzenie", "artykuły spożywcze", "продукти", "їжа", "харчування"},
    Category.CLOTHING: {"clothes", "odzież", "ubrania", "одяг"},
    Category.MEDICAL: {"medicine", "medyczne", "leki", "медичні", "медикаменти", "ліки"},
    Category.HYGIENE: {"higiena", "środki higieniczne", "гігієна", "засоби гігієни"},
    Category.SHELTER: {"schronienie", "zakwaterowanie", "укриття", "житло"},
    Category.ENERGY: {"energia", "energetyka", "енергетика", "енергія"},
    Category.OTHER: {"inne", "інше"},
}

UNIT_WORDS = {
    Unit.PCS: {"pc", "piece", "pieces", "szt", "szt.", "sztuka", "sztuki", "шт", "шт.", "штука"},
    Unit.KG: {"kilogram", "kilograms", "kilogramy", "кг", "кілограм"},
    Unit.L: {"litre", "litres", "liter", "liters", "litr", "litry", "л", "літр"},
    Unit.BOX: {"boxes", "carton", "karton", "kartony", "pudło", "opak.", "коробка", "ящик"},
    Unit.PALLET: {"pallets", "paleta", "palety", "піддон", "палета"},
    Unit.SET: {"sets", "kit", "zestaw", "komplet", "набір", "комплект"},
}

KIND_WORDS = {
    OrganisationKind.MUNICIPALITY: {
        "city",
        "gmina",
        "miasto",
        "urząd miasta",
        "samorząd",
        "муніципалітет",
        "громада",
        "міська рада",
    },
    OrganisationKind.NGO: {
        "non-governmental organisation",
        "organizacja pozarządowa",
        "fundacja",
        "stowarzyszenie",
        "громадська організація",
        "благодійний фонд",
        "го",
    },
    OrganisationKind.COMPANY: {"business", "firma", "spółka", "компанія", "підприємство"},
    OrganisationKind.PUBLIC_BODY: {
        "public_body",
        "instytucja publiczna",
        "urząd",
        "державна установа",
        "орган влади",
    },
    OrganisationKind.FUNDRAISER: {
        "fundraiser",
        "zbiórka",
        "zbiórka publiczna",
        "збір коштів",
        "волонтерський збір",
    },
}

YES_WORDS = {"yes", "y", "true", "x", "1", "tak", "t", "так", "✓", "✔"}
NO_WORDS = {"no", "n", "false", "0", "nie", "ні", "-", "–"}


def _options(words: dict, labels: dict) -> dict[str, str]:
    """Every accepted spelling of a choice, mapped to its stored value."""
    options: dict[str, str] = {}
    for member, spellings in words.items():
        for spelling in (member.value, str(labels[member]), *spellings):
            options.setdefault(normalise(spelling), member.value)
    return options


def _dac_options() -> dict[str, str]:
    options = {sector.value: sector.value for sector in DacSector}
    options.update(
        {normalise(str(label)): sector.value for sector, label in DAC_SECTOR_LABELS.items()}
    )
    return options


@functools.cache
def _country_names() -> dict[str, str]:
    """Country names in English, Polish and Ukrainian, normalised, to their alpha-2 codes."""
    names: dict[str, str] = {}
    codes = country_codes()
    for language in ("en", "pl", "uk"):
        for code, name in Locale(language).territories.items():
            if code in codes:
                names.setdefault(normalise(name), code)
    return names


def _length_limits(form_class) -> dict[str, tuple[int, str | None]]:
    """The Length(max=…) of each field of `form_class`, with the form's message if it has one.

    An import refuses text the form would refuse, so a cell never fails in the database.
    """
    limits = {}
    for name, unbound in vars(form_class).items():
        for validator in getattr(unbound, "kwargs", {}).get("validators", ()):
            if isinstance(validator, Length) and validator.max >= 0:
                limits[name] = (validator.max, validator.message)
    return limits


# -- reading one row ---------------------------------------------------------------------------


class _RowReader:
    """One row's cells read field by field; what cannot be read becomes a problem of the row.

    A cell gets at most one problem: the first thing wrong with it.
    """

    def __init__(self, row: Row, limits: dict[str, tuple[int, str | None]]):
        self.row = row
        self.limits = limits
        self.problems: list[Problem] = []

    def refuse(self, field: str, message) -> None:
        column = self.row.column(field)
        if all(problem.column != column for problem in self.problems):
            self.problems.append(Problem(self.row.sheet, self.row.number, column, str(message)))

    def faulty(self, field: str) -> bool:
        return any(problem.column == self.row.column(field) for problem in self.problems)

    def text(self, field: str) -> str | None:
        value = text(self.row.cells.get(field))
        limit = self.limits.get(field)
        if value is not None and limit is not None and len(value) > limit[0]:
            maximum, message = limit
            self.refuse(
                field,
                message
                or _(
                    "At most %(max)d characters; this cell has %(count)d.",
                    max=maximum,
                    count=len(value),
                ),
            )
            return None
        return value

    def read(self, field: str, convert: Callable, *args):
        try:
            return convert(self.row.cells.get(field), *args)
        except CellError as error:
            self.refuse(field, error.message)
            return None

    def chosen(self, field: str, options: dict[str, str], required_message=None) -> str | None:
        value = self.read(field, choice, options)
        if value is None and required_message is not None and not self.faulty(field):
            self.refuse(field, required_message)
        return value

    def yes_no(self, field: str, options: dict[str, str]) -> bool:
        return self.read(field, choice, options) == "yes"

    def rule(self, field: str, rule: Callable, *args):
        """Apply a service rule; its refusal lands on the column of the field it names."""
        try:
            return rule(*args)
        except FieldRefusal as error:
            self.refuse(error.field or field, error)
            return None


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(values)


def _hs_text(value) -> str | None:
    """The HS code as typed. Excel drops the leading zero of a code kept as a number (040210 →
    40210); a number of 5 or 9 digits can only be such a code, so the zero comes back."""
    typed = text(value)
    if (
        typed is not None
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and typed.isdigit()
        and len(typed) in (5, 9)
    ):
        return "0" + typed
    return typed


# -- catalogue items ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewItem:
    """A row of the file as the item it adds."""

    row: int
    details: ItemDetails


@dataclass(frozen=True)
class _ItemWords:
    """What every row of a catalogue file is read with, worked out once per file."""

    limits: dict[str, tuple[int, str | None]]
    categories: dict[str, str]
    units: dict[str, str]
    sectors: dict[str, str]
    no_category: str
    no_unit: str

    @classmethod
    def now(cls) -> "_ItemWords":
        """In the language of the request (or command) that reads the file."""
        return cls(
            limits=_length_limits(ItemForm),
            categories=_options(CATEGORY_WORDS, CATEGORY_LABELS),
            units=_options(UNIT_WORDS, UNIT_LABELS),
            sectors=_dac_options(),
            no_category=_("Enter the category: %(allowed)s.", allowed=_allowed(Category)),
            no_unit=_("Enter the unit: %(allowed)s.", allowed=_allowed(Unit)),
        )


def _item_of(row: Row, words: _ItemWords) -> tuple[ItemDetails | None, list[Problem]]:
    cells = _RowReader(row, words.limits)
    name_en = cells.text("name_en")
    name_pl = cells.text("name_pl")
    name_uk = cells.text("name_uk")
    category = cells.chosen("category", words.categories, words.no_category)
    unit = cells.chosen("unit", words.units, words.no_unit)
    hs_code = cells.rule("hs_code", normalise_hs_code, _hs_text(row.cells.get("hs_code")))
    sector = cells.chosen("dac_sector", words.sectors)
    value = cells.rule(
        "default_unit_value", check_unit_value, cells.read("default_unit_value", decimal)
    )
    currency = cells.rule("default_currency", normalise_currency, cells.text("default_currency"))
    if not cells.faulty("default_unit_value"):
        cells.rule("default_currency", check_currency_given, value, currency)
    details = ItemDetails(
        name_en=name_en or "",
        name_pl=name_pl,
        name_uk=name_uk,
        category=Category(category) if category else None,
        unit=Unit(unit) if unit else None,
        hs_code=hs_code,
        dac_sector=DacSector(sector) if sector else None,
        default_unit_value=value,
        default_currency=currency,
    )
    # The item's own rule has the last word (and is the one that asks for the English name).
    details = cells.rule("name_en", normalise_item, details)
    if cells.problems:
        return None, cells.problems
    return details, []


def _existing_items() -> set[tuple[str, Unit]]:
    """(lower-case English name, unit) of every catalogue item, lower-cased by the database as
    ``same_text_taken`` does, so "blanket" in a file meets "Blanket" in the catalogue."""
    return {
        (name, unit)
        for name, unit in db.session.execute(
            select(func.lower(CatalogueItem.name_en), CatalogueItem.unit)
        )
    }


def check_catalogue(source: Source) -> tuple[list[NewItem], list[Problem]]:
    """Read a catalogue workbook and check every row: the items it would add, and its problems.

    Raises ImportFileError when the file cannot be read at all. Writes nothing.
    """
    table = read_table(source, CATALOGUE_FIELDS)
    words = _ItemWords.now()
    existing = _existing_items()
    first_row: dict[tuple[str, Unit], int] = {}
    items, problems = [], list(table.problems)
    for row in table.rows:
        details, row_problems = _item_of(row, words)
        if details is not None:
            key = (details.name_en.lower(), details.unit)
            if key in existing:
                row_problems = [
                    _problem(row, "name_en", DuplicateItem(details.name_en, details.unit))
                ]
            elif key in first_row:
                row_problems = [
                    _problem(
                        row,
                        "name_en",
                        _(
                            "“%(name)s” counted in %(unit)s is on row %(row)d already.",
                            name=details.name_en,
                            unit=details.unit.label,
                            row=first_row[key],
                        ),
                    )
                ]
            else:
                first_row[key] = row.number
                items.append(NewItem(row.number, details))
        problems.extend(row_problems)
    return items, _complete(table, problems)


def add_catalogue_items(source: Source) -> list[CatalogueItem]:
    """Check the workbook again and add all its items in one transaction.

    Raises RowsRefused (nothing written) when any row is wrong, ImportFileError when the file
    cannot be read.
    """
    return _add_checked(source, check_catalogue, CatalogueItem)


# -- organisations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewOrganisation:
    """A row of the file as the organisation it adds; `city` is the city's name as stored."""

    row: int
    details: OrganisationDetails
    city: str | None = None

    @property
    def parts(self) -> list[str]:
        """The parts it usually plays: sender, recipient, carrier, donor."""
        return [part for part in PARTS if getattr(self.details, f"is_{part}")]


class _Cities:
    """The cities an organisation's City cell may name: by three-letter code or by name."""

    def __init__(self):
        self.by_code: dict[str, City] = {}
        self.by_name: dict[str, list[City]] = {}
        for city in db.session.scalars(select(City).order_by(City.id)):
            self.by_code[city.code] = city
            self.by_name.setdefault(normalise(city.name), []).append(city)

    def find(self, typed: str, country: str | None) -> City:
        """Raises CellError when no city, or more than one, answers to `typed`."""
        if typed.upper() in self.by_code:
            return self.by_code[typed.upper()]
        cities = self.by_name.get(normalise(typed), [])
        if len(cities) > 1:
            cities = [city for city in cities if city.country == country] or cities
        if len(cities) == 1:
            return cities[0]
        if cities:
            raise CellError(
                _(
                    "Several cities are called %(name)s; write the code of the one you mean: "
                    "%(codes)s.",
                    name=typed,
                    codes=", ".join(city.code for city in cities),
                )
            )
        raise CellError(
            _(
                "There is no city %(name)s in AidTracker: add it under Cities first, or leave "
                "the cell empty.",
                name=typed,
            )
        )


def _country_code(value) -> str | None:
    """A country as a two-letter code or a name in English, Polish or Ukrainian; empty is None.

    A two-letter code is left for the parties' own rule to judge; raises CellError otherwise.
    """
    typed = text(value)
    if typed is None:
        return None
    if len(typed) == 2:
        return typed
    code = _country_names().get(normalise(typed))
    if code is None:
        raise CellError(
            _(
                "%(value)s is not a country: write its two-letter code (PL, UA, FR) or its name "
                "in English, Polish or Ukrainian.",
                value=typed,
            )
        )
    return code


@dataclass(frozen=True)
class _OrganisationWords:
    """What every row of an organisations file is read with, worked out once per file."""

    limits: dict[str, tuple[int, str | None]]
    kinds: dict[str, str]
    yes_no: dict[str, str]
    no_kind: str
    cities: _Cities

    @classmethod
    def now(cls) -> "_OrganisationWords":
        """In the language of the request (or command) that reads the file."""
        return cls(
            limits=_length_limits(OrganisationForm),
            kinds=_options(KIND_WORDS, ORGANISATION_KIND_LABELS),
            yes_no={**dict.fromkeys(YES_WORDS, "yes"), **dict.fromkeys(NO_WORDS, "no")},
            no_kind=_("Enter the kind: %(allowed)s.", allowed=_allowed(OrganisationKind)),
            cities=_Cities(),
        )


def _organisation_of(
    row: Row, words: _OrganisationWords
) -> tuple[tuple[OrganisationDetails, str | None] | None, list[Problem]]:
    cells = _RowReader(row, words.limits)
    name = cells.text("name")
    kind = cells.chosen("kind", words.kinds, words.no_kind)
    country = cells.read("country", _country_code)
    if country is not None:
        country = cells.rule("country", normalise_country, country)
    elif not cells.faulty("country"):
        country = DEFAULT_COUNTRY
    city = None
    if (typed_city := cells.text("city")) is not None:
        try:
            city = words.cities.find(typed_city, country)
        except CellError as error:
            cells.refuse("city", error.message)
    email = cells.rule("contact_email", normalise_email, cells.text("contact_email"))
    details = OrganisationDetails(
        name=name or "",
        kind=OrganisationKind(kind) if kind else None,
        country=country or DEFAULT_COUNTRY,
        city_id=city.id if city is not None else None,
        contact_name=cells.text("contact_name"),
        contact_email=email,
        contact_phone=cells.text("contact_phone"),
        address=cells.text("address"),
        **{f"is_{part}": cells.yes_no(f"is_{part}", words.yes_no) for part in PARTS},
    )
    # The organisation's own rule has the last word (and is the one that asks for the name).
    details = cells.rule("name", normalise_organisation, details)
    if cells.problems:
        return None, cells.problems
    return (details, city.name if city is not None else None), []


def _existing_organisations() -> set[str]:
    """Every organisation's name, lower-cased by the database as ``same_text_taken`` does."""
    return set(db.session.scalars(select(func.lower(Organisation.name))))


def check_organisations(source: Source) -> tuple[list[NewOrganisation], list[Problem]]:
    """Read an organisations workbook and check every row: what it would add, and its problems.

    Raises ImportFileError when the file cannot be read at all. Writes nothing.
    """
    table = read_table(source, ORGANISATION_FIELDS)
    words = _OrganisationWords.now()
    existing = _existing_organisations()
    first_row: dict[str, int] = {}
    organisations, problems = [], list(table.problems)
    for row in table.rows:
        found, row_problems = _organisation_of(row, words)
        if found is not None:
            details, city = found
            key = details.name.lower()
            if key in existing:
                row_problems = [_problem(row, "name", DuplicateOrganisation(details.name))]
            elif key in first_row:
                row_problems = [
                    _problem(
                        row,
                        "name",
                        _(
                            "“%(name)s” is on row %(row)d already.",
                            name=details.name,
                            row=first_row[key],
                        ),
                    )
                ]
            else:
                first_row[key] = row.number
                organisations.append(NewOrganisation(row.number, details, city))
        problems.extend(row_problems)
    return organisations, _complete(table, problems)


def add_organisations(source: Source) -> list[Organisation]:
    """Check the workbook again and add all its organisations in one transaction.

    Raises RowsRefused (nothing written) when any row is wrong, ImportFileError when the file
    cannot be read.
    """
    return _add_checked(source, check_organisations, Organisation)


# -- what both share ---------------------------------------------------------------------------


def _add_checked(source: Source, check, model) -> list:
    """Check the rows, then add one `model` per row in one transaction, re-checked at commit."""
    new, problems = check(source)
    if problems:
        raise RowsRefused(problems)
    records = [model(**vars(entry.details)) for entry in new]
    db.session.add_all(records)
    _commit(lambda: check(source))
    return records


class RowsRefused(Exception):
    """Some rows are wrong, so nothing was written; `problems` lists them."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _problem(row: Row, field: str, message) -> Problem:
    return Problem(row.sheet, row.number, row.column(field), str(message))


def _complete(table: Table, problems: list[Problem]) -> list[Problem]:
    """The problems in row order; a table without rows is a problem too."""
    if not table.rows and not problems:
        problems = [
            Problem(
                table.sheet,
                table.header_row,
                "",
                _("There are no rows under the header row: nothing to import."),
            )
        ]
    return sorted(problems, key=lambda problem: problem.row)


def _commit(check_again: Callable[[], tuple[list, list[Problem]]]) -> None:
    """Commit, or roll back when someone added the same name meanwhile and say which rows."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        _new, problems = check_again()
        raise RowsRefused(
            problems
            or [Problem("", 0, "", _("The data changed while importing; import the file again."))]
        ) from None


# -- the two imports, for pages and commands ---------------------------------------------------


@dataclass(frozen=True)
class ReferenceImport:
    """What the pages and commands need to know about one kind of reference import."""

    kind: str
    fields: list[Field]
    check: Callable[[Source], tuple[list, list[Problem]]]
    add: Callable[[Source], list]
    template_columns: Callable[[], list[TemplateColumn]]
    instructions: Callable[[], list[str]]


def _catalogue_columns() -> list[TemplateColumn]:
    return [
        TemplateColumn(
            "Name in English",
            "Camp bed",
            _("Say what is packed, e.g. “Canned fish 240 g”."),
            width=30,
            required=True,
        ),
        TemplateColumn("Name in Polish", "Łóżko polowe", _("Optional."), width=30),
        TemplateColumn("Name in Ukrainian", "Розкладне ліжко", _("Optional."), width=30),
        TemplateColumn(
            "Category",
            Category.SHELTER.value,
            _("One of: %(allowed)s.", allowed=_allowed(Category)),
            choices=[category.value for category in Category],
            width=14,
            required=True,
        ),
        TemplateColumn(
            "Unit",
            Unit.PCS.value,
            _("One of: %(allowed)s.", allowed=_allowed(Unit)),
            choices=[unit.value for unit in Unit],
            width=10,
            required=True,
        ),
        TemplateColumn(
            "HS code",
            "940320",
            _("6 to 10 digits; dots and spaces are fine, e.g. 8502.12."),
            width=14,
        ),
        TemplateColumn(
            "DAC sector",
            DacSector.RELIEF_ITEMS.value,
            _("72040 food, 72011 medical, 72010 other relief items; empty: from the category."),
            choices=[sector.value for sector in DacSector],
            width=12,
        ),
        TemplateColumn(
            "Default value per unit",
            210,
            _("Zero or more, at most two decimals, e.g. 12.50 or 12,50."),
            width=14,
        ),
        TemplateColumn(
            "Currency",
            "PLN",
            _("Three letters (ISO 4217), e.g. PLN, EUR, UAH; required with a value."),
            choices=list(COMMON_CURRENCIES),
            width=10,
        ),
    ]


def _catalogue_instructions() -> list[str]:
    return [
        _("One row per catalogue item, under the header row. Replace the example row."),
        _(
            "Columns may come in any order; headers in English, Polish or Ukrainian are "
            "recognised. Name in English, Category and Unit are required."
        ),
        _(
            "Category: food, clothing, medical, hygiene, shelter, energy or other. Medical items "
            "need a lot number and an expiry date on every shipment line."
        ),
        _("Unit: pcs, kg, l, box, pallet or set."),
        _(
            "HS code: 6 digits, or Ukraine's 10; dots and spaces are fine (8502.12). Keep the "
            "column as text, so that codes starting with 0 (040210 milk powder) keep their zero."
        ),
        _(
            "DAC sector: 72040 food assistance, 72011 basic health care, 72010 material relief; "
            "leave it empty to follow the category."
        ),
        _(
            "Default value per unit: zero or more, at most two decimals; give its currency as "
            "three letters (PLN, EUR, UAH)."
        ),
        _(
            "An item whose English name and unit are already in the catalogue (in any case), or "
            "earlier in the file, is refused: the import adds items, it does not change them."
        ),
        _(
            "Every row is checked first. If any is wrong, nothing is imported and you see which "
            "rows to correct; otherwise a preview shows what will be added."
        ),
    ]


def _organisation_columns() -> list[TemplateColumn]:
    yes_no = ["yes", "no"]
    part_help = _("yes or no (tak/nie, так/ні, x, 1/0 are fine too); empty: no.")
    return [
        TemplateColumn(
            "Name",
            "Polish Red Cross, Lublin branch",
            _("The name as on documents; each organisation once."),
            width=36,
            required=True,
        ),
        TemplateColumn(
            "Kind",
            OrganisationKind.NGO.value,
            _("One of: %(allowed)s.", allowed=_allowed(OrganisationKind)),
            choices=[kind.value for kind in OrganisationKind],
            width=14,
            required=True,
        ),
        TemplateColumn(
            "Country",
            DEFAULT_COUNTRY,
            _(
                "Two letters (ISO 3166), e.g. PL, UA, FR, or the name; empty: %(country)s.",
                country=DEFAULT_COUNTRY,
            ),
            width=10,
        ),
        TemplateColumn(
            "City",
            None,
            _("Optional: the name or code of a city already in AidTracker, e.g. Lublin or LUB."),
            width=16,
        ),
        TemplateColumn("Contact person", "Anna Nowak", _("Optional."), width=20),
        TemplateColumn("E-mail", "logistics@pck.example", _("Optional."), width=26),
        TemplateColumn(
            "Phone", "+48 81 532 00 00", _("Optional, with the country code."), width=18
        ),
        TemplateColumn("Address", "ul. Przykładowa 1, 20-001 Lublin", _("Optional."), width=30),
        TemplateColumn("Sender", "no", part_help, choices=yes_no, width=10),
        TemplateColumn("Recipient", "no", part_help, choices=yes_no, width=10),
        TemplateColumn("Carrier", "no", part_help, choices=yes_no, width=10),
        TemplateColumn("Donor", "yes", part_help, choices=yes_no, width=10),
    ]


def _organisation_instructions() -> list[str]:
    return [
        _("One row per organisation, under the header row. Replace the example row."),
        _(
            "Columns may come in any order; headers in English, Polish or Ukrainian are "
            "recognised. Name and Kind are required."
        ),
        _(
            "Kind: municipality, ngo, company, public_body or fundraiser (an individual "
            "fundraiser)."
        ),
        _(
            "Country: the two-letter code (PL, UA, FR) or the country's name in English, Polish "
            "or Ukrainian; empty means %(country)s.",
            country=DEFAULT_COUNTRY,
        ),
        _(
            "City: optional; the name or three-letter code of a city already in AidTracker. Add "
            "new cities under Cities first."
        ),
        _(
            "Sender, Recipient, Carrier, Donor: the parts the organisation usually plays; yes or "
            "no (tak/nie, так/ні, x, 1/0). They order choice lists, they do not restrict."
        ),
        _(
            "An organisation whose name is already in AidTracker (in any case), or earlier in "
            "the file, is refused: the import adds organisations, it does not change them."
        ),
        _(
            "Every row is checked first. If any is wrong, nothing is imported and you see which "
            "rows to correct; otherwise a preview shows what will be added."
        ),
    ]


CATALOGUE = ReferenceImport(
    kind="catalogue",
    fields=CATALOGUE_FIELDS,
    check=check_catalogue,
    add=add_catalogue_items,
    template_columns=_catalogue_columns,
    instructions=_catalogue_instructions,
)
ORGANISATIONS = ReferenceImport(
    kind="organisations",
    fields=ORGANISATION_FIELDS,
    check=check_organisations,
    add=add_organisations,
    template_columns=_organisation_columns,
    instructions=_organisation_instructions,
)
IMPORTS = {spec.kind: spec for spec in (CATALOGUE, ORGANISATIONS)}
