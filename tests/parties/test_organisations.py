"""Staff keep the list of organisations that send, receive, carry and give aid."""

import pytest
from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.parties.models import City, Organisation, OrganisationKind
from tests.catalogue.helpers import ACCOUNTANT, PARTNER, client_of, stored_rows, text_of

RED_CROSS = {
    "name": "Polish Red Cross, Lublin branch",
    "kind": "ngo",
    "country": "PL",
    "city_id": "",
    "contact_name": "Jan Kowalski",
    "contact_email": "Logistics@PCK.example",
    "contact_phone": "+48 81 532 00 00",
    "address": "ul. Przykładowa 1\n20-001 Lublin",
    "is_recipient": "y",
    "is_donor": "y",
}


def _organisation(app, name: str) -> Organisation | None:
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).filter_by(name=name))
        db.session.expunge_all()
        return organisation


def _city_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(City.id).filter_by(code=code))


def test_staff_adds_an_organisation_with_its_contact_and_usual_parts(staff, demo):
    response = staff.post(
        "/organisations/new", data={**RED_CROSS, "city_id": str(_city_id(demo, "LUB"))}
    )

    organisation = _organisation(demo, "Polish Red Cross, Lublin branch")
    assert response.status_code == 302
    assert response.location == f"/organisations/{organisation.id}"
    assert organisation.kind is OrganisationKind.NGO
    assert organisation.country == "PL"
    assert organisation.city_id == _city_id(demo, "LUB")
    assert organisation.contact_email == "Logistics@pck.example"
    assert organisation.address == "ul. Przykładowa 1\n20-001 Lublin"
    assert (
        organisation.is_sender,
        organisation.is_recipient,
        organisation.is_carrier,
        organisation.is_donor,
    ) == (False, True, False, True)
    text = text_of(staff.get(response.location))
    assert "“Polish Red Cross, Lublin branch” was added." in text
    assert "Recipient, Donor" in text
    assert "0 users belong to it." in text
    assert "It is party to 0 shipments" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "Enter the organisation's name."),
        (
            {"name": "protection CIVILE"},
            "An organisation called “protection CIVILE” exists already",
        ),
        ({"country": "XX"}, "“XX” is not a country code; choose the country from the list."),
        ({"country": "EU"}, "“EU” is not a country code"),
        ({"contact_email": "logistics at pck"}, "“logistics at pck” is not an e-mail address"),
        ({"city_id": "9999"}, "Choose a city from the list."),
        ({"city_id": "Lublin"}, "Choose a city from the list."),
        ({"kind": "club"}, "Not a valid choice"),
    ],
)
def test_bad_organisation_input_is_refused_and_nothing_is_written(staff, demo, changes, message):
    before = stored_rows(demo, Organisation)

    response = staff.post("/organisations/new", data={**RED_CROSS, **changes})

    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "The organisation was not saved." in text
    assert stored_rows(demo, Organisation) == before


def test_renaming_an_organisation_to_a_taken_name_is_refused(staff, demo):
    fleet = _organisation(demo, "Lublin Municipal Fleet")
    before = stored_rows(demo, Organisation)
    response = staff.post(
        f"/organisations/{fleet.id}/edit",
        data={**RED_CROSS, "name": "City of Lublin"},
    )
    assert "An organisation called “City of Lublin” exists already" in text_of(response)
    assert stored_rows(demo, Organisation) == before


def test_staff_changes_an_organisations_contact(staff, demo):
    fleet = _organisation(demo, "Lublin Municipal Fleet")
    form = staff.get(f"/organisations/{fleet.id}/edit").get_data(as_text=True)
    assert 'value="Lublin Municipal Fleet"' in form
    assert '<option selected value="PL">Poland</option>' in form

    response = staff.post(
        f"/organisations/{fleet.id}/edit",
        data={
            "name": "Lublin Municipal Fleet",
            "kind": "public_body",
            "country": "PL",
            "city_id": str(fleet.city_id),
            "contact_name": "Dispatch desk",
            "contact_email": "dispatch@fleet.example",
            "is_carrier": "y",
        },
    )
    assert response.status_code == 302
    fleet = _organisation(demo, "Lublin Municipal Fleet")
    assert fleet.contact_name == "Dispatch desk"
    assert fleet.contact_email == "dispatch@fleet.example"
    assert fleet.is_carrier is True


def test_an_organisations_page_counts_its_users_and_shipments(staff, demo):
    lublin = _organisation(demo, "City of Lublin")
    text = text_of(staff.get(f"/organisations/{lublin.id}"))
    assert "3 users belong to it." in text
    assert "It is party to 7 shipments" in text

    fundraiser = _organisation(demo, "Lublin Residents' Fundraiser")
    text = text_of(staff.get(f"/organisations/{fundraiser.id}"))
    assert "It is party to 5 shipments" in text  # as donor of lines only

    civile = _organisation(demo, "Protection Civile")
    text = text_of(staff.get(f"/organisations/{civile.id}"))
    assert "It is party to 1 shipment (as sender" in text  # carrier and donor of the same one
    assert "France" in text
    assert "Carrier, Donor" in text


def _listed(response) -> list[str]:
    import re

    html = response.get_data(as_text=True)
    return re.findall(r'href="/organisations/\d+">([^<]+)</a>', html)


def test_the_list_filters_by_name_kind_and_part(staff):
    assert _listed(staff.get("/organisations/?q=lublin")) == [
        "City of Lublin",
        "Lublin Municipal Fleet",
        "Lublin Residents&#39; Fundraiser",
    ]
    assert _listed(staff.get("/organisations/?kind=municipality&part=recipient")) == [
        "Kryvyi Rih City Council",
        "Lutsk City Council",
    ]
    assert _listed(staff.get("/organisations/?part=carrier")) == [
        "Lublin Municipal Fleet",
        "Protection Civile",
    ]
    assert "No organisation matches" in text_of(staff.get("/organisations/?q=nobody"))


def test_the_list_is_paginated(staff, demo):
    demo.config["PAGE_SIZE"] = 3
    text = text_of(staff.get("/organisations/?page=3"))
    assert "7 organisations" in text
    assert "Page 3 of 3" in text
    assert _listed(staff.get("/organisations/?page=3")) == ["Protection Civile"]


def test_countries_are_named_in_the_users_language(staff, demo):
    with demo.app_context():
        db.session.scalar(select(User).filter_by(email="staff@lublin.example")).language = "uk"
        db.session.commit()
    html = staff.get("/organisations/new").get_data(as_text=True)
    assert '<option selected value="PL">Польща</option>' in html
    assert '<option value="UA">Україна</option>' in html


def test_the_accountant_reads_organisations_but_cannot_change_them(demo):
    accountant = client_of(demo, ACCOUNTANT)
    assert accountant.get("/organisations/").status_code == 200
    assert accountant.get("/organisations/1").status_code == 200
    before = stored_rows(demo, Organisation)
    assert accountant.get("/organisations/new").status_code == 403
    assert accountant.post("/organisations/new", data=RED_CROSS).status_code == 403
    assert accountant.get("/organisations/1/edit").status_code == 403
    assert accountant.post("/organisations/1/edit", data=RED_CROSS).status_code == 403
    assert stored_rows(demo, Organisation) == before


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/organisations/"),
        ("GET", "/organisations/1"),
        ("GET", "/organisations/new"),
        ("POST", "/organisations/new"),
        ("POST", "/organisations/1/edit"),
    ],
)
def test_a_partner_gets_403_on_organisations(demo, method, url):
    before = stored_rows(demo, Organisation)
    assert client_of(demo, PARTNER).open(url, method=method, data=RED_CROSS).status_code == 403
    assert stored_rows(demo, Organisation) == before
