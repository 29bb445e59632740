"""Importing catalogue items and organisations from Excel: template, upload, preview, commit.

Upload checks every row and writes nothing: a file that cannot be read, or any row that is wrong,
answers 422 with the message or the table of row problems. A correct file is kept (see
``aidtracker.imports.uploads``) and previewed; the preview's button posts the upload's token, and
the commit reads and checks the kept file again before writing everything in one transaction.
"""

import io
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import InputRequired

from aidtracker.auth.permissions import Permission, requires
from aidtracker.catalogue.forms import DAC_SECTOR_LABELS
from aidtracker.extensions import db
from aidtracker.imports.blank import template_workbook
from aidtracker.imports.reader import ImportFileError
from aidtracker.imports.reference import IMPORTS, ReferenceImport, RowsRefused
from aidtracker.imports.uploads import discard_upload, store_upload, upload_path
from aidtracker.parties.forms import PART_LABELS

blueprint = Blueprint("reference_imports", __name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 500
"""The preview lists this many rows; the button adds them all."""
SHOWN_PROBLEMS = 500
"""The problem table lists this many; the page says how many there are in all."""


@dataclass(frozen=True)
class _Texts:
    """What the pages call one kind of import, and where its list is."""

    list_endpoint: str
    list_title: str
    heading: str
    sheet: str


TEXTS = {
    "catalogue": _Texts(
        list_endpoint="catalogue.list_items",
        list_title=_l("Catalogue"),
        heading=_l("Import catalogue items from Excel"),
        sheet=_l("Catalogue"),
    ),
    "organisations": _Texts(
        list_endpoint="organisations.list_organisations",
        list_title=_l("Organisations"),
        heading=_l("Import organisations from Excel"),
        sheet=_l("Organisations"),
    ),
}


class UploadForm(FlaskForm):
    file = FileField(
        _l("Excel workbook (.xlsx)"),
        validators=[FileRequired(message=_l("Choose the .xlsx file to import."))],
        description=_l("At most 10 MB and 20,000 rows."),
    )


class TokenForm(FlaskForm):
    """The commit and cancel buttons: they name the kept upload by its token."""

    token = HiddenField(validators=[InputRequired()])


def _added_message(kind: str, count: int) -> str:
    if kind == "catalogue":
        return ngettext(
            "%(num)d item was added to the catalogue.",
            "%(num)d items were added to the catalogue.",
            count,
        )
    return ngettext("%(num)d organisation was added.", "%(num)d organisations were added.", count)


def _button_text(kind: str, count: int) -> str:
    if kind == "catalogue":
        return ngettext("Add %(num)d item", "Add %(num)d items", count)
    return ngettext("Add %(num)d organisation", "Add %(num)d organisations", count)


def _upload_page(spec: ReferenceImport, form: UploadForm, problems=(), status: int = 200):
    return render_template(
        "imports/reference_upload.html",
        spec=spec,
        texts=TEXTS[spec.kind],
        urls=_urls(spec.kind),
        form=form,
        problems=problems,
        shown_problems=SHOWN_PROBLEMS,
    ), status


def _urls(kind: str) -> dict[str, str]:
    """The import's own pages, for its templates."""
    return {
        action: url_for(f"reference_imports.{action}_{kind}")
        for action in ("template", "upload", "commit", "cancel")
    }


def _template(kind: str):
    """The template workbook to fill in."""
    spec = IMPORTS[kind]
    content = template_workbook(
        str(TEXTS[kind].sheet), spec.template_columns(), spec.instructions()
    )
    response = send_file(
        io.BytesIO(content),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"aidtracker-{kind}-template.xlsx",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _upload(kind: str):
    """The upload form; a posted file is checked, then previewed or refused with 422."""
    spec = IMPORTS[kind]
    form = UploadForm()
    if not form.is_submitted():
        return _upload_page(spec, form)
    if not form.validate():
        return _upload_page(spec, form, status=422)
    content = form.file.data.read()
    try:
        rows, problems = spec.check(content)
        if not problems:
            token = store_upload(content, user_id=current_user.id, kind=kind)
    except ImportFileError as error:
        form.file.errors.append(error.message)
        return _upload_page(spec, form, status=422)
    finally:
        db.session.rollback()  # checking reads only; end its transaction
    if problems:
        return _upload_page(spec, form, problems, status=422)
    return render_template(
        "imports/reference_preview.html",
        spec=spec,
        texts=TEXTS[kind],
        urls=_urls(kind),
        rows=rows[:PREVIEW_ROWS],
        row_count=len(rows),
        file_name=form.file.data.filename,
        button=_button_text(kind, len(rows)),
        token_form=TokenForm(token=token),
        sector_labels=DAC_SECTOR_LABELS,
        parts=PART_LABELS,
    )


def _commit(kind: str):
    """Add everything the kept file holds, after checking it again; or nothing, with 422."""
    spec = IMPORTS[kind]
    form = TokenForm()
    path = upload_path(form.token.data or "", user_id=current_user.id)
    if not form.validate_on_submit() or path is None:
        flash(
            _("The checked file is no longer kept (files wait 24 hours): upload it again."),
            "warning",
        )
        return redirect(url_for(f"reference_imports.upload_{kind}"))
    try:
        added = spec.add(path)
    except (ImportFileError, RowsRefused) as error:
        db.session.rollback()
        discard_upload(form.token.data, user_id=current_user.id)
        upload_form = UploadForm(formdata=None)
        if isinstance(error, ImportFileError):
            upload_form.file.errors = [error.message]
            return _upload_page(spec, upload_form, status=422)
        return _upload_page(spec, upload_form, error.problems, status=422)
    discard_upload(form.token.data, user_id=current_user.id)
    flash(_added_message(kind, len(added)), "success")
    return redirect(url_for(TEXTS[kind].list_endpoint))


def _cancel(kind: str):
    """Forget the kept file."""
    form = TokenForm()
    if form.validate_on_submit():
        discard_upload(form.token.data, user_id=current_user.id)
    flash(_("Nothing was imported."), "info")
    return redirect(url_for(TEXTS[kind].list_endpoint))


# One endpoint per kind and action, with no URL arguments: each page's URL fits under its list's
# (/catalogue/…, /organisations/…).


@blueprint.get("/imports/catalogue-template.xlsx")
@requires(Permission.MANAGE_REFERENCE_DATA)
def template_catalogue():
    return _template("catalogue")


@blueprint.route("/catalogue/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def upload_catalogue():
    return _upload("catalogue")


@blueprint.post("/catalogue/import/commit")
@requires(Permission.MANAGE_REFERENCE_DATA)
def commit_catalogue():
    return _commit("catalogue")


@blueprint.post("/catalogue/import/cancel")
@requires(Permission.MANAGE_REFERENCE_DATA)
def cancel_catalogue():
    return _cancel("catalogue")


@blueprint.get("/imports/organisations-template.xlsx")
@requires(Permission.MANAGE_REFERENCE_DATA)
def template_organisations():
    return _template("organisations")


@blueprint.route("/organisations/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def upload_organisations():
    return _upload("organisations")


@blueprint.post("/organisations/import/commit")
@requires(Permission.MANAGE_REFERENCE_DATA)
def commit_organisations():
    return _commit("organisations")


@blueprint.post("/organisations/import/cancel")
@requires(Permission.MANAGE_REFERENCE_DATA)
def cancel_organisations():
    return _cancel("organisations")
