"""Telling partners by e-mail that their shipment moved, and keeping every message in the outbox.

When a shipment is dispatched, held at customs, delivered or its receipt confirmed, the active
users of its recipient organisation and of the donors of its lines hear of it, each in their own
language, unless they turned notifications off; the person who made the change does not.

Called after the change is committed: a message is first written to the outbox, then, when
``SMTP_URL`` is set, sent. Nothing here raises: a mail server that is down, slow or refusing is
logged and kept in the message's ``error``, and the user's change stands.
"""

import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, format_date, gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from aidtracker.auth.models import User
from aidtracker.database import utcnow
from aidtracker.extensions import db
from aidtracker.notifications.models import NotificationEvent, OutboxMessage
from aidtracker.pagination import Page, paginate
from aidtracker.search import text_matches
from aidtracker.shipments.models import EventKind, Shipment, ShipmentStatus, StatusEvent

SMTP_TIMEOUT_SECONDS = 10
"""A mail server that does not answer within this holds the user's request no longer."""

_STATUS_EVENTS = {
    ShipmentStatus.DISPATCHED.value: NotificationEvent.DISPATCHED,
    ShipmentStatus.DELIVERED.value: NotificationEvent.DELIVERED,
    ShipmentStatus.RECEIVED.value: NotificationEvent.RECEIVED,
    ShipmentStatus.RECEIVED_WITH_DISCREPANCY.value: NotificationEvent.RECEIVED_WITH_DISCREPANCY,
}


def notification_event(event: StatusEvent) -> NotificationEvent | None:
    """The notification a recorded change calls for, or None when partners need not hear of it."""
    if event.kind is EventKind.STATUS:
        return _STATUS_EVENTS.get(event.to_status)
    if event.kind is EventKind.CUSTOMS and event.to_status == "held":
        return NotificationEvent.HELD_AT_CUSTOMS
    return None


def users_to_notify(shipment: Shipment, *, actor: User | None) -> list[User]:
    """Active users of the recipient and of the lines' donors who want e-mails, but not `actor`."""
    organisation_ids = {shipment.recipient_id, *(line.donor_id for line in shipment.lines)}
    organisation_ids.discard(None)
    if not organisation_ids:
        return []
    query = select(User).where(
        User.organisation_id.in_(organisation_ids),
        User.active.is_(True),
        User.notifications_enabled.is_(True),
    )
    if actor is not None and actor.id is not None:
        query = query.where(User.id != actor.id)
    return list(db.session.scalars(query.order_by(User.id)))


def notify_partners(
    shipment: Shipment, event: StatusEvent, *, by: User | None
) -> list[OutboxMessage]:
    """Write (and, with SMTP configured, send) the e-mails that `event` calls for.

    Call it after the change is committed. Returns the outbox messages written; never raises.
    """
    reference = shipment.reference  # for the log, should the session be unusable below
    try:
        kind = notification_event(event)
        if kind is None:
            return []
        messages = [
            compose(user, shipment, event, kind) for user in users_to_notify(shipment, actor=by)
        ]
        if not messages:
            return []
        db.session.add_all(messages)
        db.session.commit()
    except Exception:  # the change is saved; a notification problem must not undo the page
        db.session.rollback()
        current_app.logger.exception("notifications for shipment %s were not written", reference)
        return []
    send(messages)
    return messages


# Writing -----------------------------------------------------------------------------------------


def compose(
    user: User, shipment: Shipment, event: StatusEvent, kind: NotificationEvent
) -> OutboxMessage:
    """The message to `user` about `event`, written in the user's language."""
    with force_locale(user.language):
        facts = {
            "reference": shipment.reference,
            "origin": shipment.origin_city.name,
            "destination": shipment.destination_city.name,
            "recipient": shipment.recipient.name if shipment.recipient else "",
            "when": format_date(event.occurred_at, "long"),
        }
        subject = gettext(
            "AidTracker: %(reference)s %(what)s", reference=shipment.reference, what=_what(kind)
        )
        paragraphs = [gettext("Hello %(name)s,", name=user.name), _sentence(kind, facts)]
        if event.location:
            paragraphs.append(gettext("Where: %(location)s", location=event.location))
        links = _links(shipment)
        if links.tracking:
            paragraphs.append(
                gettext("Follow the shipment on its tracking page: %(url)s", url=links.tracking)
            )
        if links.shipment:
            paragraphs.append(gettext("Its page in AidTracker: %(url)s", url=links.shipment))
        footer = gettext(
            "You receive this e-mail because your organisation takes part in this shipment."
        )
        if links.settings:
            footer += " " + gettext(
                "To stop these e-mails, change your notification settings: %(url)s",
                url=links.settings,
            )
        paragraphs.append("-- \n" + footer)
    return OutboxMessage(
        recipient=user.email,
        user=user,
        language=user.language,
        subject=subject,
        body="\n\n".join(paragraphs) + "\n",
        shipment=shipment,
        event=kind,
    )


def _what(kind: NotificationEvent) -> str:
    """The subject's verb phrase, in the current locale."""
    return {
        NotificationEvent.DISPATCHED: gettext("dispatched"),
        NotificationEvent.HELD_AT_CUSTOMS: gettext("held at customs"),
        NotificationEvent.DELIVERED: gettext("delivered"),
        NotificationEvent.RECEIVED: gettext("received"),
        NotificationEvent.RECEIVED_WITH_DISCREPANCY: gettext("received with discrepancies"),
    }[kind]


def _sentence(kind: NotificationEvent, facts: dict[str, str]) -> str:
    """What happened and when, in the current locale."""
    if kind is NotificationEvent.DISPATCHED:
        return gettext(
            "Shipment %(reference)s from %(origin)s to %(destination)s was dispatched on %(when)s.",
            **facts,
        )
    if kind is NotificationEvent.HELD_AT_CUSTOMS:
        return gettext(
            "Shipment %(reference)s from %(origin)s to %(destination)s is held at customs since "
            "%(when)s: action is needed before it can go on.",
            **facts,
        )
    if kind is NotificationEvent.DELIVERED:
        return gettext(
            "Shipment %(reference)s from %(origin)s was delivered in %(destination)s on %(when)s.",
            **facts,
        )
    if kind is NotificationEvent.RECEIVED:
        return gettext(
            "%(recipient)s confirmed on %(when)s that shipment %(reference)s arrived as sent.",
            **facts,
        )
    return gettext(
        "%(recipient)s confirmed receipt of shipment %(reference)s on %(when)s; some lines "
        "differ from what was sent.",
        **facts,
    )


@dataclass(frozen=True)
class _Links:
    tracking: str | None
    shipment: str | None
    settings: str | None


def _links(shipment: Shipment) -> _Links:
    """Full addresses for the message: no tracking link while it is revoked, and none at all
    when the site's address is unknown (a command run without PUBLIC_URL or SERVER_NAME)."""
    from aidtracker.tracking.service import tracking_url  # the tracking module imports shipments

    tracking = tracking_url(shipment, external=True)
    return _Links(
        tracking=tracking if tracking and "://" in tracking else None,
        shipment=_external_url("shipments.show_shipment", reference=shipment.reference),
        settings=_external_url("notifications.settings"),
    )


def _external_url(endpoint: str, **values) -> str | None:
    """An absolute link, from ``PUBLIC_URL`` when set (a mailed link must not trust a request's
    Host header), else from the request or ``SERVER_NAME``; None when neither is known."""
    public_url = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if public_url:
        if has_request_context():
            return public_url + url_for(endpoint, **values)
        with current_app.test_request_context():
            return public_url + url_for(endpoint, **values)
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, **values, _external=True)
    return None


# Sending -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send: parsed from ``AIDTRACKER_SMTP_URL``."""

    host: str
    port: int
    security: str  # "none", "ssl" (smtps) or "starttls"
    username: str | None = None
    password: str | None = None


_SCHEMES = {"smtp": ("none", 25), "smtps": ("ssl", 465), "smtp+starttls": ("starttls", 587)}


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://user:password@host:25``, ``smtps://host`` or ``smtp+starttls://host:587``.

    Raises ValueError for another scheme, a missing host or a port that is not a number.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"SMTP URL scheme must be one of {', '.join(_SCHEMES)}, not {scheme!r}")
    if not parts.hostname:
        raise ValueError("SMTP URL names no host")
    security, default_port = _SCHEMES[scheme]
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or default_port,  # .port raises ValueError for a port that is no number
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def send(messages: Iterable[OutboxMessage]) -> None:
    """Send `messages` over one SMTP connection when ``SMTP_URL`` is set; else keep them.

    Each message ends with ``sent_at`` or ``error``; failures are logged, never raised.
    """
    messages = [message for message in messages if message.sent_at is None]
    url = current_app.config.get("SMTP_URL")
    if not url or not messages:
        return
    sender = current_app.config["MAIL_FROM"]
    try:
        server = parse_smtp_url(url)
        with _connect(server) as smtp:
            for message in messages:
                try:
                    smtp.send_message(_email(message, sender))
                except Exception as error:  # refused, disconnected, or an address it rejects
                    _failed(message, error, server)
                else:
                    message.sent_at = utcnow()
                    message.error = None
    except Exception as error:  # no connection, TLS or login failed, or a bad SMTP_URL
        for message in messages:
            if message.sent_at is None and message.error is None:
                _failed(message, error, None)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("the outcome of sending notifications was not saved")


def _connect(server: SmtpServer) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if server.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if server.security == "starttls":
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _failed(message: OutboxMessage, error: Exception, server: SmtpServer | None) -> None:
    where = f" ({server.host}:{server.port})" if server else ""
    message.error = f"{type(error).__name__}{where}: {error}"[:2000]
    current_app.logger.warning(
        "notification %s to %s not sent: %s", message.id, message.recipient, message.error
    )


def _email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The outbox message as an RFC 5322 e-mail, in UTF-8."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = (
        Address(display_name=message.user.name, addr_spec=message.recipient)
        if message.user is not None
        else message.recipient
    )
    email["Subject"] = message.subject
    email["Date"] = rfc2822_date(message.created_at or utcnow())
    # A domain of our own: without one, make_msgid asks the resolver for this host's name.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(domain=domain)
    email.set_content(message.body)  # first: it replaces every Content-* header
    email["Content-Language"] = message.language
    return email


# Settings ----------------------------------------------------------------------------------------


def set_notifications(user: User, *, enabled: bool) -> None:
    """Turn the user's e-mail notifications on or off."""
    user.notifications_enabled = enabled
    db.session.commit()


# Reading the outbox ------------------------------------------------------------------------------


def outbox_page(*, recipient: str, state: str, page: int, per_page: int) -> Page:
    """The outbox, newest first, narrowed to a recipient's address and sent, failed or kept."""
    query = select(OutboxMessage).options(joinedload(OutboxMessage.shipment))
    if recipient:
        query = query.where(text_matches(OutboxMessage.recipient, recipient))
    if state == "sent":
        query = query.where(OutboxMessage.sent_at.is_not(None))
    elif state == "failed":
        query = query.where(OutboxMessage.sent_at.is_(None), OutboxMessage.error.is_not(None))
    elif state == "kept":
        query = query.where(OutboxMessage.sent_at.is_(None), OutboxMessage.error.is_(None))
    order = (OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return paginate(query.order_by(*order), page, per_page)
