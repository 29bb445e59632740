"""Public tracking links: a random token per shipment that staff can renew or revoke.

A shipment gets its token when it is created (the column's default); revoking clears it, so a
shipment without a token has no public page until staff issue a new one. The token is written
with a plain UPDATE, not through the ORM's versioned save: a new link changes nothing that was
shipped, so it must not make a colleague's open edit form stale.
"""

import io
import re
from dataclasses import dataclass
from datetime import datetime

import segno
from flask import current_app, has_request_context, url_for
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission, has_permission
from aidtracker.extensions import db
from aidtracker.parties.models import City, Organisation
from aidtracker.shipments.models import (
    CustomsStatus,
    EventKind,
    Shipment,
    ShipmentStatus,
    StatusEvent,
    new_tracking_token,
)

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
"""What ``secrets.token_urlsafe(32)`` produces; anything else cannot be a token."""


class NotPermitted(Exception):
    """Only users who edit shipments may renew or revoke their tracking links."""


def _require_editor(user: User) -> None:
    if not has_permission(user, Permission.EDIT_SHIPMENTS):
        raise NotPermitted()


def _store(shipment: Shipment, token: str | None) -> None:
    db.session.execute(
        update(Shipment)
        .where(Shipment.id == shipment.id)
        .values(tracking_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    set_committed_value(shipment, "tracking_token", token)


def renew_token(shipment: Shipment, *, by: User) -> str:
    """Give `shipment` a new tracking token (also after a revocation); the old link stops
    working at once. Returns the token. Raises NotPermitted."""
    _require_editor(by)
    token = new_tracking_token()
    _store(shipment, token)
    return token


def revoke_token(shipment: Shipment, *, by: User) -> None:
    """Switch the public tracking page of `shipment` off. Raises NotPermitted."""
    _require_editor(by)
    _store(shipment, None)


def tracking_url(shipment: Shipment, *, external: bool = True) -> str | None:
    """The public tracking link of `shipment`, or None when it was revoked.

    An external link starts with the ``PUBLIC_URL`` setting when it is configured (mail and the
    command line have no request to take the host from, and a link sent by mail must not trust a
    request's Host header); else with the request's host, else with ``SERVER_NAME``. With none of
    these, the link is the path alone.
    """
    token = shipment.tracking_token
    if token is None:
        return None
    public_url = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if has_request_context():
        path = url_for("tracking.track", token=token)
    else:
        with current_app.test_request_context():
            path = url_for("tracking.track", token=token)
    if not external:
        return path
    if public_url:
        return public_url + path
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for("tracking.track", token=token, _external=True)
    return path


@dataclass(frozen=True)
class PublicEvent:
    """One entry of the public timeline: when, what, where; never who or why."""

    kind: EventKind
    status: ShipmentStatus | CustomsStatus
    occurred_at: datetime
    location: str | None


@dataclass(frozen=True)
class PublicShipment:
    """What the public tracking page may show of a shipment, and nothing more: the page cannot
    leak what it is never given."""

    reference: str
    origin: str
    destination: str
    carrier: str | None
    status: ShipmentStatus
    customs_status: CustomsStatus
    events: list[PublicEvent]

    @property
    def needs_customs(self) -> bool:
        return self.customs_status is not CustomsStatus.NOT_REQUIRED


_ORIGIN, _DESTINATION = aliased(City), aliased(City)
_PUBLIC_ROWS = (
    select(
        Shipment.reference,
        _ORIGIN.name,
        _DESTINATION.name,
        Organisation.name,
        Shipment.status,
        Shipment.customs_status,
        StatusEvent.kind,
        StatusEvent.to_status,
        StatusEvent.occurred_at,
        StatusEvent.location,
    )
    .join(_ORIGIN, _ORIGIN.id == Shipment.origin_city_id)
    .join(_DESTINATION, _DESTINATION.id == Shipment.destination_city_id)
    .outerjoin(Organisation, Organisation.id == Shipment.carrier_id)
    .outerjoin(StatusEvent, StatusEvent.shipment_id == Shipment.id)
    .where(Shipment.tracking_token == bindparam("token"))
    .order_by(StatusEvent.occurred_at, StatusEvent.id)
)
"""The shipment's row with its cities and carrier, once per event of its history: the public
page in one query. Built once: it is the busiest page, and only the token changes."""


def shipment_by_token(token: str) -> PublicShipment | None:
    """The shipment whose current tracking token is `token`, as the public page shows it; None
    for anything else (unknown, revoked, renewed, malformed)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    rows = db.session.execute(_PUBLIC_ROWS, {"token": token}).all()
    if not rows:
        return None
    reference, origin, destination, carrier, status, customs_status = rows[0][:6]
    return PublicShipment(
        reference=reference,
        origin=origin,
        destination=destination,
        carrier=carrier,
        status=status,
        customs_status=customs_status,
        events=[
            PublicEvent(kind, _status_of(kind, to_status), occurred_at, location)
            for *_, kind, to_status, occurred_at, location in rows
            if kind is not None
        ],
    )


def _status_of(kind: EventKind, value: str) -> ShipmentStatus | CustomsStatus:
    """The status an event moved to: a customs status for customs events, else a status."""
    return CustomsStatus(value) if kind is EventKind.CUSTOMS else ShipmentStatus(value)


def qr_code(url: str) -> segno.QRCode:
    """The QR code of a tracking link; error correction M survives a crease or a stamp."""
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> bytes:
    """The QR code as a standalone SVG image, with no style attributes (the site's CSP)."""
    buffer = io.BytesIO()
    qr_code(url).save(
        buffer, kind="svg", scale=4, border=4, xmldecl=True, svgclass=None, lineclass=None
    )
    return buffer.getvalue()


def qr_png(url: str, *, scale: int = 4) -> bytes:
    """The QR code as PNG, for the packing list (spreadsheets do not all show SVG)."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
