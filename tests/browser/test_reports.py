"""The accountant exports the register from the Reports page, and staff take a packing list from a
shipment page, in Chromium: the files a browser saves are the ones the bookkeeping needs."""

import re
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from aidtracker.reports import jobs
from tests.browser.helpers import log_in
from tests.reports.helpers import cents, english_rows

REGISTER_FILE = "aidtracker-register-2023-01-01_2023-12-31-PLN.xlsx"


def _saved(download, folder: Path) -> Path:
    """Where the browser's download is kept, under its own name (openpyxl reads by extension)."""
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def _total(path: Path) -> Decimal:
    workbook = openpyxl.load_workbook(path)
    total = next(row for row in workbook["Totals"].iter_rows(values_only=True) if row[0] == "Total")
    return cents(total[3])


def _choose_the_2023_register(page: Page, currency: str = "PLN") -> None:
    form = page.get_by_role("form", name="Export a report")
    form.get_by_label("Report", exact=True).select_option(label="Shipment register")
    form.get_by_label("From").fill("2023-01-01")
    form.get_by_label("To", exact=True).fill("2023-12-31")
    form.get_by_label("Reporting currency").select_option(currency)


def test_the_accountant_exports_the_2023_register_in_pln_with_hxl(
    live_server: str, page: Page, tmp_path: Path
):
    log_in(page, live_server, "accountant@lublin.example")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Reports"
    ).click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.get_by_text("Nothing prepared in the background yet")).to_be_visible()

    _choose_the_2023_register(page)
    hxl = page.get_by_label("Add the HXL hashtag row")
    hxl.focus()
    page.keyboard.press("Space")  # the form works from the keyboard
    expect(hxl).to_be_checked()
    expect(page.get_by_text("Humanitarian Exchange Language")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export to Excel").click()
    download = download_info.value

    assert download.suggested_filename == REGISTER_FILE
    saved = _saved(download, tmp_path)
    assert _total(saved) == Decimal("177870.00")
    register = openpyxl.load_workbook(saved)["Shipment register"]
    hashtags = next(register.iter_rows(min_row=2, max_row=2, values_only=True))
    assert hashtags[0] == "#meta+id"
    assert "#value" in hashtags


def test_a_missing_rate_is_explained_on_the_page(live_server: str, page: Page):
    log_in(page, live_server, "accountant@lublin.example")
    page.goto(f"{live_server}/reports")
    _choose_the_2023_register(page, "USD")
    page.get_by_role("button", name="Export to Excel").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("No file was made")
    for day in ("2023-02-14", "2023-03-27", "2023-03-30"):
        expect(alert).to_contain_text(f"No exchange rate for USD on {day}")
    expect(page.get_by_label("Reporting currency")).to_have_value("USD")


def test_a_long_report_is_followed_on_its_progress_page_then_downloaded(
    live_server: str, page: Page, demo, tmp_path: Path, monkeypatch
):
    demo.config["REPORT_INLINE_LINES"] = 0  # every report goes to the background
    write = jobs.export_report

    def slowly(*args, **kwargs):
        time.sleep(2.5)  # long enough for the page to show progress and reload itself
        return write(*args, **kwargs)

    monkeypatch.setattr(jobs, "export_report", slowly)
    log_in(page, live_server, "accountant@lublin.example")
    page.goto(f"{live_server}/reports")
    _choose_the_2023_register(page)
    page.get_by_role("button", name="Export to Excel").click()

    expect(page).to_have_url(re.compile(r"/reports/exports/[\w-]+$"))
    expect(page.get_by_role("heading", name="Shipment register", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Being prepared")).to_be_visible()
    expect(page.get_by_label("0 of 6 lines written")).to_be_visible()  # the progress bar

    download_link = page.get_by_role("link", name=f"Download {REGISTER_FILE}")
    expect(download_link).to_be_visible()  # without a click: the page reloaded itself
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == REGISTER_FILE
    assert _total(_saved(download, tmp_path)) == Decimal("177870.00")

    page.goto(f"{live_server}/reports")
    exports = page.get_by_role("table", name="Your latest background exports, newest first")
    expect(exports.get_by_role("row").filter(has_text="Ready to download")).to_have_count(1)


def test_staff_download_the_packing_list_from_a_shipment_page(
    live_server: str, page: Page, tmp_path: Path
):
    log_in(page, live_server, "staff@lublin.example")
    page.goto(f"{live_server}/shipments/LUB-KRR-2023-0001")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Packing list (Excel)").click()
    download = download_info.value

    assert download.suggested_filename == "aidtracker-packing-list-LUB-KRR-2023-0001.xlsx"
    sheet = openpyxl.load_workbook(_saved(download, tmp_path)).active
    cells = {cell for row in english_rows(sheet) for cell in row}  # English and Ukrainian
    assert "Humanitarian aid, not for sale" in cells
    assert {"Vehicle first-aid kit", "Elastic bandage"} <= cells
