"""Account journeys: an administrator creates a user, the user changes their password, the
administrator deactivates them."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in

EMAIL = "olena@lublin.example"
FIRST_PASSWORD = "seven brass lanterns"
OWN_PASSWORD = "kettle orchard violin"


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to AidTracker")).to_be_visible()


def test_admin_creates_a_user_who_changes_their_password_then_is_deactivated(
    live_server: str, page: Page
):
    log_in(page, live_server, "admin@lublin.example")
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
    page.get_by_role("link", name="New user").click()

    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Name").fill("Olena Kovalenko")
    page.get_by_label("Role").select_option(label="City staff")
    page.get_by_label("Organisation").select_option(label="City of Lublin")
    page.get_by_label("Initial password").fill("too short")
    page.get_by_label("New password again").fill("too short")
    page.get_by_role("button", name="Create user").click()

    password = page.get_by_label("Initial password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_have_text(
        "The password needs at least 12 characters."
    )
    expect(page.get_by_label("E-mail")).to_have_value(EMAIL)  # nothing typed is lost

    password.fill(FIRST_PASSWORD)
    page.get_by_label("New password again").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Create user").click()

    expect(
        page.get_by_role("status").filter(has_text="Olena Kovalenko can now log in")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Olena Kovalenko", level=1)).to_be_visible()
    log_out(page)

    log_in(page, live_server, EMAIL, FIRST_PASSWORD)
    expect(page.get_by_test_id("current-user")).to_contain_text("Olena Kovalenko")
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill(FIRST_PASSWORD)
    page.get_by_label("New password", exact=True).fill(OWN_PASSWORD)
    page.get_by_label("New password again").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(
        page.get_by_role("status").filter(has_text="Your password has been changed.")
    ).to_be_visible()
    log_out(page)

    log_in(page, live_server, "admin@lublin.example")
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="Olena Kovalenko").click()
    expect(page).to_have_url(re.compile(r"/users/\d+$"))
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status").filter(has_text="can no longer log in")).to_be_visible()
    expect(page.get_by_text("Deactivated", exact=True)).to_be_visible()
    log_out(page)

    log_in(page, live_server, EMAIL, OWN_PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("The e-mail or the password is wrong.")
    expect(page.get_by_role("heading", name="Log in to AidTracker")).to_be_visible()
