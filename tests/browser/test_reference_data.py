"""Reference data journey: city staff add an item, an organisation, a city and a partnership."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import log_in


def open_from_menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name=name, exact=True
    ).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def test_staff_adds_an_item_an_organisation_a_city_and_a_partnership(live_server: str, page: Page):
    log_in(page, live_server, "staff@lublin.example")

    # A catalogue item, with a mistake first.
    open_from_menu(page, "Catalogue")
    page.get_by_role("link", name="Add an item").click()
    page.get_by_label("Name in English").fill("Camp bed")
    page.get_by_label("Name in Polish").fill("Łóżko polowe")
    page.get_by_label("Category").select_option(label="Shelter")
    page.get_by_label("HS code").fill("9403.2")
    page.get_by_label("Default value per unit").fill("210,00")
    page.get_by_role("button", name="Add item").click()

    expect(page.get_by_role("alert")).to_contain_text("The item was not saved.")
    hs_code = page.get_by_label("HS code")
    expect(hs_code).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#hs_code-error")).to_contain_text("“9403.2” is not an HS code")
    expect(page.locator("#default_currency-error")).to_have_text(
        "Choose the currency of the default value, e.g. PLN or EUR."
    )
    expect(page.get_by_label("Name in English")).to_have_value("Camp bed")  # nothing is lost
    hs_code.fill("9403.20")
    page.get_by_label("Currency").fill("PLN")
    page.get_by_role("button", name="Add item").click()

    expect(page.get_by_role("status")).to_contain_text("“Camp bed” was added to the catalogue.")
    expect(page.get_by_role("heading", name="Camp bed", level=1)).to_be_visible()
    expect(page.get_by_text("940320")).to_be_visible()

    # An organisation.
    open_from_menu(page, "Organisations")
    page.get_by_role("link", name="Add an organisation").click()
    page.get_by_label("Name", exact=True).fill("Polish Red Cross, Lublin branch")
    page.get_by_label("Kind").select_option(label="NGO")
    expect(page.get_by_label("Country")).to_have_value("PL")
    page.get_by_label("City", exact=True).select_option(label="Lublin (LUB)")
    page.get_by_label("E-mail").fill("logistics@pck.example")
    page.get_by_label("Donor").check()
    page.get_by_role("button", name="Add organisation").click()
    expect(page.get_by_role("heading", name="Polish Red Cross, Lublin branch")).to_be_visible()

    # A city.
    open_from_menu(page, "Cities")
    page.get_by_role("link", name="Add a city").click()
    page.get_by_label("Code").fill("rze")
    page.get_by_label("Name").fill("Rzeszów")
    page.get_by_label("Region").fill("Podkarpackie Voivodeship")
    page.get_by_role("button", name="Add city").click()
    expect(page.get_by_role("status")).to_contain_text("Rzeszów (RZE) was added.")
    cities = page.get_by_role("table", name="Cities, by country and name")
    expect(cities.get_by_role("row").filter(has_text="Rzeszów")).to_contain_text("RZE")

    # A partnership between Lublin and the new city, and its memorandum.
    open_from_menu(page, "Partnerships")
    page.get_by_role("link", name="Add a partnership").click()
    page.get_by_label("City", exact=True).select_option(label="Lublin (LUB)")
    page.get_by_label("Partner city").select_option(label="Rzeszów (RZE)")
    page.get_by_role("button", name="Add partnership").click()
    expect(page.get_by_role("heading", name="Lublin – Rzeszów", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/partnerships/\d+$"))

    expect(page.get_by_label("Step", exact=True)).to_have_value("memorandum")
    page.get_by_label("Date signed or adopted").fill("2024-05-01")
    page.get_by_label("Act").fill("Memorandum of intent, signed in Rzeszów")
    page.get_by_role("button", name="Add step").click()
    steps = page.get_by_role("region", name="Steps")
    expect(steps).to_contain_text("Memorandum of intent · May 1, 2024")

    # Everything is in the lists.
    open_from_menu(page, "Partnerships")
    expect(
        page.get_by_role("row").filter(has_text="Lublin – Rzeszów").filter(has_text="May 1, 2024")
    ).to_be_visible()
    open_from_menu(page, "Organisations")
    expect(page.get_by_role("link", name="Polish Red Cross, Lublin branch")).to_be_visible()
    open_from_menu(page, "Catalogue")
    page.get_by_label("Search", exact=True).fill("łóżko")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Camp bed")).to_be_visible()
