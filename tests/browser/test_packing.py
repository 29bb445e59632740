"""Staff pack a shipment into boxes on pallets and print their labels; the recipient confirms
receipt unit by unit, with one pallet missing."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in, move_shipment

KIT = "LUB-KRR-2023-0003"
A4 = (595, 842)
LABEL = (283, 425)
"""Page sizes in points: A4, and a 100 × 150 mm label."""


def pages_of(pdf: bytes) -> list[tuple[int, int]]:
    """The size of each page of a PDF, in whole points."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(round(float(width)), round(float(height))) for width, height in boxes]


def test_staff_pack_and_label_a_shipment_and_the_recipient_confirms_it_by_unit_one_missing(
    live_server: str, page: Page
):
    log_in(page, live_server, "staff@lublin.example")
    page.goto(f"{live_server}/shipments/{KIT}/units")
    expect(page.get_by_role("heading", name=f"Packing units of {KIT}")).to_be_visible()
    page.get_by_label("Quantity per box").fill("25")
    page.get_by_label("Pallets").fill("2")
    page.get_by_label("Box length (cm)").fill("60")
    page.get_by_label("Box width (cm)").fill("40")
    page.get_by_label("Box height (cm)").fill("40")
    page.get_by_role("button", name="Pack", exact=True).click()
    expect(page.get_by_text("Packed into 10 units on 2 pallets.")).to_be_visible()
    expect(page.get_by_test_id("packing-units")).to_have_text("12 units (pallet: 2, box: 10)")
    expect(page.get_by_test_id("packing-weight")).to_have_text("1,000 kg")
    expect(page.get_by_test_id("not-packed")).to_have_text("0")
    units = page.get_by_role("table", name="Units").locator("tbody tr")
    expect(units).to_have_count(12)
    expect(units.nth(7)).to_contain_text("8/12 Box 2/12 25 set Family hygiene kit 100 kg")

    page.get_by_role("link", name="Labels, A4 sheets").click()
    labels = page.locator("article.unit-label")
    expect(labels).to_have_count(12)
    expect(labels.first.get_by_test_id("label-number")).to_have_text("1/12")
    expect(labels.first).to_contain_text("Humanitarian aid, not for sale")
    expect(labels.nth(2)).to_contain_text("25 set Family hygiene kit")
    qr = labels.nth(2).get_by_role("img", name="QR code of the unit’s tracking page")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 100  # 30 mm on screen: a phone reads it at a glance
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Back to the units")).to_be_hidden()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    assert pages_of(pdf) == [A4] * 2  # six labels to a sheet
    page.emulate_media(media="screen")
    page.get_by_role("link", name="One label per page (100 × 150 mm)").click()
    expect(page.locator(".labels-single article.unit-label")).to_have_count(12)
    page.emulate_media(media="print")
    assert pages_of(page.pdf(prefer_css_page_size=True)) == [LABEL] * 12
    page.emulate_media(media="screen")

    page.goto(f"{live_server}/shipments/{KIT}")
    link = page.get_by_label("Public tracking link").input_value()
    visitor = page.context.browser.new_context(locale="en-GB").new_page()
    try:
        visitor.goto(f"{link}/units/8")  # what the QR code on box 8 opens
        expect(visitor.get_by_role("heading", name="Box 8/12")).to_be_visible()
        expect(visitor.get_by_test_id("tracking-status")).to_have_text("Draft")
        expect(visitor.get_by_text("hygiene")).to_have_count(0)
    finally:
        visitor.context.close()

    move_shipment(page, "mark_ready", "Mark ready")
    move_shipment(page, "dispatch", "Dispatch")
    move_shipment(
        page, "declare_customs", "Declare at customs", **{"Declaration number": "24PL0000077"}
    )
    move_shipment(page, "clear_customs", "Clear customs")
    move_shipment(page, "deliver", "Mark delivered")
    expect(page.get_by_text(f"Mark delivered: {KIT} is now delivered.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, live_server, "partner@kryvyirih.example")
    page.goto(f"{live_server}/shipments/{KIT}/units")
    page.get_by_role("link", name="Confirm receipt by unit").click()
    expect(page.get_by_role("heading", name=f"Confirm receipt of {KIT} by unit")).to_be_visible()
    second_pallet = page.locator("tr[data-unit='2']")
    expect(second_pallet.get_by_label("How it arrived")).to_have_value("good")
    expect(page.locator("tr[data-unit='8']").get_by_label("How it arrived")).to_have_value(
        "inherit"
    )
    second_pallet.get_by_label("How it arrived").select_option(label="Missing")
    page.get_by_role("button", name="Confirm receipt").click()

    expect(page).to_have_url(re.compile(rf"/shipments/{KIT}$"))
    expect(
        page.get_by_text(f"Receipt confirmed: {KIT} is received with discrepancy.")
    ).to_be_visible()
    discrepancies = page.locator("section[aria-labelledby='discrepancies-heading']")
    expect(discrepancies).to_contain_text("Family hygiene kit")
    expect(discrepancies).to_contain_text("Missing units: 8/12, 9/12, 10/12, 11/12, 12/12.")
    page.goto(f"{live_server}/shipments/{KIT}/units")
    expect(page.locator("tr[data-unit='2']")).to_contain_text("Missing")
    expect(page.locator("tr[data-unit='3']")).to_contain_text("Good")
