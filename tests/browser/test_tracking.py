"""Staff share a shipment's tracking link; somebody without an account follows the load on it
until staff turn the link off."""

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import log_in, move_shipment

MEDICAL = "LUB-KRR-2023-0001"


def test_a_visitor_follows_a_shipment_on_its_tracking_link_until_staff_turn_it_off(
    live_server: str, page: Page, browser: Browser
):
    log_in(page, live_server, "staff@lublin.example")
    page.goto(f"{live_server}/shipments/{MEDICAL}")
    tracking = page.get_by_role("region", name="Tracking link")
    qr_code = tracking.get_by_role("img", name="QR code of the tracking link")
    expect(qr_code).to_be_visible()
    assert qr_code.evaluate("image => image.complete && image.naturalWidth") >= 100
    field = tracking.get_by_label("Public tracking link")
    expect(field).to_have_value(re.compile(rf"^{re.escape(live_server)}/track/[\w-]{{43}}$"))
    link = field.input_value()

    visitor_context = browser.new_context(locale="en-GB")
    try:
        visitor = visitor_context.new_page()
        visitor.goto(link)
        expect(visitor.get_by_role("heading", name=f"Shipment {MEDICAL}")).to_be_visible()
        expect(visitor.get_by_text("Lublin to Kryvyi Rih")).to_be_visible()
        expect(visitor.get_by_test_id("tracking-status")).to_have_text("Dispatched")
        expect(visitor.get_by_test_id("tracking-customs")).to_have_text("Under inspection")
        timeline = visitor.get_by_role("list", name="Timeline").get_by_role("listitem")
        expect(timeline).to_have_count(6)
        expect(timeline.first).to_contain_text("Status: Draft")
        expect(timeline.last).to_contain_text("Customs: Under inspection · Dorohusk–Yahodyn")
        expect(visitor.get_by_role("button", name="Log out")).to_have_count(0)
        expect(visitor.get_by_text("Elastic bandage")).to_have_count(0)

        move_shipment(page, "clear_customs", "Clear customs")
        expect(page.get_by_text(f"Clear customs: {MEDICAL} is now cleared.")).to_be_visible()
        visitor.reload()
        expect(visitor.get_by_test_id("tracking-customs")).to_have_text("Cleared")
        expect(timeline).to_have_count(7)
        expect(timeline.last).to_contain_text("Customs: Cleared")

        tracking = page.get_by_role("region", name="Tracking link")
        with page.expect_navigation():
            tracking.get_by_role("button", name="Turn off tracking link").click()
        expect(page.get_by_text("Tracking link turned off: it now leads nowhere.")).to_be_visible()
        expect(page.get_by_text("This shipment has no tracking link")).to_be_visible()
        expect(tracking.get_by_role("button", name="Create a tracking link")).to_be_visible()

        response = visitor.goto(link)
        assert response is not None
        assert response.status == 404
        expect(visitor.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(visitor.get_by_text(MEDICAL)).to_have_count(0)
    finally:
        visitor_context.close()
