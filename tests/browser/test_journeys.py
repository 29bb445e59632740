"""User journeys through the real pages, in Chromium, against a live server with the demo data."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in

LOGIN_PAGE = re.compile(r"/login(\?.*)?$")
GENERATOR_SHIPMENT = "LUB-KRR-2023-0002"


def expect_login_page(page: Page) -> None:
    expect(page).to_have_url(LOGIN_PAGE)
    expect(page.get_by_role("heading", name="Log in to AidTracker")).to_be_visible()


def test_staff_logs_in_finds_the_generator_shipment_and_logs_out(live_server: str, page: Page):
    page.goto(live_server)
    expect_login_page(page)

    log_in(page, live_server, "staff@lublin.example")
    page.get_by_role("link", name="All shipments").click()

    expect(page.get_by_role("heading", name="Shipments", exact=True)).to_be_visible()
    shipments = page.get_by_role("table", name="Shipments, newest first")
    expect(shipments.get_by_role("row").filter(has_text=GENERATOR_SHIPMENT)).to_have_count(1)

    shipments.get_by_role("link", name=GENERATOR_SHIPMENT, exact=True).click()

    expect(page).to_have_url(re.compile(rf"/shipments/{GENERATOR_SHIPMENT}$"))
    expect(page.get_by_role("heading", name=GENERATOR_SHIPMENT, level=1)).to_be_visible()
    lines = page.get_by_role("region", name="Lines").get_by_role("table")
    expect(lines.get_by_role("cell").filter(has_text="Diesel generator 100 kVA")).to_be_visible()
    history = page.get_by_role("region", name="Status history").get_by_role("listitem")
    expect(history.filter(has_text="Dispatched")).not_to_have_count(0)

    page.get_by_role("button", name="Log out").click()

    expect_login_page(page)
    expect(page.get_by_role("status").filter(has_text="You have logged out.")).to_be_visible()
    page.goto(f"{live_server}/shipments/")
    expect_login_page(page)


def test_wrong_password_is_refused_on_the_login_page(live_server: str, page: Page):
    page.goto(f"{live_server}/login")

    log_in(page, live_server, "staff@lublin.example", password="not-the-password")

    expect(page.get_by_role("alert")).to_have_text("The e-mail or the password is wrong.")
    expect_login_page(page)
    expect(page.get_by_label("E-mail")).to_have_value("staff@lublin.example")
