"""The audit trail pages: the filtered list, and its export to Excel. Nothing here edits it."""

import io

from flask import Blueprint, current_app, render_template, request, send_file
from flask_login import current_user

from aidtracker.audit.export import audit_file_name, write_audit_trail
from aidtracker.audit.forms import AuditFilterForm
from aidtracker.audit.queries import audit_page, changes_of
from aidtracker.auth.permissions import Permission, requires
from aidtracker.reports.jobs import XLSX_MIMETYPE

blueprint = Blueprint("audit", __name__, url_prefix="/admin/audit")


@blueprint.get("/")
@requires(Permission.READ_AUDIT_TRAIL)
def audit_trail():
    form = AuditFilterForm(formdata=request.args)
    filters = form.to_filters()
    result = audit_page(
        filters,
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "audit/trail.html",
        form=form,
        result=result,
        changes=changes_of(result.items),
        filter_arguments=form.active_arguments(),
    )


@blueprint.get("/export.xlsx")
@requires(Permission.READ_AUDIT_TRAIL)
def export_audit_trail():
    form = AuditFilterForm(formdata=request.args)
    filters = form.to_filters()
    stream = io.BytesIO()  # the compressed file only: rows stream into it from the database
    write_audit_trail(stream, current_user, filters)
    stream.seek(0)
    response = send_file(
        stream,
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=audit_file_name(),
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
