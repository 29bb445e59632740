"""The rules of cities, organisations and partnerships.

Each function checks first, raises a named ``PartiesError`` whose `field` names the form field at
fault, and writes in one transaction. ``check_step_order`` is the pure core of the partnership
steps: memorandum, then partnership, then twinning, never dated out of that order.
"""

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask import has_request_context
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from flask_babel.speaklater import LazyString
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.pagination import Page, paginate
from aidtracker.parties.models import (
    PARTNERSHIP_LEVEL_LABELS,
    City,
    Organisation,
    OrganisationKind,
    Partnership,
    PartnershipLevel,
    PartnershipStep,
)
from aidtracker.refusals import FieldRefusal
from aidtracker.search import same_text_taken, text_matches
from aidtracker.shipments.models import Shipment, ShipmentLine

# Two-letter territories in CLDR that are not countries: the EU, the euro area, the UN, "unknown"
# and the pseudo-regions.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})
DEFAULT_COUNTRY = "PL"
_CITY_CODE = re.compile(r"[A-Z]{3}")


# -- errors -----------------------------------------------------------------------------------


class PartiesError(FieldRefusal):
    """A city, organisation or partnership cannot be saved as asked; `field` names the culprit."""


class Required(PartiesError):
    def __init__(self, field: str, message) -> None:
        self.field = field
        super().__init__(message)


class UnknownCountry(PartiesError):
    field = "country"

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            _l("“%(code)s” is not a country code; choose the country from the list.", code=code)
        )


class InvalidEmail(PartiesError):
    field = "contact_email"

    def __init__(self, email: str) -> None:
        self.email = email
        super().__init__(
            _l("“%(email)s” is not an e-mail address, e.g. name@example.org.", email=email)
        )


class DuplicateOrganisation(PartiesError):
    field = "name"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            _l("An organisation called “%(name)s” exists already; change that one.", name=name)
        )


class UnknownCity(PartiesError):
    def __init__(self, field: str = "city_id") -> None:
        self.field = field
        super().__init__(_l("Choose a city from the list."))


class InvalidCityCode(PartiesError):
    field = "code"

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            _l("“%(code)s” is not a city code: use three letters A to Z, e.g. LUB.", code=code)
        )


class DuplicateCityCode(PartiesError):
    field = "code"

    def __init__(self, code: str, city: str) -> None:
        self.code = code
        self.city = city
        super().__init__(
            _l(
                "The code %(code)s belongs to %(city)s already; choose another.",
                code=code,
                city=city,
            )
        )


class DuplicateCity(PartiesError):
    field = "name"

    def __init__(self, name: str, country: str) -> None:
        self.name = name
        self.country = country
        super().__init__(
            _l(
                "%(name)s (%(country)s) is in the list already; change that city.",
                name=name,
                country=country,
            )
        )


class CityCodeInUse(PartiesError):
    """Shipment references carry the code: changing it would break them."""

    field = "code"

    def __init__(self, code: str, shipments: int) -> None:
        self.code = code
        self.shipments = shipments
        super().__init__(
            _ln(
                "The code %(code)s cannot change: %(num)d shipment's reference uses it.",
                "The code %(code)s cannot change: %(num)d shipments' references use it.",
                shipments,
                code=code,
            )
        )


class SameCity(PartiesError):
    field = "partner_city_id"

    def __init__(self) -> None:
        super().__init__(_l("A partnership needs two different cities."))


class DuplicatePartnership(PartiesError):
    field = "partner_city_id"

    def __init__(self, city: str, partner_city: str) -> None:
        self.city = city
        self.partner_city = partner_city
        super().__init__(
            _l(
                "%(city)s and %(partner)s are partners already; add a step to that partnership.",
                city=city,
                partner=partner_city,
            )
        )


class LevelAlreadyRecorded(PartiesError):
    field = "level"

    def __init__(self, level: PartnershipLevel) -> None:
        self.level = level
        super().__init__(
            _l(
                "This partnership has its “%(level)s” already; change that step instead.",
                level=PARTNERSHIP_LEVEL_LABELS[level],
            )
        )


def _human_date(day: date) -> str:
    return format_date(day, "long") if has_request_context() else day.isoformat()


_OUT_OF_ORDER = {
    (PartnershipLevel.PARTNERSHIP, PartnershipLevel.MEMORANDUM, "before"): _l(
        "A partnership agreement cannot be dated before the memorandum of intent (%(date)s)."
    ),
    (PartnershipLevel.TWINNING, PartnershipLevel.MEMORANDUM, "before"): _l(
        "A twinning agreement cannot be dated before the memorandum of intent (%(date)s)."
    ),
    (PartnershipLevel.TWINNING, PartnershipLevel.PARTNERSHIP, "before"): _l(
        "A twinning agreement cannot be dated before the partnership agreement (%(date)s)."
    ),
    (PartnershipLevel.MEMORANDUM, PartnershipLevel.PARTNERSHIP, "after"): _l(
        "A memorandum of intent cannot be dated after the partnership agreement (%(date)s)."
    ),
    (PartnershipLevel.MEMORANDUM, PartnershipLevel.TWINNING, "after"): _l(
        "A memorandum of intent cannot be dated after the twinning agreement (%(date)s)."
    ),
    (PartnershipLevel.PARTNERSHIP, PartnershipLevel.TWINNING, "after"): _l(
        "A partnership agreement cannot be dated after the twinning agreement (%(date)s)."
    ),
}


class StepOutOfOrder(PartiesError):
    """Steps follow memorandum → partnership → twinning in time as well."""

    field = "signed_on"

    def __init__(
        self, level: PartnershipLevel, other: PartnershipLevel, other_date: date, direction: str
    ) -> None:
        self.level = level
        self.other = other
        self.other_date = other_date
        self.direction = direction
        template = _OUT_OF_ORDER[(level, other, direction)]
        super().__init__(
            LazyString(
                lambda: str(template) % {"date": _human_date(other_date)},
            )
        )


# -- countries --------------------------------------------------------------------------------


@functools.cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes of the countries CLDR names."""
    return frozenset(
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    )


def country_choices(locale: Locale | str | None) -> list[tuple[str, str]]:
    """(code, name) of every country, named and sorted in `locale`."""
    names = Locale.parse(locale or "en").territories
    return sorted(
        ((code, names.get(code, code)) for code in country_codes()),
        key=lambda choice: choice[1].casefold(),
    )


def country_name(code: str | None, locale: Locale | str | None) -> str:
    if not code:
        return ""
    return Locale.parse(locale or "en").territories.get(code, code)


def normalise_country(code: str | None) -> str:
    """The upper-case alpha-2 code. Raises UnknownCountry."""
    code = (code or "").strip().upper()
    if code not in country_codes():
        raise UnknownCountry(code)
    return code


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# -- organisations ----------------------------------------------------------------------------


PARTS = ("sender", "recipient", "carrier", "donor")


@dataclass(frozen=True)
class OrganisationDetails:
    name: str
    kind: OrganisationKind
    country: str = DEFAULT_COUNTRY
    city_id: int | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    is_sender: bool = False
    is_recipient: bool = False
    is_carrier: bool = False
    is_donor: bool = False


def normalise_email(email: str | None) -> str | None:
    """The address as stored (domain lower-cased); None when empty. Raises InvalidEmail."""
    email = (email or "").strip()
    if not email:
        return None
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidEmail(email) from None


def _check_city_exists(city_id: int | None) -> None:
    if city_id is not None and db.session.get(City, city_id) is None:
        raise UnknownCity


def normalise_organisation(details: OrganisationDetails) -> OrganisationDetails:
    """Trimmed texts, a known country, a valid e-mail. Raises the first PartiesError found."""
    name = _text(details.name)
    if name is None:
        raise Required("name", _l("Enter the organisation's name."))
    return replace(
        details,
        name=name,
        country=normalise_country(details.country),
        contact_name=_text(details.contact_name),
        contact_email=normalise_email(details.contact_email),
        contact_phone=_text(details.contact_phone),
        address=_text(details.address),
    )


def _save(record, values: dict, duplicate: PartiesError):
    for name, value in values.items():
        setattr(record, name, value)
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        # Somebody saved the same name or code a moment ago.
        db.session.rollback()
        raise duplicate from None
    return record


def _save_organisation(organisation: Organisation, details: OrganisationDetails) -> Organisation:
    details = normalise_organisation(details)
    _check_city_exists(details.city_id)
    if same_text_taken(Organisation.name, details.name, other_than=organisation.id):
        raise DuplicateOrganisation(details.name)
    return _save(organisation, vars(details), DuplicateOrganisation(details.name))


def add_organisation(*, details: OrganisationDetails) -> Organisation:
    """Add an organisation.

    Raises Required, UnknownCountry, InvalidEmail, UnknownCity or DuplicateOrganisation (same
    name, whatever the case).
    """
    return _save_organisation(Organisation(), details)


def change_organisation(
    *, organisation: Organisation, details: OrganisationDetails
) -> Organisation:
    """Change an organisation; raises what ``add_organisation`` raises."""
    return _save_organisation(organisation, details)


def organisation_page(
    *,
    text: str | None = None,
    kind: OrganisationKind | None = None,
    part: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Organisations by name, filtered by name, kind and the part they usually play."""
    conditions = []
    if text and text.strip():
        conditions.append(text_matches(Organisation.name, text.strip()))
    if kind is not None:
        conditions.append(Organisation.kind == kind)
    if part in PARTS:
        conditions.append(getattr(Organisation, f"is_{part}").is_(True))
    return paginate(
        select(Organisation)
        .options(joinedload(Organisation.city))
        .where(*conditions)
        .order_by(func.lower(Organisation.name), Organisation.id),
        page,
        per_page,
        select(func.count(Organisation.id)).where(*conditions),
    )


@dataclass(frozen=True)
class OrganisationUse:
    users: int
    shipments: int


def organisation_use(organisation: Organisation) -> OrganisationUse:
    """How many users belong to it and how many shipments it is party to (any part)."""
    users = db.session.scalar(
        select(func.count(User.id)).where(User.organisation_id == organisation.id)
    )
    shipments = db.session.scalar(
        select(func.count(Shipment.id)).where(
            or_(
                Shipment.sender_id == organisation.id,
                Shipment.recipient_id == organisation.id,
                Shipment.carrier_id == organisation.id,
                exists(
                    select(ShipmentLine.id).where(
                        ShipmentLine.shipment_id == Shipment.id,
                        ShipmentLine.donor_id == organisation.id,
                    )
                ),
            )
        )
    )
    return OrganisationUse(users=users, shipments=shipments)


# -- cities -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CityDetails:
    code: str
    name: str
    country: str
    region: str | None = None
    community: str | None = None


def normalise_city_code(code: str | None) -> str:
    """Three upper-case letters. Raises InvalidCityCode."""
    code = (code or "").strip().upper()
    if not _CITY_CODE.fullmatch(code):
        raise InvalidCityCode(code)
    return code


def normalise_city(details: CityDetails) -> CityDetails:
    name = _text(details.name)
    if name is None:
        raise Required("name", _l("Enter the city's name."))
    return replace(
        details,
        code=normalise_city_code(details.code),
        name=name,
        country=normalise_country(details.country),
        region=_text(details.region),
        community=_text(details.community),
    )


def shipments_of_city(city: City) -> int:
    """How many shipments leave from or go to the city (their references carry its code)."""
    if city.id is None:
        return 0
    return db.session.scalar(
        select(func.count(Shipment.id)).where(
            or_(Shipment.origin_city_id == city.id, Shipment.destination_city_id == city.id)
        )
    )


def _save_city(city: City, details: CityDetails) -> City:
    details = normalise_city(details)
    if city.id is not None and details.code != city.code:
        used = shipments_of_city(city)
        if used:
            raise CityCodeInUse(city.code, used)
    holder = db.session.scalar(
        select(City).where(City.code == details.code, City.id != (city.id or 0)).limit(1)
    )
    if holder is not None:
        raise DuplicateCityCode(details.code, holder.name)
    if same_text_taken(
        City.name, details.name, City.country == details.country, other_than=city.id
    ):
        raise DuplicateCity(details.name, details.country)
    return _save(city, vars(details), DuplicateCity(details.name, details.country))


def add_city(*, details: CityDetails) -> City:
    """Add a city.

    Raises Required, InvalidCityCode, UnknownCountry, DuplicateCityCode or DuplicateCity (same name
    in the same country).
    """
    return _save_city(City(), details)


def change_city(*, city: City, details: CityDetails) -> City:
    """Change a city; its code only while no shipment uses it (CityCodeInUse).

    Raises what ``add_city`` raises, and CityCodeInUse.
    """
    return _save_city(city, details)


def city_page(*, text: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Cities by country and name, filtered by name or code."""
    conditions = []
    if text and text.strip():
        text = text.strip()
        conditions.append(or_(text_matches(City.name, text), City.code == text.upper()))
    return paginate(
        select(City).where(*conditions).order_by(City.country, func.lower(City.name), City.id),
        page,
        per_page,
        select(func.count(City.id)).where(*conditions),
    )


def all_cities() -> list[City]:
    """Every city, by name, for choice lists."""
    return list(db.session.scalars(select(City).order_by(func.lower(City.name), City.id)))


# -- partnerships -----------------------------------------------------------------------------


LEVEL_ORDER = {level: position for position, level in enumerate(PartnershipLevel)}


def check_step_order(
    level: PartnershipLevel, signed_on: date, others: Iterable[tuple[PartnershipLevel, date]]
) -> None:
    """Refuse a step dated before an earlier level's step or after a later level's step.

    Equal dates are fine (a memorandum and an agreement can be signed the same day). When several
    steps conflict, the nearest level is named. Raises StepOutOfOrder. Pure: no database.
    """
    position = LEVEL_ORDER[level]
    earlier = sorted(
        (item for item in others if LEVEL_ORDER[item[0]] < position),
        key=lambda item: -LEVEL_ORDER[item[0]],
    )
    later = sorted(
        (item for item in others if LEVEL_ORDER[item[0]] > position),
        key=lambda item: LEVEL_ORDER[item[0]],
    )
    for other, other_date in earlier:
        if signed_on < other_date:
            raise StepOutOfOrder(level, other, other_date, "before")
    for other, other_date in later:
        if signed_on > other_date:
            raise StepOutOfOrder(level, other, other_date, "after")


def _pair(city_id: int, partner_city_id: int) -> ColumnElement[bool]:
    return or_(
        and_(Partnership.city_id == city_id, Partnership.partner_city_id == partner_city_id),
        and_(Partnership.city_id == partner_city_id, Partnership.partner_city_id == city_id),
    )


def add_partnership(*, city_id: int | None, partner_city_id: int | None) -> Partnership:
    """Record a partnership between two cities, without steps yet.

    Raises Required, UnknownCity, SameCity or DuplicatePartnership (in either direction: Lublin
    with Kryvyi Rih is Kryvyi Rih with Lublin).
    """
    if city_id is None:
        raise Required("city_id", _l("Choose the first city."))
    if partner_city_id is None:
        raise Required("partner_city_id", _l("Choose the partner city."))
    city = db.session.get(City, city_id)
    partner_city = db.session.get(City, partner_city_id)
    if city is None:
        raise UnknownCity("city_id")
    if partner_city is None:
        raise UnknownCity("partner_city_id")
    if city.id == partner_city.id:
        raise SameCity
    if db.session.scalar(select(Partnership.id).where(_pair(city.id, partner_city.id))):
        raise DuplicatePartnership(city.name, partner_city.name)
    partnership = Partnership(city=city, partner_city=partner_city)
    return _save(partnership, {}, DuplicatePartnership(city.name, partner_city.name))


def partnership_with_steps(partnership_id: int) -> Partnership | None:
    return db.session.scalar(
        select(Partnership)
        .where(Partnership.id == partnership_id)
        .options(
            joinedload(Partnership.city),
            joinedload(Partnership.partner_city),
            selectinload(Partnership.steps),
        )
    )


def partnership_page(*, text: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Partnerships with their cities and steps, by city names; filtered by a city's name."""
    conditions = []
    if text and text.strip():
        matching_city = select(City.id).where(text_matches(City.name, text.strip()))
        conditions.append(
            or_(
                Partnership.city_id.in_(matching_city),
                Partnership.partner_city_id.in_(matching_city),
            )
        )
    city = db.aliased(City)
    partner = db.aliased(City)
    return paginate(
        select(Partnership)
        .join(city, Partnership.city)
        .join(partner, Partnership.partner_city)
        .options(
            joinedload(Partnership.city),
            joinedload(Partnership.partner_city),
            selectinload(Partnership.steps),
        )
        .where(*conditions)
        .order_by(func.lower(city.name), func.lower(partner.name), Partnership.id),
        page,
        per_page,
        select(func.count(Partnership.id)).where(*conditions),
    )


def _check_step(
    partnership: Partnership,
    level: PartnershipLevel,
    signed_on: date | None,
    *,
    step: PartnershipStep | None = None,
) -> None:
    if signed_on is None:
        raise Required("signed_on", _l("Enter the date the step was signed or adopted."))
    others = [existing for existing in partnership.steps if existing is not step]
    if any(existing.level == level for existing in others):
        raise LevelAlreadyRecorded(level)
    check_step_order(
        level, signed_on, [(existing.level, existing.signed_on) for existing in others]
    )


def add_step(
    *,
    partnership: Partnership,
    level: PartnershipLevel,
    signed_on: date | None,
    act: str | None = None,
) -> PartnershipStep:
    """Record a step of the partnership: its level, the date signed and the act that made it.

    Raises Required, LevelAlreadyRecorded (each level once) or StepOutOfOrder.
    """
    _check_step(partnership, level, signed_on)
    step = PartnershipStep(
        partnership=partnership, level=level, signed_on=signed_on, act=_text(act)
    )
    return _save(step, {}, LevelAlreadyRecorded(level))


def change_step(
    *,
    step: PartnershipStep,
    level: PartnershipLevel,
    signed_on: date | None,
    act: str | None = None,
) -> PartnershipStep:
    """Correct a step. Raises what ``add_step`` raises."""
    _check_step(step.partnership, level, signed_on, step=step)
    return _save(
        step,
        {"level": level, "signed_on": signed_on, "act": _text(act)},
        LevelAlreadyRecorded(level),
    )


def remove_step(*, step: PartnershipStep) -> None:
    """Remove a step recorded by mistake; the others keep their order."""
    db.session.delete(step)
    db.session.commit()
