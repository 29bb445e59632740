"""Accounts: logging in and out, creating users, changing roles and passwords, deactivating.

Each function checks the state first and raises a named ``AccountError`` (or ``LoginRefused``)
when the change is not allowed, then makes the change, records it in the security log with who
did it and from where, and commits both in one transaction. Users are never deleted: an account
that is no longer needed is deactivated, so the history it left keeps its author.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from aidtracker.auth import security_log
from aidtracker.auth.models import LANGUAGES, Role, SecurityEvent, SecurityEventKind, User
from aidtracker.auth.passwords import MAX_LENGTH, MIN_LENGTH, PasswordProblem, password_problems
from aidtracker.auth.throttling import login_throttle
from aidtracker.database import utcnow
from aidtracker.extensions import db
from aidtracker.parties.models import Organisation

# Checked against when the e-mail is unknown, so that a wrong e-mail takes as long as a wrong
# password and the response time does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("not a real password")

PASSWORD_MESSAGES = {
    PasswordProblem.TOO_SHORT: _l(
        "The password needs at least %(min)d characters.", min=MIN_LENGTH
    ),
    PasswordProblem.TOO_LONG: _l(
        "The password can have at most %(max)d characters.", max=MAX_LENGTH
    ),
    PasswordProblem.TOO_COMMON: _l(
        "This password is on a list of common passwords that attackers try first. "
        "Choose another one, for example a few unrelated words."
    ),
    PasswordProblem.SAME_AS_EMAIL: _l("The password must not be the e-mail address."),
}


class AccountError(ValueError):
    """An account change cannot be made as asked.

    ``str(error)`` is the message for the user; ``field`` names the form field it concerns, if
    one does.
    """

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        if field is not None:
            self.field = field


class NotAnEmailAddress(AccountError):
    field = "email"


class EmailTaken(AccountError):
    field = "email"


class OrganisationRequired(AccountError):
    field = "organisation"


class PasswordNotAccepted(AccountError):
    field = "password"


class WrongCurrentPassword(AccountError):
    field = "current_password"


class NotOnOwnAccount(AccountError):
    """Deactivating oneself, changing one's own role, resetting one's own password."""


class LastActiveAdmin(AccountError):
    """The change would leave nobody able to manage users."""


class AccountStateUnchanged(AccountError):
    """Deactivating a deactivated account, or reactivating an active one."""


class LoginRefused(Exception):
    """A login attempt did not open a session."""


class LoginFailed(LoginRefused):
    """Wrong e-mail, wrong password or a deactivated account: deliberately not told apart."""


class LoginThrottled(LoginRefused):
    """Too many failed logins for the e-mail or from the address in the last minute."""


def password_rule_messages(password: str, *, email: str | None = None) -> list[str]:
    """The message of every password rule `password` breaks; empty when it is acceptable."""
    return [str(PASSWORD_MESSAGES[problem]) for problem in password_problems(password, email=email)]


def _require_acceptable_password(password: str, *, email: str) -> None:
    messages = password_rule_messages(password, email=email)
    if messages:
        raise PasswordNotAccepted(" ".join(messages))


def _credentials_problem(user: User | None, password: str) -> str | None:
    """Why these credentials do not log in (a security-log reason), or None when they do."""
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return security_log.UNKNOWN_EMAIL
    if not user.check_password(password):
        return security_log.WRONG_PASSWORD
    if not user.active:
        return security_log.ACCOUNT_INACTIVE
    return None


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).filter_by(email=User.normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None, taking the same time either way."""
    user = _user_by_email(email)
    return None if _credentials_problem(user, password) else user


def log_in(*, email: str, password: str, address: str | None) -> SecurityEvent:
    """Check a login attempt from `address` and record it in the security log.

    Returns the LOGIN event: its ``user`` is the account, and its id marks the session that the
    caller opens (see ``aidtracker.auth.sessions``). Raises ``LoginThrottled`` when the e-mail
    or the address had too many failed logins in the last minute, even if the password is
    right, and ``LoginFailed`` when the e-mail or password is wrong or the account deactivated.
    """
    typed = User.normalise_email(email)
    user = _user_by_email(typed)
    throttle = login_throttle()
    if throttle.refuses(email=typed, address=address):
        if throttle.first_refusal_this_minute(email=typed, address=address):
            security_log.record(
                SecurityEventKind.LOGIN_THROTTLED, user=user, email=typed, ip_address=address
            )
            db.session.commit()
        raise LoginThrottled
    problem = _credentials_problem(user, password)
    if problem is not None:
        throttle.count_failure(email=typed, address=address)
        security_log.record(
            SecurityEventKind.LOGIN_FAILED,
            user=user,
            email=typed,
            detail=problem,
            ip_address=address,
        )
        db.session.commit()
        raise LoginFailed
    user.last_login_at = utcnow()
    event = security_log.record(SecurityEventKind.LOGIN, user=user, actor=user, ip_address=address)
    db.session.commit()
    return event


def log_out(*, user: User) -> SecurityEvent:
    """Record that `user` logged out; every session of theirs opened before ends with it."""
    event = security_log.record(SecurityEventKind.LOGOUT, user=user, actor=user)
    db.session.commit()
    return event


def user_of_session(*, user_id: int, since_event_id: int) -> User | None:
    """The user of a session opened (or last renewed) by the security event `since_event_id`,
    with their organisation (the layout shows it); None when the account logged out, changed or
    had reset its password, or was deactivated since. One query, on every page of a logged-in
    user."""
    ended = exists().where(
        SecurityEvent.user_id == user_id,
        SecurityEvent.id > since_event_id,
        SecurityEvent.kind.in_(security_log.SESSION_ENDING_KINDS),
    )
    return db.session.scalar(
        select(User).options(joinedload(User.organisation)).where(User.id == user_id, ~ended)
    )


def _check_profile(*, role: Role, organisation: Organisation | None, language: str) -> None:
    if not isinstance(role, Role):
        raise AccountError(_("Choose one of the roles."), field="role")
    if role is Role.PARTNER and organisation is None:
        raise OrganisationRequired(_("A partner user must belong to an organisation."))
    if language not in LANGUAGES:
        raise AccountError(
            _("The language must be one of %(languages)s.", languages=", ".join(LANGUAGES)),
            field="language",
        )


def _other_active_admins(user: User) -> int:
    """How many active administrators there are besides `user`, locking their rows so that two
    administrators demoting each other at once cannot both succeed."""
    others = db.session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
        .with_for_update()
    ).all()
    return len(others)


def _refuse_last_admin(user: User) -> None:
    if user.role is Role.ADMIN and user.active and _other_active_admins(user) == 0:
        raise LastActiveAdmin(
            _(
                "%(name)s is the last active administrator: nobody could manage users.",
                name=user.name,
            )
        )


def create_user(
    *,
    email: str,
    password: str,
    role: Role,
    name: str | None = None,
    organisation: Organisation | None = None,
    language: str = "en",
    by: User | None = None,
) -> User:
    """Add an active user and record it; `by` is the administrator (None: the command line).

    Raises ``NotAnEmailAddress``, ``EmailTaken``, ``OrganisationRequired`` (partners),
    ``PasswordNotAccepted`` (see ``aidtracker.auth.passwords``) or ``AccountError`` (language).
    """
    email = User.normalise_email(email)
    if not email or "@" not in email:
        raise NotAnEmailAddress(_("'%(email)s' is not an e-mail address.", email=email))
    if db.session.scalar(select(User.id).filter_by(email=email)) is not None:
        raise EmailTaken(_("A user with the e-mail %(email)s exists already.", email=email))
    _check_profile(role=role, organisation=organisation, language=language)
    _require_acceptable_password(password, email=email)
    user = User(
        email=email,
        name=(name or "").strip() or email.split("@")[0],
        role=role,
        organisation=organisation,
        language=language,
        active=True,
    )
    user.set_password(password)
    db.session.add(user)
    security_log.record(SecurityEventKind.USER_CREATED, user=user, actor=by, detail=role.value)
    try:
        db.session.commit()
    except IntegrityError:  # another request created the same e-mail meanwhile
        db.session.rollback()
        raise EmailTaken(
            _("A user with the e-mail %(email)s exists already.", email=email)
        ) from None
    return user


def update_user(
    *,
    user: User,
    name: str,
    role: Role,
    organisation: Organisation | None,
    language: str,
    by: User,
) -> User:
    """Change a user's name, role, organisation and language; a role change is recorded.

    Raises ``NotOnOwnAccount`` when an administrator changes their own role,
    ``LastActiveAdmin`` when it would leave no active administrator, ``OrganisationRequired``
    for partners, ``AccountError`` for an empty name or an unknown language.
    """
    name = name.strip()
    if not name:
        raise AccountError(_("Enter the user's name."), field="name")
    _check_profile(role=role, organisation=organisation, language=language)
    previous_role = user.role
    if role is not previous_role:
        if by.id == user.id:
            raise NotOnOwnAccount(
                _("You cannot change your own role; ask another administrator."), field="role"
            )
        if previous_role is Role.ADMIN:
            _refuse_last_admin(user)
    user.name = name
    user.role = role
    user.organisation = organisation
    user.language = language
    if role is not previous_role:
        security_log.record(
            SecurityEventKind.ROLE_CHANGED,
            user=user,
            actor=by,
            detail=f"{previous_role.value} → {role.value}",
        )
    db.session.commit()
    return user


def deactivate_user(*, user: User, by: User) -> User:
    """Stop `user` from logging in and end their sessions; their history stays.

    Raises ``NotOnOwnAccount`` for oneself, ``LastActiveAdmin`` for the last active
    administrator, ``AccountStateUnchanged`` when the account is deactivated already.
    """
    if by.id == user.id:
        raise NotOnOwnAccount(_("You cannot deactivate your own account."))
    if not user.active:
        raise AccountStateUnchanged(_("%(name)s is deactivated already.", name=user.name))
    _refuse_last_admin(user)
    user.active = False
    security_log.record(SecurityEventKind.USER_DEACTIVATED, user=user, actor=by)
    db.session.commit()
    return user


def reactivate_user(*, user: User, by: User) -> User:
    """Let a deactivated user log in again; raises ``AccountStateUnchanged`` if active."""
    if user.active:
        raise AccountStateUnchanged(_("%(name)s is active already.", name=user.name))
    user.active = True
    security_log.record(SecurityEventKind.USER_REACTIVATED, user=user, actor=by)
    db.session.commit()
    return user


def reset_password(*, user: User, new_password: str, by: User) -> User:
    """An administrator sets a new password for `user`, ending the user's sessions.

    Raises ``NotOnOwnAccount`` for the administrator's own account (changing it asks for the
    current password) and ``PasswordNotAccepted``.
    """
    if by.id == user.id:
        raise NotOnOwnAccount(
            _("Use “Change password” for your own account: it asks for your current password.")
        )
    _require_acceptable_password(new_password, email=user.email)
    user.set_password(new_password)
    security_log.record(SecurityEventKind.PASSWORD_RESET, user=user, actor=by)
    db.session.commit()
    return user


def change_own_password(*, user: User, current_password: str, new_password: str) -> SecurityEvent:
    """`user` replaces their password; their other sessions end with it.

    Returns the PASSWORD_CHANGED event, from which the current session carries on. Raises
    ``WrongCurrentPassword`` and ``PasswordNotAccepted``.
    """
    if not user.check_password(current_password):
        raise WrongCurrentPassword(_("This is not your current password."))
    _require_acceptable_password(new_password, email=user.email)
    user.set_password(new_password)
    event = security_log.record(SecurityEventKind.PASSWORD_CHANGED, user=user, actor=user)
    db.session.commit()
    return event
