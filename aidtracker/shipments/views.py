"""The shipment list and the shipment page."""

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from aidtracker.auth.permissions import Permission, ShipmentAccess, requires
from aidtracker.shipments.queries import shipment_by_reference, shipment_page, totals_by_currency

blueprint = Blueprint("shipments", __name__, url_prefix="/shipments")


@blueprint.get("/")
@requires(Permission.VIEW_SHIPMENTS)
def list_shipments():
    page = request.args.get("page", default=1, type=int) or 1
    result = shipment_page(current_user, page, current_app.config["PAGE_SIZE"])
    return render_template("shipments/list.html", result=result)


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
