"""The packing pages: packing through the forms, bad input answered next to the field with the
database unchanged, other people's shipments, the labels and the summary on the shipment page."""

import re
from decimal import Decimal

import pytest
from flask import render_template_string
from flask_login import login_user
from sqlalchemy import select

from aidtracker.auth.permissions import ShipmentAccess
from aidtracker.extensions import db
from aidtracker.packing import service
from aidtracker.packing.labels import qr_svg_inline
from aidtracker.packing.models import PackingUnit
from aidtracker.shipments.models import Shipment
from tests.conftest import add_donated_line, log_in, page_text, partner_of
from tests.packing.helpers import (
    DISPATCHED,
    DRAFT,
    UNITS,
    bulk,
    line_id,
    packed,
    packing_rows,
    shipment,
    user,
)


def rows(app) -> tuple[int, int]:
    with app.app_context():
        return packing_rows()


def test_staff_pack_a_line_into_boxes_on_pallets_with_the_form(demo, staff):
    page = staff.get(UNITS)
    assert page.status_code == 200
    assert "Not packed in units yet." in page_text(page)
    response = bulk(staff, demo, pallets="2", length_cm="60", width_cm="40", height_cm="40")
    assert response.status_code == 302
    page = staff.get(response.headers["Location"])
    text = page_text(page)
    assert "Packed into 10 units on 2 pallets." in text
    assert "12 units (pallet: 2, box: 10)" in text
    assert "1,000 kg" in text
    assert "0.96 m³" in text  # ten boxes of 0.096 m³; the pallets were not measured
    assert re.search(r"3/12 Box 1/12 25 set Family hygiene kit 100 kg", text)
    with demo.app_context():
        assert packed(DRAFT) == Decimal(250)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"per_unit": "abc"}, "per_unit", "Not a valid decimal value."),
        ({"per_unit": ""}, "per_unit", "Enter a quantity."),
        ({"per_unit": "0"}, "per_unit", "The quantity must be more than zero."),
        ({"per_unit": "-25"}, "per_unit", "The quantity must be more than zero."),
        ({"per_unit": "1e30"}, "per_unit", "This quantity is too large."),
        ({"per_unit": "NaN"}, "per_unit", "Not a valid decimal value."),
        ({"per_unit": "0.1"}, "per_unit", "at most 1000 can be made in one step"),
        ({"pallets": "two"}, "pallets", "Not a valid integer value."),
        ({"pallets": "11"}, "pallets", "11 pallets for 10 boxes would leave pallets empty."),
        ({"pallets": "-1"}, "pallets", "The number of pallets cannot be negative."),
        ({"pallets": "99999999999999999999"}, "pallets", ""),
        ({"quantity": "300"}, "quantity", "Only 250 set of this line are left to pack."),
        ({"unit_weight_kg": "-3"}, "unit_weight_kg", "The weight cannot be negative."),
        ({"length_cm": "60"}, "width_cm", "Enter the length, the width and the height"),
        ({"pallet_height_cm": "0"}, "pallet_length_cm", "Enter the length, the width"),
        ({"kind": "pallet"}, "kind", "Not a valid choice."),
        ({"line": "abc"}, "line", "Not a valid choice."),
    ],
)
def test_bulk_packing_with_bad_input_says_why_and_packs_nothing(
    demo, staff, fields, field, message
):
    response = bulk(staff, demo, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="bulk-{field}"' in html
    assert 'aria-invalid="true"' in html
    assert message in page_text(response)
    assert rows(demo) == (0, 0)


def test_a_line_of_someone_elses_shipment_is_no_choice(demo, staff):
    response = bulk(staff, demo, line=str(line_id(demo, DISPATCHED)))
    assert response.status_code == 422
    assert rows(demo) == (0, 0)


def test_adding_changing_and_filling_a_unit_through_its_forms(demo, staff):
    response = staff.post(
        f"{UNITS}/new",
        data={"unit-kind": "pallet", "unit-parent": "", "unit-gross_weight_kg": "25,5"},
    )
    assert response.headers["Location"].endswith(f"{UNITS}/1")
    staff.post(f"{UNITS}/new", data={"unit-kind": "box", "unit-parent": "1"})
    response = staff.post(
        f"{UNITS}/2/contents", data={"content-line": str(line_id(demo)), "content-quantity": "40"}
    )
    assert response.status_code == 302
    page = staff.get(f"{UNITS}/2")
    assert "Packed in unit 2." in page_text(page)
    assert "40 set Family hygiene kit" in page_text(page)
    response = staff.post(
        f"{UNITS}/2/edit",
        data={
            "unit-kind": "crate",
            "unit-parent": "",
            "unit-length_cm": "80",
            "unit-width_cm": "60",
            "unit-height_cm": "50",
        },
    )
    assert response.status_code == 302
    with demo.app_context():
        crate = db.session.scalar(select(PackingUnit).filter_by(number=2))
        assert (crate.kind.value, crate.parent_id, crate.volume_m3) == (
            "crate",
            None,
            Decimal("0.24"),
        )


@pytest.mark.parametrize(
    ("url", "data", "field"),
    [
        ("/new", {"unit-kind": "barrel"}, "unit-kind"),
        ("/new", {"unit-kind": "box", "unit-parent": "7"}, "unit-parent"),
        ("/new", {"unit-kind": "box", "unit-gross_weight_kg": "heavy"}, "unit-gross_weight_kg"),
        ("/new", {"unit-kind": "box", "unit-gross_weight_kg": "1e12"}, "unit-gross_weight_kg"),
        ("/new", {"unit-kind": "box", "unit-height_cm": "-40"}, "unit-length_cm"),
        ("/1/edit", {"unit-kind": "box", "unit-parent": "1"}, "unit-parent"),
        ("/1/edit", {"unit-kind": "box", "unit-parent": "2"}, "unit-parent"),
        ("/1/edit", {"unit-kind": "box", "unit-width_cm": "0"}, "unit-length_cm"),
        ("/2/contents", {"content-line": "", "content-quantity": "1"}, "content-line"),
        ("/2/contents", {"content-quantity": "251"}, "content-quantity"),
        ("/2/contents", {"content-quantity": "-1"}, "content-quantity"),
        ("/2/contents", {"content-quantity": "ten"}, "content-quantity"),
    ],
)
def test_unit_forms_with_bad_input_say_why_and_change_nothing(demo, staff, url, data, field):
    staff.post(f"{UNITS}/new", data={"unit-kind": "pallet"})
    staff.post(f"{UNITS}/new", data={"unit-kind": "box", "unit-parent": "1"})
    data = {"content-line": str(line_id(demo)), **data} if "contents" in url else data
    with demo.app_context():
        before = [
            (u.kind, u.parent_id, u.gross_weight_kg)
            for u in db.session.scalars(select(PackingUnit))
        ]
    response = staff.post(UNITS + url, data=data)
    assert response.status_code == 422
    assert f'id="{field}"' in response.get_data(as_text=True)
    assert "is-invalid" in response.get_data(as_text=True)
    with demo.app_context():
        after = [
            (u.kind, u.parent_id, u.gross_weight_kg)
            for u in db.session.scalars(select(PackingUnit))
        ]
        assert after == before
        assert packing_rows() == (2, 0)


def test_a_unit_that_is_not_there_answers_404_or_says_it_is_gone(demo, staff):
    assert staff.get(f"{UNITS}/1").status_code == 404
    assert staff.get(f"{UNITS}/99999999999999").status_code == 404
    response = staff.post(f"{UNITS}/3/remove", follow_redirects=True)
    assert "This unit is no longer there" in page_text(response)


def test_a_dispatched_shipment_shows_its_units_but_offers_no_packing(demo, staff):
    assert "Pack a line in boxes" not in page_text(staff.get(f"/shipments/{DISPATCHED}/units"))
    response = staff.post(
        f"/shipments/{DISPATCHED}/units/new", data={"unit-kind": "box"}, follow_redirects=True
    )
    assert "A dispatched shipment cannot be repacked" in page_text(response)
    assert rows(demo) == (0, 0)


def test_partners_and_accountants_do_not_pack_and_nobody_sees_others_shipments(demo):
    partner_of(demo, "Lutsk City Council", "store@lutsk.example")
    for email, seen, packing in (
        ("accountant@lublin.example", 200, 403),
        ("partner@kryvyirih.example", 200, 403),  # the recipient sees the units
        ("store@lutsk.example", 404, 404),  # not a party to this shipment
    ):
        client = demo.test_client()
        password = "partner password 1" if email.startswith("store") else "aidtracker-demo"
        log_in(client, email, password)
        assert client.get(UNITS).status_code == seen
        assert client.get(f"{UNITS}/labels").status_code == seen
        assert bulk(client, demo).status_code == packing
        assert client.post(f"{UNITS}/unpack").status_code == packing
    assert rows(demo) == (0, 0)


def test_labels_show_reference_n_of_n_destination_contents_weight_statement_and_qr(demo, staff):
    bulk(staff, demo, pallets="2")
    response = staff.get(f"{UNITS}/labels")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    labels = re.findall(r'<article class="unit-label".*?</article>', html, flags=re.S)
    assert len(labels) == 12
    assert 'class="labels labels-sheet"' in html
    assert "css/labels.css" in html
    assert " style=" not in html
    assert "<script" not in html
    first = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", labels[0]))
    assert f"{DRAFT} 1/12 Pallet" in first
    assert "Kryvyi Rih (UA), Kryvyi Rih City Council" in first
    assert "5 × box" in first
    assert "125 set Family hygiene kit / Сімейний гігієнічний набір" in first
    assert "500 kg" in first
    assert "Humanitarian aid, not for sale / Гуманітарна допомога, не для продажу" in first
    with demo.app_context():
        draft = shipment(DRAFT)
        url = f"http://localhost/track/{draft.tracking_token}/units/3"
    assert str(qr_svg_inline(url)) in labels[2]
    single = staff.get(f"{UNITS}/labels?layout=single&unit=3")
    assert 'class="labels labels-single"' in single.get_data(as_text=True)
    assert single.get_data(as_text=True).count('<article class="unit-label"') == 1
    assert staff.get(f"{UNITS}/labels?unit=13").status_code == 404
    assert staff.get(f"{UNITS}/labels?layout=<script>").status_code == 200


def test_a_donor_only_partner_sees_its_units_but_no_labels_that_sum_up_others_goods(demo, staff):
    add_donated_line(demo, DRAFT, "Example Textiles Sp. z o.o.")
    partner_of(demo, "Example Textiles Sp. z o.o.", "csr@textiles.example")
    bulk(staff, demo, pallets="1")  # the kits, which Example Textiles did not give
    client = demo.test_client()
    log_in(client, "csr@textiles.example", "partner password 1")
    page = client.get(UNITS)
    assert page.status_code == 200
    assert "Family hygiene kit" not in page_text(page)
    assert "Wool blanket" in page_text(page)  # its own line, not packed yet
    assert client.get(f"{UNITS}/1").status_code == 404
    assert client.get(f"{UNITS}/labels").status_code == 404


def test_the_shipment_page_summary_shows_units_weight_volume_and_links(demo, staff):
    bulk(staff, demo, pallets="2", length_cm="60", width_cm="40", height_cm="40")
    with demo.test_request_context():
        login_user(user())
        draft = shipment(DRAFT)
        html = render_template_string(
            '{% include "packing/_summary.html" %}', access=ShipmentAccess(user(), draft)
        )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "12 units (pallet: 2, box: 10)" in text
    assert "Packages 2" in text
    assert "1,000 kg" in text
    assert "0.96 m³" in text
    assert f'href="/shipments/{DRAFT}/units"' in html
    assert f'href="/shipments/{DRAFT}/units/labels"' in html


def test_the_summary_of_an_unpacked_shipment_invites_staff_to_pack(demo):
    with demo.test_request_context():
        accountant = user("accountant@lublin.example")
        draft = shipment(DRAFT)
        for who, link in ((user(), True), (accountant, False)):
            html = render_template_string(
                '{% include "packing/_summary.html" %}', access=ShipmentAccess(who, draft)
            )
            assert "Not packed in units yet." in html
            assert ("Pack into units" in html) is link
            assert "Print labels" not in html


def test_removing_all_units_unpacks_the_shipment(demo, staff):
    bulk(staff, demo, pallets="1")
    response = staff.post(f"{UNITS}/unpack", follow_redirects=True)
    assert "All 11 units removed: nothing is packed now." in page_text(response)
    assert rows(demo) == (0, 0)
    with demo.app_context():
        assert db.session.scalar(select(Shipment.status).filter_by(reference=DRAFT)).value == (
            "draft"
        )


def test_service_totals_agree_with_the_page(demo, staff):
    bulk(staff, demo, pallets="2", unit_weight_kg="101.5")
    with demo.app_context():
        totals = service.packing_totals(service.units_of(shipment(DRAFT)))
    assert totals.gross_weight_kg == Decimal("1015.000")
    assert "1,015 kg" in page_text(staff.get(UNITS))
