"""A new shipment from entry to receipt: staff enter it with three lines and move it to the
recipient, who confirms what arrived."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in, move_shipment


def _line(page: Page, index: int):
    return page.locator("#lines tbody tr.line-row").nth(index)


def _fill_line(page: Page, index: int, item: str, quantity: str, donor: str, funding: str):
    row = _line(page, index)
    row.get_by_label("Item").select_option(label=item)
    row.get_by_label("Quantity").fill(quantity)
    row.get_by_label("Donor").select_option(label=donor)
    row.get_by_label("Funding").select_option(label=funding)


def test_staff_enter_and_deliver_a_shipment_and_the_recipient_confirms_one_line_short(
    live_server: str, page: Page
):
    log_in(page, live_server, "staff@lublin.example")
    page.get_by_role("link", name="New shipment").click()
    expect(page.get_by_role("heading", name="New shipment")).to_be_visible()

    page.get_by_label("To (city)").select_option(label="Kryvyi Rih (UA)")
    page.get_by_label("Recipient").select_option(label="Kryvyi Rih City Council")
    page.get_by_label("Carrier").select_option(label="Lublin Municipal Fleet")
    page.get_by_label("Planned departure").fill("2024-05-06")

    fundraiser = "Lublin Residents' Fundraiser"
    _fill_line(page, 0, "Rice 1 kg", "1000", fundraiser, "Purchased with cash donations")
    expect(_line(page, 0).get_by_label("Unit value")).to_have_attribute("placeholder", "5.60")
    _fill_line(page, 1, "Wool blanket", "200", "Example Textiles Sp. z o.o.", "In-kind donation")
    _fill_line(page, 2, "Elastic bandage", "3000", fundraiser, "Purchased with cash donations")

    page.get_by_role("button", name="Add more lines").click()  # one more row, at once
    expect(page.locator("#lines tbody tr.line-row")).to_have_count(4)

    page.get_by_role("button", name="Save shipment").click()
    expect(page.get_by_text("Medical goods need a lot number.")).to_be_visible()
    expect(_line(page, 0).get_by_label("Quantity")).to_have_value("1000")

    _line(page, 2).get_by_label("Lot").fill("EB-24-01")
    _line(page, 2).get_by_label("Expiry").fill("2028-01-31")
    page.get_by_role("button", name="Save shipment").click()

    expect(page).to_have_url(re.compile(r"/shipments/LUB-KRR-2024-0001$"))
    expect(page.get_by_text("Shipment LUB-KRR-2024-0001 saved as a draft.")).to_be_visible()
    lines = page.locator("section[aria-labelledby='lines-heading'] table")
    expect(lines.locator("tbody tr")).to_have_count(3)
    expect(lines).to_contain_text("Elastic bandage")
    expect(lines).to_contain_text("EB-24-01")

    reference = "LUB-KRR-2024-0001"
    move_shipment(page, "mark_ready", "Mark ready")
    expect(page.get_by_text(f"Mark ready: {reference} is now ready.")).to_be_visible()
    move_shipment(page, "dispatch", "Dispatch")
    move_shipment(
        page,
        "declare_customs",
        "Declare at customs",
        **{"Declaration number": "24PL301020E0000077", "Border crossing": "Dorohusk–Yahodyn"},
    )
    move_shipment(page, "clear_customs", "Clear customs")
    move_shipment(page, "deliver", "Mark delivered", Where="Kryvyi Rih")
    expect(page.get_by_text(f"Mark delivered: {reference} is now delivered.")).to_be_visible()
    history = page.locator("section[aria-labelledby='history-heading']")
    for change in [
        "Draft → Ready",
        "Ready → Dispatched",
        "Declared → Cleared",
        "Dispatched → Delivered",
    ]:
        expect(history).to_contain_text(change)
    page.get_by_role("button", name="Log out").click()

    log_in(page, live_server, "partner@kryvyirih.example")
    page.goto(f"{live_server}/shipments/{reference}")
    page.get_by_role("link", name="Confirm receipt").click()
    blankets = page.locator("tr[data-line='2']")
    expect(blankets.get_by_label("Received quantity")).to_have_value("200")
    blankets.get_by_label("Received quantity").fill("190")
    blankets.get_by_label("Note").fill("Ten blankets wet, kept aside.")
    page.get_by_role("button", name="Confirm receipt").click()

    expect(page).to_have_url(re.compile(rf"/shipments/{reference}$"))
    expect(page.locator("h1 + .status")).to_have_text("Received with discrepancy")
    discrepancies = page.locator("section[aria-labelledby='discrepancies-heading']")
    expect(discrepancies).to_contain_text("Wool blanket")
    expect(discrepancies).not_to_contain_text("Rice 1 kg")
