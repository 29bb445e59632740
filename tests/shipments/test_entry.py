"""City staff enter a shipment with its lines in one form, and edit it until it leaves."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.models import CatalogueItem, City, Organisation, Shipment, ShipmentLine, StatusEvent
from aidtracker.shipments.entry import LineEntry, ShipmentEntry, create_shipment
from tests.conftest import form_fields, log_in, page_text


def _ids(app) -> dict:
    with app.app_context():

        def city(code):
            return db.session.scalar(select(City.id).filter_by(code=code))

        def organisation(name):
            return db.session.scalar(select(Organisation.id).filter_by(name=name))

        def item(name):
            return db.session.scalar(select(CatalogueItem.id).filter_by(name_en=name))

        return {
            "LUB": city("LUB"),
            "KRR": city("KRR"),
            "LUT": city("LUT"),
            "lublin": organisation("City of Lublin"),
            "kryvyi_rih": organisation("Kryvyi Rih City Council"),
            "fleet": organisation("Lublin Municipal Fleet"),
            "fundraiser": organisation("Lublin Residents' Fundraiser"),
            "textiles": organisation("Example Textiles Sp. z o.o."),
            "rice": item("Rice 1 kg"),
            "blanket": item("Wool blanket"),
            "paracetamol": item("Paracetamol 500 mg ×20"),
        }


def _form(ids, **changes) -> dict:
    """A complete, valid shipment form with three lines; `changes` override fields."""
    data = {
        "origin_city": ids["LUB"],
        "destination_city": ids["KRR"],
        "sender": ids["lublin"],
        "recipient": ids["kryvyi_rih"],
        "carrier": ids["fleet"],
        "transport_mode": "road",
        "vehicle_registration": "LU 1234A",
        "driver_name": "Jan Kowalski",
        "cmr_number": "CMR-1",
        "planned_departure": "2024-05-06",
        "notes": "Urgent winter aid",
        "lines-0-item": ids["rice"],
        "lines-0-quantity": "1000",
        "lines-0-donor": ids["fundraiser"],
        "lines-0-funding": "purchased",
        "lines-1-item": ids["blanket"],
        "lines-1-quantity": "200",
        "lines-1-unit_value": "50,00",
        "lines-1-currency": "pln",
        "lines-1-donor": ids["textiles"],
        "lines-1-funding": "in_kind",
        "lines-1-gross_weight_kg": "320.5",
        "lines-2-item": ids["paracetamol"],
        "lines-2-quantity": "1 200",
        "lines-2-donor": ids["fundraiser"],
        "lines-2-funding": "purchased",
        "lines-2-lot": " PCM-9 ",
        "lines-2-expiry": "2026-12-31",
        "lines-3-item": "",
        "lines-3-quantity": "",
        "lines-3-funding": "in_kind",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Shipment, ShipmentLine, StatusEvent)
        )


def test_staff_enters_a_shipment_with_three_lines_and_gets_its_reference(staff, demo):
    ids = _ids(demo)
    response = staff.post("/shipments/new", data=_form(ids))
    assert response.status_code == 302
    assert response.location == "/shipments/LUB-KRR-2024-0001"
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2024-0001"))
        assert shipment.status == "draft"
        assert shipment.customs_status == "documents_pending"
        assert shipment.created_by.email == "staff@lublin.example"
        rice, blanket, paracetamol = shipment.lines
        assert (rice.quantity, rice.unit, rice.unit_value, rice.currency) == (
            Decimal("1000"),
            "pcs",
            Decimal("5.60"),
            "PLN",
        )
        assert (blanket.unit_value, blanket.currency, blanket.gross_weight_kg) == (
            Decimal("50.00"),
            "PLN",
            Decimal("320.5"),
        )
        assert (paracetamol.quantity, paracetamol.lot, paracetamol.expiry) == (
            Decimal("1200"),
            "PCM-9",
            date(2026, 12, 31),
        )
        assert [event.to_status for event in shipment.events] == ["draft", "documents_pending"]
    text = page_text(staff.get("/shipments/LUB-KRR-2024-0001"))
    assert "saved as a draft" in text
    assert "Paracetamol 500 mg ×20" in text


def test_references_count_per_route_and_year(staff, demo):
    ids = _ids(demo)
    first = staff.post("/shipments/new", data=_form(ids)).location
    second = staff.post("/shipments/new", data=_form(ids)).location
    to_lutsk = staff.post("/shipments/new", data=_form(ids, destination_city=ids["LUT"])).location
    next_year = staff.post(
        "/shipments/new", data=_form(ids, planned_departure="2025-01-02")
    ).location
    assert [first, second, to_lutsk, next_year] == [
        "/shipments/LUB-KRR-2024-0001",
        "/shipments/LUB-KRR-2024-0002",
        "/shipments/LUB-LUT-2024-0001",
        "/shipments/LUB-KRR-2025-0001",
    ]
    demo_2023 = staff.post("/shipments/new", data=_form(ids, planned_departure="2023-06-01"))
    assert demo_2023.location == "/shipments/LUB-KRR-2023-0005"


def test_a_shipment_inside_the_eu_customs_union_needs_no_customs(staff, demo):
    with demo.app_context():
        db.session.add(City(code="LEI", name="Leipzig", country="DE"))
        db.session.commit()
        leipzig = db.session.scalar(select(City.id).filter_by(code="LEI"))
    staff.post("/shipments/new", data=_form(_ids(demo), destination_city=leipzig))
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference="LUB-LEI-2024-0001"))
        assert shipment.customs_status == "not_required"


BAD_LINES = [
    ({"lines-0-quantity": "-5"}, "The quantity must be more than zero."),
    ({"lines-0-quantity": "0"}, "The quantity must be more than zero."),
    ({"lines-0-quantity": "lots"}, "Not a valid decimal value."),
    ({"lines-0-quantity": "NaN"}, "Not a valid decimal value."),
    ({"lines-0-quantity": ""}, "Enter the quantity."),
    ({"lines-0-item": ""}, "Choose an item."),
    ({"lines-0-item": "999999"}, "Not a valid choice"),
    ({"lines-1-unit_value": "-1"}, "The unit value cannot be negative."),
    ({"lines-1-currency": "XYZ"}, "XYZ is not an ISO 4217 currency code."),
    ({"lines-1-currency": "EURO"}, "Three letters, e.g. PLN."),
    ({"lines-1-gross_weight_kg": "-3"}, "The weight cannot be negative."),
    ({"lines-2-lot": ""}, "Medical goods need a lot number."),
    ({"lines-2-expiry": ""}, "Medical goods need an expiry date."),
    ({"lines-2-expiry": "2024-05-01"}, "This expires before the shipment leaves"),
    ({"lines-2-expiry": "31.12.2026"}, "Not a valid date value."),
    ({"lines-0-donor": ""}, "Name the donor whose money bought this."),
    ({"destination_city": "LUB"}, "The destination must differ from the origin."),
    ({"sender": ""}, "Choose the sender."),
    ({"planned_departure": "tomorrow"}, "Not a valid date value."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_LINES)
def test_bad_input_is_named_next_to_its_field_and_nothing_is_written(staff, demo, changes, message):
    ids = _ids(demo)
    changes = {key: ids.get(value, value) for key, value in changes.items()}
    before = _counts(demo)
    response = staff.post("/shipments/new", data=_form(ids, **changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in page_text(response)
    assert 'class="invalid-feedback"' in html
    assert _counts(demo) == before
    assert 'value="Urgent winter aid"' in html or "Urgent winter aid" in html  # kept as typed


def test_a_line_without_a_catalogue_value_needs_one(staff, demo):
    ids = _ids(demo)
    with demo.app_context():
        db.session.get(CatalogueItem, ids["rice"]).default_unit_value = None
        db.session.commit()
    response = staff.post("/shipments/new", data=_form(ids))
    assert "Enter the unit value: the catalogue has no default for it." in page_text(response)


def test_add_more_lines_offers_empty_rows_without_saving(staff, demo):
    ids = _ids(demo)
    before = _counts(demo)
    response = staff.post("/shipments/new", data=_form(ids, add_lines="Add more lines"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="lines-6-item"' in html
    assert _counts(demo) == before


def _edit_form(client, reference) -> dict:
    return form_fields(client.get(f"/shipments/{reference}/edit"))


def test_staff_edits_a_draft_removing_one_line_and_changing_another(staff, demo):
    fields = _edit_form(staff, "LUB-KRR-2023-0003")
    assert fields["lines-0-quantity"] == "250"
    fields["lines-0-quantity"] = "300"
    fields["notes"] = "Now 300 kits"
    response = staff.post("/shipments/LUB-KRR-2023-0003/edit", data=fields)
    assert response.status_code == 302
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0003"))
        assert [line.quantity for line in shipment.lines] == [Decimal("300")]
        assert shipment.notes == "Now 300 kits"
        assert shipment.version == 2

    fields = _edit_form(staff, "LUB-KRR-2023-0003")
    fields["lines-0-remove"] = "y"
    staff.post("/shipments/LUB-KRR-2023-0003/edit", data=fields)
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0003"))
        assert shipment.lines == []


def test_the_second_of_two_people_editing_at_once_is_refused_and_keeps_what_they_typed(demo):
    first, second = demo.test_client(), demo.test_client()
    log_in(first, "staff@lublin.example")
    log_in(second, "admin@lublin.example")
    first_form = _edit_form(first, "LUB-KRR-2023-0003")
    second_form = _edit_form(second, "LUB-KRR-2023-0003")

    first_form["notes"] = "Loaded on Monday"
    assert first.post("/shipments/LUB-KRR-2023-0003/edit", data=first_form).status_code == 302

    second_form["notes"] = "Driver changed to Ewa"
    response = second.post("/shipments/LUB-KRR-2023-0003/edit", data=second_form)
    assert response.status_code == 409
    assert "Someone else saved this shipment while you were editing it." in page_text(response)
    assert "Driver changed to Ewa" in response.get_data(as_text=True)
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference="LUB-KRR-2023-0003"))
        assert shipment.notes == "Loaded on Monday"


def test_a_shipment_that_left_cannot_be_edited(staff, demo):
    response = staff.get("/shipments/LUB-KRR-2023-0002/edit")
    assert response.status_code == 302
    assert "cannot be edited" in page_text(staff.get(response.location))
    before = _counts(demo)
    fields = _form(_ids(demo), version="1")
    response = staff.post("/shipments/LUB-KRR-2023-0002/edit", data=fields)
    assert response.status_code == 422
    assert "cannot be edited" in page_text(response)
    assert _counts(demo) == before


@pytest.mark.parametrize("email", ["accountant@lublin.example", "partner@kryvyirih.example"])
def test_only_city_staff_and_admins_enter_shipments(demo, email):
    client = demo.test_client()
    log_in(client, email)
    assert client.get("/shipments/new").status_code == 403
    assert client.post("/shipments/new", data=_form(_ids(demo))).status_code == 403
    assert client.get("/shipments/LUB-KRR-2023-0003/edit").status_code == 403


def test_references_stay_unique_when_many_are_created_at_once(demo):
    ids = _ids(demo)
    references, errors = [], []

    def create():
        with demo.app_context():
            try:
                entry = ShipmentEntry(
                    origin_city=db.session.get(City, ids["LUB"]),
                    destination_city=db.session.get(City, ids["KRR"]),
                    sender=db.session.get(Organisation, ids["lublin"]),
                    planned_departure=date(2030, 1, 1),
                    lines=[
                        LineEntry(
                            item=db.session.get(CatalogueItem, ids["rice"]),
                            quantity=Decimal(1),
                            donor=None,
                            funding="in_kind",
                        )
                    ],
                )
                references.append(create_shipment(entry, by=None).reference)
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(references) == [f"LUB-KRR-2030-{n:04d}" for n in range(1, 9)]
