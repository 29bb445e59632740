"""Packing a shipment: bulk packing from line quantities, nesting, numbering n/N, totals, and
every refusal leaving the database as it was."""

from decimal import Decimal

import pytest

from aidtracker.auth.models import Role
from aidtracker.auth.permissions import ShipmentAccess
from aidtracker.auth.service import create_user
from aidtracker.extensions import db
from aidtracker.packing import service
from aidtracker.packing.models import UnitKind
from aidtracker.packing.service import (
    BulkPacking,
    PackingFieldErrors,
    PackingLocked,
    UnitDetails,
    UnitNotFound,
)
from aidtracker.parties.models import Organisation
from aidtracker.shipments.models import ShipmentLine
from aidtracker.shipments.status import NotPermitted
from tests.packing.helpers import (
    DISPATCHED,
    DRAFT,
    packed,
    packing_rows,
    shipment,
    units,
    user,
)

D = Decimal


def pack_kits(per_box="25", pallets=2, **details):
    """The demo draft's 250 family hygiene kits, in boxes on pallets."""
    draft = shipment(DRAFT)
    order = BulkPacking(line_id=draft.lines[0].id, per_unit=D(per_box), pallets=pallets, **details)
    return service.pack_line(draft, order, by=user())


def test_ten_boxes_of_twenty_five_kits_on_two_pallets_in_one_step(demo):
    with demo.app_context():
        result = pack_kits()
        assert (len(result.pallets), len(result.boxes)) == (2, 10)
        rows = units(DRAFT)
    assert [row[0] for row in rows] == list(range(1, 13))
    assert [row[1] for row in rows[:2]] == ["pallet", "pallet"]
    assert [row[2] for row in rows[2:]] == [1] * 5 + [2] * 5
    # The line weighs 1,000 kg for 250 kits: a box of 25 weighs its share, 100 kg.
    assert {row[3] for row in rows[2:]} == {D("100.000")}
    assert all(row[4] == {1: D(25)} for row in rows[2:])


def test_totals_count_units_packages_weight_and_volume_of_the_outer_units(demo):
    with demo.app_context():
        pack_kits(
            length_cm=D(60),
            width_cm=D(40),
            height_cm=D(40),
            pallet_length_cm=D(120),
            pallet_width_cm=D(80),
            pallet_height_cm=D(150),
        )
        totals = service.packing_totals(service.units_of(shipment(DRAFT)))
    assert totals.units == 12
    assert totals.by_kind == {UnitKind.PALLET: 2, UnitKind.BOX: 10}
    assert totals.packages == 2
    assert totals.gross_weight_kg == D(1000)  # pallets not weighed: the boxes on them
    assert totals.unweighed == 0
    assert totals.volume_m3 == D("2.880")  # two pallets of 1.2 × 0.8 × 1.5 m
    assert totals.unmeasured == 0


def test_a_weighed_pallet_counts_as_weighed_and_an_empty_unit_as_unweighed(demo):
    with demo.app_context():
        pack_kits(pallets=1)
        draft = shipment(DRAFT)
        service.change_unit(draft, 1, UnitDetails(gross_weight_kg=D("1025.5")), by=user())
        service.add_unit(draft, UnitDetails(kind=UnitKind.CRATE), by=user())
        totals = service.packing_totals(service.units_of(draft))
    assert totals.packages == 2
    assert totals.gross_weight_kg == D("1025.5")
    assert totals.unweighed == 1


def test_packing_part_of_a_line_leaves_the_rest_to_pack_and_then_refuses_more(demo):
    with demo.app_context():
        pack_kits(per_box="30", pallets=0, quantity=D(100))
        assert [row[4][1] for row in units(DRAFT)] == [D(30), D(30), D(30), D(10)]
        pack_kits(pallets=0)  # the rest: 150 in 6 boxes
        assert packed(DRAFT) == D(250)
        before = packing_rows()
        with pytest.raises(PackingFieldErrors) as refused:
            pack_kits(pallets=0)
        assert "packed already" in refused.value.errors["line"]
        assert packing_rows() == before


def test_over_packing_a_line_is_refused_and_nothing_is_written(demo):
    with demo.app_context():
        before = packing_rows()
        with pytest.raises(PackingFieldErrors) as refused:
            pack_kits(quantity=D(251))
        assert refused.value.errors == {"quantity": "Only 250 set of this line are left to pack."}
        draft = shipment(DRAFT)
        unit = service.add_unit(draft, UnitDetails(kind=UnitKind.BOX), by=user())
        service.put_in_unit(
            draft, unit.number, by=user(), line_id=draft.lines[0].id, quantity=D(200)
        )
        with pytest.raises(PackingFieldErrors):
            service.put_in_unit(
                draft, unit.number, by=user(), line_id=draft.lines[0].id, quantity=D("50.001")
            )
        assert packed(DRAFT) == D(200)
        assert packing_rows() == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize(
    ("per_box", "pallets", "field"),
    [
        ("0", 0, "per_unit"),
        ("-5", 0, "per_unit"),
        ("1e12", 0, "per_unit"),
        ("0.001", 0, "per_unit"),
        ("25", 11, "pallets"),
        ("25", -2, "pallets"),
    ],
)
def test_bulk_packing_with_numbers_that_make_no_sense_writes_nothing(demo, per_box, pallets, field):
    with demo.app_context():
        with pytest.raises(PackingFieldErrors) as refused:
            pack_kits(per_box=per_box, pallets=pallets)
        assert field in refused.value.errors
        assert packing_rows() == (0, 0)


def test_a_dispatched_shipment_cannot_be_repacked(demo):
    with demo.app_context():
        with pytest.raises(PackingLocked) as refused:
            service.add_unit(shipment(DISPATCHED), UnitDetails(kind=UnitKind.PALLET), by=user())
        assert "dispatched shipment cannot be repacked" in str(refused.value)
        assert packing_rows() == (0, 0)


def test_only_users_who_edit_shipments_pack(demo):
    with demo.app_context():
        draft = shipment(DRAFT)
        for email in ("partner@kryvyirih.example", "accountant@lublin.example"):
            with pytest.raises(NotPermitted):
                service.pack_line(
                    draft, BulkPacking(line_id=draft.lines[0].id, per_unit=D(25)), by=user(email)
                )
            with pytest.raises(NotPermitted):
                service.add_unit(draft, UnitDetails(kind=UnitKind.BOX), by=user(email))
        assert packing_rows() == (0, 0)


def test_a_line_of_another_shipment_cannot_be_packed_here(demo):
    with demo.app_context():
        other_line = shipment(DISPATCHED).lines[0].id
        draft = shipment(DRAFT)
        with pytest.raises(PackingFieldErrors) as refused:
            service.pack_line(draft, BulkPacking(line_id=other_line, per_unit=D(5)), by=user())
        assert "line" in refused.value.errors
        unit = service.add_unit(draft, UnitDetails(kind=UnitKind.BOX), by=user())
        with pytest.raises(PackingFieldErrors):
            service.put_in_unit(draft, unit.number, by=user(), line_id=other_line, quantity=D(1))
        assert packing_rows() == (1, 0)


def test_a_unit_cannot_go_inside_itself_or_a_unit_it_carries(demo):
    with demo.app_context():
        pack_kits(pallets=1)  # pallet 1 carries boxes 2 to 11
        draft = shipment(DRAFT)
        service.change_unit(draft, 2, UnitDetails(parent_number=None), by=user())
        service.change_unit(draft, 3, UnitDetails(parent_number=2), by=user())  # box on box
        for number, parent in ((1, 1), (2, 3), (1, 4)):
            with pytest.raises(PackingFieldErrors) as refused:
                service.change_unit(draft, number, UnitDetails(parent_number=parent), by=user())
            assert refused.value.errors == {
                "parent": "A unit cannot go inside itself or a unit it carries."
            }
        with pytest.raises(PackingFieldErrors):
            service.change_unit(draft, 1, UnitDetails(parent_number=99), by=user())
        rows = units(DRAFT)
    assert [row[2] for row in rows[:4]] == [None, None, 2, 1]


def test_removing_a_unit_numbers_the_others_anew_and_keeps_what_stood_on_it(demo):
    with demo.app_context():
        pack_kits(pallets=2)
        draft = shipment(DRAFT)
        service.remove_unit(draft, 1, by=user())  # the first pallet: its boxes stay
        rows = units(DRAFT)
        assert [row[0] for row in rows] == list(range(1, 12))
        assert [row[1] for row in rows[:2]] == ["pallet", "box"]
        assert [row[2] for row in rows[1:]] == [None] * 5 + [1] * 5
        service.remove_unit(draft, 2, by=user())  # a box: its kits are no longer packed
        assert packed(DRAFT) == D(225)
        with pytest.raises(UnitNotFound):
            service.remove_unit(draft, 11, by=user())
        assert service.remove_all_units(draft, by=user()) == 10
        assert packing_rows() == (0, 0)


def test_weights_and_dimensions_of_a_unit_are_checked_together(demo):
    with demo.app_context():
        draft = shipment(DRAFT)
        with pytest.raises(PackingFieldErrors) as refused:
            service.add_unit(
                draft,
                UnitDetails(kind=UnitKind.PALLET, gross_weight_kg=D(-1), length_cm=D(120)),
                by=user(),
            )
        assert set(refused.value.errors) == {"gross_weight_kg", "width_cm"}
        with pytest.raises(PackingFieldErrors):
            service.add_unit(draft, UnitDetails(kind="barrel"), by=user())
        assert packing_rows() == (0, 0)


def test_a_donor_only_partner_sees_only_the_units_with_its_goods(demo):
    with demo.app_context():
        draft = shipment(DRAFT)
        textiles = (
            db.session.query(Organisation).filter_by(name="Example Textiles Sp. z o.o.").one()
        )
        blanket = ShipmentLine(
            position=2,
            item=draft.lines[0].item,
            quantity=D(10),
            unit=draft.lines[0].unit,
            unit_value=D(1),
            currency="PLN",
            donor=textiles,
            funding="in_kind",
        )
        draft.lines.append(blanket)
        create_user(
            email="csr@textiles.example",
            password="partner password 1",
            role=Role.PARTNER,
            organisation=textiles,
        )
        db.session.commit()
        pack_kits(pallets=1)
        box = service.add_unit(draft, UnitDetails(kind=UnitKind.BOX, parent_number=1), by=user())
        service.put_in_unit(draft, box.number, by=user(), line_id=blanket.id, quantity=D(10))
        access = ShipmentAccess(user("csr@textiles.example"), shipment(DRAFT))
        seen = service.visible_units(service.units_of(shipment(DRAFT)), access)
    assert [unit.number for unit in seen] == [1, box.number]
