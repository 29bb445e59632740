"""The form that attaches a document to a shipment."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField
from wtforms.validators import InputRequired

from aidtracker.shipments.documents import CUSTOMS_DOCUMENTS
from aidtracker.shipments.models import DocumentKind

# The documents customs ask for first, in the order of the checklist, then the others.
KIND_ORDER = CUSTOMS_DOCUMENTS + tuple(
    kind for kind in DocumentKind if kind not in CUSTOMS_DOCUMENTS
)

ACCEPTED_FILES = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
"""What the browser's file picker offers; the server checks the content whatever it is told."""


class DocumentUploadForm(FlaskForm):
    """Kind and file. Prefixed, so its fields cannot clash with other forms on the shipment page."""

    kind = SelectField(
        _l("Kind of document"),
        choices=[],
        validators=[InputRequired(message=_l("Choose the kind of document."))],
    )
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))])
    submit = SubmitField(_l("Upload document"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "document")
        super().__init__(*args, **kwargs)
        # Labels are translated per request, not once at import.
        self.kind.choices = [(kind.value, kind.label) for kind in KIND_ORDER]

    @property
    def document_kind(self) -> DocumentKind:
        return DocumentKind(self.kind.data)
