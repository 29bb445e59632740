"""A user's own notification setting, and the outbox administrators read."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from aidtracker.auth.permissions import Permission, requires
from aidtracker.extensions import db
from aidtracker.notifications.forms import NotificationSettingsForm, OutboxFilterForm
from aidtracker.notifications.models import OutboxMessage
from aidtracker.notifications.service import outbox_page, set_notifications

blueprint = Blueprint("notifications", __name__)


@blueprint.route("/account/notifications", methods=["GET", "POST"])
@requires(Permission.OWN_ACCOUNT)
def settings():
    user = current_user._get_current_object()
    form = NotificationSettingsForm()
    if request.method == "GET":
        form.enabled.data = user.notifications_enabled
    if form.validate_on_submit():
        set_notifications(user, enabled=form.enabled.data)
        if form.enabled.data:
            flash(
                _("You will get an e-mail when a shipment of your organisation moves."), "success"
            )
        else:
            flash(_("You will get no more notification e-mails."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form)


@blueprint.get("/admin/outbox")
@requires(Permission.READ_OUTBOX)
def outbox():
    form = OutboxFilterForm(formdata=request.args)
    valid = form.validate()
    result = outbox_page(
        recipient=(form.recipient.data or "").strip() if valid else "",
        state=(form.state.data or "") if valid else "",
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    filtered = valid and any((form.recipient.data, form.state.data))
    return render_template(
        "notifications/outbox.html",
        form=form,
        result=result,
        filtered=filtered,
        smtp_configured=bool(current_app.config.get("SMTP_URL")),
    )


@blueprint.get("/admin/outbox/<int:message_id>")
@requires(Permission.READ_OUTBOX)
def message(message_id: int):
    found = db.session.get(
        OutboxMessage,
        message_id,
        options=[joinedload(OutboxMessage.shipment), joinedload(OutboxMessage.user)],
    )
    if found is None:
        abort(404)
    return render_template("notifications/message.html", message=found)
