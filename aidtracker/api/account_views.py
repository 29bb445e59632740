"""The user's own API tokens: list, make (shown once) and revoke, on /account/api-tokens."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from aidtracker.api.tokens import LIFETIMES_DAYS, TokenError, issue_token, revoke_token, tokens_of
from aidtracker.auth.permissions import Permission, requires
from aidtracker.database import utcnow

blueprint = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the token a name.")), Length(max=100)],
        description=_l("What the token is for, e.g. the warehouse system."),
    )
    days = SelectField(_l("Valid for"), coerce=int, default=90)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.days.choices = [(days, _("%(num)d days", num=days)) for days in LIFETIMES_DAYS]


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking is a POST."""


def _page(form: NewTokenForm, *, secret: str | None = None, status: int = 200):
    response = make_response(
        render_template(
            "account/api_tokens.html",
            form=form,
            revoke_form=RevokeForm(),
            tokens=tokens_of(current_user),
            secret=secret,
            now=utcnow(),
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"  # the page may show a secret once
    return response


@blueprint.get("/")
@requires(Permission.OWN_ACCOUNT)
def list_tokens():
    return _page(NewTokenForm())


@blueprint.post("/")
@requires(Permission.OWN_ACCOUNT)
def create_token():
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        _token, secret = issue_token(
            current_user._get_current_object(), name=form.name.data, days=form.days.data
        )
    except TokenError as error:
        form.name.errors = [*form.name.errors, str(error)]
        return _page(form, status=422)
    flash(_("Copy the token now: it is shown only this once."), "warning")
    return _page(NewTokenForm(formdata=None), secret=secret, status=201)


@blueprint.post("/<int:token_id>/revoke")
@requires(Permission.OWN_ACCOUNT)
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    token = revoke_token(current_user, token_id)
    if token is None:
        abort(404)
    flash(_("The token “%(name)s” no longer opens the API.", name=token.name), "success")
    return redirect(url_for("api_tokens.list_tokens"))
