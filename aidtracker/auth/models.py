"""Users and their roles."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
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
