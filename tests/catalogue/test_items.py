"""Staff keep the catalogue: add and change items, refuse bad input, retire items in use."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from aidtracker.auth.models import Role
from aidtracker.auth.service import create_user
from aidtracker.catalogue.models import CatalogueItem, Category, DacSector, Unit
from aidtracker.extensions import db
from tests.catalogue.helpers import stored_rows, text_of

CAMP_BED = {
    "name_en": "Camp bed",
    "name_pl": "Łóżko polowe",
    "name_uk": "Розкладне ліжко",
    "category": "shelter",
    "unit": "pcs",
    "hs_code": "9403.20",
    "dac_sector": "",
    "default_unit_value": "210,00",
    "default_currency": "pln",
    "active": "y",
}


def _item(app, name: str, unit: Unit = Unit.PCS) -> CatalogueItem:
    with app.app_context():
        item = db.session.scalar(select(CatalogueItem).filter_by(name_en=name, unit=unit))
        db.session.expunge_all()
        return item


def test_staff_adds_an_item_and_its_hs_code_and_value_are_tidied(staff, demo):
    response = staff.post("/catalogue/new", data=CAMP_BED)

    item = _item(demo, "Camp bed")
    assert response.status_code == 302
    assert response.location == f"/catalogue/{item.id}"
    assert item.name_pl == "Łóżko polowe"
    assert item.name_uk == "Розкладне ліжко"
    assert item.category is Category.SHELTER
    assert item.hs_code == "940320"
    assert item.dac_sector is DacSector.RELIEF_ITEMS  # from the category, as it was left empty
    assert item.default_unit_value == Decimal("210.00")
    assert item.default_currency == "PLN"
    assert item.active is True
    page = text_of(staff.get(response.location))
    assert "“Camp bed” was added to the catalogue." in page
    assert "Not used on any shipment yet." in page


def test_an_item_in_the_medical_category_gets_the_health_sector_unless_chosen(staff, demo):
    staff.post("/catalogue/new", data={**CAMP_BED, "name_en": "Splint", "category": "medical"})
    staff.post(
        "/catalogue/new",
        data={**CAMP_BED, "name_en": "Cot", "category": "medical", "dac_sector": "72010"},
    )
    assert _item(demo, "Splint").dac_sector is DacSector.BASIC_HEALTH
    assert _item(demo, "Cot").dac_sector is DacSector.RELIEF_ITEMS


def test_an_item_needs_only_its_english_name_category_and_unit(staff, demo):
    response = staff.post(
        "/catalogue/new",
        data={"name_en": "  Tarpaulin 4×6 m ", "category": "shelter", "unit": "pcs"},
    )
    assert response.status_code == 302
    item = _item(demo, "Tarpaulin 4×6 m")
    assert (item.name_pl, item.hs_code, item.default_unit_value, item.default_currency) == (
        None,
        None,
        None,
        None,
    )
    assert item.active is False  # an unticked box: the user chose inactive


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name_en": "   "}, "Enter the item's English name."),
        ({"hs_code": "85A2.12"}, "“85A2.12” is not an HS code: use 6 to 10 digits"),
        ({"hs_code": "8502"}, "“8502” is not an HS code"),
        ({"hs_code": "85021200001"}, "“85021200001” is not an HS code"),
        ({"default_unit_value": "-1"}, "The value cannot be negative."),
        ({"default_unit_value": "12.505"}, "Use at most two decimals (cents)."),
        ({"default_unit_value": "twelve"}, "Enter an amount, e.g. 12.50."),
        ({"default_unit_value": "NaN"}, "Enter an amount, e.g. 12.50."),
        ({"default_unit_value": "1e15"}, "This value is too large."),
        ({"default_currency": ""}, "Choose the currency of the default value, e.g. PLN or EUR."),
        ({"default_currency": "XYZ"}, "“XYZ” is not an ISO 4217 currency code"),
        ({"default_currency": "EURO"}, "Use the three-letter code, e.g. PLN."),
        ({"category": "toys"}, "Not a valid choice"),
        ({"unit": "barrel"}, "Not a valid choice"),
        ({"dac_sector": "99999"}, "Not a valid choice"),
        (
            {"name_en": "rice 1 KG", "unit": "pcs"},
            "The catalogue already has “rice 1 KG” counted in pcs.",
        ),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(
    staff, demo, changes, message
):
    before = stored_rows(demo, CatalogueItem)

    response = staff.post("/catalogue/new", data={**CAMP_BED, **changes})

    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "The item was not saved." in text
    assert stored_rows(demo, CatalogueItem) == before


def test_the_same_name_in_another_unit_is_another_item(staff, demo):
    response = staff.post(
        "/catalogue/new", data={**CAMP_BED, "name_en": "Rice 1 kg", "unit": "box"}
    )
    assert response.status_code == 302
    assert _item(demo, "Rice 1 kg", Unit.BOX) is not None


def test_a_duplicate_in_cyrillic_is_found_whatever_the_case(staff, demo):
    staff.post("/catalogue/new", data={**CAMP_BED, "name_en": "Ковдра"})
    before = stored_rows(demo, CatalogueItem)
    response = staff.post("/catalogue/new", data={**CAMP_BED, "name_en": "КОВДРА"})
    assert "The catalogue already has “КОВДРА” counted in pcs." in text_of(response)
    assert stored_rows(demo, CatalogueItem) == before


def test_staff_changes_an_item_and_may_keep_its_own_name(staff, demo):
    soap = _item(demo, "Soap 100 g")
    response = staff.post(
        f"/catalogue/{soap.id}/edit",
        data={
            "name_en": "Soap 100 g",
            "name_pl": "",
            "category": "hygiene",
            "unit": "pcs",
            "hs_code": "3401 11",
            "default_unit_value": "3.25",
            "default_currency": "PLN",
            "active": "y",
        },
    )
    assert response.status_code == 302
    soap = _item(demo, "Soap 100 g")
    assert soap.hs_code == "340111"
    assert soap.default_unit_value == Decimal("3.25")
    assert soap.name_pl is None  # emptied on the form


def test_renaming_an_item_to_another_items_name_is_refused(staff, demo):
    soap = _item(demo, "Soap 100 g")
    before = stored_rows(demo, CatalogueItem)
    response = staff.post(
        f"/catalogue/{soap.id}/edit",
        data={"name_en": "Rice 1 kg", "category": "hygiene", "unit": "pcs", "active": "y"},
    )
    assert response.status_code == 200
    assert "The catalogue already has “Rice 1 kg” counted in pcs." in text_of(response)
    assert stored_rows(demo, CatalogueItem) == before


def test_the_edit_form_shows_the_items_current_values(staff, demo):
    generator = _item(demo, "Diesel generator 100 kVA")
    html = staff.get(f"/catalogue/{generator.id}/edit").get_data(as_text=True)
    assert 'value="Diesel generator 100 kVA"' in html
    assert 'value="850212"' in html
    assert 'value="25000.00"' in html
    assert 'value="EUR"' in html


def test_an_item_page_counts_the_shipment_lines_that_use_it(staff, demo):
    blanket = _item(demo, "Wool blanket")
    text = text_of(staff.get(f"/catalogue/{blanket.id}"))
    assert "Used on 1 shipment line." in text
    assert "Koc wełniany" in text
    assert "630120" in text
    assert "72010 Material relief assistance" in text
    assert "Delete" not in text  # items on shipments are never deleted


def test_an_item_in_use_is_deactivated_not_deleted_and_can_come_back(staff, demo):
    blanket = _item(demo, "Wool blanket")

    response = staff.post(f"/catalogue/{blanket.id}/delete", follow_redirects=True)
    assert "used on 1 shipment line, so it cannot be deleted" in text_of(response)
    assert _item(demo, "Wool blanket") is not None

    response = staff.post(f"/catalogue/{blanket.id}/deactivate", follow_redirects=True)
    assert "is inactive: it is no longer offered for new lines" in text_of(response)
    assert _item(demo, "Wool blanket").active is False
    assert "Wool blanket" not in staff.get("/catalogue/search.json?q=blanket").get_data(
        as_text=True
    )
    # The shipment that carried it still shows it.
    assert "Wool blanket" in text_of(staff.get("/shipments/LUB-KRR-2022-0002"))

    staff.post(f"/catalogue/{blanket.id}/reactivate")
    assert _item(demo, "Wool blanket").active is True


def test_an_unused_item_can_be_deleted(staff, demo):
    power_bank = _item(demo, "Power bank 20000 mAh")
    response = staff.post(f"/catalogue/{power_bank.id}/delete")
    assert response.status_code == 302
    assert response.location == "/catalogue/"
    assert _item(demo, "Power bank 20000 mAh") is None


def test_an_unknown_item_is_a_404(staff):
    assert staff.get("/catalogue/9999").status_code == 404
    assert staff.get("/catalogue/9999/edit").status_code == 404
    assert staff.post("/catalogue/9999/deactivate").status_code == 404


def test_the_empty_catalogue_invites_staff_to_add_the_first_item(app):
    with app.app_context():
        create_user(email="first@city.example", password="a long enough password", role=Role.STAFF)
        db.session.commit()
    client = app.test_client()
    client.post(
        "/login", data={"email": "first@city.example", "password": "a long enough password"}
    )
    text = text_of(client.get("/catalogue/"))
    assert "The catalogue is empty" in text
    assert "Add an item" in text


def test_every_mistake_on_the_form_is_shown_at_once(staff, demo):
    before = stored_rows(demo, CatalogueItem)
    response = staff.post(
        "/catalogue/new",
        data={**CAMP_BED, "name_en": "", "hs_code": "94", "default_currency": ""},
    )
    text = text_of(response)
    assert "Enter the item's English name." in text
    assert "“94” is not an HS code" in text
    assert "Choose the currency of the default value" in text
    assert stored_rows(demo, CatalogueItem) == before
