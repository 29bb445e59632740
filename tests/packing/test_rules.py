"""The arithmetic of packing, without an application: boxes, pallets, numbers, and receipt."""

from decimal import Decimal

import pytest

from aidtracker.packing.rules import (
    ARRIVED_WHOLE,
    AS_CONTAINER,
    OPENED,
    ArrivedPart,
    PackingRuleError,
    check_dimensions,
    check_quantity,
    check_weight,
    combine_parts,
    effective_states,
    plan_bulk,
)

D = Decimal


def test_forty_boxes_of_twenty_five_kits_on_four_pallets_is_one_plan():
    plan = plan_bulk(D(1000), D(25), 4)
    assert plan.box_quantities == (D(25),) * 40
    assert plan.boxes_per_pallet == (10, 10, 10, 10)


def test_the_last_box_takes_the_rest_and_the_first_pallets_one_box_more():
    plan = plan_bulk(D(260), D(25), 3)
    assert plan.box_quantities == (D(25),) * 10 + (D(10),)
    assert plan.boxes_per_pallet == (4, 4, 3)
    assert sum(plan.box_quantities) == D(260)


def test_boxes_without_pallets_stand_alone():
    assert plan_bulk(D("12.5"), D(5), 0).boxes_per_pallet == ()
    assert plan_bulk(D("12.5"), D(5), 0).box_quantities == (D(5), D(5), D("2.5"))


@pytest.mark.parametrize(
    ("quantity", "per_box", "pallets", "field"),
    [
        (D(100), D(25), 5, "pallets"),  # 4 boxes cannot fill 5 pallets
        (D(100), D(25), -1, "pallets"),
        (D(10**6), D(1), 0, "per_unit"),  # a million boxes: a typing slip
        (D(100), D(0), 0, "per_unit"),
        (D(100), D(-5), 0, "per_unit"),
        (D(100), D("0.0001"), 0, "per_unit"),
    ],
)
def test_plans_that_make_no_sense_are_refused_and_name_their_field(
    quantity, per_box, pallets, field
):
    with pytest.raises(PackingRuleError) as refused:
        plan_bulk(quantity, per_box, pallets)
    assert refused.value.field == field


@pytest.mark.parametrize(
    "value", [None, D(0), D(-1), D("NaN"), D("Infinity"), D(10) ** 11, D("1.0001")]
)
def test_a_quantity_is_positive_finite_below_the_column_limit_with_three_decimals(value):
    with pytest.raises(PackingRuleError):
        check_quantity("quantity", value)


def test_weights_may_be_left_out_but_not_negative_or_huge():
    assert check_weight("w", None) is None
    assert check_weight("w", D("412.5")) == D("412.5")
    for wrong in (D(-1), D(10) ** 9, D("0.0001"), D("NaN")):
        with pytest.raises(PackingRuleError):
            check_weight("w", wrong)


def test_dimensions_are_all_three_or_none():
    assert check_dimensions(None, None, None) is None
    assert check_dimensions(D(120), D(80), D("144.5")).height_cm == D("144.5")
    with pytest.raises(PackingRuleError) as refused:
        check_dimensions(D(120), None, D(100), prefix="pallet_")
    assert refused.value.field == "pallet_width_cm"
    for wrong in (D(0), D(-3), D(10) ** 6, D("1.25")):
        with pytest.raises(PackingRuleError):
            check_dimensions(D(10), D(10), wrong)


def test_a_box_on_a_missing_pallet_is_missing_unless_said_otherwise():
    parents = {1: None, 2: 1, 3: 1, 4: None, 5: 4}
    states = effective_states(
        {1: "missing", 2: AS_CONTAINER, 3: "damaged", 4: OPENED, 5: AS_CONTAINER}, parents
    )
    assert states == {1: "missing", 2: "missing", 3: "damaged", 4: OPENED, 5: ARRIVED_WHOLE}


def test_a_unit_on_nothing_that_follows_its_container_arrived_whole():
    assert effective_states({1: AS_CONTAINER}, {1: None}) == {1: ARRIVED_WHOLE}


def test_parts_of_a_line_add_up_and_the_worst_condition_wins_except_missing_parts():
    whole = ArrivedPart(D(25), D(25), "good")
    lost = ArrivedPart(D(25), D(0), "missing")
    broken = ArrivedPart(D(25), D(25), "damaged")
    assert combine_parts([whole, whole]) == (D(50), "good")
    assert combine_parts([whole, lost]) == (D(25), "good")  # short by a missing box
    assert combine_parts([whole, lost, broken]) == (D(50), "damaged")
    assert combine_parts([lost, lost]) == (D(0), "missing")
