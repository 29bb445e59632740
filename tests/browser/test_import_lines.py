"""Line import journey: city staff open a draft shipment, download the template, upload a workbook
with a mistake and read the problems, upload the corrected one, check the preview and add the
lines with one click."""

from datetime import date
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in

DRAFT = "LUB-KRR-2023-0003"
FUNDRAISER = "Lublin Residents' Fundraiser"


def filled_template(template: Path, target: Path, rows: list[list]) -> Path:
    """The downloaded template with its example row replaced by `rows`, as a user fills it."""
    workbook = openpyxl.load_workbook(template)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    sheet.delete_rows(2)
    for row in rows:
        sheet.append([row.get(header.rstrip(" *")) for header in headers])
    workbook.save(target)
    return target


def test_staff_import_lines_into_a_draft_shipment(live_server: str, page: Page, tmp_path: Path):
    log_in(page, live_server, "staff@lublin.example")
    page.goto(f"{live_server}/shipments/{DRAFT}")
    page.get_by_role("link", name="Import lines from Excel").click()
    expect(page.get_by_role("heading", name=f"Import lines into {DRAFT}", level=1)).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the template (Excel)").click()
    download = download_info.value
    assert download.suggested_filename == "aidtracker-shipment-lines-template.xlsx"
    template = tmp_path / download.suggested_filename
    download.save_as(template)

    rice = {"Item": "Rice 1 kg", "Quantity": 1000, "Donor": FUNDRAISER, "Funding": "purchased"}
    paracetamol = {
        "Item": "Paracetamol 500 mg ×20",
        "Quantity": 120,
        "Unit value": 6.9,
        "Currency": "PLN",
        "Donor": FUNDRAISER,
        "Funding": "Purchased with cash donations",
        "Lot": "PCM-24-7",
        "Gross weight (kg)": 12.5,
    }
    wrong = filled_template(template, tmp_path / "lines.xlsx", [rice, paracetamol])
    page.get_by_label("Excel workbook (.xlsx)").set_input_files(wrong)
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("alert")).to_contain_text("No line was added: 1 cell needs correcting.")
    problems = page.get_by_role("table", name="Problems in the file")
    expect(problems.get_by_role("row").nth(1)).to_contain_text(
        "3 Expiry Medical goods need an expiry date."
    )

    paracetamol["Expiry"] = date(2027, 5, 31)
    right = filled_template(template, tmp_path / "lines-corrected.xlsx", [rice, paracetamol])
    page.get_by_label("Excel workbook (.xlsx)").set_input_files(right)
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name=f"Lines to add to {DRAFT}")).to_be_visible()
    preview = page.locator("#preview-lines")
    expect(preview.get_by_role("row").filter(has_text="Rice 1 kg")).to_contain_text("1,000")
    expect(preview.get_by_role("row").filter(has_text="Paracetamol")).to_contain_text("PCM-24-7")
    page.get_by_role("button", name="Add 2 lines").click()

    expect(page.get_by_role("status")).to_contain_text(f"2 lines added to {DRAFT}.")
    lines = page.locator("section[aria-labelledby='lines-heading'] table")
    expect(lines.locator("tbody tr")).to_have_count(3)
    expect(lines.locator("tbody tr").nth(1)).to_contain_text("Rice 1 kg")
    expect(lines.locator("tbody tr").nth(2)).to_contain_text("PCM-24-7")


def test_a_file_that_is_not_a_workbook_is_explained(live_server: str, page: Page, tmp_path: Path):
    log_in(page, live_server, "staff@lublin.example")
    page.goto(f"{live_server}/shipments/{DRAFT}/import-lines")
    renamed = tmp_path / "lines.xlsx"
    renamed.write_text("Item;Quantity\nRice 1 kg;10\n")

    page.get_by_label("Excel workbook (.xlsx)").set_input_files(renamed)
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("alert")).to_contain_text("No line was added: the file cannot be used.")
    expect(page.get_by_role("alert")).to_contain_text("This is not an Excel .xlsx workbook")
