"""Logging in and out, and changing one's own password."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from aidtracker.auth.access import public
from aidtracker.auth.forms import NEW_PASSWORD_HELP, ChangePasswordForm, LoginForm
from aidtracker.auth.permissions import Permission, requires
from aidtracker.auth.service import (
    AccountError,
    LoginFailed,
    LoginThrottled,
    change_own_password,
    log_in,
    log_out,
)
from aidtracker.auth.sessions import mark_session
from aidtracker.formviews import safe_next
from aidtracker.i18n import remember_language

blueprint = Blueprint("auth", __name__)


def form_error(form, error: AccountError) -> None:
    """Show a service's refusal next to the field it concerns, else at the top of the page."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "danger")


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            event = log_in(
                email=form.email.data, password=form.password.data, address=request.remote_addr
            )
        except LoginThrottled:
            flash(_("Too many failed logins. Please wait a minute and try again."), "danger")
            return render_template("auth/login.html", form=form), 429
        except LoginFailed:
            flash(_("The e-mail or the password is wrong."), "danger")
        else:
            chosen_language = session.get("language")  # with the switcher, before login
            session.clear()  # a fresh session at login, so a planted session is worthless
            login_user(event.user)
            if chosen_language:
                remember_language(chosen_language)
            mark_session(event)
            flash(_("Welcome, %(name)s.", name=event.user.name), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("index"))
    return render_template("auth/login.html", form=form)


@blueprint.post("/logout")
@requires(Permission.OWN_ACCOUNT)
def logout():
    log_out(user=current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@requires(Permission.OWN_ACCOUNT)
def change_password():
    form = ChangePasswordForm(account_email=current_user.email)
    if form.validate_on_submit():
        try:
            event = change_own_password(
                user=current_user._get_current_object(),
                current_password=form.current_password.data,
                new_password=form.password.data,
            )
        except AccountError as error:
            form_error(form, error)
        else:
            mark_session(event)  # this session carries on; the account's other sessions end
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("index"))
    return render_template("auth/change_password.html", form=form, help=NEW_PASSWORD_HELP)
