"""A shipment's documents: the customs checklist, attaching files, removing and opening them.

Files are kept under the upload folder (``UPLOAD_FOLDER``, ``instance/documents`` by default),
never under ``static/``: they are only served through a view that checks who may see them. Each
file gets a random storage name, so the name a user chose never reaches the file system; the
original name is kept to show and to download under.

Only PDF, JPEG and PNG are accepted, recognised by their first bytes: neither the file name nor
the Content-Type the browser sent is trusted. Attaching writes the file first (to a temporary name,
then renamed into place) and the row second; a failed commit removes the file again, so there is
never a row without its file nor a half-written file.

Which documents a shipment needs (``required_documents``):

- a shipment that crosses a customs border needs the packing list, the CMR waybill, the
  humanitarian aid declaration, the deed of donation and the pro-forma invoice ("no commercial
  value"), which customs ask for to clear aid free of duty;
- a shipment that needs no customs (``customs_status`` ``not_required``, e.g. within the EU)
  needs only what travels with any load: the packing list (what is in it) and the CMR waybill
  (the contract of carriage). The other documents may still be attached; they are not required.
"""

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.shipments.entry import EDITABLE_STATUSES
from aidtracker.shipments.models import Document, DocumentKind, Shipment

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
"""The largest file accepted: 10 MB (MiB, as file managers count them)."""

FILE_TYPES = (
    # (first bytes, content type, file name extension)
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}

CUSTOMS_DOCUMENTS = (
    DocumentKind.PACKING_LIST,
    DocumentKind.CMR,
    DocumentKind.HUMANITARIAN_AID_DECLARATION,
    DocumentKind.DEED_OF_DONATION,
    DocumentKind.PROFORMA_INVOICE,
)
TRANSPORT_DOCUMENTS = (DocumentKind.PACKING_LIST, DocumentKind.CMR)

_STORAGE_NAME = re.compile(r"^[0-9a-f]{48}$")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_CHUNK = 64 * 1024


class DocumentError(Exception):
    """A document cannot be attached, removed or opened; the message says why to the user."""


class EmptyFile(DocumentError):
    def __init__(self):
        super().__init__(_("The file is empty."))


class FileTooLarge(DocumentError):
    def __init__(self):
        super().__init__(_("The file is larger than 10 MB. Please send a smaller file."))


class UnsupportedFileType(DocumentError):
    def __init__(self):
        super().__init__(_("Only PDF, JPEG and PNG files are accepted; this file is none of them."))


class DocumentLocked(DocumentError):
    """The shipment has left: its documents are on record and stay."""

    def __init__(self, shipment: Shipment):
        super().__init__(
            _(
                "Documents of a %(status)s shipment cannot be removed: they are on record.",
                status=shipment.status.label.lower(),
            )
        )
        self.shipment = shipment


class DocumentMissing(DocumentError):
    """The row is there but its file is not: the upload folder was changed behind our back."""

    def __init__(self, document: Document):
        super().__init__(_("The file of this document cannot be found."))
        self.document = document


# --- the checklist -----------------------------------------------------------------------------


def required_kinds(*, needs_customs: bool) -> tuple[DocumentKind, ...]:
    """The kinds of document a shipment must carry, in the order they are usually prepared."""
    return CUSTOMS_DOCUMENTS if needs_customs else TRANSPORT_DOCUMENTS


@dataclass(frozen=True)
class ChecklistEntry:
    """One required kind of document and the documents of that kind attached so far."""

    kind: DocumentKind
    documents: Sequence[Document] = field(default_factory=tuple)

    @property
    def attached(self) -> bool:
        return bool(self.documents)


def required_documents(shipment: Shipment) -> list[ChecklistEntry]:
    """The shipment's checklist: each required kind, with the documents of that kind attached."""
    return [
        ChecklistEntry(kind, tuple(d for d in shipment.documents if d.kind is kind))
        for kind in required_kinds(needs_customs=shipment.needs_customs)
    ]


# --- attaching ---------------------------------------------------------------------------------


def detect_content_type(head: bytes) -> str:
    """The content type of a file from its first bytes; raises ``UnsupportedFileType``."""
    for magic, content_type, _extension in FILE_TYPES:
        if head.startswith(magic):
            return content_type
    raise UnsupportedFileType


def display_name(raw: str | None) -> str:
    """The name to show for an uploaded file: its last path part, without control characters.

    Browsers send only the base name, but a client may send anything (``../../etc/passwd``);
    the name is only ever shown and offered as download name, never used as a path.
    """
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL_CHARACTERS.sub("", name).strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: 254 - len(extension)] + "." + extension
        else:
            name = name[:255]
    return name


def download_name(document: Document) -> str:
    """The original name, with the extension of the file's real type added when it lacks it,
    so that the downloaded file opens in the right program."""
    extensions = EXTENSIONS.get(document.content_type, ())
    name = document.filename or _("document")
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    return name


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _read_limited(stream: BinaryIO) -> bytes:
    """At most one byte more than the limit: enough to know the file is too large."""
    chunks, size = [], 0
    while size <= MAX_DOCUMENT_BYTES:
        chunk = stream.read(min(_CHUNK, MAX_DOCUMENT_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _write_new_file(folder: Path, content: bytes) -> str:
    """Write `content` under a new random name in `folder`; returns the name.

    The bytes go to a temporary file that is renamed into place once complete, so a crash or a
    full disk never leaves a half file under a name a row could point to.
    """
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        # 192 random bits: unique in practice, and the column's constraint guards the rest.
        storage_name = secrets.token_hex(24)
        os.replace(temporary, folder / storage_name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return storage_name


def attach_document(
    shipment: Shipment,
    *,
    kind: DocumentKind,
    upload,
    by: User | None,
    filename: str | None = None,
) -> Document:
    """Attach an uploaded file to `shipment` as a document of `kind`, uploaded by `by`.

    `upload` is a werkzeug ``FileStorage`` or a binary stream (then give `filename`). Reads at
    most 10 MB and one byte. Raises ``EmptyFile``, ``FileTooLarge`` or ``UnsupportedFileType``
    before anything is written. Documents can be attached in every status: papers such as the act
    of acceptance and transfer or photos of the goods arrive after dispatch.
    """
    stream = getattr(upload, "stream", upload)
    if filename is None:
        filename = getattr(upload, "filename", None)
    content = _read_limited(stream)
    if not content:
        raise EmptyFile
    if len(content) > MAX_DOCUMENT_BYTES:
        raise FileTooLarge
    content_type = detect_content_type(content[:16])
    name = display_name(filename) or _("document") + EXTENSIONS[content_type][0]

    folder = upload_folder()
    storage_name = _write_new_file(folder, content)
    document = Document(
        shipment=shipment,
        kind=DocumentKind(kind),
        filename=name,
        storage_name=storage_name,
        content_type=content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=by,
    )
    try:
        db.session.add(document)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / storage_name)
        raise
    return document


# --- removing and opening ----------------------------------------------------------------------


def may_remove_documents(shipment: Shipment) -> bool:
    """Documents can be removed while the shipment is being prepared; afterwards they stay."""
    return shipment.status in EDITABLE_STATUSES


def _path_of(document: Document) -> Path:
    # Storage names are ours; refuse anything else rather than follow it out of the folder.
    if not _STORAGE_NAME.fullmatch(document.storage_name or ""):
        raise DocumentMissing(document)
    return upload_folder() / document.storage_name


def remove_document(document: Document, *, by: User | None) -> None:
    """Remove `document` and its file; only while its shipment is a draft or ready.

    Raises ``DocumentLocked`` once the shipment has left: nothing is deleted after dispatch. The
    row goes first and the file after the commit, so a failed commit loses nothing.
    """
    shipment = document.shipment
    if not may_remove_documents(shipment):
        raise DocumentLocked(shipment)
    path = _path_of(document)
    db.session.delete(document)
    db.session.commit()
    current_app.logger.info(
        "document %s (%s) of %s removed by %s",
        document.id,
        document.filename,
        shipment.reference,
        by.email if by else "nobody",
    )
    try:
        path.unlink()
    except FileNotFoundError:
        current_app.logger.warning("file of removed document %s was already gone", document.id)


def open_document(document: Document) -> BinaryIO:
    """The document's file, open for reading; raises ``DocumentMissing`` when it is gone."""
    try:
        return _path_of(document).open("rb")
    except FileNotFoundError:
        raise DocumentMissing(document) from None
