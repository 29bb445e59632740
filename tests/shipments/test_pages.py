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
    assert "Not a valid" not in text
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


def _references(response) -> list[str]:
    import re

    return re.findall(r"LUB-\w{3}-\d{4}-\d{4}", page_text(response).split("Search")[-1])


def test_staff_searches_by_reference_item_and_donor(staff):
    assert _references(staff.get("/shipments/?q=krr-2023-0002")) == ["LUB-KRR-2023-0002"]
    assert _references(staff.get("/shipments/?q=generator")) == ["LUB-KRR-2023-0002"]
    assert _references(staff.get("/shipments/?q=paracetamol")) == ["LUB-KRR-2023-0001"]
    assert _references(staff.get("/shipments/?q=textiles")) == ["LUB-KRR-2022-0002"]
    assert _references(staff.get("/shipments/?q=Рис")) == ["LUB-LUT-2023-0001"]


def test_staff_filters_by_status_customs_destination_category_and_dates(staff, demo):
    assert _references(staff.get("/shipments/?status=received")) == [
        "LUB-KRR-2022-0002",
        "LUB-KRR-2022-0001",
    ]
    assert _references(staff.get("/shipments/?customs_status=under_inspection")) == [
        "LUB-KRR-2023-0001"
    ]
    with demo.app_context():
        lutsk = db.session.scalar(db.select(City.id).filter_by(code="LUT"))
    assert _references(staff.get(f"/shipments/?destination={lutsk}")) == ["LUB-LUT-2023-0001"]
    assert _references(staff.get("/shipments/?category=energy")) == ["LUB-KRR-2023-0002"]
    in_march = staff.get("/shipments/?departure_from=2023-03-01&departure_to=2023-03-31")
    assert _references(in_march) == ["LUB-KRR-2023-0002", "LUB-KRR-2023-0001"]
    planned_april = staff.get("/shipments/?departure_from=2023-04-01")
    assert _references(planned_april) == ["LUB-KRR-2023-0004", "LUB-KRR-2023-0003"]


def test_staff_sorts_the_list(staff):
    by_reference = _references(staff.get("/shipments/?sort=reference"))
    assert by_reference == sorted(by_reference)
    earliest = _references(staff.get("/shipments/?sort=departure_asc"))
    assert earliest[0] == "LUB-KRR-2022-0001"


def test_a_filter_with_nothing_found_says_so(staff):
    text = page_text(staff.get("/shipments/?q=caviar"))
    assert "No shipment matches" in text


def test_nonsense_filters_are_reported_and_ignored(staff):
    response = staff.get("/shipments/?status=teleported&departure_from=yesterday&destination=x")
    assert response.status_code == 200
    text = page_text(response)
    assert "Not a valid choice" in text
    assert "Not a valid date value" in text
    assert "7 shipments" in text


def test_a_partner_cannot_find_another_partners_shipment_by_searching(demo):
    from tests.conftest import log_in

    client = demo.test_client()
    log_in(client, "partner@lutsk.example")
    assert _references(client.get("/shipments/?q=generator")) == []
    assert _references(client.get("/shipments/?q=KRR")) == []


def test_filters_are_kept_when_paging(staff, demo):
    _add_shipments(demo, 60)
    html = staff.get("/shipments/?q=LUB-KRR-2024&sort=reference").get_data(as_text=True)
    assert "page=2" in html
    assert "q=LUB-KRR-2024" in html
    second = page_text(staff.get("/shipments/?q=LUB-KRR-2024&sort=reference&page=2"))
    assert "LUB-KRR-2024-0060" in second
    assert "LUB-KRR-2022" not in second
