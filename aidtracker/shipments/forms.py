"""The shipment form: the header and its lines, edited together in one page."""

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from aidtracker.catalogue.models import CatalogueItem, Category, Unit
from aidtracker.extensions import db
from aidtracker.formfields import LocalDecimalField, optional_id, stripped
from aidtracker.funds.models import Fund
from aidtracker.i18n import current_language
from aidtracker.parties.forms import organisation_choices
from aidtracker.parties.models import City, Organisation
from aidtracker.shipments.entry import LineEntry, ShipmentEntry
from aidtracker.shipments.models import CustomsStatus, Funding, ShipmentStatus, TransportMode
from aidtracker.shipments.queries import ShipmentFilters

BLANK_LINES = 3
"""Empty line rows offered at the end of the form, so that most shipments need no extra round."""


class LineForm(Form):
    """One line; a row left empty is ignored."""

    item = SelectField(_l("Item"), coerce=optional_id, validate_choice=True)
    quantity = LocalDecimalField(_l("Quantity"), places=None, validators=[Optional()])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    unit_value = LocalDecimalField(_l("Unit value"), validators=[Optional()])
    currency = StringField(
        _l("Currency"),
        validators=[Optional(), Length(min=3, max=3, message=_l("Three letters, e.g. PLN."))],
        filters=[lambda text: text.strip().upper() if text else text],
    )
    donor = SelectField(_l("Donor"), coerce=optional_id)
    funding = SelectField(
        _l("Funding"),
        choices=[SelectChoice(funding.value, funding.label) for funding in Funding],
        default=Funding.IN_KIND.value,
    )
    fund = SelectField(_l("Fund"), coerce=optional_id)
    lot = StringField(
        _l("Lot"),
        validators=[Optional(), Length(max=60)],
        filters=[lambda text: text.strip() if text else text],
    )
    expiry = DateField(_l("Expiry"), validators=[Optional()])
    gross_weight_kg = LocalDecimalField(
        _l("Gross weight (kg)"), places=None, validators=[Optional()]
    )
    remove = BooleanField(_l("Remove"))

    def is_blank(self) -> bool:
        return self.item.data is None and self.quantity.data is None and not self.lot.data

    def is_kept(self) -> bool:
        return not self.remove.data and not self.is_blank()


class ShipmentForm(FlaskForm):
    version = HiddenField()
    origin_city = SelectField(
        _l("From (city)"),
        coerce=optional_id,
        validators=[DataRequired(message=_l("Choose the origin city."))],
    )
    destination_city = SelectField(
        _l("To (city)"),
        coerce=optional_id,
        validators=[DataRequired(message=_l("Choose the destination city."))],
    )
    sender = SelectField(
        _l("Sender"),
        coerce=optional_id,
        validators=[DataRequired(message=_l("Choose the sender."))],
    )
    recipient = SelectField(_l("Recipient"), coerce=optional_id)
    carrier = SelectField(_l("Carrier"), coerce=optional_id)
    transport_mode = SelectField(
        _l("Transport"),
        choices=[SelectChoice(mode.value, mode.label) for mode in TransportMode],
        default=TransportMode.ROAD.value,
    )
    vehicle_registration = StringField(
        _l("Vehicle registration"), validators=[Optional(), Length(max=40)], filters=[stripped]
    )
    driver_name = StringField(
        _l("Driver"), validators=[Optional(), Length(max=200)], filters=[stripped]
    )
    cmr_number = StringField(
        _l("CMR number"), validators=[Optional(), Length(max=60)], filters=[stripped]
    )
    planned_departure = DateField(_l("Planned departure"), validators=[Optional()])
    notes = TextAreaField(
        _l("Notes"), validators=[Optional(), Length(max=5000)], filters=[stripped]
    )
    lines = FieldList(FormField(LineForm), min_entries=0)
    add_lines = SubmitField(_l("Add more lines"))
    save = SubmitField(_l("Save shipment"))

    def fill_choices(self) -> None:
        """Offer the cities, organisations and active catalogue items of the database."""
        cities = db.session.scalars(select(City).order_by(City.name)).all()
        city_choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(city.id, f"{city.name} ({city.country})") for city in cities
        ]
        self.origin_city.choices = city_choices
        self.destination_city.choices = city_choices
        organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
        self.sender.choices = organisation_choices("is_sender", _l("Choose…"), organisations)
        self.recipient.choices = organisation_choices(
            "is_recipient", _l("Not known yet"), organisations
        )
        self.carrier.choices = organisation_choices(
            "is_carrier", _l("Not known yet"), organisations
        )
        items = db.session.scalars(
            select(CatalogueItem)
            .where(CatalogueItem.active | CatalogueItem.id.in_(self._item_ids_in_use()))
            .order_by(CatalogueItem.name_en)
        ).all()
        self.items_by_id = {item.id: item for item in items}
        language = current_language()  # items are listed by their name in the user's language
        items = sorted(items, key=lambda item: item.name_in(language).casefold())
        item_choices = [SelectChoice("", _l("Choose an item…"))] + [
            SelectChoice(
                item.id, item.name_in(language), _item_hints(item), optgroup=str(category.label)
            )
            for category in Category
            for item in items
            if item.category is category
        ]
        donors = organisation_choices("is_donor", _l("Choose…"), organisations)
        units = [SelectChoice("", _l("Catalogue"))] + [
            SelectChoice(unit.value, unit.label) for unit in Unit
        ]
        funds = db.session.scalars(
            select(Fund)
            .where(Fund.is_open | Fund.id.in_(self._fund_ids_in_use()))
            .order_by(Fund.name)
        ).all()
        self.funds_by_id = {fund.id: fund for fund in funds}
        fund_choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(fund.id, f"{fund.name} ({fund.currency})") for fund in funds
        ]
        for line in self.lines:
            line.item.choices = item_choices
            line.donor.choices = donors
            line.unit.choices = units
            line.fund.choices = fund_choices

    def _item_ids_in_use(self) -> list[int]:
        """Items already on this shipment stay choosable even if deactivated since."""
        return [line.item.data for line in self.lines if isinstance(line.item.data, int)]

    def _fund_ids_in_use(self) -> list[int]:
        """A closed fund stays shown on the lines that already draw on it."""
        return [line.fund.data for line in self.lines if isinstance(line.fund.data, int)]

    def add_blank_lines(self, count: int = BLANK_LINES) -> None:
        for _index in range(count):
            self.lines.append_entry()

    def kept_lines(self) -> list[LineForm]:
        return [line.form for line in self.lines if line.form.is_kept()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for line in self.kept_lines():
            if line.item.data is None:
                line.item.errors.append(_l("Choose an item."))
                valid = False
            if line.quantity.data is None and not line.quantity.errors:
                line.quantity.errors.append(_l("Enter the quantity."))
                valid = False
        if valid and self.origin_city.data == self.destination_city.data:
            self.destination_city.errors.append(_l("The destination must differ from the origin."))
            valid = False
        return valid

    def to_entry(self) -> ShipmentEntry:
        """The entered shipment, with the organisations, cities and items it names."""

        def organisation(field):
            return db.session.get(Organisation, field.data) if field.data else None

        return ShipmentEntry(
            origin_city=db.session.get(City, self.origin_city.data),
            destination_city=db.session.get(City, self.destination_city.data),
            sender=organisation(self.sender),
            recipient=organisation(self.recipient),
            carrier=organisation(self.carrier),
            transport_mode=TransportMode(self.transport_mode.data),
            vehicle_registration=self.vehicle_registration.data or None,
            driver_name=self.driver_name.data or None,
            cmr_number=self.cmr_number.data or None,
            planned_departure=self.planned_departure.data,
            notes=self.notes.data or None,
            lines=[
                LineEntry(
                    item=self.items_by_id[line.item.data],
                    quantity=line.quantity.data,
                    unit=Unit(line.unit.data) if line.unit.data else None,
                    unit_value=line.unit_value.data,
                    currency=line.currency.data or None,
                    donor=db.session.get(Organisation, line.donor.data)
                    if line.donor.data
                    else None,
                    funding=Funding(line.funding.data),
                    fund=self.funds_by_id[line.fund.data] if line.fund.data else None,
                    lot=line.lot.data or None,
                    expiry=line.expiry.data,
                    gross_weight_kg=line.gross_weight_kg.data,
                )
                for line in self.kept_lines()
            ],
        )

    def show_line_errors(self, errors: dict[int, dict[str, str]]) -> None:
        """Put the service's messages next to the fields of the lines they concern."""
        kept = self.kept_lines()
        for index, problems in errors.items():
            for field_name, message in problems.items():
                kept[index][field_name].errors.append(message)

    def load(self, shipment) -> None:
        """Fill the form from a saved shipment (when it is opened for editing)."""
        self.version.data = str(shipment.version)
        for name in ("transport_mode",):
            getattr(self, name).data = getattr(shipment, name).value
        for name in (
            "vehicle_registration",
            "driver_name",
            "cmr_number",
            "planned_departure",
            "notes",
        ):
            getattr(self, name).data = getattr(shipment, name)
        self.origin_city.data = shipment.origin_city_id
        self.destination_city.data = shipment.destination_city_id
        self.sender.data = shipment.sender_id
        self.recipient.data = shipment.recipient_id
        self.carrier.data = shipment.carrier_id
        for line in shipment.lines:
            self.lines.append_entry(
                SimpleNamespace(
                    item=line.catalogue_item_id,
                    quantity=line.quantity,
                    unit=line.unit.value,
                    unit_value=line.unit_value,
                    currency=line.currency,
                    donor=line.donor_id,
                    funding=line.funding.value,
                    fund=line.fund_id,
                    lot=line.lot,
                    expiry=line.expiry,
                    gross_weight_kg=line.gross_weight_kg,
                    remove=False,
                )
            )


def _item_hints(item: CatalogueItem) -> dict:
    """What the browser needs to show an item's defaults while the user fills in a line."""
    return {
        "data-unit": item.unit.value,
        "data-unit-value": "" if item.default_unit_value is None else str(item.default_unit_value),
        "data-currency": item.default_currency or "",
        "data-medical": "1" if item.category.needs_lot_and_expiry else "",
    }


SORT_LABELS = {
    "newest": _l("Newest first"),
    "departure": _l("Departure, latest first"),
    "departure_asc": _l("Departure, earliest first"),
    "reference": _l("Reference"),
    "status": _l("Status"),
}


class ShipmentFilterForm(Form):
    """The list's search and filters, read from the address (GET), so a filtered list can be
    bookmarked and shared."""

    q = StringField(_l("Search"), filters=[stripped], description=_l("Reference, item or donor"))
    status = SelectField(_l("Status"), default="")
    customs_status = SelectField(_l("Customs"), default="")
    destination = SelectField(_l("Destination"), coerce=optional_id)
    category = SelectField(_l("Category"), default="")
    departure_from = DateField(_l("Departure from"), validators=[Optional()])
    departure_to = DateField(_l("Departure to"), validators=[Optional()])
    changed_from = DateField(_l("Last change from"), validators=[Optional()])
    changed_to = DateField(_l("Last change to"), validators=[Optional()])
    sort = SelectField(_l("Sort"), default="newest")

    def __init__(self, formdata):
        super().__init__(formdata)
        anything = SelectChoice("", _l("Any"))
        self.status.choices = [anything] + [SelectChoice(s.value, s.label) for s in ShipmentStatus]
        self.customs_status.choices = [anything] + [
            SelectChoice(s.value, s.label) for s in CustomsStatus
        ]
        cities = db.session.scalars(select(City).order_by(City.name)).all()
        self.destination.choices = [anything] + [SelectChoice(c.id, c.name) for c in cities]
        self.category.choices = [anything] + [SelectChoice(c.value, c.label) for c in Category]
        self.sort.choices = [SelectChoice(key, label) for key, label in SORT_LABELS.items()]

    def to_filters(self) -> ShipmentFilters:
        """The valid filters; a field the user got wrong is left out (and shows its error)."""
        self.validate()

        def valid(field, empty=""):
            return empty if field.errors or field.data is None else field.data

        return ShipmentFilters(
            text=self.q.data or "",
            status=valid(self.status),
            customs_status=valid(self.customs_status),
            destination_city_id=valid(self.destination, None),
            category=valid(self.category),
            departure_from=valid(self.departure_from, None),
            departure_to=valid(self.departure_to, None),
            changed_from=valid(self.changed_from, None),
            changed_to=valid(self.changed_to, None),
            sort=valid(self.sort, "newest") or "newest",
        )

    def active_arguments(self) -> dict:
        """The filters as query-string arguments, to keep them when paging."""
        return {name: value for name, value in self.data.items() if value not in (None, "")}
