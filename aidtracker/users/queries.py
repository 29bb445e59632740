"""Reading users and the security log for the administration pages: one query per list."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from aidtracker.auth.models import Role, SecurityEvent, SecurityEventKind, User
from aidtracker.extensions import db
from aidtracker.pagination import Page, paginate
from aidtracker.parties.models import Organisation
from aidtracker.search import text_matches


def user_page(
    *,
    search: str = "",
    role: Role | None = None,
    active: bool | None = None,
    page: int,
    per_page: int,
) -> Page:
    """Users by name, narrowed by a text found in the name or e-mail, a role, and active or not."""
    query = select(User).options(joinedload(User.organisation))
    if search:
        query = query.where(or_(text_matches(User.name, search), text_matches(User.email, search)))
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    return paginate(query.order_by(func.lower(User.name), User.id), page, per_page)


def security_event_page(
    *, kind: SecurityEventKind | None = None, email: str = "", page: int, per_page: int
) -> Page:
    """The security log, newest first, narrowed to a kind of event and an e-mail."""
    query = select(SecurityEvent).options(
        joinedload(SecurityEvent.user), joinedload(SecurityEvent.actor)
    )
    if kind is not None:
        query = query.where(SecurityEvent.kind == kind)
    if email:
        query = query.where(text_matches(SecurityEvent.email, email.strip()))
    order = (SecurityEvent.occurred_at.desc(), SecurityEvent.id.desc())
    return paginate(query.order_by(*order), page, per_page)


def recent_events_of(user: User, limit: int = 10) -> list[SecurityEvent]:
    """The latest security events of one account, for its page."""
    return list(
        db.session.scalars(
            select(SecurityEvent)
            .options(joinedload(SecurityEvent.actor))
            .where(SecurityEvent.user_id == user.id)
            .order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id.desc())
            .limit(limit)
        )
    )


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id, options=[joinedload(User.organisation)])


def organisations() -> list[Organisation]:
    """Every organisation, by name, for the organisation select."""
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
