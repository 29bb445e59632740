"""The pages of the line import: staff download the template, upload a workbook to a draft,
see either the problems (and nothing is added) or a preview, and add every line with one click."""

import io

import openpyxl
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.imports.uploads import imports_folder
from aidtracker.models import Shipment, ShipmentLine
from tests.conftest import form_fields, log_in, page_text, post_multipart
from tests.imports.files import xlsx

DRAFT = "LUB-KRR-2023-0003"  # one line (family hygiene kit), recipient Kryvyi Rih
DISPATCHED = "LUB-KRR-2023-0001"
UPLOAD = f"/shipments/{DRAFT}/import-lines"
HEADER = ["Item", "Quantity", "Unit value", "Currency", "Donor", "Funding", "Gross weight (kg)"]
ROWS = [
    ["Rice 1 kg", 1000, "5,60", "PLN", "Lublin Residents' Fundraiser", "purchased", 1020],
    ["Wool blanket", 200, None, None, "Example Textiles Sp. z o.o.", "in_kind", None],
]


def upload(client, content: bytes, reference: str = DRAFT, name: str = "lines.xlsx"):
    return post_multipart(
        client,
        f"/shipments/{reference}/import-lines",
        {"file": (io.BytesIO(content), name, "application/octet-stream")},
    )


def line_count(app, reference: str = DRAFT) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(ShipmentLine.id))
            .join(Shipment)
            .where(Shipment.reference == reference)
        )


def stored_uploads(app) -> list[str]:
    with app.test_request_context():
        folder = imports_folder()
        return sorted(p.name for p in folder.glob("*.xlsx")) if folder.exists() else []


def client_of(app, email: str):
    client = app.test_client()
    assert log_in(client, email).status_code == 302
    return client


def test_staff_upload_see_the_preview_and_add_the_lines(staff, demo):
    preview = upload(staff, xlsx([HEADER, *ROWS]))

    assert preview.status_code == 200
    text = page_text(preview)
    assert "Every row of lines.xlsx is right: 2 lines will be added" in text
    assert "Rice 1 kg" in text
    assert "Wool blanket" in text
    assert "from the catalogue" in text  # the blanket's value
    assert "Value in PLN PLN14,600.00" in text  # 5,600.00 + 200 × 45.00
    assert "1,020 kg" in text
    assert "not given for 1 line" in text
    assert "Add 2 lines" in text
    assert line_count(demo) == 1  # nothing yet
    assert len(stored_uploads(demo)) == 1

    fields = form_fields(preview)
    committed = staff.post(
        f"{UPLOAD}/commit", data={"token": fields["token"], "version": fields["version"]}
    )

    assert committed.status_code == 302
    assert committed.headers["Location"].endswith(f"/shipments/{DRAFT}")
    page = staff.get(committed.headers["Location"])
    text = page_text(page)
    assert "2 lines added to LUB-KRR-2023-0003." in text
    assert "Rice 1 kg" in text
    assert "Wool blanket" in text
    assert line_count(demo) == 3
    assert stored_uploads(demo) == []  # the kept file goes once imported


def test_a_wrong_file_shows_the_table_of_problems_and_adds_nothing(staff, demo):
    rows = [ROWS[0], ["Rice 2 kg", 0, None, "XYZ", None, None, None]]

    response = upload(staff, xlsx([HEADER, *rows]))

    assert response.status_code == 422
    text = page_text(response)
    assert "No line was added: 3 cells need correcting." in text
    assert "Sheet Row Column Problem" in text
    assert "Lines 3 Item The catalogue has no item named “Rice 2 kg”." in text
    assert "Lines 3 Quantity The quantity must be more than zero." in text
    assert "Lines 3 Currency “XYZ” is not an ISO 4217 currency code" in text
    assert line_count(demo) == 1
    assert stored_uploads(demo) == []


def test_a_file_that_is_not_a_workbook_gets_its_message_and_422(staff, demo):
    response = upload(staff, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="lines.xlsx")

    assert response.status_code == 422
    text = page_text(response)
    assert "No line was added: the file cannot be used." in text
    assert "This is not an Excel .xlsx workbook but a picture." in text
    assert line_count(demo) == 1


def test_an_upload_without_a_file_names_the_field(staff, demo):
    response = staff.post(UPLOAD, data={})

    assert response.status_code == 422
    assert "Choose the workbook to import." in page_text(response)


def test_the_upload_page_offers_the_template_and_the_shipment_page_links_to_it(staff, demo):
    page = staff.get(UPLOAD)
    assert page.status_code == 200
    assert 'href="/imports/lines-template.xlsx"' in page.get_data(as_text=True)

    shipment_page = staff.get(f"/shipments/{DRAFT}").get_data(as_text=True)
    assert f'href="{UPLOAD}"' in shipment_page
    assert "Import lines from Excel" in shipment_page
    assert "Packing list (Excel)" in shipment_page
    assert "Import lines from Excel" not in staff.get(f"/shipments/{DISPATCHED}").get_data(
        as_text=True
    )


def test_the_downloaded_template_imports_back(staff, demo):
    download = staff.get("/imports/lines-template.xlsx")
    assert download.status_code == 200
    assert download.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in download.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(download.data))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]][:3] == ["Item *", "HS code", "Quantity *"]
    sheet.append(["Rice 1 kg", None, 10])
    output = io.BytesIO()
    workbook.save(output)

    preview = upload(staff, output.getvalue(), name="template.xlsx")

    assert preview.status_code == 200, page_text(preview)
    assert "2 lines will be added" in page_text(preview)  # the example and ours


def test_a_dispatched_shipment_takes_no_imported_lines(staff, demo):
    response = staff.get(f"/shipments/{DISPATCHED}/import-lines")
    assert response.status_code == 302
    page = staff.get(response.headers["Location"])
    assert (
        "Lines can be imported only into a draft shipment; LUB-KRR-2023-0001 is dispatched."
        in page_text(page)
    )

    posted = upload(staff, xlsx([HEADER, *ROWS]), reference=DISPATCHED)
    assert posted.status_code == 302
    assert line_count(demo, DISPATCHED) == 3


def test_a_partner_out_of_scope_finds_no_shipment_and_others_may_not_import(demo):
    lutsk = client_of(demo, "partner@lutsk.example")
    assert lutsk.get(UPLOAD).status_code == 404
    assert upload(lutsk, xlsx([HEADER, *ROWS])).status_code == 404
    assert lutsk.post(f"{UPLOAD}/commit", data={"token": "x" * 32, "version": "1"}).status_code == (
        404
    )

    recipient = client_of(demo, "partner@kryvyirih.example")  # sees it, may not edit it
    assert recipient.get(UPLOAD).status_code == 403
    accountant = client_of(demo, "accountant@lublin.example")
    assert accountant.get(UPLOAD).status_code == 403
    assert accountant.get("/imports/lines-template.xlsx").status_code == 403
    assert line_count(demo) == 1


def test_a_shipment_saved_after_the_preview_refuses_the_commit(staff, demo):
    preview = upload(staff, xlsx([HEADER, *ROWS]))
    fields = form_fields(preview)
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=DRAFT))
        shipment.notes = "A colleague changed this"
        db.session.commit()

    response = staff.post(
        f"{UPLOAD}/commit", data={"token": fields["token"], "version": fields["version"]}
    )

    assert response.status_code == 409
    assert "LUB-KRR-2023-0003 was changed after the file was checked." in page_text(response)
    assert line_count(demo) == 1
    assert stored_uploads(demo) == []


def test_a_catalogue_change_after_the_preview_is_caught_when_the_file_is_checked_again(staff, demo):
    preview = upload(staff, xlsx([HEADER, *ROWS]))
    fields = form_fields(preview)
    with demo.app_context():
        from aidtracker.models import CatalogueItem

        rice = db.session.scalar(select(CatalogueItem).filter_by(name_en="Rice 1 kg"))
        rice.active = False
        db.session.commit()

    response = staff.post(
        f"{UPLOAD}/commit", data={"token": fields["token"], "version": fields["version"]}
    )

    assert response.status_code == 422
    assert "“Rice 1 kg” is deactivated in the catalogue" in page_text(response)
    assert line_count(demo) == 1


def test_a_commit_without_its_kept_file_asks_to_upload_again(staff, demo):
    response = staff.post(f"{UPLOAD}/commit", data={"token": "A" * 32, "version": "1"})
    assert response.status_code == 302
    page = staff.get(response.headers["Location"])
    assert "The checked file is no longer kept" in page_text(page)
    assert line_count(demo) == 1


def test_another_user_cannot_commit_a_file_someone_uploaded(staff, demo):
    fields = form_fields(upload(staff, xlsx([HEADER, *ROWS])))
    admin = client_of(demo, "admin@lublin.example")

    response = admin.post(f"{UPLOAD}/commit", data=fields)

    assert response.status_code == 302
    assert line_count(demo) == 1
    assert len(stored_uploads(demo)) == 1


def test_cancel_forgets_the_file_and_adds_nothing(staff, demo):
    preview = upload(staff, xlsx([HEADER, *ROWS]))
    token = form_fields(preview)["token"]

    response = staff.post(f"{UPLOAD}/cancel", data={"token": token})

    assert response.status_code == 302
    assert "Import cancelled: no line was added." in page_text(
        staff.get(response.headers["Location"])
    )
    assert stored_uploads(demo) == []
    assert line_count(demo) == 1


def test_a_large_file_lists_the_first_lines_and_totals_them_all(staff, demo):
    rows = [["Rice 1 kg", 2, "5,60", "PLN", "Lublin Residents' Fundraiser", "purchased", 2]] * 600

    preview = upload(staff, xlsx([HEADER, *rows]))

    assert preview.status_code == 200
    text = page_text(preview)
    assert "The first 500 of 600 lines are listed; all are added." in text
    assert "Value in PLN PLN6,720.00" in text
    assert text.count("Rice 1 kg") == 500
