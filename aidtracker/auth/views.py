"""Logging in and out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from aidtracker.auth.access import public
from aidtracker.auth.forms import LoginForm
from aidtracker.auth.permissions import Permission, requires
from aidtracker.auth.service import authenticate
from aidtracker.database import utcnow
from aidtracker.extensions import db

blueprint = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only follow `next` to a path on this site, never to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("The e-mail or the password is wrong."), "danger")
        else:
            session.clear()  # a fresh session at login, so a planted session id is worthless
            login_user(user)
            user.last_login_at = utcnow()
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("index"))
    return render_template("auth/login.html", form=form)


@blueprint.post("/logout")
@requires(Permission.OWN_ACCOUNT)
def logout():
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
