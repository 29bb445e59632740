"""Enforcing the permissions of ``aidtracker.auth.permissions`` on every request.

Closed by default: a view must be marked ``@public`` or name its permission with ``@requires``;
anything else is refused, so a new view cannot be left open by forgetting a decorator.
"""

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from aidtracker.api.tokens import authenticate_bearer
from aidtracker.auth.permissions import Permission, has_permission, visible_shipments_clause
from aidtracker.extensions import db, login_manager
from aidtracker.shipments.models import Shipment


def public(view):
    """Mark a view as reachable without logging in (the login page, health checks)."""
    view.is_public = True
    return view


def view_rule(app: Flask, endpoint: str | None) -> str | Permission | None:
    """'public', the Permission the endpoint's view requires, or None if it declares neither."""
    if endpoint == "static":
        return "public"  # stylesheets are not secret
    view = app.view_functions.get(endpoint)
    if getattr(view, "is_public", False):
        return "public"
    return getattr(view, "required_permission", None)


def shipment_is_visible(user, reference: str) -> bool:
    return (
        db.session.scalar(
            select(Shipment.id).where(
                Shipment.reference == reference.strip().upper(), visible_shipments_clause(user)
            )
        )
        is not None
    )


def init_access(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @app.before_request
    def enforce_permissions():
        if request.endpoint is None:
            return None  # no such page: the 404 handler answers
        rule = view_rule(app, request.endpoint)
        if rule == "public":
            return None
        if request.blueprint == "api":
            authenticate_bearer()  # the API's user comes from its token, never from a cookie
        elif not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if rule is None:
            current_app.logger.error("view %s declares no permission", request.endpoint)
            abort(403)
        if not has_permission(current_user, rule):
            # A shipment the user may not see does not exist for them: 404 before 403.
            reference = (request.view_args or {}).get("reference")
            if reference is not None and not shipment_is_visible(current_user, reference):
                abort(404)
            abort(403)
        return None

    @app.context_processor
    def permission_helpers():
        return {"can": lambda permission: has_permission(current_user, Permission(permission))}
