"""Importing a draft shipment's lines from an Excel workbook: the template, the upload that
checks every row, the preview, and the one click that adds them all.

The file is checked when it is uploaded and kept (``imports.uploads``) while the user looks at
the preview; the commit reads it again from there and checks it again, so what is added is what
the rules accept at that moment, whatever happened in between.
"""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired

from aidtracker.auth.permissions import Permission, requires
from aidtracker.extensions import db
from aidtracker.imports.lines import (
    LinesRefused,
    add_lines,
    check_lines,
    ensure_draft,
    lines_template,
    totals_of,
)
from aidtracker.imports.reader import MAX_BYTES, ImportFileError
from aidtracker.imports.uploads import discard_upload, store_upload, upload_path
from aidtracker.reports.jobs import XLSX_MIMETYPE
from aidtracker.shipments.entry import EditConflict, NotEditable
from aidtracker.shipments.models import Shipment, ShipmentStatus
from aidtracker.shipments.queries import shipment_by_reference

blueprint = Blueprint("line_imports", __name__)

PREVIEW_ROWS = 500
"""Lines listed on the preview page; the totals count them all."""
SHOWN_PROBLEMS = 1000
"""Problems listed on the page; a file wrong on every row says so without a page of megabytes."""
UPLOAD_KIND = "lines"
ACCEPTED_FILES = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LineUploadForm(FlaskForm):
    file = FileField(
        _l("Excel workbook (.xlsx)"),
        validators=[FileRequired(message=_l("Choose the workbook to import."))],
    )
    submit = SubmitField(_l("Check the file"))


class LineCommitForm(FlaskForm):
    """What the preview posts back: the stored file and the shipment's version it was checked
    against."""

    token = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])


class LineCancelForm(FlaskForm):
    token = HiddenField()


def _shipment(reference: str) -> Shipment:
    """The shipment if the user may see it; else 404, as if it did not exist."""
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    return shipment


def _shipment_page(shipment: Shipment):
    return redirect(url_for("shipments.show_shipment", reference=shipment.reference))


def _upload_page(shipment: Shipment, form=None, *, status: int = 200, **messages):
    problems = messages.pop("problems", None) or []
    return render_template(
        "imports/lines_upload.html",
        shipment=shipment,
        form=form or LineUploadForm(formdata=None),
        is_draft=shipment.status is ShipmentStatus.DRAFT,
        problems=problems,
        shown_problems=SHOWN_PROBLEMS,
        max_megabytes=MAX_BYTES // (1024 * 1024),
        **messages,
    ), status


@blueprint.get("/imports/lines-template.xlsx")
@requires(Permission.EDIT_SHIPMENTS)
def lines_template_file():
    response = send_file(
        io.BytesIO(lines_template()),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name="aidtracker-shipment-lines-template.xlsx",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/shipments/<reference>/import-lines", methods=["GET", "POST"])
@requires(Permission.EDIT_SHIPMENTS)
def upload_lines(reference: str):
    shipment = _shipment(reference)
    try:
        ensure_draft(shipment)
    except NotEditable as error:
        flash(str(error), "warning")
        return _shipment_page(shipment)
    form = LineUploadForm()
    if not form.validate_on_submit():
        return _upload_page(shipment, form, status=422 if request.method == "POST" else 200)
    content = form.file.data.stream.read(MAX_BYTES + 1)
    try:
        lines, problems = check_lines(shipment, content)
    except ImportFileError as error:
        return _upload_page(shipment, form, status=422, file_error=error.message)
    if problems:
        return _upload_page(shipment, form, status=422, problems=problems)
    token = store_upload(content, user_id=current_user.id, kind=UPLOAD_KIND)
    commit_form = LineCommitForm(formdata=None, token=token, version=str(shipment.version))
    return render_template(
        "imports/lines_preview.html",
        shipment=shipment,
        filename=form.file.data.filename,
        lines=lines[:PREVIEW_ROWS],
        totals=totals_of(lines),
        commit_form=commit_form,
        cancel_form=LineCancelForm(formdata=None, token=token),
    )


@blueprint.post("/shipments/<reference>/import-lines/commit")
@requires(Permission.EDIT_SHIPMENTS)
def commit_lines(reference: str):
    shipment = _shipment(reference)
    form = LineCommitForm()
    path = None
    if form.validate_on_submit():
        path = upload_path(form.token.data, user_id=current_user.id)
    if path is None:
        flash(
            _("The checked file is no longer kept (files are kept for a day): upload it again."),
            "warning",
        )
        return redirect(url_for(".upload_lines", reference=shipment.reference))
    try:
        added = add_lines(shipment, path, expected_version=_version(form), by=current_user)
    except LinesRefused as refused:
        return _refused(shipment, form.token.data, status=422, problems=refused.problems)
    except ImportFileError as error:
        return _refused(shipment, form.token.data, status=422, file_error=error.message)
    except (NotEditable, EditConflict) as error:
        return _refused(shipment, form.token.data, status=409, refusal=str(error))
    discard_upload(form.token.data, user_id=current_user.id)
    flash(
        ngettext(
            "%(num)d line added to %(reference)s.",
            "%(num)d lines added to %(reference)s.",
            added,
            reference=shipment.reference,
        ),
        "success",
    )
    return _shipment_page(shipment)


def _refused(shipment: Shipment, token: str, *, status: int, **messages):
    """Nothing was written: the stored file goes, and the upload page says why."""
    db.session.rollback()
    discard_upload(token, user_id=current_user.id)
    return _upload_page(shipment, status=status, **messages)


@blueprint.post("/shipments/<reference>/import-lines/cancel")
@requires(Permission.EDIT_SHIPMENTS)
def cancel_import(reference: str):
    shipment = _shipment(reference)
    form = LineCancelForm()
    if form.validate_on_submit() and form.token.data:
        discard_upload(form.token.data, user_id=current_user.id)
    flash(_("Import cancelled: no line was added."), "info")
    return _shipment_page(shipment)


def _version(form: LineCommitForm) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1  # a preview without a version cannot prove it saw the latest one
