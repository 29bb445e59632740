"""Staff keep the cities that shipments go between; a city's code is part of every reference."""

import pytest
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.parties.models import City
from tests.catalogue.helpers import ACCOUNTANT, PARTNER, client_of, stored_rows, text_of

RZESZOW = {
    "code": "rze",
    "name": "Rzeszów",
    "country": "PL",
    "region": "Podkarpackie Voivodeship",
    "community": "City of Rzeszów",
}


def _city(app, code: str) -> City | None:
    with app.app_context():
        city = db.session.scalar(select(City).filter_by(code=code))
        db.session.expunge_all()
        return city


def test_staff_adds_a_city_and_its_code_is_upper_cased(staff, demo):
    response = staff.post("/cities/new", data=RZESZOW)

    assert response.status_code == 302
    city = _city(demo, "RZE")
    assert (city.name, city.country, city.region, city.community) == (
        "Rzeszów",
        "PL",
        "Podkarpackie Voivodeship",
        "City of Rzeszów",
    )
    text = text_of(staff.get(response.location))
    assert "Rzeszów (RZE) was added." in text
    assert "Podkarpackie Voivodeship" in text


def test_the_form_explains_what_the_code_is_for(staff):
    text = text_of(staff.get("/cities/new"))
    assert "Three letters used in shipment references: LUB-KRR-2023-0007" in text
    assert "It cannot change once a shipment uses the city." in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": ""}, "Enter the city's three-letter code."),
        ({"code": "RZ"}, "“RZ” is not a city code: use three letters A to Z, e.g. LUB."),
        ({"code": "R2E"}, "“R2E” is not a city code"),
        ({"code": "ŁÓD"}, "“ŁÓD” is not a city code"),
        ({"code": "lub"}, "The code LUB belongs to Lublin already; choose another."),
        ({"name": ""}, "Enter the city's name."),
        (
            {"code": "LBN", "name": "lublin"},
            "lublin (PL) is in the list already; change that city.",
        ),
        ({"country": "XX"}, "“XX” is not a country code; choose the country from the list."),
        ({"country": ""}, "“” is not a country code"),
    ],
)
def test_bad_city_input_is_refused_and_nothing_is_written(staff, demo, changes, message):
    before = stored_rows(demo, City)

    response = staff.post("/cities/new", data={**RZESZOW, **changes})

    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "The city was not saved." in text
    assert stored_rows(demo, City) == before


def test_the_same_name_in_another_country_is_another_city(staff, demo):
    response = staff.post(
        "/cities/new", data={"code": "LUS", "name": "Lublin", "country": "US", "region": ""}
    )
    assert response.status_code == 302
    assert _city(demo, "LUS").country == "US"


def test_a_citys_code_cannot_change_once_a_shipment_uses_it(staff, demo):
    lublin = _city(demo, "LUB")
    form = staff.get(f"/cities/{lublin.id}/edit").get_data(as_text=True)
    assert "readonly" in form
    assert "can no longer change" in form
    before = stored_rows(demo, City)

    response = staff.post(
        f"/cities/{lublin.id}/edit",
        data={"code": "LBN", "name": "Lublin", "country": "PL", "region": "Lublin Voivodeship"},
    )

    assert response.status_code == 200
    assert "The code LUB cannot change: 7 shipments' references use it." in text_of(response)
    assert stored_rows(demo, City) == before


def test_a_used_citys_other_details_can_change(staff, demo):
    lutsk = _city(demo, "LUT")
    response = staff.post(
        f"/cities/{lutsk.id}/edit",
        data={
            "code": "LUT",
            "name": "Lutsk",
            "country": "UA",
            "region": "Volyn oblast",
            "community": "Lutsk city territorial community",
        },
    )
    assert response.status_code == 302
    assert _city(demo, "LUT").community == "Lutsk city territorial community"


def test_an_unused_citys_code_can_still_change(staff, demo):
    staff.post("/cities/new", data=RZESZOW)
    rzeszow = _city(demo, "RZE")
    form = staff.get(f"/cities/{rzeszow.id}/edit").get_data(as_text=True)
    assert "readonly" not in form
    response = staff.post(f"/cities/{rzeszow.id}/edit", data={**RZESZOW, "code": "RZS"})
    assert response.status_code == 302
    assert _city(demo, "RZS").name == "Rzeszów"
    assert _city(demo, "RZE") is None


def test_the_city_list_searches_by_name_or_code(staff):
    text = text_of(staff.get("/cities/?q=krr"))
    assert "Kryvyi Rih" in text
    assert "Lutsk" not in text
    assert "1 city" in text
    text = text_of(staff.get("/cities/?q=луцьк"))
    assert "No city matches" in text
    text = text_of(staff.get("/cities/"))
    assert "3 cities" in text
    assert "Ukraine" in text


def test_the_accountant_reads_cities_but_cannot_change_them(demo):
    accountant = client_of(demo, ACCOUNTANT)
    page = accountant.get("/cities/")
    assert page.status_code == 200
    assert "/cities/1/edit" not in page.get_data(as_text=True)
    before = stored_rows(demo, City)
    assert accountant.get("/cities/new").status_code == 403
    assert accountant.post("/cities/new", data=RZESZOW).status_code == 403
    assert accountant.get("/cities/1/edit").status_code == 403
    assert accountant.post("/cities/1/edit", data=RZESZOW).status_code == 403
    assert stored_rows(demo, City) == before


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/cities/"),
        ("GET", "/cities/new"),
        ("POST", "/cities/new"),
        ("POST", "/cities/1/edit"),
    ],
)
def test_a_partner_gets_403_on_cities(demo, method, url):
    before = stored_rows(demo, City)
    assert client_of(demo, PARTNER).open(url, method=method, data=RZESZOW).status_code == 403
    assert stored_rows(demo, City) == before
