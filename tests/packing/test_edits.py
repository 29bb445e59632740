"""Editing a packed shipment keeps its packing: saving the form writes the lines anew, and what
the units held of each line goes to the line written at the same place with the same item."""

from decimal import Decimal

from sqlalchemy import select

from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from tests.conftest import form_fields
from tests.packing.helpers import DRAFT, bulk, packed, packing_rows, shipment, units

EDIT = f"/shipments/{DRAFT}/edit"


def save_form(client, **changes):
    fields = form_fields(client.get(EDIT))
    fields.update(changes)
    response = client.post(EDIT, data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_saving_the_shipment_form_unchanged_keeps_every_unit_full(demo, staff):
    bulk(staff, demo, pallets="2")
    with demo.app_context():
        before = units(DRAFT)
    save_form(staff, notes="Loading dock 3.")
    with demo.app_context():
        assert units(DRAFT) == before
        assert packed(DRAFT) == Decimal(250)


def test_fewer_kits_leave_the_last_boxes_lighter(demo, staff):
    bulk(staff, demo, pallets="2")
    save_form(staff, **{"lines-0-quantity": "240"})
    with demo.app_context():
        contents = [row[4].get(1) for row in units(DRAFT)[2:]]
        assert contents == [Decimal(25)] * 9 + [Decimal(15)]


def test_a_line_whose_item_changed_is_no_longer_packed(demo, staff):
    bulk(staff, demo, pallets="1")
    with demo.app_context():
        blanket = db.session.scalar(select(CatalogueItem.id).filter_by(name_en="Wool blanket"))
    save_form(staff, **{"lines-0-item": str(blanket)})
    with demo.app_context():
        assert packed(DRAFT) == Decimal(0)
        assert len(units(DRAFT)) == 11  # the units stay, empty, to be filled again


def test_deleting_a_packed_draft_deletes_its_units(demo, staff):
    bulk(staff, demo, pallets="1")
    with demo.app_context():
        version = shipment(DRAFT).version
    response = staff.post(f"/shipments/{DRAFT}/delete", data={"delete-version": str(version)})
    assert response.status_code == 302
    with demo.app_context():
        assert shipment(DRAFT) is None
        assert packing_rows() == (0, 0)
