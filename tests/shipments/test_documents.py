"""City staff attach the customs papers of a shipment; those who may see them download them."""

import hashlib
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aidtracker.config import settings_from_environment
from aidtracker.extensions import db
from aidtracker.models import Document, Shipment
from aidtracker.shipments.document_views import filesize
from aidtracker.shipments.documents import (
    MAX_DOCUMENT_BYTES,
    DocumentLocked,
    attach_document,
    remove_document,
    required_kinds,
)
from aidtracker.shipments.models import CustomsStatus, DocumentKind
from tests.conftest import log_in, page_text, partner_of, post_multipart

DRAFT = "LUB-KRR-2023-0003"  # documents_pending: needs all five customs documents
DISPATCHED = "LUB-KRR-2023-0001"  # carrier: Lublin Municipal Fleet

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# Start of image, a JFIF header, end of image: the markers a JPEG reader checks first.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


# A 1×1 white pixel, built as the PNG specification lays it out.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
    + _png_chunk(b"IEND", b"")
)


def _upload(
    client,
    reference=DRAFT,
    *,
    kind="packing_list",
    content=PDF,
    name="packing.pdf",
    content_type="application/octet-stream",
):
    data = {"document-kind": kind}
    if content is not None:
        data["document-file"] = (io.BytesIO(content), name, content_type)
    return post_multipart(client, f"/shipments/{reference}/documents", data)


def _download(client, url: str):
    """GET a document, read it whole and close the file the response was streaming."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _stored_files(app) -> list[str]:
    """Every file under the upload folder, temporary ones included."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    if not folder.exists():
        return []
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def _document_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Document.id)))


def _documents(app, reference=DRAFT) -> list[tuple]:
    with app.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=reference))
        return [
            (
                d.id,
                d.kind,
                d.filename,
                d.storage_name,
                d.content_type,
                d.size_bytes,
                d.sha256,
                d.uploaded_by.email if d.uploaded_by else None,
            )
            for d in shipment.documents
        ]


def _field_error(response, field_id: str) -> str:
    """The message shown next to the field `field_id`, or '' when there is none."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<div id="{field_id}-error" class="invalid-feedback">(.*?)</div>', html)
    return match.group(1) if match else ""


def _checklist(response) -> dict[str, str]:
    """kind value -> 'attached' or 'missing', as the checklist on the shipment page shows it."""
    html = response.get_data(as_text=True)
    items = re.findall(r'<li class="mb-1" data-kind="(\w+)">(.*?)</li>', html, flags=re.S)
    return {
        kind: "attached" if "attached" in body else "missing" if "missing" in body else "?"
        for kind, body in items
    }


def _attach(app, reference=DRAFT, *, kind=DocumentKind.PACKING_LIST, content=PDF) -> int:
    """Attach a document through the service, as staff; returns its id."""
    with app.app_context(), app.test_request_context():
        from aidtracker.auth.models import User

        shipment = db.session.scalar(select(Shipment).filter_by(reference=reference))
        staff = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        document = attach_document(
            shipment, kind=kind, upload=io.BytesIO(content), filename="packing.pdf", by=staff
        )
        return document.id


# --- attaching ---------------------------------------------------------------------------------


def test_staff_attaches_a_pdf_a_png_and_a_jpeg_and_the_checklist_ticks_them(staff, demo):
    before = _checklist(staff.get(f"/shipments/{DRAFT}"))
    assert before == {
        "packing_list": "missing",
        "cmr": "missing",
        "humanitarian_aid_declaration": "missing",
        "deed_of_donation": "missing",
        "proforma_invoice": "missing",
    }

    uploads = [
        ("packing_list", PDF, "Packing list 2023-0003.pdf", "application/pdf"),
        ("cmr", PNG, "cmr-scan.png", "image/png"),
        ("deed_of_donation", JPEG, "deed.jpeg", "image/jpeg"),
    ]
    for kind, content, name, _type in uploads:
        response = _upload(staff, kind=kind, content=content, name=name)
        assert response.status_code == 302
        assert response.location == f"/shipments/{DRAFT}#documents"

    documents = _documents(demo)
    assert [(d[1], d[2], d[4], d[5], d[6], d[7]) for d in documents] == [
        (
            kind,
            name,
            content_type,
            len(content),
            hashlib.sha256(content).hexdigest(),
            "staff@lublin.example",
        )
        for kind, content, name, content_type in uploads
    ]
    folder = Path(demo.config["UPLOAD_FOLDER"])
    assert _stored_files(demo) == sorted(d[3] for d in documents)
    for document, (_kind, content, _name, _type) in zip(documents, uploads, strict=True):
        assert re.fullmatch(r"[0-9a-f]{48}", document[3])
        assert (folder / document[3]).read_bytes() == content

    page = staff.get(f"/shipments/{DRAFT}")
    assert _checklist(page) == {
        "packing_list": "attached",
        "cmr": "attached",
        "humanitarian_aid_declaration": "missing",
        "deed_of_donation": "attached",
        "proforma_invoice": "missing",
    }
    text = page_text(page)
    assert "3 of 5 required documents attached." in text
    assert "Packing list 2023-0003.pdf" in text
    assert "Stanisław Staff" in text
    assert "0.1 kB" in text  # sizes of the tiny files
    assert "PDF, JPEG or PNG, at most 10 MB." in text


def test_the_type_comes_from_the_content_not_the_name_nor_the_browser(staff, demo):
    response = _upload(
        staff, kind="photo", content=PNG, name="scan.pdf", content_type="application/pdf"
    )
    assert response.status_code == 302
    [document] = _documents(demo)
    assert document[4] == "image/png"
    download = _download(staff, f"/shipments/{DRAFT}/documents/{document[0]}")
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"] == "attachment; filename=scan.pdf.png"


BAD_FILES = [
    (b"Dear customs officer,\nplease find attached...\n", "letter.pdf", "Only PDF, JPEG and PNG"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "photo.png", "Only PDF, JPEG and PNG"),
    (b"", "empty.pdf", "The file is empty."),
    (b"%PDF-" + b"x" * (MAX_DOCUMENT_BYTES - 4), "huge.pdf", "The file is larger than 10 MB."),
]


@pytest.mark.parametrize(
    ("content", "name", "message"), BAD_FILES, ids=["text", "gif", "empty", "10-mb-and-1-byte"]
)
def test_a_bad_file_is_refused_next_to_the_field_and_nothing_is_written(
    staff, demo, content, name, message
):
    response = _upload(staff, content=content, name=name)
    assert response.status_code == 422
    assert message in _field_error(response, "document-file")
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _document_count(demo) == 0
    assert _stored_files(demo) == []
    # The page is the shipment's page again, with the kind that was chosen still chosen.
    assert '<option selected value="packing_list">' in response.get_data(as_text=True)
    assert DRAFT in page_text(response)


def test_the_largest_accepted_file_is_exactly_10_mb(staff, demo):
    content = b"%PDF-" + b"x" * (MAX_DOCUMENT_BYTES - 5)
    assert _upload(staff, content=content, name="big.pdf").status_code == 302
    [document] = _documents(demo)
    assert document[5] == MAX_DOCUMENT_BYTES
    assert "10.0 MB" in page_text(staff.get(f"/shipments/{DRAFT}"))


def test_a_request_beyond_the_limit_gets_the_friendly_413_page_and_nothing_is_written(staff, demo):
    response = _upload(staff, content=b"%PDF-" + b"x" * (12 * 1024 * 1024), name="huge.pdf")
    assert response.status_code == 413
    text = page_text(response)
    assert "Too large" in text
    assert "What you sent is larger than this site accepts." in text
    assert "Traceback" not in text
    assert _document_count(demo) == 0
    assert _stored_files(demo) == []


def test_an_upload_without_a_file_names_the_file_field(staff, demo):
    response = _upload(staff, content=None)
    assert response.status_code == 422
    assert _field_error(response, "document-file") == "Choose a file to upload."
    assert _document_count(demo) == 0
    assert _stored_files(demo) == []


@pytest.mark.parametrize("kind", ["passport", "", "PACKING_LIST"])
def test_an_unknown_kind_is_refused_next_to_the_field(staff, demo, kind):
    response = _upload(staff, kind=kind)
    assert response.status_code == 422
    assert _field_error(response, "document-kind") in (
        "Not a valid choice.",
        "Choose the kind of document.",
    )
    assert _document_count(demo) == 0
    assert _stored_files(demo) == []


def test_a_path_in_the_file_name_never_reaches_the_file_system(staff, demo, tmp_path):
    response = _upload(staff, name="../../etc/passwd.pdf")
    assert response.status_code == 302
    [document] = _documents(demo)
    assert document[2] == "passwd.pdf"
    assert re.fullmatch(r"[0-9a-f]{48}", document[3])
    assert _stored_files(demo) == [document[3]]
    assert not (tmp_path.parent / "etc").exists()
    assert not (tmp_path / "etc").exists()
    download = _download(staff, f"/shipments/{DRAFT}/documents/{document[0]}")
    assert download.get_data() == PDF


def test_documents_are_kept_outside_static_and_not_served_from_there(staff, demo, tmp_path):
    default = Path(settings_from_environment(str(tmp_path / "instance"), {})["UPLOAD_FOLDER"])
    assert default == tmp_path / "instance" / "documents"
    assert not default.is_relative_to(Path(demo.static_folder))
    assert not Path(demo.config["UPLOAD_FOLDER"]).is_relative_to(Path(demo.static_folder))

    _upload(staff)
    [document] = _documents(demo)
    assert staff.get(f"/static/{document[3]}").status_code == 404
    assert staff.get(f"/static/documents/{document[3]}").status_code == 404


def test_a_failed_commit_leaves_neither_row_nor_file(demo, monkeypatch):
    def refuse():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", refuse)
    with pytest.raises(RuntimeError):
        _attach(demo)
    monkeypatch.undo()
    assert _document_count(demo) == 0
    assert _stored_files(demo) == []


# --- what is required --------------------------------------------------------------------------


def test_customs_need_five_documents_and_a_shipment_without_customs_two():
    assert required_kinds(needs_customs=True) == (
        DocumentKind.PACKING_LIST,
        DocumentKind.CMR,
        DocumentKind.HUMANITARIAN_AID_DECLARATION,
        DocumentKind.DEED_OF_DONATION,
        DocumentKind.PROFORMA_INVOICE,
    )
    assert required_kinds(needs_customs=False) == (DocumentKind.PACKING_LIST, DocumentKind.CMR)


def test_a_shipment_without_customs_asks_only_for_the_packing_list_and_the_cmr(staff, demo):
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=DRAFT))
        shipment.customs_status = CustomsStatus.NOT_REQUIRED
        db.session.commit()
    _upload(staff, kind="cmr", content=PNG, name="cmr.png")
    page = staff.get(f"/shipments/{DRAFT}")
    assert _checklist(page) == {"packing_list": "missing", "cmr": "attached"}
    text = page_text(page)
    assert "1 of 2 required documents attached." in text
    assert "crosses no customs border" in text


def test_sizes_are_shown_in_kilobytes_and_megabytes(app):
    with app.test_request_context():
        assert filesize(12) == "0.1 kB"
        assert filesize(1536) == "1.5 kB"
        assert filesize(1024 * 1024 * 5 // 2) == "2.5 MB"


# --- downloading and who may -------------------------------------------------------------------


def test_the_download_is_the_uploaded_file_as_an_attachment_with_its_name(staff, demo):
    _upload(staff, name="Packing list – Kryvyi Rih.pdf")
    [document] = _documents(demo)
    page = staff.get(f"/shipments/{DRAFT}").get_data(as_text=True)
    url = f"/shipments/{DRAFT}/documents/{document[0]}"
    assert f'href="{url}"' in page

    response = _download(staff, url)
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Packing%20list%20%E2%80%93%20Kryvyi%20Rih.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_document_is_found_only_under_its_own_shipment(staff, demo):
    document_id = _attach(demo)
    assert _download(staff, f"/shipments/{DRAFT}/documents/{document_id}").status_code == 200
    assert _download(staff, f"/shipments/{DISPATCHED}/documents/{document_id}").status_code == 404
    assert _download(staff, f"/shipments/{DRAFT}/documents/{document_id + 1}").status_code == 404
    assert staff.get(f"/shipments/LUB-XXX-2023-0001/documents/{document_id}").status_code == 404


def test_the_recipient_partner_downloads_but_cannot_upload(demo):
    document_id = _attach(demo)
    client = demo.test_client()
    log_in(client, "partner@kryvyirih.example")
    page = client.get(f"/shipments/{DRAFT}")
    assert "Required documents" in page_text(page)
    assert 'name="document-file"' not in page.get_data(as_text=True)
    assert _download(client, f"/shipments/{DRAFT}/documents/{document_id}").get_data() == PDF
    assert _upload(client).status_code == 403
    assert _document_count(demo) == 1


def test_a_partner_of_another_organisation_finds_no_documents_and_changes_nothing(demo):
    document_id = _attach(demo)
    client = demo.test_client()
    log_in(client, "partner@lutsk.example")
    assert _download(client, f"/shipments/{DRAFT}/documents/{document_id}").status_code == 404
    assert _upload(client).status_code == 404
    remove = client.post(f"/shipments/{DRAFT}/documents/{document_id}/remove")
    assert remove.status_code == 404
    assert _document_count(demo) == 1
    assert len(_stored_files(demo)) == 1


def test_a_partner_of_another_organisation_gets_404_on_upload_and_remove(demo):
    document_id = _attach(demo)
    client = demo.test_client()
    log_in(client, "partner@lutsk.example")
    assert _upload(client).status_code == 404
    assert client.post(f"/shipments/{DRAFT}/documents/{document_id}/remove").status_code == 404


def test_the_accountant_downloads_but_gets_403_on_upload_and_remove(demo):
    document_id = _attach(demo)
    client = demo.test_client()
    log_in(client, "accountant@lublin.example")
    page = client.get(f"/shipments/{DRAFT}")
    assert "packing.pdf" in page_text(page)
    assert 'name="document-file"' not in page.get_data(as_text=True)
    assert ">Remove<" not in page.get_data(as_text=True)
    assert _download(client, f"/shipments/{DRAFT}/documents/{document_id}").get_data() == PDF
    assert _upload(client).status_code == 403
    assert client.post(f"/shipments/{DRAFT}/documents/{document_id}/remove").status_code == 403
    assert _document_count(demo) == 1
    assert len(_stored_files(demo)) == 1


@pytest.mark.parametrize(
    ("organisation", "email"),
    [
        ("Lublin Municipal Fleet", "dispatch@fleet.example"),  # the carrier only
        ("Lublin Residents' Fundraiser", "funds@fundraiser.example"),  # donor of the lines only
    ],
)
def test_carriers_and_donors_see_no_documents_and_get_404_on_download(demo, organisation, email):
    document_id = _attach(demo, DISPATCHED)
    partner_of(demo, organisation, email)
    client = demo.test_client()
    log_in(client, email, "partner password 1")
    page = client.get(f"/shipments/{DISPATCHED}")
    assert page.status_code == 200  # the shipment itself is theirs to see
    assert "Required documents" not in page_text(page)
    assert "packing.pdf" not in page_text(page)
    assert _download(client, f"/shipments/{DISPATCHED}/documents/{document_id}").status_code == 404


# --- removing ----------------------------------------------------------------------------------


def test_staff_removes_a_document_of_a_draft_and_its_file(staff, demo):
    document_id = _attach(demo)
    assert len(_stored_files(demo)) == 1
    page = staff.get(f"/shipments/{DRAFT}").get_data(as_text=True)
    assert f"/shipments/{DRAFT}/documents/{document_id}/remove" in page

    response = staff.post(f"/shipments/{DRAFT}/documents/{document_id}/remove")
    assert response.status_code == 302
    assert _document_count(demo) == 0
    assert _stored_files(demo) == []
    text = page_text(staff.get(response.location))
    assert "packing.pdf removed." in text
    assert "No documents attached yet." in text


def test_documents_of_a_dispatched_shipment_cannot_be_removed(staff, demo):
    document_id = _attach(demo, DISPATCHED)
    page = staff.get(f"/shipments/{DISPATCHED}").get_data(as_text=True)
    assert "/remove" not in page  # no button is offered

    response = staff.post(f"/shipments/{DISPATCHED}/documents/{document_id}/remove")
    assert response.status_code == 302
    text = page_text(staff.get(response.location))
    assert "Documents of a dispatched shipment cannot be removed" in text
    assert _document_count(demo) == 1
    assert len(_stored_files(demo)) == 1


def test_the_service_refuses_to_remove_after_dispatch(demo):
    document_id = _attach(demo, DISPATCHED)
    with demo.app_context(), demo.test_request_context():
        document = db.session.get(Document, document_id)
        with pytest.raises(DocumentLocked):
            remove_document(document, by=None)
    assert _document_count(demo) == 1


def test_documents_can_still_be_attached_after_dispatch(staff, demo):
    response = _upload(staff, DISPATCHED, kind="acceptance_transfer_act", name="act.pdf")
    assert response.status_code == 302
    assert [d[1] for d in _documents(demo, DISPATCHED)] == [DocumentKind.ACCEPTANCE_TRANSFER_ACT]
