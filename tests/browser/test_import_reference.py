"""Catalogue import journey: city staff upload a workbook with a mistake, read the problems,
upload the corrected file, check the preview and add the items with one click."""

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in
from tests.imports.files import xlsx

HEADER = [
    "Nazwa",
    "Nazwa po polsku",
    "Kategoria",
    "Jednostka",
    "Kod HS",
    "Wartość jednostkowa",
    "Waluta",
]
STRETCHER = ["Folding stretcher", "Nosze składane", "medyczne", "szt.", "9402.90", "350,00", "PLN"]


def test_staff_import_catalogue_items_from_a_workbook(live_server: str, page: Page, tmp_path):
    wrong = tmp_path / "relief-items.xlsx"
    wrong.write_bytes(
        xlsx([HEADER, STRETCHER, ["Camp bed", "Łóżko polowe", "camping", "szt.", None, None, None]])
    )
    right = tmp_path / "relief-items-corrected.xlsx"
    right.write_bytes(
        xlsx([HEADER, STRETCHER, ["Camp bed", "Łóżko polowe", "schronienie", "szt.", None, None]])
    )
    log_in(page, live_server, "staff@lublin.example")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Catalogue", exact=True
    ).click()
    page.get_by_role("link", name="Import from Excel").click()
    expect(
        page.get_by_role("heading", name="Import catalogue items from Excel", level=1)
    ).to_be_visible()

    # A file with a mistake: nothing is imported, the problem is named by row and column.
    page.get_by_label("Excel workbook (.xlsx)").set_input_files(wrong)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 1 problem was found.")
    problems = page.get_by_role("table", name="Problems in the file, by row")
    expect(problems.get_by_role("row").nth(1)).to_contain_text(
        "3 Kategoria camping is not one of the allowed values"
    )

    # The corrected file: a preview, then one click.
    page.get_by_label("Excel workbook (.xlsx)").set_input_files(right)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check what will be added")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Every row of “relief-items-corrected.xlsx” is right: 2 items will be added"
    )
    preview = page.get_by_role("table", name="Items to be added, in the order of the file")
    expect(preview.get_by_role("row").filter(has_text="Folding stretcher")).to_contain_text(
        "Medical"
    )
    expect(preview.get_by_role("row").filter(has_text="Camp bed")).to_contain_text("Shelter")
    page.get_by_role("button", name="Add 2 items").click()

    expect(page.get_by_role("status")).to_contain_text("2 items were added to the catalogue.")
    expect(page.get_by_role("heading", name="Catalogue", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Folding stretcher")).to_be_visible()
    expect(page.get_by_role("link", name="Camp bed")).to_be_visible()
    page.get_by_role("link", name="Folding stretcher").click()
    expect(page.get_by_text("940290")).to_be_visible()
