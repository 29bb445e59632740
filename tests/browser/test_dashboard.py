"""The dashboard in a browser: staff lands on it, reads a chart and its table, and follows a
"needs action" count to the shipments behind it."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in

UNDER_INSPECTION = "LUB-KRR-2023-0001"  # at Dorohusk since 2023-03-28


def test_staff_lands_on_the_dashboard_and_follows_what_needs_action(live_server: str, page: Page):
    page.goto(live_server)
    log_in(page, live_server, "staff@lublin.example")

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    chart = page.get_by_role("img", name=re.compile(r"^Value shipped by month, 2023"))
    expect(chart).to_be_visible()
    expect(chart.locator("text").filter(has_text="Energy")).to_have_count(1)  # the legend
    figures = page.get_by_role(
        "table", name="The figures of the chart “Value shipped by month, 2023”"
    )
    expect(figures).to_be_visible()
    expect(figures.get_by_role("row").filter(has_text="Mar 2023")).to_contain_text("158,230.00")
    expect(figures.get_by_role("row", name=re.compile("^Total"))).to_contain_text("177,870.00")
    status_chart = page.get_by_role("img", name=re.compile(r"^Shipments by status"))
    expect(status_chart).to_be_visible()

    needs_action = page.get_by_role("region", name="Needs action now")
    link = needs_action.get_by_role(
        "link", name=re.compile(r"Under inspection for more than 3 days")
    )
    expect(link).to_contain_text("1")
    link.click()

    expect(page).to_have_url(re.compile(r"/shipments/\?.*customs_status=under_inspection"))
    expect(page.get_by_role("heading", name="Shipments", exact=True)).to_be_visible()
    expect(page.get_by_text("1 shipment", exact=True)).to_be_visible()
    shipments = page.get_by_role("table", name="Shipments, newest first")
    expect(shipments.get_by_role("link", name=UNDER_INSPECTION, exact=True)).to_be_visible()
    expect(shipments.get_by_role("row")).to_have_count(2)  # the header and the one shipment
