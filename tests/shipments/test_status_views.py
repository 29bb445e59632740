"""The shipment page offers only the moves allowed now, and refuses anything else plainly."""

import re

import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.models import Shipment, StatusEvent, User
from aidtracker.shipments import status
from tests.conftest import form_fields, log_in, page_text

KIT = "LUB-KRR-2023-0003"  # draft, one line, documents pending
GENERATOR = "LUB-KRR-2023-0002"  # dispatched, declared
MEDICAL = "LUB-KRR-2023-0001"  # dispatched, under inspection


def snapshot(app, reference: str) -> tuple:
    with app.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=reference))
        if shipment is None:
            return None
        events = db.session.scalar(
            select(func.count(StatusEvent.id)).where(StatusEvent.shipment_id == shipment.id)
        )
        return (
            shipment.status,
            shipment.customs_status,
            shipment.version,
            shipment.customs_declaration_number,
            shipment.aid_recognition_code,
            events,
        )


def offered(response) -> list[str]:
    """The moves the page offers, in order."""
    return re.findall(r'<details class="action" id="action-(\w+)"', response.get_data(as_text=True))


def move_form(client, reference: str, action: str, **changes) -> dict:
    """What the page's form for `action` submits, with `changes` (unprefixed names) applied."""
    fields = form_fields(client.get(f"/shipments/{reference}"))
    data = {key: value for key, value in fields.items() if key.startswith(f"{action}-")}
    assert data, f"{action} is not offered"
    data["action"] = action
    data.update({f"{action}-{name}": value for name, value in changes.items()})
    return data


def post_move(client, reference: str, action: str, **changes):
    data = move_form(client, reference, action, **changes)
    return client.post(f"/shipments/{reference}/move", data=data)


def test_a_draft_offers_mark_ready_and_cancel_but_not_dispatch(staff):
    response = staff.get(f"/shipments/{KIT}")
    assert offered(response) == ["mark_ready", "cancel", "delete"]
    text = page_text(response)
    assert "Mark ready" in text
    assert "Cancel shipment" in text
    html = response.get_data(as_text=True)
    assert 'value="dispatch"' not in html
    assert 'id="action-dispatch"' not in html


def test_a_declared_shipment_explains_why_it_cannot_be_delivered_yet(staff):
    response = staff.get(f"/shipments/{GENERATOR}")
    assert offered(response) == [
        "mark_returned",
        "mark_lost",
        "start_inspection",
        "clear_customs",
        "hold_at_customs",
        "reject_at_customs",
    ]
    assert (
        "Mark delivered is not possible yet: A shipment that crosses a customs border can be "
        "delivered only once customs cleared it."
    ) in page_text(response)


def test_staff_mark_a_draft_ready_and_the_timeline_shows_it(staff, demo):
    response = post_move(staff, KIT, "mark_ready", location="Warehouse 2", note="Packed on pallets")
    assert response.status_code == 302
    page = staff.get(response.location)
    text = page_text(page)
    assert "Mark ready: LUB-KRR-2023-0003 is now ready." in text
    assert "Draft → Ready" in text
    assert "Warehouse 2" in text
    assert "Packed on pallets" in text
    assert "Stanisław Staff" in text
    assert offered(page) == ["return_to_draft", "dispatch", "cancel"]


def test_the_whole_journey_through_customs_on_the_page(staff, demo):
    for action, changes in [
        ("mark_ready", {}),
        ("dispatch", {}),
        (
            "declare_customs",
            {"declaration_number": "24PL301020E0000009", "border_crossing": "Zosin–Ustyluh"},
        ),
        ("start_inspection", {}),
        ("hold_at_customs", {"note": "Certificate of origin asked for."}),
        ("release_from_hold", {}),
        ("clear_customs", {}),
        ("deliver", {}),
    ]:
        response = post_move(staff, KIT, action, **changes)
        assert response.status_code == 302, (action, page_text(response))
    text = page_text(staff.get(f"/shipments/{KIT}"))
    assert "Held → Under inspection" in text
    assert "Certificate of origin asked for." in text
    assert "24PL301020E0000009" in text
    assert "Confirm receipt" in text
    assert "Distribution report" in text


def test_a_held_shipment_goes_back_to_the_step_it_came_from_by_default(staff, demo):
    post_move(staff, MEDICAL, "hold_at_customs", note="Licence asked for.")
    data = move_form(staff, MEDICAL, "release_from_hold")
    assert data["release_from_hold-target"] == "under_inspection"
    staff.post(f"/shipments/{MEDICAL}/move", data={**data, "release_from_hold-target": "declared"})
    assert "Held → Declared" in page_text(staff.get(f"/shipments/{MEDICAL}"))


def test_posting_a_move_that_is_not_allowed_shows_why_and_changes_nothing(staff, demo):
    data = move_form(staff, KIT, "mark_ready")
    data = {key.replace("mark_ready-", "dispatch-"): value for key, value in data.items()}
    data["action"] = "dispatch"
    before = snapshot(demo, KIT)
    response = staff.post(f"/shipments/{KIT}/move", data=data)
    assert response.status_code == 409
    assert "Dispatch is not possible now: the shipment is draft, not ready." in page_text(response)
    assert snapshot(demo, KIT) == before


def test_delivering_before_customs_cleared_is_refused(staff, demo):
    before = snapshot(demo, GENERATOR)
    fields = move_form(staff, GENERATOR, "mark_lost")
    data = {key.replace("mark_lost-", "deliver-"): v for key, v in fields.items()}
    data["action"] = "deliver"
    response = staff.post(f"/shipments/{GENERATOR}/move", data=data)
    assert response.status_code == 409
    assert "delivered only once customs cleared it" in page_text(response)
    assert snapshot(demo, GENERATOR) == before


@pytest.mark.parametrize(
    ("reference", "action", "changes", "message"),
    [
        (KIT, "cancel", {"note": ""}, "Give the reason for this change"),
        (GENERATOR, "mark_lost", {"note": "   "}, "Give the reason for this change"),
        (GENERATOR, "hold_at_customs", {"note": ""}, "Give the reason for this change"),
        (KIT, "mark_ready", {"on": "2999-01-01"}, "The date cannot be in the future."),
        (KIT, "mark_ready", {"on": "2023-03-01"}, "The date cannot be before the last recorded"),
        (KIT, "mark_ready", {"on": "31/31/2024"}, "Not a valid date value."),
        (KIT, "mark_ready", {"location": "x" * 201}, "Field cannot be longer than 200"),
        (MEDICAL, "release_from_hold", {"target": "cleared"}, "Not a valid choice."),
    ],
)
def test_bad_move_input_is_shown_next_to_the_field_and_nothing_is_written(
    staff, demo, reference, action, changes, message
):
    if action == "release_from_hold":
        post_move(staff, MEDICAL, "hold_at_customs", note="Licence asked for.")
    data = move_form(staff, reference, action, **changes)
    before = snapshot(demo, reference)
    response = staff.post(f"/shipments/{reference}/move", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = next(iter(changes))
    error = re.search(rf'id="{action}-{field}-error" class="invalid-feedback">([^<]*)<', html)
    assert error, html
    assert message in error.group(1)
    assert f'id="action-{action}" open' in html
    assert snapshot(demo, reference) == before


def test_declaring_needs_the_declaration_number(staff, demo):
    for action in ("mark_ready", "dispatch"):
        post_move(staff, KIT, action)
    data = move_form(staff, KIT, "declare_customs", declaration_number="")
    before = snapshot(demo, KIT)
    response = staff.post(f"/shipments/{KIT}/move", data=data)
    assert response.status_code == 422
    assert "Enter the customs declaration number." in page_text(response)
    assert snapshot(demo, KIT) == before


def test_an_unknown_action_is_refused(staff, demo):
    before = snapshot(demo, KIT)
    response = staff.post(f"/shipments/{KIT}/move", data={"action": "teleport"})
    assert response.status_code == 422
    assert "Choose one of the actions offered on the shipment page." in page_text(response)
    response = staff.post(f"/shipments/{KIT}/move", data={"action": "confirm_receipt"})
    assert response.status_code == 422
    assert snapshot(demo, KIT) == before


def test_a_move_from_a_page_opened_before_someone_else_moved_it_is_refused(staff, demo):
    stale = move_form(staff, KIT, "cancel", note="No longer needed.")
    assert post_move(staff, KIT, "mark_ready").status_code == 302
    before = snapshot(demo, KIT)
    response = staff.post(f"/shipments/{KIT}/move", data=stale)
    assert response.status_code == 409
    assert "Someone changed this shipment while you had it open: it is now ready" in page_text(
        response
    )
    assert snapshot(demo, KIT) == before


@pytest.mark.parametrize("email", ["accountant@lublin.example", "partner@kryvyirih.example"])
def test_accountants_and_partners_see_but_cannot_move(demo, email):
    client = demo.test_client()
    log_in(client, email)
    page = client.get(f"/shipments/{KIT}")
    assert page.status_code == 200
    assert offered(page) == []
    assert "Next steps" not in page_text(page)
    before = snapshot(demo, KIT)
    data = {"action": "mark_ready", "mark_ready-version": str(before[2])}
    assert client.post(f"/shipments/{KIT}/move", data=data).status_code == 403
    assert client.post(f"/shipments/{KIT}/customs", data={}).status_code == 403
    assert client.post(f"/shipments/{KIT}/delete", data={"delete-version": "1"}).status_code == 403
    assert snapshot(demo, KIT) == before


def test_the_customs_section_shows_validity_and_an_expired_code_in_red(staff):
    html = staff.get(f"/shipments/{GENERATOR}").get_data(as_text=True)
    text = page_text(staff.get(f"/shipments/{GENERATOR}"))
    assert "23PL301020E0006377" in text
    # Declared 2023-03-31, valid 30 days; code issued 2023-03-28, valid 90 days; customs still open.
    assert "expired on Apr 30, 2023" in text
    assert "expired on Jun 26, 2023" in text
    assert '<span class="text-danger fw-semibold">expired on Jun 26, 2023</span>' in html


def test_finished_customs_shows_validity_without_alarm_and_the_report(staff):
    text = page_text(staff.get("/shipments/LUB-KRR-2022-0001"))
    assert "valid until Jul 5, 2022" in text  # code issued 2022-04-06
    assert "submitted on Jun 20, 2022" in text
    lutsk = page_text(staff.get("/shipments/LUB-LUT-2023-0001"))
    assert "overdue: it was due on May 16, 2023" in lutsk


def test_customs_details_are_edited_with_messages_next_to_the_fields(staff, demo):
    fields = {
        key: value
        for key, value in form_fields(staff.get(f"/shipments/{KIT}")).items()
        if key.startswith("customs-")
    }
    assert set(fields) == {
        "customs-version",
        "customs-aid_recognition_code",
        "customs-aid_recognition_code_issued_on",
        "customs-border_crossing",
    }
    before = snapshot(demo, KIT)
    response = staff.post(
        f"/shipments/{KIT}/customs",
        data={
            **fields,
            "customs-aid_recognition_code": "GD-2024-77",
            "customs-aid_recognition_code_issued_on": "",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(
        r'id="customs-aid_recognition_code_issued_on-error" class="invalid-feedback">Enter the day',
        html,
    )
    assert '<details class="mb-3" id="customs-details" open>' in html
    assert snapshot(demo, KIT) == before

    response = staff.post(
        f"/shipments/{KIT}/customs",
        data={**fields, "customs-aid_recognition_code_issued_on": "garbage"},
    )
    assert response.status_code == 422
    assert "Not a valid date value." in page_text(response)
    assert snapshot(demo, KIT) == before

    response = staff.post(
        f"/shipments/{KIT}/customs",
        data={
            **fields,
            "customs-aid_recognition_code": "GD-2024-77",
            "customs-aid_recognition_code_issued_on": "2024-04-01",
            "customs-border_crossing": "Zosin–Ustyluh",
        },
    )
    assert response.status_code == 302
    text = page_text(staff.get(f"/shipments/{KIT}"))
    assert "GD-2024-77" in text
    assert "Zosin–Ustyluh" in text


def test_a_draft_that_never_left_can_be_deleted_but_nothing_else(staff, demo):
    before = snapshot(demo, "LUB-KRR-2023-0004")
    response = staff.post(
        "/shipments/LUB-KRR-2023-0004/delete", data={"delete-version": str(before[2])}
    )
    assert response.status_code == 409
    assert "Only a draft that never left draft can be deleted" in page_text(response)
    assert snapshot(demo, "LUB-KRR-2023-0004") == before
    assert "delete" not in offered(staff.get("/shipments/LUB-KRR-2023-0004"))

    version = snapshot(demo, KIT)[2]
    assert staff.post(f"/shipments/{KIT}/delete", data={}).status_code == 409  # no version
    assert snapshot(demo, KIT) is not None
    response = staff.post(f"/shipments/{KIT}/delete", data={"delete-version": str(version)})
    assert response.status_code == 302
    assert "Draft LUB-KRR-2023-0003 deleted." in page_text(staff.get(response.location))
    assert snapshot(demo, KIT) is None


def test_everyone_who_sees_shipments_finds_the_discrepancies_view(demo):
    for email in ("accountant@lublin.example", "partner@lutsk.example"):
        client = demo.test_client()
        log_in(client, email)
        page = client.get("/shipments/")
        assert 'href="/shipments/discrepancies"' in page.get_data(as_text=True)
        assert client.get("/shipments/discrepancies").status_code == 200


def test_the_panel_uses_one_query_set_whatever_the_moves(staff, demo):
    """The panel adds no query per offered move (it reads what the page loaded)."""
    from tests.conftest import QueryCounter

    with demo.app_context():
        engine = db.engine
    with QueryCounter(engine) as draft:
        staff.get(f"/shipments/{KIT}")
    with QueryCounter(engine) as dispatched:
        staff.get(f"/shipments/{GENERATOR}")
    assert len(dispatched) == len(draft)


def test_service_and_page_agree_on_what_is_offered(demo):
    with demo.app_context():
        staff = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        shipment = db.session.scalar(select(Shipment).filter_by(reference=GENERATOR))
        actions = [offer.action for offer in status.allowed_actions(shipment, staff)]
    client = demo.test_client()
    log_in(client, "staff@lublin.example")
    assert offered(client.get(f"/shipments/{GENERATOR}")) == actions


def test_another_partner_does_not_find_the_distribution_report_form(demo):
    client = demo.test_client()
    log_in(client, "partner@lutsk.example")
    response = client.post(f"/shipments/{KIT}/distribution-report", data={})
    assert response.status_code == 404


@pytest.mark.parametrize("url", ["move", "customs", "delete"])
def test_another_partner_gets_404_on_the_moves_of_a_shipment_it_may_not_see(demo, url):
    client = demo.test_client()
    log_in(client, "partner@lutsk.example")
    assert client.post(f"/shipments/{KIT}/{url}", data={}).status_code == 404
