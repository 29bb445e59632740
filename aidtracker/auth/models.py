"""Users and their roles."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from aidtracker.database import enum_column_type, utcnow
from aidtracker.extensions import db
from aidtracker.parties.models import Organisation


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    ACCOUNTANT = "accountant"
    PARTNER = "partner"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.STAFF: _l("City staff"),
    Role.ACCOUNTANT: _l("Accountant"),
    Role.PARTNER: _l("Partner organisation"),
}

LANGUAGES = ("en", "pl", "uk")
LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "uk": "Українська"}
"""Each language by its own name, so that a user finds theirs whatever the page's language."""


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role <> 'partner' OR organisation_id IS NOT NULL", name="partner_has_organisation"
        ),
        CheckConstraint("language IN ('en', 'pl', 'uk')", name="known_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "user_role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    notifications_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    """E-mails when shipments of the user's organisation move; each user may turn them off."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship()

    @staticmethod
    def normalise_email(email: str) -> str:
        """E-mail addresses are compared without case and surrounding blanks."""
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login and per request
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class SecurityEventKind(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    LOGOUT = "logout"
    USER_CREATED = "user_created"
    ROLE_CHANGED = "role_changed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an event name)
    PASSWORD_RESET = "password_reset"  # noqa: S105  (an event name)
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"

    @property
    def label(self) -> str:
        return str(SECURITY_EVENT_LABELS[self])


SECURITY_EVENT_LABELS = {
    SecurityEventKind.LOGIN: _l("Logged in"),
    SecurityEventKind.LOGIN_FAILED: _l("Failed login"),
    SecurityEventKind.LOGIN_THROTTLED: _l("Login refused: too many failures"),
    SecurityEventKind.LOGOUT: _l("Logged out"),
    SecurityEventKind.USER_CREATED: _l("User created"),
    SecurityEventKind.ROLE_CHANGED: _l("Role changed"),
    SecurityEventKind.PASSWORD_CHANGED: _l("Password changed"),
    SecurityEventKind.PASSWORD_RESET: _l("Password reset by an administrator"),
    SecurityEventKind.USER_DEACTIVATED: _l("User deactivated"),
    SecurityEventKind.USER_REACTIVATED: _l("User reactivated"),
}


class SecurityEvent(db.Model):
    """A login, failed login or change to an account: who, when, from which address.

    Written by the application only; nothing in it edits or deletes these rows.
    """

    __tablename__ = "security_events"
    # Every request of a logged-in user asks whether a later event ended its session
    # (aidtracker.auth.sessions): this index answers that without reading the account's history.
    __table_args__ = (Index("ix_security_events_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[SecurityEventKind] = mapped_column(
        enum_column_type(SecurityEventKind, "security_event_kind")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The account concerned, when it exists."""
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who did it: the user themself, an administrator, or nobody (a failed login)."""
    email: Mapped[str | None] = mapped_column(String(254))
    """The e-mail that was typed, kept for failed logins of unknown accounts."""
    ip_address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
