"""Languages journey: a Ukrainian colleague switches the login page to Ukrainian, logs in and meets
a form error in Ukrainian; then switches to Polish and meets the same error in Polish."""

import re

from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect

from tests.conftest import DEMO_PASSWORD


def translated(app, language: str, message: str, **variables) -> str:
    """What the page should say in `language`; never the English, or the check would be empty."""
    with app.test_request_context(), force_locale(language):
        text = gettext(message, **variables)
    assert text != gettext(message, **variables) or language == "en"
    return text


def switch_to(page: Page, name: str) -> None:
    page.get_by_test_id("language-switcher").get_by_role("button", name=name).click()


def add_an_item_with_a_wrong_hs_code(page: Page, app, language: str) -> None:
    def say(message: str, **variables) -> str:
        return translated(app, language, message, **variables)

    page.get_by_role("navigation", name=say("Main navigation")).get_by_role(
        "link", name=say("Catalogue"), exact=True
    ).click()
    page.get_by_role("link", name=say("Add an item")).click()
    page.get_by_label(say("Name in English")).fill("Camp bed")
    page.get_by_label(say("HS code")).fill("9403.2")
    page.get_by_label(say("Currency")).fill("PLN")
    page.get_by_role("button", name=say("Add item")).click()

    expect(page.get_by_role("alert")).to_contain_text(
        say("The item was not saved. Please correct the fields marked below.")
    )
    expect(page.get_by_label(say("HS code"))).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#hs_code-error")).to_have_text(
        say(
            "“%(code)s” is not an HS code: use 6 to 10 digits, e.g. 850212 or 8502.12.",
            code="9403.2",
        )
    )
    expect(page.get_by_label(say("Name in English"))).to_have_value("Camp bed")


def test_a_user_works_in_ukrainian_then_in_polish(live_server: str, page: Page, demo):
    page.goto(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the browser asks for en-GB

    switch_to(page, "Українська")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label(translated(demo, "uk", "E-mail")).fill("staff@lublin.example")
    page.get_by_label(translated(demo, "uk", "Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=translated(demo, "uk", "Log in"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        translated(demo, "uk", "Welcome, %(name)s.", name="Stanisław Staff")
    )
    add_an_item_with_a_wrong_hs_code(page, demo, "uk")

    switch_to(page, "Polski")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    add_an_item_with_a_wrong_hs_code(page, demo, "pl")

    # The choice went into the user's profile: after logging out the login page follows the
    # browser again (English), and logging in brings Polish back.
    page.get_by_role("button", name=translated(demo, "pl", "Log out")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("E-mail").fill("staff@lublin.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
