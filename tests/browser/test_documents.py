"""City staff attach a shipment's packing list in the browser and download it again."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in

DRAFT = "LUB-KRR-2023-0003"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def test_staff_attaches_the_packing_list_sees_it_ticked_and_downloads_it(
    live_server: str, page: Page, tmp_path: Path
):
    packing_list = tmp_path / "Packing list LUB-KRR-2023-0003.pdf"
    packing_list.write_bytes(PDF)

    log_in(page, live_server, "staff@lublin.example")
    page.goto(f"{live_server}/shipments/{DRAFT}")
    documents = page.get_by_role("region", name="Documents")
    checklist = documents.get_by_role("list", name="Required documents")
    expect(checklist.get_by_role("listitem")).to_have_count(5)
    expect(checklist.get_by_role("listitem").filter(has_text="missing")).to_have_count(5)
    expect(documents.get_by_text("No documents attached yet.")).to_be_visible()

    form = documents.get_by_role("form", name="Attach a document")
    expect(form.get_by_label("Kind of document")).to_have_value("packing_list")
    expect(form.get_by_text("PDF, JPEG or PNG, at most 10 MB.")).to_be_visible()
    form.get_by_role("button", name="Upload document").click()  # forgot the file
    expect(form.get_by_text("Choose a file to upload.")).to_be_visible()

    form.get_by_label("File").set_input_files(packing_list)
    form.get_by_role("button", name="Upload document").click()

    expect(page).to_have_url(re.compile(rf"/shipments/{DRAFT}#documents$"))
    expect(page.get_by_role("status").filter(has_text="attached as packing list")).to_be_visible()
    packing_item = checklist.get_by_role("listitem").filter(has_text="Packing list")
    expect(packing_item).to_contain_text("attached")
    expect(checklist.get_by_role("listitem").filter(has_text="missing")).to_have_count(4)
    expect(documents.get_by_text("1 of 5 required documents attached.")).to_be_visible()

    with page.expect_download() as download_info:
        documents.get_by_role("link", name=packing_list.name).click()
    download = download_info.value
    assert download.suggested_filename == packing_list.name
    assert Path(download.path()).read_bytes() == PDF
