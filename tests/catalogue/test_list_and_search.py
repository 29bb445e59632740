"""Finding items: the list's search and filters, and the shipment form's item picker."""

import re

import pytest
from sqlalchemy import select

from aidtracker.catalogue.models import CatalogueItem
from aidtracker.catalogue.service import search_items
from aidtracker.extensions import db
from tests.catalogue.helpers import ACCOUNTANT, PARTNER, client_of, text_of


def _names(response) -> list[str]:
    """The English names in the list's first column, in order."""
    html = response.get_data(as_text=True)
    return re.findall(r'<a class="fw-semibold" href="/catalogue/\d+">([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("blanket", ["Wool blanket"]),
        ("KOC", ["Wool blanket"]),  # Polish, any case
        ("ковдра", ["Wool blanket"]),  # Ukrainian, typed in lower case
        ("МИЛО", ["Soap 100 g"]),
        ("6301", ["Wool blanket"]),  # the start of an HS code
        ("8502.12", ["Diesel generator 100 kVA"]),
        ("3005", ["Elastic bandage", "Sterile gauze dressing"]),
        ("100%", []),  # a wildcard is a character like any other
    ],
)
def test_the_list_finds_items_by_name_in_any_language_or_hs_code(staff, query, expected):
    assert _names(staff.get("/catalogue/", query_string={"q": query})) == expected


def test_the_list_filters_by_category_and_status(staff, demo):
    medical = _names(staff.get("/catalogue/?category=medical"))
    assert medical == [
        "Elastic bandage",
        "Paracetamol 500 mg ×20",
        "Sterile gauze dressing",
        "Surgical instrument set",
        "Vehicle first-aid kit",
    ]
    with demo.app_context():
        db.session.scalar(select(CatalogueItem).filter_by(name_en="Rice 1 kg")).active = False
        db.session.commit()
    assert _names(staff.get("/catalogue/?status=inactive")) == ["Rice 1 kg"]
    assert "Rice 1 kg" not in _names(staff.get("/catalogue/?status=active&category=food"))
    assert "Inactive" in text_of(staff.get("/catalogue/?q=rice"))


def test_the_list_is_paginated_and_the_pages_keep_the_filters(staff, demo):
    demo.config["PAGE_SIZE"] = 2
    first = staff.get("/catalogue/?category=food")
    text = text_of(first)
    assert "7 items" in text
    assert "Page 1 of 4" in text
    assert _names(first) == ["Canned fish 240 g", "Canned meat 400 g"]
    assert 'href="/catalogue/?page=2&amp;category=food"' in first.get_data(as_text=True)
    last = staff.get("/catalogue/?category=food&page=4")
    assert _names(last) == ["Wheat flour 1 kg"]
    assert _names(staff.get("/catalogue/?category=food&page=99")) == ["Wheat flour 1 kg"]


def test_a_search_without_results_says_so(staff):
    text = text_of(staff.get("/catalogue/?q=submarine"))
    assert "No item matches" in text
    assert "0 items" in text


def test_the_item_picker_answers_json_for_the_shipment_form(staff):
    response = staff.get("/catalogue/search.json?q=generator")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    [generator] = response.get_json()
    assert generator == {
        "id": generator["id"],
        "name": "Diesel generator 100 kVA",
        "name_pl": "Agregat prądotwórczy diesla 100 kVA",
        "name_uk": "Дизельний генератор 100 кВА",
        "category": "energy",
        "unit": "pcs",
        "hs_code": "850212",
        "default_unit_value": "25000.00",
        "default_currency": "EUR",
        "needs_lot_and_expiry": False,
    }
    [paracetamol] = staff.get("/catalogue/search.json?q=парацетамол").get_json()
    assert paracetamol["needs_lot_and_expiry"] is True


def test_the_item_picker_limits_its_answer_and_skips_inactive_items(staff, demo):
    assert len(staff.get("/catalogue/search.json?q=&limit=3").get_json()) == 3
    assert len(staff.get("/catalogue/search.json?limit=1000").get_json()) == 21
    assert len(staff.get("/catalogue/search.json?limit=nonsense").get_json()) == 20
    with demo.app_context():
        db.session.scalar(select(CatalogueItem).filter_by(name_en="Rice 1 kg")).active = False
        db.session.commit()
    assert staff.get("/catalogue/search.json?q=rice").get_json() == []


def test_search_items_serves_the_shipment_form_on_the_server_too(demo):
    with demo.app_context():
        db.session.scalar(select(CatalogueItem).filter_by(name_en="Rice 1 kg")).active = False
        db.session.commit()
        assert [item.name_en for item in search_items("rice")] == []
        assert [item.name_en for item in search_items("RICE", include_inactive=True)] == [
            "Rice 1 kg"
        ]
        assert [item.name_en for item in search_items("30", limit=2)] == [
            "Elastic bandage",
            "Paracetamol 500 mg ×20",
        ]
        assert [item.name_en for item in search_items(" Рибні ")] == ["Canned fish 240 g"]


def test_the_accountant_reads_the_catalogue_but_cannot_change_it(demo):
    accountant = client_of(demo, ACCOUNTANT)
    assert accountant.get("/catalogue/").status_code == 200
    assert accountant.get("/catalogue/1").status_code == 200
    assert accountant.get("/catalogue/search.json?q=rice").status_code == 200
    page = accountant.get("/catalogue/1").get_data(as_text=True)
    assert "Deactivate" not in page
    assert "/catalogue/1/edit" not in page
    assert "Add an item" not in text_of(accountant.get("/catalogue/"))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/catalogue/new"),
        ("POST", "/catalogue/new"),
        ("GET", "/catalogue/1/edit"),
        ("POST", "/catalogue/1/edit"),
        ("POST", "/catalogue/1/deactivate"),
        ("POST", "/catalogue/1/reactivate"),
        ("POST", "/catalogue/21/delete"),
    ],
)
def test_the_accountant_gets_403_on_every_change_and_nothing_is_written(demo, method, url):
    from tests.catalogue.helpers import stored_rows

    accountant = client_of(demo, ACCOUNTANT)
    before = stored_rows(demo, CatalogueItem)
    data = {"name_en": "Hacked", "category": "food", "unit": "pcs"}
    assert accountant.open(url, method=method, data=data).status_code == 403
    assert stored_rows(demo, CatalogueItem) == before


@pytest.mark.parametrize(
    "url", ["/catalogue/", "/catalogue/1", "/catalogue/search.json?q=rice", "/catalogue/new"]
)
def test_a_partner_gets_403_on_the_catalogue(demo, url):
    assert client_of(demo, PARTNER).get(url).status_code == 403


def test_the_menu_shows_the_catalogue_to_city_roles_only(demo, staff):
    assert "Catalogue" in text_of(staff.get("/shipments/"))
    assert "Catalogue" in text_of(client_of(demo, ACCOUNTANT).get("/shipments/"))
    assert "Catalogue" not in text_of(client_of(demo, PARTNER).get("/shipments/"))
