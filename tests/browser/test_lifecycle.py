"""A shipment's whole life in the browser: staff move it to delivery, the recipient confirms it."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in, move_shipment

KIT = "LUB-KRR-2023-0003"


def test_staff_deliver_a_shipment_and_the_recipient_confirms_it_with_one_line_short(
    live_server: str, page: Page
):
    log_in(page, live_server, "staff@lublin.example")
    page.goto(f"{live_server}/shipments/{KIT}")
    expect(page.locator("#action-dispatch")).to_have_count(0)  # a draft is not dispatched

    move_shipment(page, "mark_ready", "Mark ready")
    expect(page.get_by_text(f"Mark ready: {KIT} is now ready.")).to_be_visible()
    move_shipment(page, "dispatch", "Dispatch")
    expect(page.get_by_text(f"Dispatch: {KIT} is now dispatched.")).to_be_visible()
    move_shipment(
        page,
        "declare_customs",
        "Declare at customs",
        **{"Declaration number": "24PL301020E0000042", "Border crossing": "Dorohusk–Yahodyn"},
    )
    expect(page.get_by_text(f"Declare at customs: {KIT} is now declared.")).to_be_visible()
    move_shipment(page, "clear_customs", "Clear customs")
    expect(page.get_by_text(f"Clear customs: {KIT} is now cleared.")).to_be_visible()
    move_shipment(page, "deliver", "Mark delivered", Where="Kryvyi Rih municipal depot")
    expect(page.get_by_text(f"Mark delivered: {KIT} is now delivered.")).to_be_visible()
    history = page.locator("section[aria-labelledby='history-heading']")
    expect(history).to_contain_text("Documents pending → Declared")
    expect(history).to_contain_text("Kryvyi Rih municipal depot")
    page.get_by_role("button", name="Log out").click()

    log_in(page, live_server, "partner@kryvyirih.example")
    page.goto(f"{live_server}/shipments/{KIT}")
    page.get_by_role("link", name="Confirm receipt").click()
    expect(page.get_by_role("heading", name=f"Confirm receipt of {KIT}")).to_be_visible()
    line = page.locator("tr[data-line='1']")
    expect(line.get_by_label("Received quantity")).to_have_value("250")
    line.get_by_label("Received quantity").fill("240")
    line.get_by_label("Note").fill("Ten kits short on arrival.")
    page.get_by_role("button", name="Confirm receipt").click()

    expect(page).to_have_url(re.compile(rf"/shipments/{KIT}$"))
    expect(page.locator("h1 + .status")).to_have_text("Received with discrepancy")
    discrepancies = page.locator("section[aria-labelledby='discrepancies-heading']")
    expect(discrepancies).to_contain_text("Family hygiene kit")
    expect(discrepancies).to_contain_text("Ten kits short on arrival.")
