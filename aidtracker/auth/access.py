"""Who may reach a page at all: everything needs a logged-in user unless marked public.

Closing by default means a new view cannot be left open by forgetting a decorator.
"""

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from aidtracker.extensions import db, login_manager


def public(view):
    """Mark a view as reachable without logging in (the login page, health checks)."""
    view.is_public = True
    return view


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None or endpoint == "static":
        return True  # unknown URLs fall through to the 404 page; static files are not secret
    view = app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def init_access(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from aidtracker.auth.models import User

        if not user_id.isdigit():
            return None
        # The layout shows the user's organisation on every page: load it with the user.
        return db.session.get(User, int(user_id), options=[joinedload(User.organisation)])

    @app.before_request
    def require_login():
        if current_user.is_authenticated or is_public_endpoint(app, request.endpoint):
            return None
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
