"""The security log: logins, failed logins and changes to accounts, with who, when and from where.

``record`` is the one way an event is written; every login, logout and account change goes through
it. It adds the event to the caller's transaction and never commits, so an account change and its
log entry are written together or not at all. Rows are never edited or deleted.
"""

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from aidtracker.auth.models import SecurityEvent, SecurityEventKind, User
from aidtracker.extensions import db

# Short, language-neutral reasons stored in ``detail``; the log page shows them translated.
UNKNOWN_EMAIL = "unknown_email"
WRONG_PASSWORD = "wrong_password"  # noqa: S105  (a reason code, not a password)
ACCOUNT_INACTIVE = "account_inactive"

DETAIL_LABELS = {
    UNKNOWN_EMAIL: _l("No account has this e-mail"),
    WRONG_PASSWORD: _l("Wrong password"),
    ACCOUNT_INACTIVE: _l("The account is deactivated"),
}

SESSION_ENDING_KINDS = (
    SecurityEventKind.LOGOUT,
    SecurityEventKind.PASSWORD_CHANGED,
    SecurityEventKind.PASSWORD_RESET,
    SecurityEventKind.USER_DEACTIVATED,
)
"""Events after which the account's earlier sessions are no longer accepted."""


def _clip(text: str | None, length: int) -> str | None:
    return None if text is None else text[:length]


def record(
    kind: SecurityEventKind,
    *,
    user: User | None = None,
    actor: User | None = None,
    email: str | None = None,
    detail: str | None = None,
    ip_address: str | None = None,
) -> SecurityEvent:
    """Add one event to the session (the caller commits) and return it.

    `user` is the account concerned, `actor` who did it (the user themself, an administrator, or
    nobody for a failed login or the command line). `email` defaults to the account's; give it for
    failed logins, where it is what was typed. `ip_address` defaults to the request's client
    address, and stays empty outside a request (the command line).
    """
    if ip_address is None and has_request_context():
        ip_address = request.remote_addr
    if email is None and user is not None:
        email = user.email
    event = SecurityEvent(
        kind=kind,
        user=user,
        actor=actor,
        email=_clip(email, 254),
        ip_address=_clip(ip_address, 45),
        detail=_clip(detail, 500),
    )
    db.session.add(event)
    return event


def detail_text(event: SecurityEvent) -> str:
    """What the log page shows as the event's detail, translated where it is a known reason."""
    if event.detail in DETAIL_LABELS:
        return str(DETAIL_LABELS[event.detail])
    return event.detail or ""
