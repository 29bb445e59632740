"""Forms for organisations, cities, partnerships and their steps.

Field checks call the rules of ``aidtracker.parties.service``; choice lists (countries in the
user's language, cities) are filled when the form is made, per request.
"""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, Form, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from aidtracker.extensions import db
from aidtracker.formfields import (
    member_of,
    optional_id,
    options,
    service_rule,
    stripped,
    upper_stripped,
)
from aidtracker.parties import service
from aidtracker.parties.models import (
    ORGANISATION_KIND_LABELS,
    PARTNERSHIP_LEVEL_LABELS,
    Organisation,
    OrganisationKind,
    PartnershipLevel,
)


def organisation_choices(
    usual_part: str, blank_label, organisations: list[Organisation] | None = None
) -> list[SelectChoice]:
    """Organisations that usually play this part (``is_donor``, ``is_sender``…) first, then the
    others, after a blank choice. `organisations` (all of them, by name) when the caller has
    them already; else they are read."""
    if organisations is None:
        organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    usual = [SelectChoice(o.id, o.name) for o in organisations if getattr(o, usual_part)]
    others = [SelectChoice(o.id, o.name) for o in organisations if not getattr(o, usual_part)]
    return [SelectChoice("", blank_label), *usual, *others]


PART_LABELS = {
    "sender": _l("Sender"),
    "recipient": _l("Recipient"),
    "carrier": _l("Carrier"),
    "donor": _l("Donor"),
}


def _city_choices(empty_label) -> list[SelectChoice]:
    return options(
        {city.id: f"{city.name} ({city.code})" for city in service.all_cities()}, empty_label
    )


class _CountryMixin:
    def _fill_countries(self) -> None:
        self.country.choices = options(dict(service.country_choices(get_locale())))


class OrganisationForm(FlaskForm, _CountryMixin):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(message=_l("Enter the organisation's name.")), Length(max=200)],
        filters=[stripped],
        description=_l("The name as it appears on documents; each organisation once."),
    )
    kind = SelectField(
        _l("Kind"),
        choices=options(ORGANISATION_KIND_LABELS),
        coerce=member_of(OrganisationKind),
        default=OrganisationKind.NGO,
    )
    country = SelectField(
        _l("Country"),
        default=service.DEFAULT_COUNTRY,
        validate_choice=False,
        validators=[service_rule(service.normalise_country, service.PartiesError)],
    )
    city_id = SelectField(
        _l("City"),
        coerce=optional_id,
        validate_choice=False,
        description=_l("Optional; only the cities in AidTracker are listed."),
    )
    contact_name = StringField(
        _l("Contact person"), validators=[Optional(), Length(max=200)], filters=[stripped]
    )
    contact_email = StringField(
        _l("E-mail"),
        validators=[
            Optional(),
            Length(max=254),
            service_rule(service.normalise_email, service.PartiesError),
        ],
        filters=[stripped],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    contact_phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=50)],
        filters=[stripped],
        render_kw={"type": "tel"},
        description=_l("With the country code, e.g. +48 81 466 10 00."),
    )
    address = TextAreaField(
        _l("Address"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )
    is_sender = BooleanField(_l("Sender"))
    is_recipient = BooleanField(_l("Recipient"))
    is_carrier = BooleanField(_l("Carrier"))
    is_donor = BooleanField(_l("Donor"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fill_countries()
        self.city_id.choices = _city_choices(_l("— no city —"))

    def details(self) -> service.OrganisationDetails:
        return service.OrganisationDetails(
            name=self.name.data or "",
            kind=self.kind.data,
            country=self.country.data,
            city_id=self.city_id.data,
            contact_name=self.contact_name.data,
            contact_email=self.contact_email.data,
            contact_phone=self.contact_phone.data,
            address=self.address.data,
            is_sender=self.is_sender.data,
            is_recipient=self.is_recipient.data,
            is_carrier=self.is_carrier.data,
            is_donor=self.is_donor.data,
        )


class OrganisationFilterForm(Form):
    """The list's search, read from the query string."""

    q = StringField(_l("Search by name"), filters=[stripped])
    kind = SelectField(
        _l("Kind"),
        choices=options(ORGANISATION_KIND_LABELS, _l("All kinds")),
        validate_choice=False,
    )
    part = SelectField(
        _l("Usually acts as"),
        choices=options(PART_LABELS, _l("Any part")),
        validate_choice=False,
    )

    @property
    def chosen_kind(self) -> OrganisationKind | None:
        return OrganisationKind(self.kind.data) if self.kind.data in set(OrganisationKind) else None

    @property
    def chosen_part(self) -> str | None:
        return self.part.data if self.part.data in PART_LABELS else None


class CityForm(FlaskForm, _CountryMixin):
    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(message=_l("Enter the city's three-letter code.")),
            service_rule(service.normalise_city_code, service.PartiesError),
        ],
        filters=[upper_stripped],
        render_kw={"maxlength": 3, "autocomplete": "off"},
        description=_l(
            "Three letters used in shipment references: LUB-KRR-2023-0007 goes from Lublin (LUB) "
            "to Kryvyi Rih (KRR). It cannot change once a shipment uses the city."
        ),
    )
    name = StringField(
        _l("Name"),
        validators=[InputRequired(message=_l("Enter the city's name.")), Length(max=120)],
        filters=[stripped],
    )
    country = SelectField(
        _l("Country"),
        default=service.DEFAULT_COUNTRY,
        validate_choice=False,
        validators=[service_rule(service.normalise_country, service.PartiesError)],
    )
    region = StringField(
        _l("Region"),
        validators=[Optional(), Length(max=120)],
        filters=[stripped],
        description=_l("e.g. Lublin Voivodeship, Volyn oblast."),
    )
    community = StringField(
        _l("Community"),
        validators=[Optional(), Length(max=200)],
        filters=[stripped],
        description=_l(
            "The municipality or territorial community, e.g. Lutsk territorial community."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fill_countries()

    def details(self) -> service.CityDetails:
        return service.CityDetails(
            code=self.code.data or "",
            name=self.name.data or "",
            country=self.country.data,
            region=self.region.data,
            community=self.community.data,
        )


class CityFilterForm(Form):
    q = StringField(_l("Search by name or code"), filters=[stripped])


class PartnershipForm(FlaskForm):
    city_id = SelectField(
        _l("City"),
        coerce=optional_id,
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose the first city."))],
    )
    partner_city_id = SelectField(
        _l("Partner city"),
        coerce=optional_id,
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose the partner city."))],
        description=_l("Add a city first under Cities if it is not in the list."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.city_id.choices = _city_choices(_l("— choose a city —"))
        self.partner_city_id.choices = _city_choices(_l("— choose a city —"))


class PartnershipFilterForm(Form):
    q = StringField(_l("Search by city"), filters=[stripped])


class StepForm(FlaskForm):
    level = SelectField(
        _l("Step"),
        choices=options(PARTNERSHIP_LEVEL_LABELS),
        coerce=member_of(PartnershipLevel),
        description=_l("Memorandum of intent, then partnership agreement, then twinning."),
    )
    signed_on = DateField(
        _l("Date signed or adopted"),
        validators=[InputRequired(message=_l("Enter the date the step was signed or adopted."))],
    )
    act = StringField(
        _l("Act"),
        validators=[Optional(), Length(max=300)],
        filters=[stripped],
        description=_l("What made it, e.g. “Lublin City Council resolution No. 1234/XLV/2023”."),
    )
