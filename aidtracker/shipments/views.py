"""The shipment list, the shipment page, and entering and editing shipments."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

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
from aidtracker.shipments.queries import shipment_by_reference, shipment_page, totals_by_currency

blueprint = Blueprint("shipments", __name__, url_prefix="/shipments")


@blueprint.get("/")
@requires(Permission.VIEW_SHIPMENTS)
def list_shipments():
    page = request.args.get("page", default=1, type=int) or 1
    filters = ShipmentFilterForm(request.args)
    result = shipment_page(
        current_user, page, current_app.config["PAGE_SIZE"], filters.to_filters()
    )
    return render_template("shipments/list.html", result=result, filters=filters)


@blueprint.get("/<reference>")
@requires(Permission.VIEW_SHIPMENTS)
def show_shipment(reference: str):
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    access = ShipmentAccess(current_user, shipment)
    valued = [line for line in access.lines if access.sees_value_of(line)]
    return render_template(
        "shipments/detail.html",
        shipment=shipment,
        access=access,
        totals=totals_by_currency(valued),
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
