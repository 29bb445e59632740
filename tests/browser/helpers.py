"""Steps that many journeys share."""

from playwright.sync_api import Page

from tests.conftest import DEMO_PASSWORD


def log_in(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form, starting from wherever the page is."""
    if "/login" not in page.url:
        page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in", exact=True).click()


def move_shipment(page: Page, action: str, button: str, **fields: str) -> None:
    """Open an action's small form on the shipment page, fill it in and submit it."""
    panel = page.locator(f"#action-{action}")
    panel.locator("summary").click()
    for label, value in fields.items():
        panel.get_by_label(label).fill(value)
    with page.expect_navigation():
        panel.get_by_role("button", name=button, exact=True).click()
