"""The Reports page, the progress of a report prepared in the background, and packing lists."""

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user

from aidtracker.auth.permissions import Permission, requires
from aidtracker.database import utcnow
from aidtracker.money.service import base_currency
from aidtracker.reports.forms import ReportForm
from aidtracker.reports.jobs import (
    XLSX_MIMETYPE,
    downloadable_file,
    export_of,
    plan_export,
    recent_exports,
    start_export,
    write_now,
)
from aidtracker.reports.models import ExportStatus
from aidtracker.reports.packing_list import packing_list_file_name, write_packing_list
from aidtracker.reports.parameters import filter_labels
from aidtracker.reports.service import file_name
from aidtracker.reports.valuation import ExportRefused
from aidtracker.shipments.queries import shipment_by_reference

blueprint = Blueprint("reports", __name__)


@blueprint.route("/reports", methods=["GET", "POST"])
@requires(Permission.EXPORT_REPORTS)
def reports_page():
    form = ReportForm()
    problems: dict[str, str] = {}
    refused: list[str] = []
    if form.validate_on_submit():
        parameters = form.parameters()
        problems = parameters.problems()
        for field_name, message in problems.items():
            form[field_name].errors = [*form[field_name].errors, message]
        if not problems:
            try:
                lines = plan_export(current_user, parameters)
                if lines > current_app.config["REPORT_INLINE_LINES"]:
                    export = start_export(form.kind, current_user, parameters, lines)
                    return redirect(url_for("reports.show_export", token=export.token))
                report = write_now(form.kind, current_user, parameters)
            except ExportRefused as refusal:
                refused = refusal.messages
            else:
                return send_xlsx(report, file_name(form.kind, parameters))
    failed = bool(form.errors or problems or refused)
    return render_template(
        "reports/index.html",
        form=form,
        refused=refused,
        exports=recent_exports(current_user),
        now=utcnow(),
        base=base_currency(),
        inline_lines=current_app.config["REPORT_INLINE_LINES"],
    ), (422 if failed else 200)


@blueprint.get("/reports/exports/<token>")
@requires(Permission.EXPORT_REPORTS)
def show_export(token: str):
    export = export_of(current_user, token)
    if export is None:
        abort(404)
    now = utcnow()
    status = export.shown_status(now)
    return render_template(
        "reports/export.html",
        export=export,
        parameters=export.report_parameters,
        filters=filter_labels(export.report_parameters),
        status=status,
        error=export.shown_error(now),
        waiting=status in (ExportStatus.QUEUED, ExportStatus.RUNNING),
        ready=status is ExportStatus.DONE and downloadable_file(export) is not None,
    )


@blueprint.get("/reports/exports/<token>/download")
@requires(Permission.EXPORT_REPORTS)
def download_export(token: str):
    export = export_of(current_user, token)
    path = downloadable_file(export) if export is not None else None
    if path is None:
        abort(404)
    return send_xlsx(path, export.file_name)


@blueprint.get("/shipments/<reference>/packing-list.xlsx")
@requires(Permission.EXPORT_PACKING_LIST)
def packing_list(reference: str):
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    buffer = io.BytesIO()
    write_packing_list(buffer, current_user, shipment)
    buffer.seek(0)
    return send_xlsx(buffer, packing_list_file_name(shipment))


def send_xlsx(stream, download_name: str):
    """Send a workbook as a download that no shared cache keeps (it holds values and donors)."""
    response = send_file(
        stream,
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=download_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
