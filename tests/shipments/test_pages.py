"""Staff see the shipments list and open a shipment with its lines and its history."""

from datetime import date
from decimal import Decimal

from aidtracker.extensions import db
from aidtracker.models import CatalogueItem, City, Organisation, Shipment, ShipmentLine
from tests.conftest import QueryCounter, page_text


def test_the_list_shows_every_demo_shipment_with_its_status(staff):
    text = page_text(staff.get("/shipments/"))
    for reference in ["LUB-KRR-2022-0001", "LUB-LUT-2023-0001", "LUB-KRR-2023-0004"]:
        assert reference in text
    assert "7 shipments" in text
    assert "Received with discrepancy" in text
    assert "Under inspection" in text


def test_the_generator_shipment_shows_its_line_carrier_and_history(staff):
    response = staff.get("/shipments/LUB-KRR-2023-0002")
    text = page_text(response)
    assert response.status_code == 200
    assert "Diesel generator 100 kVA" in text
    assert "€25,000.00" in text
    assert "Protection Civile" in text
    assert "Ready → Dispatched" in text
    assert "Documents pending → Declared" in text
    assert "Dorohusk–Yahodyn" in text


def test_a_received_shipment_shows_what_arrived_and_in_which_condition(staff):
    text = page_text(staff.get("/shipments/LUB-LUT-2023-0001"))
    assert "1,750" in text
    assert "Damaged" in text
    assert "50 tins dented and leaking" in text
    assert "Total in PLN zł19,640.00" in text or "PLN19,640.00" in text


def test_a_reference_is_found_whatever_its_case(staff):
    assert staff.get("/shipments/lub-krr-2023-0002").status_code == 200


def test_an_unknown_reference_is_a_friendly_404_page(staff):
    response = staff.get("/shipments/LUB-KRR-1999-0001")
    assert response.status_code == 404
    text = page_text(response)
    assert "Page not found" in text
    assert "Traceback" not in text


def test_an_empty_database_shows_an_empty_state(app):
    from aidtracker.auth.models import Role
    from aidtracker.auth.service import create_user

    with app.app_context():
        create_user(email="first@city.example", password="a long enough password", role=Role.STAFF)
        db.session.commit()
    client = app.test_client()
    client.post(
        "/login", data={"email": "first@city.example", "password": "a long enough password"}
    )
    assert "No shipments yet" in page_text(client.get("/shipments/"))


def _add_shipments(app, count: int) -> None:
    with app.app_context():
        lublin = db.session.scalar(db.select(City).filter_by(code="LUB"))
        kryvyi_rih = db.session.scalar(db.select(City).filter_by(code="KRR"))
        sender = db.session.scalar(db.select(Organisation).filter_by(name="City of Lublin"))
        fleet = db.session.scalar(db.select(Organisation).filter_by(name="Lublin Municipal Fleet"))
        item = db.session.scalar(db.select(CatalogueItem).filter_by(name_en="Rice 1 kg"))
        for sequence in range(1, count + 1):
            db.session.add(
                Shipment(
                    reference=f"LUB-KRR-2024-{sequence:04d}",
                    reference_year=2024,
                    sequence=sequence,
                    origin_city=lublin,
                    destination_city=kryvyi_rih,
                    sender=sender,
                    recipient=sender,
                    carrier=fleet,
                    planned_departure=date(2024, 1, 1),
                    lines=[
                        ShipmentLine(
                            position=1,
                            item=item,
                            quantity=Decimal(10),
                            unit=item.unit,
                            unit_value=Decimal("5.60"),
                            currency="PLN",
                            funding="in_kind",
                        )
                    ],
                )
            )
        db.session.commit()


def test_the_list_needs_the_same_number_of_queries_for_few_or_many_rows(staff, demo):
    with demo.app_context():
        engine = db.engine
    with QueryCounter(engine) as few:
        staff.get("/shipments/")
    _add_shipments(demo, 40)
    with QueryCounter(engine) as many:
        text = page_text(staff.get("/shipments/"))
    assert "LUB-KRR-2024-0040" in text
    assert len(many) == len(few)


def test_long_lists_are_paginated(staff, demo):
    _add_shipments(demo, 60)
    first = page_text(staff.get("/shipments/"))
    assert "Page 1 of 2" in first
    assert "67 shipments" in first
    second = page_text(staff.get("/shipments/?page=2"))
    assert "Page 2 of 2" in second
    assert "LUB-KRR-2022-0001" in second
    assert "Page 2 of 2" in page_text(staff.get("/shipments/?page=99"))
    assert "Page 1 of 2" in page_text(staff.get("/shipments/?page=nonsense"))
