"""Moving a shipment on its page, customs details, receipt, the distribution report, discrepancies.

Thin views: each reads its form, calls one service function (``aidtracker.shipments.status`` or
``aidtracker.shipments.receipt``) and turns a refusal into a message next to the field, or at the
top of the shipment page when it concerns the move as a whole. The shipment page itself belongs to
``aidtracker.shipments.views``; its action panel is drawn from the template global
``shipment_actions(shipment)`` defined here.
"""

from dataclasses import dataclass, field
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from aidtracker.auth.permissions import Permission, ShipmentAccess, requires
from aidtracker.shipments import lifecycle, receipt, status
from aidtracker.shipments.lifecycle import LifecycleError
from aidtracker.shipments.models import Shipment, ShipmentLine
from aidtracker.shipments.queries import shipment_by_reference
from aidtracker.shipments.status import NotPermitted, ShipmentChanged, user_message
from aidtracker.shipments.status_forms import (
    CustomsDetailsForm,
    DeleteDraftForm,
    DistributionReportForm,
    MoveForm,
    ReceiptForm,
    expected_version,
)
from aidtracker.shipments.views import show_shipment

blueprint = Blueprint("shipment_status", __name__, url_prefix="/shipments")

DANGEROUS_ACTIONS = frozenset({"cancel", "mark_returned", "mark_lost", "reject_at_customs"})


def _shipment_or_404(reference: str) -> Shipment:
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    return shipment


def _failed_forms() -> dict:
    if "failed_status_forms" not in g:
        g.failed_status_forms = {}
    return g.failed_status_forms


def _shipment_page(reference: str, status_code: int):
    """The shipment page again, with the message flashed and any failed form in the panel."""
    return show_shipment(reference=reference), status_code


def _form_refused(reference: str, key: str, form, message: str):
    """The shipment page again, `form` (failed, under `key`) showing its messages by its fields."""
    _failed_forms()[key] = form
    flash(message, "danger")
    return _shipment_page(reference, 422)


def _refused(reference: str, message: str):
    """The shipment page again, saying why the change was refused."""
    flash(message, "danger")
    return _shipment_page(reference, 409)


def _back_to(shipment: Shipment):
    return redirect(url_for("shipments.show_shipment", reference=shipment.reference))


def _field_error(form, error: LifecycleError) -> bool:
    """Put the message next to its field when the form has it; True if it did."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, user_message(error)]
        return True
    return False


# Moves -------------------------------------------------------------------------------------------


def _move_form(shipment: Shipment, action: str, *, formdata=None) -> MoveForm:
    """The form of one action: only the fields it needs, prefixed with its name."""
    form = MoveForm(formdata=formdata, prefix=action)  # formdata=None: a fresh, unbound form
    if action == "release_from_hold":
        targets = sorted(
            {t.target for t in lifecycle.TRANSITIONS if t.action == action},
            key=[lifecycle.DECLARED, lifecycle.UNDER_INSPECTION].index,
        )
        form.set_targets(
            targets, {target: status.status_label(lifecycle.CUSTOMS, target) for target in targets}
        )
    else:
        del form.target
    if action != "declare_customs":
        del form.declaration_number
        del form.border_crossing
    return form


@blueprint.post("/<reference>/move")
@requires(Permission.EDIT_SHIPMENTS)
def move(reference: str):
    shipment = _shipment_or_404(reference)
    action = request.form.get("action", "")
    if action not in lifecycle.ACTIONS or action == "confirm_receipt":
        flash(_("Choose one of the actions offered on the shipment page."), "danger")
        return _shipment_page(reference, 422)
    form = _move_form(shipment, action, formdata=request.form)
    if not form.validate():
        return _form_refused(
            reference,
            action,
            form,
            _("The change was not made; see the messages next to the fields."),
        )
    label = status.action_label(action)
    try:
        event = status.apply(
            shipment,
            action,
            by=current_user,
            on=form.on.data,
            location=form.location.data,
            note=form.note.data,
            target=form.target.data if "target" in form else None,
            declaration_number=form.declaration_number.data
            if "declaration_number" in form
            else None,
            border_crossing=form.border_crossing.data if "border_crossing" in form else None,
            expected_version=expected_version(form),
        )
    except NotPermitted:
        abort(403)
    except ShipmentChanged as error:
        return _refused(reference, str(error))
    except LifecycleError as error:
        if _field_error(form, error):
            return _form_refused(
                reference,
                action,
                form,
                _("The change was not made; see the messages next to the fields."),
            )
        return _refused(reference, user_message(error))
    flash(
        _(
            "%(action)s: %(reference)s is now %(status)s.",
            action=label,
            reference=shipment.reference,
            status=status.status_label(event.kind.value, event.to_status).lower(),
        ),
        "success",
    )
    return _back_to(shipment)


def _save_details(reference: str, key: str, form, save, *, failed: str, fields=None):
    """Validate one of the page's small forms and `save()` it; None on success, else the page
    again with the refusal. `fields` maps a rule's field name to the form's where they differ."""
    if not form.validate():
        return _form_refused(reference, key, form, failed)
    try:
        save()
    except NotPermitted:
        abort(403)
    except status.DetailErrors as error:
        for name, message in error.errors.items():
            form[name].errors = [*form[name].errors, message]
        return _form_refused(reference, key, form, failed)
    except ShipmentChanged as error:
        return _refused(reference, str(error))
    except LifecycleError as error:
        name = (fields or {}).get(error.field, error.field)
        if name and name in form:
            form[name].errors = [*form[name].errors, user_message(error)]
            return _form_refused(reference, key, form, failed)
        return _refused(reference, user_message(error))
    return None


@blueprint.post("/<reference>/customs")
@requires(Permission.EDIT_SHIPMENTS)
def customs_details(reference: str):
    shipment = _shipment_or_404(reference)
    form = CustomsDetailsForm(prefix="customs")
    refused = _save_details(
        reference,
        "customs",
        form,
        lambda: status.record_customs_details(
            shipment,
            by=current_user,
            aid_recognition_code=form.aid_recognition_code.data,
            aid_recognition_code_issued_on=form.aid_recognition_code_issued_on.data,
            border_crossing=form.border_crossing.data,
            expected_version=expected_version(form),
        ),
        failed=_("The customs details were not saved; see the messages next to them."),
        fields={"on": None},
    )
    if refused:
        return refused
    flash(_("Customs details saved."), "success")
    return _back_to(shipment)


@blueprint.post("/<reference>/distribution-report")
@requires(Permission.CONFIRM_RECEIPT)
def distribution_report(reference: str):
    shipment = _shipment_or_404(reference)
    form = DistributionReportForm(prefix="report")
    refused = _save_details(
        reference,
        "report",
        form,
        lambda: status.record_distribution_report(
            shipment,
            by=current_user,
            submitted_on=form.submitted_on.data,
            expected_version=expected_version(form),
        ),
        failed=_("The report was not recorded; see the message next to the date."),
        fields={"on": "submitted_on"},
    )
    if refused:
        return refused
    flash(_("Distribution report recorded as submitted."), "success")
    return _back_to(shipment)


@blueprint.post("/<reference>/delete")
@requires(Permission.EDIT_SHIPMENTS)
def delete_draft(reference: str):
    shipment = _shipment_or_404(reference)
    form = DeleteDraftForm(prefix="delete")
    if not form.validate():
        flash(_("The draft was not deleted: the form had expired. Please try again."), "danger")
        return _shipment_page(reference, 422)
    try:
        deleted = status.delete_draft(
            shipment, by=current_user, expected_version=expected_version(form)
        )
    except NotPermitted:
        abort(403)
    except ShipmentChanged as error:
        return _refused(reference, str(error))
    except LifecycleError as error:
        return _refused(reference, user_message(error))
    flash(_("Draft %(reference)s deleted.", reference=deleted), "success")
    return redirect(url_for("shipments.list_shipments"))


# Receipt -----------------------------------------------------------------------------------------


@blueprint.route("/<reference>/receipt", methods=["GET", "POST"])
@requires(Permission.CONFIRM_RECEIPT)
def confirm_receipt(reference: str):
    shipment = _shipment_or_404(reference)
    if not ShipmentAccess(current_user, shipment).may_confirm_receipt:
        abort(403)
    if not status.may_confirm_receipt_now(shipment, current_user):
        try:
            lifecycle.check(status.facts_of(shipment), "confirm_receipt", via_receipt=True)
        except LifecycleError as error:
            return _refused(reference, user_message(error))
    form = ReceiptForm()
    if request.method == "GET":
        form.version.data = str(shipment.version)
        form.received_on.data = status.local_today()
        for line in shipment.lines:
            form.lines.append_entry(
                {
                    "line_id": str(line.id),
                    "received_quantity": line.quantity,
                    "condition": lifecycle.GOOD,
                    "note": "",
                }
            )
        return _render_receipt(shipment, form)
    if not form.validate():
        flash(_("Receipt was not confirmed; see the messages next to the fields."), "danger")
        return _render_receipt(shipment, form, 422)
    lines = {}
    for entry in form.lines:
        key = entry.form.line_key()
        if key is not None:
            lines[key] = receipt.ReceivedLine(
                entry.form.received_quantity.data, entry.form.condition.data, entry.form.note.data
            )
    try:
        receipt.confirm_receipt(
            shipment,
            by=current_user,
            lines=lines,
            on=form.received_on.data,
            note=form.note.data,
            expected_version=expected_version(form),
        )
    except NotPermitted:
        abort(403)
    except receipt.ReceiptErrors as error:
        for entry in form.lines:
            for name, message in error.errors.get(entry.form.line_key(), {}).items():
                entry.form[name].errors = [*entry.form[name].errors, message]
        flash(str(error), "danger")
        return _render_receipt(shipment, form, 422)
    except (receipt.ReceiptIncomplete, ShipmentChanged) as error:
        flash(str(error), "danger")
        return _render_receipt(shipment, form, 409)
    except LifecycleError as error:
        if error.field == "on":
            form.received_on.errors = [*form.received_on.errors, user_message(error)]
            flash(_("Receipt was not confirmed; see the messages next to the fields."), "danger")
            return _render_receipt(shipment, form, 422)
        return _refused(reference, user_message(error))
    flash(
        _(
            "Receipt confirmed: %(reference)s is %(status)s.",
            reference=shipment.reference,
            status=shipment.status.label.lower(),
        ),
        "success",
    )
    return _back_to(shipment)


def _render_receipt(shipment: Shipment, form: ReceiptForm, status_code: int = 200):
    by_id = {line.id: line for line in shipment.lines}
    rows = [(by_id.get(entry.form.line_key()), entry.form) for entry in form.lines]
    rows = [(line, line_form) for line, line_form in rows if line is not None]
    return render_template("shipments/receipt.html", shipment=shipment, form=form, rows=rows), (
        status_code
    )


@blueprint.get("/discrepancies")
@requires(Permission.VIEW_SHIPMENTS)
def list_discrepancies():
    text = request.args.get("q", "").strip()[:100]
    page = request.args.get("page", default=1, type=int) or 1
    result = receipt.discrepancy_page(
        current_user, page, current_app.config["PAGE_SIZE"], text=text
    )
    return render_template("shipments/discrepancies.html", result=result, q=text)


# The shipment page's panel -----------------------------------------------------------------------


@dataclass
class MovePanel:
    offer: status.Offer
    form: MoveForm

    @property
    def dangerous(self) -> bool:
        return self.offer.action in DANGEROUS_ACTIONS

    @property
    def failed(self) -> bool:
        return any(f.errors for f in self.form)


@dataclass
class ActionPanel:
    """What the shipment page shows about moving the shipment, for the current user."""

    shipment: Shipment
    today: date
    moves: list[MovePanel] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    may_confirm_receipt: bool = False
    report: lifecycle.ReportState | None = None
    report_form: DistributionReportForm | None = None
    customs_form: CustomsDetailsForm | None = None
    delete_form: DeleteDraftForm | None = None

    @property
    def declaration_valid_until(self) -> date | None:
        return lifecycle.declaration_valid_until(self.shipment.customs_declared_on)

    @property
    def code_valid_until(self) -> date | None:
        return lifecycle.recognition_code_valid_until(self.shipment.aid_recognition_code_issued_on)

    @property
    def customs_open(self) -> bool:
        return self.shipment.customs_status.value in lifecycle.OPEN_CUSTOMS_STATUSES

    @property
    def declaration_expired(self) -> bool:
        until = self.declaration_valid_until
        return bool(until and until < self.today and self.customs_open)

    @property
    def code_expired(self) -> bool:
        until = self.code_valid_until
        return bool(until and until < self.today and self.customs_open)

    @property
    def has_controls(self) -> bool:
        return bool(self.moves or self.blocked or self.may_confirm_receipt or self.delete_form)


@blueprint.app_template_global()
def shipment_actions(shipment: Shipment) -> ActionPanel:
    """Everything the current user may do with `shipment` now, with a form for each."""
    user = current_user
    failed = _failed_forms()
    version = str(shipment.version)
    today = status.local_today()
    panel = ActionPanel(shipment=shipment, today=today)
    for offer in status.allowed_actions(shipment, user):
        form = failed.get(offer.action)
        if form is None:
            form = _move_form(shipment, offer.action)
            form.version.data = version
            form.on.data = today
            if "target" in form:
                form.target.data = offer.default_target
            if "border_crossing" in form:
                form.border_crossing.data = shipment.border_crossing
        if offer.reason_required:
            form.note.label.text = _("Reason")
            form.note.render_kw = {"required": True}
        if offer.needs_declaration_number:
            form.declaration_number.render_kw = {"required": True}
        panel.moves.append(MovePanel(offer, form))
    panel.blocked = status.blocked_actions(shipment, user)
    panel.may_confirm_receipt = status.may_confirm_receipt_now(shipment, user)
    panel.report = status.report_state(shipment)
    if status.may_record_distribution_report(shipment, user):
        panel.report_form = failed.get("report") or DistributionReportForm(
            formdata=None, prefix="report", data={"version": version, "submitted_on": today}
        )
    if status.may_edit_customs_details(shipment, user):
        panel.customs_form = failed.get("customs") or CustomsDetailsForm(
            formdata=None,
            prefix="customs",
            data={
                "version": version,
                "aid_recognition_code": shipment.aid_recognition_code,
                "aid_recognition_code_issued_on": shipment.aid_recognition_code_issued_on,
                "border_crossing": shipment.border_crossing,
            },
        )
    if status.may_delete(shipment, user):
        panel.delete_form = DeleteDraftForm(
            formdata=None, prefix="delete", data={"version": version}
        )
    return panel


@blueprint.app_template_global()
def shipment_discrepancies(shipment: Shipment) -> list[ShipmentLine]:
    """The lines of `shipment` the current user sees that arrived other than they were sent."""
    return receipt.shipment_discrepancies(shipment, current_user)
