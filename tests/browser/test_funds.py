"""A fund from donation to purchase: an accountant records a cash donation, staff buy rice from
the fund in a new shipment, the fund's balance falls by the purchase, and its ledger downloads."""

import re
from decimal import Decimal
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in
from tests.reports.helpers import cents

FUND = "Lublin Residents' Fundraiser"


def _left(page: Page):
    return page.get_by_test_id("left")


def test_a_donation_buys_rice_and_the_fund_ledger_shows_what_is_left(
    live_server: str, page: Page, tmp_path: Path
):
    log_in(page, live_server, "accountant@lublin.example")
    page.goto(f"{live_server}/funds/")
    page.get_by_role("link", name=FUND).click()
    expect(_left(page)).to_have_text("PLN149,200.00")

    page.get_by_role("link", name="Record a donation").click()
    page.get_by_label("Donor").select_option(label="Protection Civile")
    page.get_by_label("Amount").fill("10000")
    page.get_by_label("Receipt or bank reference").fill("PC-2024-001")
    page.get_by_role("button", name="Record donation").click()
    expect(page.get_by_text("Donation recorded.")).to_be_visible()
    expect(_left(page)).to_have_text("PLN159,200.00")
    expect(page.get_by_test_id("donations")).to_contain_text("PC-2024-001")
    page.get_by_role("button", name="Log out").click()

    log_in(page, live_server, "staff@lublin.example")
    page.get_by_role("link", name="New shipment").click()
    page.get_by_label("To (city)").select_option(label="Kryvyi Rih (UA)")
    page.get_by_label("Recipient").select_option(label="Kryvyi Rih City Council")
    page.get_by_label("Planned departure").fill("2024-05-06")
    row = page.locator("#lines tbody tr.line-row").first
    row.get_by_label("Item").select_option(label="Rice 1 kg")
    row.get_by_label("Quantity").fill("40000")
    row.get_by_label("Donor").select_option(label=FUND)
    row.get_by_label("Funding").select_option(label="Purchased with cash donations")
    row.get_by_label("Fund", exact=True).select_option(label=f"{FUND} (PLN)")
    page.get_by_role("button", name="Save shipment").click()
    # 40,000 × 5.60 = 224,000.00 is 64,800.00 more than the fund holds.
    expect(page.get_by_text("it would go PLN64,800.00 below zero")).to_be_visible()

    row.get_by_label("Quantity").fill("1000")
    page.get_by_role("button", name="Save shipment").click()
    expect(page).to_have_url(re.compile(r"/shipments/LUB-KRR-2024-0001$"))

    page.goto(f"{live_server}/funds/")
    page.get_by_role("link", name=FUND).click()
    expect(_left(page)).to_have_text("PLN153,600.00")  # 159,200.00 − 5,600.00
    expect(page.get_by_test_id("purchases")).to_contain_text("LUB-KRR-2024-0001")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Fund ledger (Excel)").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    rows = list(openpyxl.load_workbook(saved)["Ledger"].iter_rows(values_only=True))
    assert rows[-1][0] == "Total"
    assert cents(rows[-1][9]) == Decimal("153600.00")
    assert any(
        row[2] == "LUB-KRR-2024-0001" and cents(row[8]) == Decimal("5600.00") for row in rows
    )
