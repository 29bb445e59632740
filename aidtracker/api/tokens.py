"""Issuing, revoking and checking personal API tokens.

A token is ``at_`` followed by 256 random bits (``secrets.token_urlsafe(32)``). Only its SHA-256
is kept: a fast hash is enough for a secret this long, and it lets a request find its token with
one indexed lookup. The token is shown once, when it is made.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import g, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from aidtracker.api.models import ApiToken
from aidtracker.auth.models import User
from aidtracker.database import utcnow
from aidtracker.extensions import db, login_manager

PREFIX = "at_"
LIFETIMES_DAYS = (30, 90, 365)
"""How long a token may live: its owner chooses one of these."""
LAST_USED_PRECISION = timedelta(minutes=5)
"""``last_used_at`` is written at most this often per token, not on every request."""


class TokenError(Exception):
    """A token cannot be made or changed as asked."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, *, name: str, days: int) -> tuple[ApiToken, str]:
    """Make a token for `user` valid `days` days; returns it and the secret, to show once."""
    name = (name or "").strip()
    if not name:
        raise TokenError(gettext("Give the token a name."))
    if days not in LIFETIMES_DAYS:
        raise TokenError(gettext("Choose one of the offered lifetimes."))
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user=user,
        name=name[:100],
        token_hash=hash_token(secret),
        prefix=secret[:8],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.commit()
    return token, secret


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included (they say so)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken | None:
    """Revoke one of `user`'s own tokens; None when it is not theirs (or does not exist)."""
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def bearer_secret() -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, if there is one."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def user_for_token(secret: str, now: datetime | None = None) -> User | None:
    """The active user whose usable token `secret` is; None otherwise."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(secret))
        .options(joinedload(ApiToken.user).joinedload(User.organisation))
    )
    now = now or utcnow()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token.user


def unauthorized(message: str | None = None) -> Unauthorized:
    """401 with the challenge RFC 6750 asks for."""
    error = Unauthorized(message or gettext("Send a valid API token: Authorization: Bearer …"))
    error.www_authenticate = [WWWAuthenticate("bearer", {"realm": "AidTracker API"})]
    return error


def authenticate_bearer() -> User:
    """Make the request's token user the current user, or raise 401.

    The API never uses the session (``aidtracker.auth.sessions`` gives /api/ a null session),
    so a browser's cookie neither authenticates an API call nor gets set by one.
    """
    secret = bearer_secret()
    user = user_for_token(secret) if secret else None
    if user is None:
        raise unauthorized()
    login_manager._update_request_context_with_user(user)
    g.api_user = user
    return user
