"""User administration: list, create, edit, deactivate, reset passwords, read the security log."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from aidtracker.auth import security_log
from aidtracker.auth.forms import NEW_PASSWORD_HELP
from aidtracker.auth.models import Role, SecurityEventKind
from aidtracker.auth.permissions import Permission, requires
from aidtracker.auth.service import (
    AccountError,
    create_user,
    deactivate_user,
    reactivate_user,
    reset_password,
    update_user,
)
from aidtracker.auth.views import form_error
from aidtracker.extensions import db
from aidtracker.parties.models import Organisation
from aidtracker.users import queries
from aidtracker.users.forms import (
    ROLE_HELP,
    AccountActionForm,
    CreateUserForm,
    ResetPasswordForm,
    SecurityLogFilterForm,
    UserProfileForm,
    UserSearchForm,
)

blueprint = Blueprint("users", __name__, url_prefix="/users")

ACTIVE_FILTER = {"all": None, "active": True, "inactive": False}


def _me():
    """The logged-in administrator as a model instance, for `by=` (not Flask-Login's proxy)."""
    return current_user._get_current_object()


def _user_or_404(user_id: int):
    user = queries.user_by_id(user_id)
    if user is None:
        abort(404)
    return user


def _organisation(organisation_id: int | None) -> Organisation | None:
    return db.session.get(Organisation, organisation_id) if organisation_id else None


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


@blueprint.get("/")
@requires(Permission.MANAGE_USERS)
def list_users():
    form = UserSearchForm(formdata=request.args)
    valid = form.validate()
    result = queries.user_page(
        search=(form.q.data or "").strip() if valid else "",
        role=Role(form.role.data) if valid and form.role.data else None,
        active=ACTIVE_FILTER.get(form.status.data) if valid else None,
        page=_page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    filtered = valid and any((form.q.data, form.role.data, form.status.data != "all"))
    return render_template("users/list.html", form=form, result=result, filtered=filtered)


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def new_user():
    form = CreateUserForm()
    form.set_organisations(queries.organisations())
    if form.validate_on_submit():
        try:
            user = create_user(
                email=form.email.data,
                password=form.password.data,
                role=Role(form.role.data),
                name=form.name.data,
                organisation=_organisation(form.organisation.data),
                language=form.language.data,
                by=_me(),
            )
        except AccountError as error:
            form_error(form, error)
        else:
            flash(
                _("%(name)s can now log in as %(email)s.", name=user.name, email=user.email),
                "success",
            )
            return redirect(url_for("users.edit_user", user_id=user.id))
    return render_template(
        "users/new.html", form=form, password_help=NEW_PASSWORD_HELP, role_help=ROLE_HELP
    )


@blueprint.route("/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def edit_user(user_id: int):
    user = _user_or_404(user_id)
    form = UserProfileForm(obj=user) if request.method == "GET" else UserProfileForm()
    if request.method == "GET":
        form.role.data = user.role.value
        form.organisation.data = user.organisation_id
    form.set_organisations(queries.organisations())
    if form.validate_on_submit():
        try:
            update_user(
                user=user,
                name=form.name.data,
                role=Role(form.role.data),
                organisation=_organisation(form.organisation.data),
                language=form.language.data,
                by=_me(),
            )
        except AccountError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            flash(_("The changes to %(name)s are saved.", name=user.name), "success")
            return redirect(url_for("users.edit_user", user_id=user.id))
    return render_template(
        "users/edit.html",
        user=user,
        form=form,
        action_form=AccountActionForm(),
        events=queries.recent_events_of(user),
        detail_text=security_log.detail_text,
        role_help=ROLE_HELP,
    )


def _account_action(user_id: int, change, done_message: str):
    user = _user_or_404(user_id)
    if AccountActionForm().validate_on_submit():
        try:
            change(user=user, by=_me())
        except AccountError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            flash(done_message % {"name": user.name}, "success")
    return redirect(url_for("users.edit_user", user_id=user.id))


@blueprint.post("/<int:user_id>/deactivate")
@requires(Permission.MANAGE_USERS)
def deactivate(user_id: int):
    return _account_action(
        user_id, deactivate_user, _("%(name)s is deactivated and can no longer log in.")
    )


@blueprint.post("/<int:user_id>/reactivate")
@requires(Permission.MANAGE_USERS)
def reactivate(user_id: int):
    return _account_action(user_id, reactivate_user, _("%(name)s can log in again."))


@blueprint.route("/<int:user_id>/password", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def reset_user_password(user_id: int):
    user = _user_or_404(user_id)
    form = ResetPasswordForm(account_email=user.email)
    if form.validate_on_submit():
        try:
            reset_password(user=user, new_password=form.password.data, by=_me())
        except AccountError as error:
            db.session.rollback()
            form_error(form, error)
        else:
            flash(
                _(
                    "The password of %(name)s is reset. Tell them the new one in person or by "
                    "phone, not by e-mail.",
                    name=user.name,
                ),
                "success",
            )
            return redirect(url_for("users.edit_user", user_id=user.id))
    return render_template(
        "users/reset_password.html", user=user, form=form, password_help=NEW_PASSWORD_HELP
    )


@blueprint.get("/security-log")
@requires(Permission.MANAGE_USERS)
def security_log_page():
    form = SecurityLogFilterForm(formdata=request.args)
    valid = form.validate()
    result = queries.security_event_page(
        kind=SecurityEventKind(form.kind.data) if valid and form.kind.data else None,
        email=(form.email.data or "") if valid else "",
        page=_page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    filtered = valid and any((form.kind.data, form.email.data))
    return render_template(
        "users/security_log.html",
        form=form,
        result=result,
        filtered=filtered,
        detail_text=security_log.detail_text,
    )
