"""The Reports page's form: which report, for which period, in which currency, narrowed how."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, or_, select
from wtforms import BooleanField, DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from aidtracker.catalogue.models import Category
from aidtracker.extensions import db
from aidtracker.formfields import optional_id
from aidtracker.money.models import ExchangeRate
from aidtracker.money.service import base_currency
from aidtracker.parties.models import City, Organisation
from aidtracker.reports.scope import DISPATCHED_OR_LATER, ReportParameters
from aidtracker.reports.service import REPORT_WRITERS, ReportKind
from aidtracker.shipments.models import ShipmentLine

COMMON_CURRENCIES = ("PLN", "EUR", "UAH", "USD")
"""Offered even before any of their rates is entered (a missing rate is then named)."""

REPORT_HELP = {
    ReportKind.REGISTER: _l(
        "Shipment register: a row per shipment line, with its value in the reporting currency "
        "and the rate used."
    ),
    ReportKind.DONORS: _l(
        "Donor statement: per donor, the lines and totals by category and destination."
    ),
    ReportKind.SUMMARY: _l(
        "Period summary: value and count by category and destination, month by month."
    ),
}


def reporting_currencies() -> list[str]:
    """The base currency first, then the usual ones, then any other that has rates."""
    with_rates = db.session.scalars(select(ExchangeRate.currency).distinct()).all()
    ordered = [base_currency(), *COMMON_CURRENCIES, *sorted(with_rates)]
    return list(dict.fromkeys(ordered))


def donors_of_lines() -> Select:
    """The distinct donors of shipment lines, read from the donor index a few entries at a time
    (each step asks for the next donor after the last one found) instead of from every line:
    a handful of donors gave hundreds of thousands of lines, and the Reports page asks on each
    visit."""
    found = select(func.min(ShipmentLine.donor_id).label("id")).cte("donors", recursive=True)
    following = select(func.min(ShipmentLine.donor_id)).where(ShipmentLine.donor_id > found.c.id)
    found = found.union_all(select(following.scalar_subquery()).where(found.c.id.is_not(None)))
    return select(found.c.id).where(found.c.id.is_not(None))


def donor_choices() -> list[SelectChoice]:
    """Organisations marked as donors, and any other that gave a line."""
    donors = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(or_(Organisation.is_donor, Organisation.id.in_(donors_of_lines())))
        .order_by(Organisation.name)
    )
    return [SelectChoice(donor_id, name) for donor_id, name in donors]


def this_year() -> int:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.now(zone).year


class ReportForm(FlaskForm):
    report = SelectField(_l("Report"), default=ReportKind.REGISTER.value)
    date_from = DateField(
        _l("From"),
        validators=[InputRequired(message=_l("Enter the first day of the period."))],
        default=lambda: date(this_year(), 1, 1),
    )
    date_to = DateField(
        _l("To"),
        validators=[InputRequired(message=_l("Enter the last day of the period."))],
        default=lambda: date(this_year(), 12, 31),
    )
    currency = SelectField(_l("Reporting currency"), default=base_currency)
    donor = SelectField(_l("Donor"), coerce=optional_id)
    destination = SelectField(_l("Destination city"), coerce=optional_id)
    category = SelectField(_l("Category"), default="")
    status = SelectField(_l("Status"), default="")
    hxl = BooleanField(_l("Add the HXL hashtag row"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        anything = SelectChoice("", _l("Any"))
        self.report.choices = [
            SelectChoice(kind.value, kind.title) for kind in ReportKind if kind in REPORT_WRITERS
        ]
        self.currency.choices = [SelectChoice(code, code) for code in reporting_currencies()]
        self.donor.choices = [anything, *donor_choices()]
        cities = db.session.scalars(select(City).order_by(City.name)).all()
        self.destination.choices = [anything] + [SelectChoice(c.id, c.name) for c in cities]
        self.category.choices = [anything] + [SelectChoice(c.value, c.label) for c in Category]
        self.status.choices = [anything] + [
            SelectChoice(s.value, s.label) for s in DISPATCHED_OR_LATER
        ]

    @property
    def kind(self) -> ReportKind:
        return ReportKind(self.report.data)

    def report_help(self) -> list[str]:
        """What each report offered holds, in the order the select lists them."""
        return [REPORT_HELP[ReportKind(choice.value)] for choice in self.report.choices]

    def parameters(self) -> ReportParameters:
        """What a validated form asks for."""
        return ReportParameters(
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            currency=self.currency.data,
            donor_id=self.donor.data,
            destination_city_id=self.destination.data,
            category=self.category.data or "",
            status=self.status.data or "",
            hxl=bool(self.hxl.data),
        )
