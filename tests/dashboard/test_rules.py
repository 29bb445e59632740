"""What needs action, which deadlines come close and which medicines expire: each rule, on a
fixed day, just before and just after its limit."""

import re
from datetime import date, timedelta

import pytest

from aidtracker.dashboard.queries import (
    add_months,
    count_tallies,
    deadlines,
    expiring_lines,
    expiry_level,
    needs_action,
    recently_received,
)
from aidtracker.extensions import db
from aidtracker.shipments.models import CustomsStatus, ShipmentStatus
from tests.conftest import page_text
from tests.dashboard.helpers import KRYVYI_RIH, STAFF, move, shipment, user

S = ShipmentStatus
C = CustomsStatus
INSPECTED_ON = date(2023, 3, 28)  # LUB-KRR-2023-0001 went under inspection at Dorohusk
RECEIVED_ON = date(2023, 2, 17)  # LUB-LUT-2023-0001 was received with a discrepancy


def counts(email: str, today: date, rules=needs_action) -> dict[str, int]:
    return {tally.key: tally.count for tally in count_tallies(user(email), rules(today))}


@pytest.mark.parametrize(
    ("today", "expected"),
    [(INSPECTED_ON + timedelta(days=3), 0), (INSPECTED_ON + timedelta(days=4), 1)],
)
def test_a_shipment_under_inspection_needs_action_after_more_than_three_days(demo, today, expected):
    with demo.app_context():
        assert counts(STAFF, today)["inspection"] == expected


@pytest.mark.parametrize(("days", "expected"), [(7, 0), (8, 1)])
def test_a_delivery_not_confirmed_for_more_than_seven_days_needs_action(demo, days, expected):
    delivered_on = date(2023, 4, 3)
    with demo.app_context():
        move("LUB-KRR-2023-0002", on=date(2023, 4, 1), customs=C.CLEARED)
        move("LUB-KRR-2023-0002", on=delivered_on, status=S.DELIVERED)
        assert counts(STAFF, delivered_on + timedelta(days=days))["unconfirmed"] == expected


def test_held_and_ready_shipments_need_action_but_a_returned_one_does_not(demo):
    today = date(2023, 4, 5)
    with demo.app_context():
        assert counts(STAFF, today)["held"] == 0
        assert counts(STAFF, today)["ready"] == 0
        move("LUB-KRR-2023-0002", on=date(2023, 4, 2), customs=C.HELD)
        move("LUB-KRR-2023-0003", on=date(2023, 4, 2), status=S.READY)
        move("LUB-KRR-2023-0001", on=date(2023, 4, 2), customs=C.HELD)
        move("LUB-KRR-2023-0001", on=date(2023, 4, 3), status=S.RETURNED)
        found = counts(STAFF, today)
    assert found["held"] == 1
    assert found["ready"] == 1


@pytest.mark.parametrize(("days", "expected"), [(30, 1), (31, 0)])
def test_discrepancies_count_while_they_are_recent(demo, days, expected):
    with demo.app_context():
        today = RECEIVED_ON + timedelta(days=days)
        assert counts(STAFF, today)["discrepancies"] == expected
        assert counts(STAFF, today, recently_received)["received_with_discrepancy"] == expected


def test_each_count_is_the_number_of_shipments_its_link_lists(demo, staff):
    today = INSPECTED_ON + timedelta(days=10)
    demo.config["TODAY"] = today
    with demo.app_context():
        move("LUB-KRR-2023-0002", on=date(2023, 4, 1), customs=C.HELD)
        tallies = count_tallies(user(STAFF), needs_action(today) + recently_received(today))
    assert sum(tally.count for tally in tallies) == 2
    for tally in tallies:
        listed = page_text(staff.get("/shipments/", query_string=tally.list_arguments))
        shown = re.search(r"(\d+) shipments?\b", listed)
        assert (int(shown.group(1)) if shown else 0) == tally.count, tally.key


def test_the_dashboard_links_needs_action_to_the_filtered_list(demo, staff):
    demo.config["TODAY"] = INSPECTED_ON + timedelta(days=4)
    html = staff.get("/dashboard/").get_data(as_text=True)
    link = re.search(r'href="(/shipments/\?[^"]*)"\s+data-tally="inspection"', html)
    assert link is not None
    listed = page_text(staff.get(link.group(1).replace("&amp;", "&")))
    assert "1 shipment" in listed
    assert "LUB-KRR-2023-0001" in listed
    assert "LUB-KRR-2023-0002" not in listed


# Deadlines -------------------------------------------------------------------------------------


def deadline_rows(email: str, today: date) -> set[tuple[str, str]]:
    return {(row.kind, row.reference) for row in deadlines(user(email), today).rows}


@pytest.mark.parametrize(("days_before", "shown"), [(14, True), (15, False)])
def test_a_distribution_report_shows_from_fourteen_days_before_it_is_due(demo, days_before, shown):
    due = date(2023, 5, 16)  # LUB-LUT-2023-0001: cleared 2023-02-15, not reported yet
    with demo.app_context():
        rows = deadline_rows(STAFF, due - timedelta(days=days_before))
    assert (("report", "LUB-LUT-2023-0001") in rows) is shown


def test_an_overdue_report_stays_until_it_is_submitted(demo):
    today = date(2023, 6, 1)
    with demo.app_context():
        found = deadlines(user(STAFF), today)
        row = next(row for row in found.rows if row.kind == "report")
        assert (row.reference, row.overdue, row.days_left) == ("LUB-LUT-2023-0001", True, -16)
        shipment("LUB-LUT-2023-0001").distribution_report_submitted_on = date(2023, 5, 20)
        db.session.commit()
        assert ("report", "LUB-LUT-2023-0001") not in deadline_rows(STAFF, today)


@pytest.mark.parametrize(
    ("today", "kinds"),
    [
        (date(2023, 4, 12), set()),
        (date(2023, 4, 13), {"declaration"}),  # declared 2023-03-28: valid to 2023-04-27
        (date(2023, 6, 5), {"declaration"}),
        (date(2023, 6, 6), {"declaration", "recognition_code"}),  # issued 2023-03-22: 2023-06-20
    ],
)
def test_codes_and_declarations_show_fourteen_days_before_they_lapse(demo, today, kinds):
    with demo.app_context():
        rows = deadline_rows(STAFF, today)
    assert {kind for kind, reference in rows if reference == "LUB-KRR-2023-0001"} == kinds


def test_a_cleared_shipment_has_no_code_or_declaration_to_worry_about(demo):
    with demo.app_context():
        move("LUB-KRR-2023-0001", on=date(2023, 3, 29), customs=C.CLEARED)
        rows = deadline_rows(STAFF, date(2023, 7, 1))
    assert not {kind for kind, reference in rows if reference == "LUB-KRR-2023-0001"}


def test_deadlines_are_most_urgent_first_with_their_totals(demo):
    with demo.app_context():
        found = deadlines(user(STAFF), date(2023, 7, 1))
    assert [row.due_on for row in found.rows] == sorted(row.due_on for row in found.rows)
    assert found.counts == {"report": 1, "recognition_code": 2, "declaration": 2}
    assert found.total == 5


def test_a_partner_sees_only_the_deadlines_of_its_own_shipments(demo):
    with demo.app_context():
        rows = deadline_rows(KRYVYI_RIH, date(2023, 7, 1))
    assert rows
    assert all(reference.startswith("LUB-KRR-") for _kind, reference in rows)


# Expiry ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "level"),
    [
        (None, None),
        (date(2026, 11, 26), "red"),  # expired yesterday
        (date(2027, 2, 26), "red"),
        (date(2027, 2, 27), "amber"),  # three months to the day
        (date(2027, 8, 26), "amber"),
        (date(2027, 8, 27), None),  # nine months to the day
    ],
)
def test_expiry_is_red_under_three_months_and_amber_under_nine(expiry, level):
    assert expiry_level(expiry, date(2026, 11, 27)) == level


def test_months_are_counted_in_the_calendar_keeping_to_the_end_of_short_months():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 5, 31), 9) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 15), -2) == date(2025, 11, 15)


@pytest.mark.parametrize(
    ("today", "level"), [(date(2025, 12, 1), "amber"), (date(2026, 6, 1), "red")]
)
def test_paracetamol_on_its_way_is_flagged_as_its_expiry_comes_close(demo, today, level):
    with demo.app_context():
        listing, red = expiring_lines(user(STAFF), today, "en")
    assert [(line.reference, line.lot, line.level) for line in listing.rows] == [
        ("LUB-KRR-2023-0001", "PCM-2301-448", level)
    ]
    assert listing.total == 1
    assert red == (1 if level == "red" else 0)


def test_only_medical_lines_of_shipments_not_yet_received_are_watched(demo):
    today = date(2027, 11, 15)  # first-aid kits (2027-12-31) red, bandages (2028-02-29) amber
    with demo.app_context():
        hygiene_kits = shipment("LUB-KRR-2023-0003").lines[0]  # a draft, not medical
        hygiene_kits.expiry = date(2027, 12, 15)
        db.session.commit()
        listing, red = expiring_lines(user(STAFF), today, "pl")
        assert [(line.lot, line.level) for line in listing.rows] == [
            ("PCM-2301-448", "red"),
            ("AS-2301-77", "red"),
            ("EB-2302-14", "amber"),
        ]
        assert all(line.reference == "LUB-KRR-2023-0001" for line in listing.rows)
        assert listing.rows[0].expired
        assert not listing.rows[1].expired
        assert red == 2
        move("LUB-KRR-2023-0001", on=date(2023, 3, 30), customs=C.CLEARED)
        move("LUB-KRR-2023-0001", on=date(2023, 3, 31), status=S.DELIVERED)
        move("LUB-KRR-2023-0001", on=date(2023, 4, 1), status=S.RECEIVED)
        assert expiring_lines(user(STAFF), today, "en")[0].total == 0


def expiry_flags(client, reference: str) -> str:
    """The text of the shipment page's expiry flags ('' when there are none)."""
    html = client.get(f"/shipments/{reference}").get_data(as_text=True)
    section = re.search(r'<section[^>]*data-testid="expiry-flags".*?</section>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section.group(0))).strip() if section else ""


def test_the_shipment_page_flags_lines_close_to_expiry(demo, staff):
    demo.config["TODAY"] = date(2026, 6, 1)
    flags = expiry_flags(staff, "LUB-KRR-2023-0001")
    assert "Under 3 months Line 3, Paracetamol 500 mg ×20, lot PCM-2301-448" in flags
    assert "first-aid" not in flags  # expires 2027-12-31
    assert "bandage" not in flags  # 2028-02-29

    demo.config["TODAY"] = date(2027, 5, 1)
    flags = expiry_flags(staff, "LUB-KRR-2023-0001")
    assert "Expired Line 3, Paracetamol" in flags
    assert "Under 9 months Line 1, Vehicle first-aid kit, lot AS-2301-77" in flags

    demo.config["TODAY"] = date(2024, 1, 1)
    assert expiry_flags(staff, "LUB-KRR-2023-0001") == ""
