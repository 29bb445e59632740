"""Uploading, downloading and removing a shipment's documents, and their section on its page."""

from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, g, redirect, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from aidtracker.auth.permissions import Permission, ShipmentAccess, has_permission, requires
from aidtracker.shipments import views as shipment_views
from aidtracker.shipments.document_forms import ACCEPTED_FILES, DocumentUploadForm
from aidtracker.shipments.documents import (
    ChecklistEntry,
    DocumentError,
    DocumentMissing,
    attach_document,
    download_name,
    may_remove_documents,
    open_document,
    remove_document,
    required_documents,
)
from aidtracker.shipments.models import Document, Shipment
from aidtracker.shipments.queries import shipment_by_reference

blueprint = Blueprint("documents", __name__, url_prefix="/shipments")


def _shipment_with_documents(reference: str) -> tuple[Shipment, ShipmentAccess]:
    """The shipment, if the user may see it and its documents; else 404, as if it did not exist."""
    shipment = shipment_by_reference(current_user, reference)
    if shipment is None:
        abort(404)
    access = ShipmentAccess(current_user, shipment)
    if not access.sees_documents:
        abort(404)
    return shipment, access


def _document_of(shipment: Shipment, document_id: int) -> Document:
    document = next((d for d in shipment.documents if d.id == document_id), None)
    if document is None:
        abort(404)
    return document


def _shipment_page(reference: str):
    return redirect(url_for("shipments.show_shipment", reference=reference, _anchor="documents"))


@blueprint.post("/<reference>/documents")
@requires(Permission.EDIT_SHIPMENTS)
def upload_document(reference: str):
    shipment, _access = _shipment_with_documents(reference)
    form = DocumentUploadForm()
    if form.validate_on_submit():
        try:
            document = attach_document(
                shipment, kind=form.document_kind, upload=form.file.data, by=current_user
            )
        except DocumentError as error:
            form.file.errors.append(str(error))
        else:
            flash(
                _(
                    "%(filename)s attached as %(kind)s.",
                    filename=document.filename,
                    kind=document.kind.label.lower(),
                ),
                "success",
            )
            return _shipment_page(shipment.reference)
    # The shipment page again, with what was chosen and the errors next to the fields.
    g.document_form = form
    return shipment_views.show_shipment(shipment.reference), 422


@blueprint.get("/<reference>/documents/<int:document_id>")
@requires(Permission.VIEW_SHIPMENTS)
def download_document(reference: str, document_id: int):
    shipment, _access = _shipment_with_documents(reference)
    document = _document_of(shipment, document_id)
    try:
        stream = open_document(document)
    except DocumentMissing:
        current_app.logger.error(
            "file %s of document %s is missing", document.storage_name, document.id
        )
        abort(404)
    response = send_file(
        stream,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=download_name(document),
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.post("/<reference>/documents/<int:document_id>/remove")
@requires(Permission.EDIT_SHIPMENTS)
def remove_from_shipment(reference: str, document_id: int):
    shipment, _access = _shipment_with_documents(reference)
    document = _document_of(shipment, document_id)
    filename = document.filename
    try:
        remove_document(document, by=current_user)
    except DocumentError as error:
        flash(str(error), "danger")
    else:
        flash(_("%(filename)s removed.", filename=filename), "success")
    return _shipment_page(shipment.reference)


# --- the section on the shipment page ----------------------------------------------------------


@dataclass(frozen=True)
class DocumentSection:
    """What templates/shipments/_documents.html shows to the current user."""

    shipment: Shipment
    visible: bool
    checklist: list[ChecklistEntry]
    documents: list[Document]
    may_upload: bool
    may_remove: bool
    form: DocumentUploadForm | None
    accept: str = ACCEPTED_FILES


@blueprint.app_template_global()
def document_section(access: ShipmentAccess) -> DocumentSection:
    """The documents section of a shipment's page, for the user of `access`."""
    shipment = access.shipment
    if not access.sees_documents:
        return DocumentSection(shipment, False, [], [], False, False, None)
    checklist = required_documents(shipment)
    may_upload = has_permission(access.user, Permission.EDIT_SHIPMENTS)
    form = None
    if may_upload:
        form = g.get("document_form")
        if form is None:
            form = DocumentUploadForm(formdata=None)
            # Offer the first document still missing: usually the one being added next.
            missing = next((entry.kind for entry in checklist if not entry.attached), None)
            if missing is not None:
                form.kind.data = missing.value
    return DocumentSection(
        shipment=shipment,
        visible=True,
        checklist=checklist,
        documents=list(shipment.documents),
        may_upload=may_upload,
        may_remove=may_upload and may_remove_documents(shipment),
        form=form,
    )


@blueprint.app_template_filter("filesize")
def filesize(size_bytes: int) -> str:
    """A file size for people: 12.3 kB, 2.4 MB (1 kB = 1024 bytes, as file managers count)."""
    if size_bytes < 1024 * 1024:
        kilobytes = max(Decimal(size_bytes) / 1024, Decimal("0.1"))
        return _("%(size)s kB", size=format_decimal(kilobytes, "#,##0.0"))
    return _("%(size)s MB", size=format_decimal(Decimal(size_bytes) / (1024 * 1024), "#,##0.0"))
