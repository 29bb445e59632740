"""The public tracking page, and its link and QR code on the shipment page.

``/track/<token>`` is the one shipment page anybody may open without logging in. It shows what a
carrier's tracking page would: reference, cities, carrier, status and customs status, and the
history of both (when, what, where). Never quantities, values, donors, people, documents, or the
notes of the history, which may name people. An unknown, renewed or revoked token gets the site's
ordinary 404, so the answer says nothing about whether a shipment exists.
"""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from aidtracker.auth.access import public
from aidtracker.auth.permissions import Permission, ShipmentAccess, requires
from aidtracker.shipments.models import Shipment
from aidtracker.shipments.queries import shipment_by_reference
from aidtracker.shipments.views import PageFormat
from aidtracker.tracking.service import (
    qr_svg,
    renew_token,
    revoke_token,
    shipment_by_token,
    tracking_url,
)

blueprint = Blueprint("tracking", __name__)


@blueprint.get("/track/<token>")
@public
def track(token: str):
    shipment = shipment_by_token(token)
    if shipment is None:
        abort(404)
    response = make_response(
        render_template("tracking/track.html", shipment=shipment, format=PageFormat())
    )
    # The token is the key to this page: it must not leave in a Referer header, land in a search
    # engine, or stay in a shared cache after it was revoked.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


def _shipment_or_404(reference: str) -> Shipment:
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    return shipment


def _back_to(shipment: Shipment):
    return redirect(url_for("shipments.show_shipment", reference=shipment.reference) + "#tracking")


@blueprint.post("/shipments/<reference>/tracking/renew")
@requires(Permission.EDIT_SHIPMENTS)
def renew(reference: str):
    shipment = _shipment_or_404(reference)
    had_link = shipment.tracking_token is not None
    renew_token(shipment, by=current_user)
    if had_link:
        flash(_("New tracking link created: the previous link no longer works."), "success")
    else:
        flash(_("Tracking link created."), "success")
    return _back_to(shipment)


@blueprint.post("/shipments/<reference>/tracking/revoke")
@requires(Permission.EDIT_SHIPMENTS)
def revoke(reference: str):
    shipment = _shipment_or_404(reference)
    revoke_token(shipment, by=current_user)
    flash(_("Tracking link turned off: it now leads nowhere."), "success")
    return _back_to(shipment)


@blueprint.get("/shipments/<reference>/tracking/qr.svg")
@requires(Permission.VIEW_SHIPMENTS)
def qr_code(reference: str):
    shipment = _shipment_or_404(reference)
    url = tracking_url(shipment)
    if url is None:
        abort(404)
    response = make_response(qr_svg(url))
    response.mimetype = "image/svg+xml"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.app_template_global()
def tracking_panel(access: ShipmentAccess) -> dict:
    """What the shipment page shows of its tracking link: the link (None once revoked) and
    whether this user may renew or revoke it."""
    return {"url": tracking_url(access.shipment), "may_change": access.may_edit}
