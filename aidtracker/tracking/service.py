"""Public tracking links: a random token per shipment that staff can renew or revoke.

A shipment gets its token when it is created (the column's default); revoking clears it, so a
shipment without a token has no public page until staff issue a new one. The token is written
with a plain UPDATE, not through the ORM's versioned save: a new link changes nothing that was
shipped, so it must not make a colleague's open edit form stale.
"""

import io
import re

import segno
from flask import current_app, has_request_context, url_for
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission, has_permission
from aidtracker.extensions import db
from aidtracker.shipments.models import Shipment, new_tracking_token

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


def shipment_by_token(token: str) -> Shipment | None:
    """The shipment whose current tracking token is `token`, with what the public page shows;
    None for anything else (unknown, revoked, renewed, malformed)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    return db.session.scalar(
        select(Shipment)
        .where(Shipment.tracking_token == token)
        .options(
            joinedload(Shipment.origin_city),
            joinedload(Shipment.destination_city),
            joinedload(Shipment.carrier),
            selectinload(Shipment.events),
        )
    )


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
