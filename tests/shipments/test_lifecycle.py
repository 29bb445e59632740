"""The lifecycle rules on their own: no app, no database, just DESIGN.md's "Lifecycle"."""

import ast
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from aidtracker.shipments import lifecycle as lc
from aidtracker.shipments.lifecycle import ShipmentFacts


def test_the_rules_import_nothing_but_the_standard_library():
    tree = ast.parse(Path(lc.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names), imported


def facts(status="draft", customs="not_required", **changes) -> ShipmentFacts:
    """A complete shipment (recipient, one line) in the given state."""
    values = {"has_recipient": True, "line_count": 1, "destination_country": "UA"}
    values.update(changes)
    return ShipmentFacts(status=status, customs_status=customs, **values)


def move(state: ShipmentFacts, action: str, **details) -> str:
    """Where `action` leads from `state` (with a reason and a declaration number at hand)."""
    details.setdefault("reason", "a reason")
    details.setdefault("declaration_number", "23PL301020E0006377")
    return lc.check(state, action, **details).target


# Every allowed move -------------------------------------------------------------------------------

ALLOWED = [
    (facts("draft"), "mark_ready", "ready"),
    (facts("ready"), "return_to_draft", "draft"),
    (facts("ready"), "dispatch", "dispatched"),
    (facts("dispatched"), "deliver", "delivered"),
    (facts("dispatched", "cleared"), "deliver", "delivered"),
    (facts("draft"), "cancel", "cancelled"),
    (facts("ready"), "cancel", "cancelled"),
    (facts("dispatched"), "mark_returned", "returned"),
    (facts("dispatched"), "mark_lost", "lost"),
    (facts("dispatched", "documents_pending"), "declare_customs", "declared"),
    (facts("dispatched", "declared"), "start_inspection", "under_inspection"),
    (facts("dispatched", "declared"), "clear_customs", "cleared"),
    (facts("dispatched", "under_inspection"), "clear_customs", "cleared"),
    (facts("dispatched", "declared"), "hold_at_customs", "held"),
    (facts("dispatched", "under_inspection"), "hold_at_customs", "held"),
    (facts("dispatched", "held", held_from="declared"), "release_from_hold", "declared"),
    (
        facts("dispatched", "held", held_from="under_inspection"),
        "release_from_hold",
        "under_inspection",
    ),
    (facts("dispatched", "documents_pending"), "reject_at_customs", "rejected"),
    (facts("dispatched", "declared"), "reject_at_customs", "rejected"),
    (facts("dispatched", "under_inspection"), "reject_at_customs", "rejected"),
    (facts("dispatched", "held"), "reject_at_customs", "rejected"),
]


@pytest.mark.parametrize(("state", "action", "target"), ALLOWED)
def test_each_move_of_the_design_is_allowed_from_its_states(state, action, target):
    assert move(state, action) == target
    assert action in {t.action for t in lc.available(state)}


def test_the_table_has_no_move_that_the_tests_do_not_name():
    named = {(action, target) for _state, action, target in ALLOWED}
    named |= {("confirm_receipt", "received"), ("confirm_receipt", "received_with_discrepancy")}
    assert {(t.action, t.target) for t in lc.TRANSITIONS} == named


# Forbidden moves ---------------------------------------------------------------------------------

FORBIDDEN = [
    (facts("draft"), "dispatch"),
    (facts("draft"), "deliver"),
    (facts("draft"), "return_to_draft"),
    (facts("ready"), "mark_ready"),
    (facts("ready"), "deliver"),
    (facts("ready"), "mark_returned"),
    (facts("dispatched"), "cancel"),
    (facts("dispatched"), "mark_ready"),
    (facts("dispatched"), "return_to_draft"),
    (facts("delivered"), "cancel"),
    (facts("delivered"), "mark_lost"),
    (facts("delivered"), "deliver"),
    (facts("received"), "cancel"),
    (facts("received_with_discrepancy"), "mark_returned"),
    (facts("cancelled"), "mark_ready"),
    (facts("cancelled"), "return_to_draft"),
    (facts("returned"), "dispatch"),
    (facts("lost"), "deliver"),
    (facts("dispatched", "documents_pending"), "start_inspection"),
    (facts("dispatched", "documents_pending"), "clear_customs"),
    (facts("dispatched", "documents_pending"), "hold_at_customs"),
    (facts("dispatched", "declared"), "declare_customs"),
    (facts("dispatched", "held"), "clear_customs"),
    (facts("dispatched", "held"), "start_inspection"),
    (facts("dispatched", "cleared"), "hold_at_customs"),
    (facts("dispatched", "cleared"), "reject_at_customs"),
    (facts("dispatched", "rejected"), "release_from_hold"),
    (facts("dispatched", "rejected"), "clear_customs"),
    (facts("dispatched", "rejected"), "declare_customs"),
    (facts("dispatched", "not_required"), "declare_customs"),
]


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_moves_that_do_not_start_from_the_current_state_are_refused(state, action):
    with pytest.raises(lc.TransitionNotAllowed) as refused:
        move(state, action)
    assert refused.value.action == action
    assert action not in {t.action for t in lc.available(state)}


def test_the_refusal_names_the_current_state_and_what_was_expected():
    with pytest.raises(lc.TransitionNotAllowed) as refused:
        lc.check(facts("draft"), "dispatch")
    assert refused.value.current == "draft"
    assert refused.value.allowed_from == ("ready",)
    assert str(refused.value) == "dispatch is not possible now: the shipment is draft, not ready."


def test_rejected_is_final_and_nothing_leaves_it():
    state = facts("dispatched", "rejected")
    assert [t for t in lc.available(state) if t.kind == lc.CUSTOMS] == []


def test_an_unknown_action_is_named():
    with pytest.raises(lc.UnknownAction):
        lc.check(facts("draft"), "teleport")


def test_receipt_is_reached_only_through_the_receipt_form():
    with pytest.raises(lc.ReceiptOnly):
        lc.check(facts("delivered"), "confirm_receipt")
    assert lc.check(facts("delivered"), "confirm_receipt", via_receipt=True).target == "received"
    assert "confirm_receipt" not in {t.action for t in lc.available(facts("delivered"))}


# Guards ------------------------------------------------------------------------------------------


def test_a_draft_without_a_recipient_cannot_be_marked_ready():
    with pytest.raises(lc.GuardFailed) as refused:
        lc.check(facts("draft", has_recipient=False), "mark_ready")
    assert refused.value.guard is lc.HAS_RECIPIENT


def test_a_draft_without_lines_cannot_be_marked_ready():
    with pytest.raises(lc.GuardFailed) as refused:
        lc.check(facts("draft", line_count=0), "mark_ready")
    assert refused.value.guard is lc.HAS_LINES


def test_a_ready_shipment_that_lost_its_lines_cannot_be_dispatched():
    with pytest.raises(lc.GuardFailed):
        lc.check(facts("ready", line_count=0), "dispatch")


def test_leaving_draft_by_cancelling_also_needs_recipient_and_lines():
    with pytest.raises(lc.GuardFailed):
        lc.check(facts("draft", line_count=0), "cancel", reason="entered by mistake")
    # From ready the shipment has already left draft: cancelling needs only the reason.
    assert move(facts("ready", line_count=0), "cancel") == "cancelled"


@pytest.mark.parametrize("customs", ["documents_pending", "declared", "under_inspection", "held"])
def test_a_shipment_that_needs_customs_is_delivered_only_once_cleared(customs):
    with pytest.raises(lc.GuardFailed) as refused:
        lc.check(facts("dispatched", customs), "deliver")
    assert refused.value.guard is lc.CUSTOMS_DONE
    assert "cleared" in str(refused.value)


def test_a_rejected_shipment_cannot_be_delivered_but_can_come_back():
    state = facts("dispatched", "rejected")
    with pytest.raises(lc.GuardFailed):
        lc.check(state, "deliver")
    assert move(state, "mark_returned") == "returned"


@pytest.mark.parametrize("status", ["draft", "ready", "delivered", "returned", "lost"])
def test_customs_moves_need_the_shipment_at_the_border(status):
    with pytest.raises(lc.GuardFailed) as refused:
        move(facts(status, "documents_pending"), "declare_customs")
    assert refused.value.guard is lc.AT_THE_BORDER


def test_blocked_moves_explain_themselves_but_customs_waits_silently():
    hints = lc.blocked(facts("draft", "documents_pending", has_recipient=False))
    assert [(t.action, guard.name) for t, guard in hints] == [
        ("mark_ready", "has_recipient"),
        ("cancel", "has_recipient_to_leave_draft"),
    ]
    assert lc.blocked(facts("dispatched", "declared"))[0][1] is lc.CUSTOMS_DONE


def test_a_release_from_hold_goes_back_where_it_came_from_unless_told_otherwise():
    held = facts("dispatched", "held", held_from="under_inspection")
    assert lc.default_target(held, "release_from_hold") == "under_inspection"
    assert move(held, "release_from_hold", target="declared") == "declared"
    with pytest.raises(lc.TransitionNotAllowed):
        move(held, "release_from_hold", target="cleared")


# Reasons, declaration number, dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (facts("draft"), "cancel"),
        (facts("ready"), "cancel"),
        (facts("dispatched"), "mark_returned"),
        (facts("dispatched"), "mark_lost"),
        (facts("dispatched", "declared"), "hold_at_customs"),
        (facts("dispatched", "declared"), "reject_at_customs"),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_cancelling_returning_losing_holding_and_rejecting_need_a_reason(state, action, reason):
    with pytest.raises(lc.MissingReason) as refused:
        lc.check(state, action, reason=reason)
    assert refused.value.field == "note"


def test_moves_without_consequence_need_no_reason():
    assert lc.check(facts("draft"), "mark_ready").target == "ready"


def test_declaring_needs_the_declaration_number():
    with pytest.raises(lc.MissingDeclarationNumber) as refused:
        lc.check(
            facts("dispatched", "documents_pending"), "declare_customs", declaration_number=" "
        )
    assert refused.value.field == "declaration_number"


def test_a_move_cannot_be_dated_in_the_future_or_before_the_last_change():
    state = facts("ready", last_change_on=date(2024, 5, 2))
    today = date(2024, 5, 10)
    with pytest.raises(lc.DateNotAllowed, match="future"):
        lc.check(state, "dispatch", on=date(2024, 5, 11), today=today)
    with pytest.raises(lc.DateNotAllowed, match="2024-05-02") as refused:
        lc.check(state, "dispatch", on=date(2024, 5, 1), today=today)
    assert refused.value.field == "on"
    assert lc.check(state, "dispatch", on=date(2024, 5, 2), today=today).target == "dispatched"


def test_the_state_is_checked_before_the_details():
    with pytest.raises(lc.TransitionNotAllowed):
        lc.check(facts("delivered"), "cancel", reason=None)


# What a move sets -------------------------------------------------------------------------------


def test_dispatch_and_delivery_set_their_dates():
    on = date(2024, 5, 6)
    dispatch = lc.check(facts("ready"), "dispatch")
    assert lc.effects(dispatch, facts("ready"), on=on) == {
        "status": "dispatched",
        "dispatch_date": on,
    }
    deliver = lc.check(facts("dispatched"), "deliver")
    assert lc.effects(deliver, facts("dispatched"), on=on)["delivery_date"] == on


def test_declaring_records_number_day_and_border_crossing():
    state = facts("dispatched", "documents_pending")
    declare = lc.check(state, "declare_customs", declaration_number=" 24PL1 ")
    assert lc.effects(
        declare, state, on=date(2024, 5, 7), declaration_number=" 24PL1 ", border_crossing="Zosin"
    ) == {
        "customs_status": "declared",
        "customs_declaration_number": "24PL1",
        "customs_declared_on": date(2024, 5, 7),
        "border_crossing": "Zosin",
    }


def test_clearing_into_ukraine_sets_the_distribution_report_deadline_90_days_on():
    state = facts("dispatched", "under_inspection", destination_country="UA")
    clear = lc.check(state, "clear_customs")
    changes = lc.effects(clear, state, on=date(2024, 5, 8))
    assert changes["customs_cleared_on"] == date(2024, 5, 8)
    assert changes["distribution_report_due_on"] == date(2024, 8, 6)


def test_clearing_elsewhere_owes_no_distribution_report():
    state = facts("dispatched", "declared", destination_country="MD")
    changes = lc.effects(lc.check(state, "clear_customs"), state, on=date(2024, 5, 8))
    assert changes["distribution_report_due_on"] is None


# Documents, deadlines and deletion --------------------------------------------------------------


def test_recognition_code_is_valid_90_days_and_declaration_30():
    assert lc.recognition_code_valid_until(date(2023, 3, 28)) == date(2023, 6, 26)
    assert lc.declaration_valid_until(date(2023, 3, 31)) == date(2023, 4, 30)
    assert lc.recognition_code_valid_until(None) is None


@pytest.mark.parametrize(
    ("today", "submitted", "state", "days_left"),
    [
        (date(2024, 5, 1), None, "due", 97),
        (date(2024, 7, 30), None, "due_soon", 7),
        (date(2024, 8, 7), None, "overdue", -1),
        (date(2024, 8, 7), date(2024, 7, 1), "submitted", -1),
    ],
)
def test_the_distribution_report_is_due_then_submitted(today, submitted, state, days_left):
    shipment = facts(
        "received", "cleared", report_due_on=date(2024, 8, 6), report_submitted_on=submitted
    )
    report = lc.distribution_report_state(shipment, today)
    assert (report.state, report.days_left) == (state, days_left)
    assert lc.distribution_report_state(facts("received"), today) is None


def test_the_distribution_report_is_recorded_once_after_receipt_on_a_plausible_day():
    owed = {"report_due_on": date(2024, 8, 6), "cleared_on": date(2024, 5, 8)}
    today = date(2024, 6, 1)
    lc.check_distribution_report(facts("received", **owed), on=date(2024, 6, 1), today=today)
    with pytest.raises(lc.ReportNotExpected):
        lc.check_distribution_report(facts("delivered", **owed), on=today, today=today)
    with pytest.raises(lc.ReportNotExpected):
        lc.check_distribution_report(facts("received"), on=today, today=today)
    with pytest.raises(lc.ReportNotExpected):
        lc.check_distribution_report(
            facts("received", report_submitted_on=date(2024, 5, 30), **owed), on=today, today=today
        )
    with pytest.raises(lc.DateNotAllowed):
        lc.check_distribution_report(facts("received", **owed), on=date(2024, 5, 1), today=today)
    with pytest.raises(lc.DateNotAllowed):
        lc.check_distribution_report(facts("received", **owed), on=None, today=today)


def test_only_a_draft_that_never_left_draft_can_be_deleted():
    lc.check_deletable(facts("draft", line_count=0, has_recipient=False))
    for state in [facts("draft", left_draft_before=True), facts("ready"), facts("cancelled")]:
        with pytest.raises(lc.NotDeletable):
            lc.check_deletable(state)
    with pytest.raises(lc.NotDeletable, match="documents"):
        lc.check_deletable(facts("draft", document_count=1))


def test_customs_details_are_kept_while_customs_is_open():
    lc.check_customs_details_editable(facts("ready", "documents_pending"))
    lc.check_customs_details_editable(facts("dispatched", "held"))
    for state in [
        facts("ready"),
        facts("dispatched", "cleared"),
        facts("cancelled", "documents_pending"),
    ]:
        with pytest.raises(lc.CustomsDetailsLocked):
            lc.check_customs_details_editable(state)


def test_a_recognition_code_needs_its_issue_date_and_no_future_date():
    today = date(2024, 5, 1)
    assert lc.customs_details_problems("GD-1", date(2024, 4, 1), today=today) == []
    assert lc.customs_details_problems(None, None, today=today) == []
    fields = [e.field for e in lc.customs_details_problems("GD-1", None, today=today)]
    assert fields == ["aid_recognition_code_issued_on"]
    fields = [e.field for e in lc.customs_details_problems(None, date(2024, 5, 2), today=today)]
    assert fields == ["aid_recognition_code", "aid_recognition_code_issued_on"]


# Receipt ------------------------------------------------------------------------------------------


def test_receipt_is_whole_only_when_every_line_arrived_in_full_and_good():
    sent = Decimal(250)
    assert lc.receipt_outcome([(sent, Decimal("250.000"), "good")]) == "received"
    for received, condition in [
        (Decimal(240), "good"),
        (Decimal(260), "good"),
        (sent, "damaged"),
        (Decimal(0), "missing"),
    ]:
        outcome = lc.receipt_outcome([(sent, sent, "good"), (sent, received, condition)])
        assert outcome == "received_with_discrepancy", (received, condition)


@pytest.mark.parametrize(
    ("received", "condition", "field", "message"),
    [
        (None, "good", "received_quantity", "Enter the quantity received"),
        (Decimal(-1), "good", "received_quantity", "cannot be negative"),
        (Decimal("1.0005"), "good", "received_quantity", "three decimals"),
        (Decimal("1e12"), "good", "received_quantity", "too large"),
        (Decimal("NaN"), "good", "received_quantity", "Enter a number"),
        (Decimal(5), None, "condition", "Choose the condition"),
        (Decimal(5), "stolen", "condition", "Choose the condition"),
        (Decimal(5), "missing", "condition", "enter 0"),
    ],
)
def test_a_received_line_must_be_plausible(received, condition, field, message):
    problems = lc.received_line_problems(received, condition)
    assert [(p.field, message in str(p)) for p in problems] == [(field, True)]


def test_nothing_received_of_a_missing_line_is_fine():
    assert lc.received_line_problems(Decimal(0), "missing") == []
