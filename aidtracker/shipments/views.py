"""The shipment list and the shipment page."""

from flask import Blueprint, abort, current_app, render_template, request

from aidtracker.shipments.queries import shipment_by_reference, shipment_page, totals_by_currency

blueprint = Blueprint("shipments", __name__, url_prefix="/shipments")


@blueprint.get("/")
def list_shipments():
    page = request.args.get("page", default=1, type=int) or 1
    result = shipment_page(page, current_app.config["PAGE_SIZE"])
    return render_template("shipments/list.html", result=result)


@blueprint.get("/<reference>")
def show_shipment(reference: str):
    shipment = shipment_by_reference(reference)
    if shipment is None:
        abort(404)
    return render_template(
        "shipments/detail.html", shipment=shipment, totals=totals_by_currency(shipment.lines)
    )
