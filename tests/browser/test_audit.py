"""Audit journey: city staff change an organisation's e-mail; the administrator finds who did
it, what it was before, and exports the entry to Excel."""

from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in

NEW_EMAIL = "convoys@protection-civile.example"


def test_the_administrator_finds_and_exports_who_changed_an_organisation(
    live_server: str, page: Page, tmp_path: Path
):
    log_in(page, live_server, "staff@lublin.example")
    page.goto(f"{live_server}/organisations/")
    page.get_by_role("link", name="Protection Civile").click()
    page.get_by_role("link", name="Change", exact=True).click()
    page.get_by_label("E-mail").fill(NEW_EMAIL)
    page.get_by_role("button", name="Save organisation").click()
    expect(page.get_by_role("heading", name="Protection Civile", level=1)).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, live_server, "admin@lublin.example")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Audit trail"
    ).click()
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    page.get_by_label("Record").select_option(label="Organisation")
    page.get_by_label("User's e-mail").fill("staff@lublin.example")
    page.get_by_role("button", name="Filter").click()

    entries = page.get_by_role("table", name="Audit entries, newest first")
    entry = entries.get_by_role("row").filter(has_text="Protection Civile")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Changed")
    expect(entry.locator("ins")).to_have_text(NEW_EMAIL)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export to Excel").click()
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(path)["Audit trail"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(row[2], row[6], row[9]) for row in rows] == [
        ("staff@lublin.example", "Protection Civile", NEW_EMAIL)
    ]
