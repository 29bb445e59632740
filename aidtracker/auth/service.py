"""Checking credentials and creating accounts."""

from werkzeug.security import check_password_hash, generate_password_hash

from aidtracker.auth.models import LANGUAGES, Role, User
from aidtracker.extensions import db
from aidtracker.parties.models import Organisation

# Checked against when the e-mail is unknown, so that a wrong e-mail takes as long as a wrong
# password and the response time does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """A user account cannot be created as asked; the message says why."""


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None, taking the same time either way."""
    user = db.session.scalar(db.select(User).filter_by(email=User.normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def create_user(
    *,
    email: str,
    password: str,
    role: Role,
    name: str | None = None,
    organisation: Organisation | None = None,
    language: str = "en",
) -> User:
    """Add a user; raises AccountError if the e-mail is taken or the role needs an organisation."""
    email = User.normalise_email(email)
    if not email or "@" not in email:
        raise AccountError(f"'{email}' is not an e-mail address")
    if db.session.scalar(db.select(User.id).filter_by(email=email)) is not None:
        raise AccountError(f"a user with the e-mail {email} exists already")
    if role is Role.PARTNER and organisation is None:
        raise AccountError("a partner user must belong to an organisation")
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
    user = User(
        email=email,
        name=name or email.split("@")[0],
        role=role,
        organisation=organisation,
        language=language,
        active=True,
    )
    user.set_password(password)
    db.session.add(user)
    return user
