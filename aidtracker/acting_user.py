"""Whom a command acts as: the `--user` of exports and imports, checked like a login."""

import click
from sqlalchemy import select

from aidtracker.audit.service import act_as
from aidtracker.auth.models import Role, User
from aidtracker.auth.permissions import Permission, has_permission
from aidtracker.extensions import db


def acting_user(email: str | None, permission: Permission, *, refusal: str) -> User:
    """The user `email`, else the first active administrator; a one-line error when unknown,
    deactivated or not allowed `permission` ("… may not {refusal}")."""
    if email:
        user = db.session.scalar(select(User).filter_by(email=User.normalise_email(email)))
        if user is None:
            raise click.ClickException(f"no user has the e-mail address '{email}'")
    else:
        user = db.session.scalar(
            select(User)
            .where(User.role == Role.ADMIN, User.active.is_(True))
            .order_by(User.id)
            .limit(1)
        )
        if user is None:
            raise click.ClickException("there is no active administrator; name a user with --user")
    if not user.active:
        raise click.ClickException(f"the account {user.email} is deactivated")
    if not has_permission(user, permission):
        raise click.ClickException(f"{user.email} ({user.role.value}) may not {refusal}")
    act_as(user)
    return user
