"""The shipment list, the shipment page, and entering and editing shipments."""

from datetime import date, datetime

from babel import dates, numbers
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from aidtracker.auth.permissions import Permission, ShipmentAccess, requires
from aidtracker.extensions import db
from aidtracker.shipments.entry import (
    EDITABLE_STATUSES,
    EditConflict,
    EntryError,
    LineErrors,
    create_shipment,
    update_shipment,
)
from aidtracker.shipments.forms import ShipmentFilterForm, ShipmentForm
from aidtracker.shipments.models import CustomsStatus, StatusEvent
from aidtracker.shipments.queries import list_page, shipment_by_reference, totals_by_currency

blueprint = Blueprint("shipments", __name__, url_prefix="/shipments")


class PageFormat:
    """Numbers, amounts, dates and labels as the user's language writes them, with the language
    and time zone looked up once per page rather than once per value.

    Flask-Babel's filters (``decimalformat``, ``currencyformat``, ``dateformat``,
    ``datetimeformat``) and the status labels look both up on every call, which on a list of 50
    rows is most of the page's work; this writes the same text. A status's label and badge are
    translated once per page however many rows show them. Made per request: never shared.
    """

    DATE = "medium"
    MOMENT = "short"
    """The formats the filters use here: Flask-Babel's default for dates, and the history's."""

    def __init__(self):
        self.locale = get_locale()
        self.zone = get_timezone()
        # Keyed by class and member: members of different enums can be equal strings
        # (Category.OTHER and DocumentKind.OTHER are both "other").
        self._labels: dict[tuple, str] = {}
        self._badges: dict[tuple, Markup] = {}

    def number(self, value) -> str:
        return numbers.format_decimal(value, locale=self.locale)

    def money(self, value, currency: str) -> str:
        return numbers.format_currency(value, currency, locale=self.locale)

    def day(self, value: date | datetime) -> str:
        """The day, of a date or of a moment where users live."""
        if isinstance(value, datetime):
            value = value.astimezone(self.zone)
        return dates.format_date(value, self.DATE, locale=self.locale)

    def moment(self, value: datetime) -> str:
        return dates.format_datetime(value, self.MOMENT, tzinfo=self.zone, locale=self.locale)

    def label(self, member) -> str:
        """The translated label of a status, unit, category, kind…"""
        key = (type(member), member)
        if key not in self._labels:
            self._labels[key] = member.label
        return self._labels[key]

    def event_status(self, event: StatusEvent, value: str | None) -> str:
        """The label of a status stored on a history event (a customs status on customs ones)."""
        key = (StatusEvent, event.kind, value)
        if key not in self._labels:
            self._labels[key] = event.status_label(value)
        return self._labels[key]

    def badge(self, status) -> Markup:
        """The badge of a status or customs status (shipments/_status.html)."""
        key = (type(status), status)
        if key not in self._badges:
            macro = "customs_badge" if isinstance(status, CustomsStatus) else "status_badge"
            self._badges[key] = get_template_attribute("shipments/_status.html", macro)(status)
        return self._badges[key]


@blueprint.get("/")
@requires(Permission.VIEW_SHIPMENTS)
def list_shipments():
    page = request.args.get("page", default=1, type=int) or 1
    filters = ShipmentFilterForm(request.args)
    result = list_page(current_user, page, current_app.config["PAGE_SIZE"], filters.to_filters())
    return render_template(
        "shipments/list.html", result=result, filters=filters, format=PageFormat()
    )


@blueprint.get("/<reference>")
@requires(Permission.VIEW_SHIPMENTS)
def show_shipment(reference: str):
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    # The user itself, not the request's proxy to it: the page asks access dozens of questions.
    access = ShipmentAccess(current_user._get_current_object(), shipment)
    valued = [line for line in access.lines if access.sees_value_of(line)]
    return render_template(
        "shipments/detail.html",
        shipment=shipment,
        access=access,
        totals=totals_by_currency(valued),
        format=PageFormat(),
    )


def _render_form(form: ShipmentForm, shipment=None, status: int = 200):
    return render_template("shipments/form.html", form=form, shipment=shipment), status


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Permission.EDIT_SHIPMENTS)
def new_shipment():
    form = ShipmentForm()
    if request.method == "GET":
        form.sender.data = current_user.organisation_id
        if current_user.organisation and current_user.organisation.city_id:
            form.origin_city.data = current_user.organisation.city_id
        form.add_blank_lines()
    form.fill_choices()
    if form.add_lines.data:
        form.add_blank_lines()
        form.fill_choices()
        return _render_form(form)
    if not form.validate_on_submit():
        return _render_form(form, status=422 if request.method == "POST" else 200)
    try:
        shipment = create_shipment(form.to_entry(), by=current_user)
    except LineErrors as error:
        form.show_line_errors(error.errors)
        flash(str(error), "danger")
        return _render_form(form, status=422)
    except EntryError as error:
        flash(str(error), "danger")
        return _render_form(form, status=422)
    flash(_("Shipment %(reference)s saved as a draft.", reference=shipment.reference), "success")
    return redirect(url_for("shipments.show_shipment", reference=shipment.reference))


@blueprint.route("/<reference>/edit", methods=["GET", "POST"])
@requires(Permission.EDIT_SHIPMENTS)
def edit_shipment(reference: str):
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    form = ShipmentForm()
    if request.method == "GET":
        if shipment.status not in EDITABLE_STATUSES:
            flash(
                _(
                    "A %(status)s shipment cannot be edited: what was sent is on record.",
                    status=shipment.status.label.lower(),
                ),
                "warning",
            )
            return redirect(url_for("shipments.show_shipment", reference=shipment.reference))
        form.load(shipment)
        form.add_blank_lines()
    form.fill_choices()
    if form.add_lines.data:
        form.add_blank_lines()
        form.fill_choices()
        return _render_form(form, shipment)
    if not form.validate_on_submit():
        return _render_form(form, shipment, status=422 if request.method == "POST" else 200)
    try:
        update_shipment(shipment, form.to_entry(), expected_version=_version(form), by=current_user)
    except LineErrors as error:
        db.session.rollback()
        form.show_line_errors(error.errors)
        flash(str(error), "danger")
        return _render_form(form, shipment, status=422)
    except EditConflict as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _render_form(form, shipment, status=409)
    except EntryError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _render_form(form, shipment, status=422)
    flash(_("Shipment %(reference)s saved.", reference=shipment.reference), "success")
    return redirect(url_for("shipments.show_shipment", reference=shipment.reference))


def _version(form: ShipmentForm) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1  # a form without a version cannot prove it saw the latest one
