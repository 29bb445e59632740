"""Administrators create users, change their roles, deactivate them and reset their passwords."""

import re

import pytest
from sqlalchemy import func, select

from aidtracker.auth.models import Role, SecurityEvent, SecurityEventKind, User
from aidtracker.auth.service import (
    LastActiveAdmin,
    create_user,
    deactivate_user,
    update_user,
)
from aidtracker.extensions import db
from aidtracker.parties.models import Organisation
from tests.conftest import DEMO_PASSWORD, log_in, page_text

PASSWORD = "seven brass lanterns"


def user(app, email) -> User | None:
    with app.app_context():
        found = db.session.scalar(select(User).filter_by(email=email))
        if found is not None:
            db.session.expunge(found)
        return found


def user_id(app, email) -> int:
    return user(app, email).id


def organisation_id(app, name) -> int:
    with app.app_context():
        return db.session.scalar(select(Organisation.id).filter_by(name=name))


def snapshot(app):
    """Every user row and the number of security events: what a refused form must not change."""
    with app.app_context():
        users = db.session.execute(select(User.__table__).order_by(User.id)).all()
        events = db.session.scalar(select(func.count(SecurityEvent.id)))
        return users, events


def kinds(app) -> list[SecurityEventKind]:
    with app.app_context():
        return list(db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))


def new_user_form(**changes):
    form = {
        "email": "olena@lublin.example",
        "name": "Olena Kovalenko",
        "role": "staff",
        "organisation": "",
        "language": "uk",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    form.update(changes)
    return form


# --- the list -----------------------------------------------------------------------------------


def test_the_admin_lists_every_demo_user(admin):
    text = page_text(admin.get("/users/"))
    assert "5 users" in text
    for email in ["admin@lublin.example", "partner@lutsk.example", "accountant@lublin.example"]:
        assert email in text
    assert "Lutsk City Council" in text


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("q=LUTSK", ["partner@lutsk.example"], ["staff@lublin.example"]),
        (
            "role=partner",
            ["partner@lutsk.example", "partner@kryvyirih.example"],
            ["admin@lublin.example"],
        ),
        ("role=staff&status=inactive", [], ["staff@lublin.example"]),
        ("q=100%25", [], ["staff@lublin.example"]),
    ],
)
def test_the_list_is_searched_by_name_or_e_mail_and_filtered(admin, query, shown, hidden):
    text = page_text(admin.get(f"/users/?{query}"))
    for email in shown:
        assert email in text
    for email in hidden:
        assert email not in text
    if not shown:
        assert "No user matches" in text


def test_the_list_shows_deactivated_users_apart(demo, admin):
    deactivate = admin.post(f"/users/{user_id(demo, 'staff@lublin.example')}/deactivate")
    assert deactivate.status_code == 302
    text = page_text(admin.get("/users/?status=inactive"))
    assert "1 user" in text
    assert "staff@lublin.example" in text


def test_the_list_is_paginated(demo, admin):
    demo.config["PAGE_SIZE"] = 4
    assert "Page 1 of 2" in page_text(admin.get("/users/"))
    assert "Page 2 of 2" in page_text(admin.get("/users/?page=2"))
    assert admin.get("/users/?page=99&role=nonsense").status_code == 200


def test_only_administrators_manage_users(demo):
    staff = demo.test_client()
    log_in(staff, "staff@lublin.example")
    assert staff.get("/users/").status_code == 403
    assert staff.post("/users/new", data=new_user_form()).status_code == 403
    assert user(demo, "olena@lublin.example") is None
    assert 'href="/users/"' not in staff.get("/shipments/").get_data(as_text=True)


# --- creating ------------------------------------------------------------------------------------


def test_the_admin_creates_a_partner_who_can_then_log_in(demo, admin):
    form = new_user_form(
        email=" Olena@Lutsk.example ",
        role="partner",
        organisation=str(organisation_id(demo, "Lutsk City Council")),
    )
    response = admin.post("/users/new", data=form)

    assert response.status_code == 302
    created = user(demo, "olena@lutsk.example")
    assert (created.role, created.language, created.active) == (Role.PARTNER, "uk", True)
    assert created.organisation_id == organisation_id(demo, "Lutsk City Council")
    assert "Olena Kovalenko can now log in" in page_text(admin.get(response.location))
    assert log_in(demo.test_client(), "olena@lutsk.example", PASSWORD).status_code == 302
    with demo.app_context():
        event = db.session.scalar(select(SecurityEvent).filter_by(kind="user_created"))
        assert event.user.email == "olena@lutsk.example"
        assert event.actor.email == "admin@lublin.example"
        assert event.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"password": "too short", "confirm": "too short"},
            "password",
            "The password needs at least 12 characters.",
        ),
        (
            {"password": "Password1234", "confirm": "Password1234"},
            "password",
            "on a list of common passwords",
        ),
        ({"confirm": "seven brass lantern"}, "confirm", "The two passwords differ."),
        ({"role": "partner"}, "organisation", "A partner user must belong to an organisation."),
        (
            {"email": "Staff@Lublin.example"},
            "email",
            "A user with the e-mail staff@lublin.example exists already.",
        ),
        ({"email": "not-an-address"}, "email", "Enter an e-mail address such as"),
        ({"role": "superuser"}, "role", "Choose one of the roles in the list."),
        ({"language": "de"}, "language", "Choose one of the languages in the list."),
        ({"organisation": "99999"}, "organisation", "Choose an organisation in the list."),
        ({"organisation": "x'; DROP"}, "organisation", "Choose an organisation in the list."),
        ({"name": "  "}, "name", "Enter the user's name."),
    ],
)
def test_creating_with_bad_input_says_why_and_writes_nothing(demo, admin, changes, field, message):
    before = snapshot(demo)

    response = admin.post("/users/new", data=new_user_form(**changes))

    assert response.status_code == 200
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert message in page_text(response)
    assert snapshot(demo) == before


def test_every_problem_of_a_form_is_named_at_once(admin):
    response = admin.post(
        "/users/new", data=new_user_form(name="", password="short", confirm="other")
    )
    html = response.get_data(as_text=True)
    for field in ("name", "password", "confirm"):
        assert f'id="{field}-error"' in html


# --- editing -------------------------------------------------------------------------------------


def test_a_role_change_is_saved_and_recorded(demo, admin):
    staff_id = user_id(demo, "staff@lublin.example")
    form = admin.get(f"/users/{staff_id}").get_data(as_text=True)
    assert re.search(r'<option selected value="staff">|<option value="staff" selected', form)

    response = admin.post(
        f"/users/{staff_id}",
        data={
            "name": "Piotr Nowak",
            "role": "accountant",
            "organisation": str(organisation_id(demo, "City of Lublin")),
            "language": "pl",
        },
    )

    assert response.status_code == 302
    changed = user(demo, "staff@lublin.example")
    assert (changed.name, changed.role, changed.language) == ("Piotr Nowak", Role.ACCOUNTANT, "pl")
    with demo.app_context():
        event = db.session.scalar(select(SecurityEvent).filter_by(kind="role_changed"))
        assert event.detail == "staff → accountant"
        assert event.actor.email == "admin@lublin.example"
    assert "staff → accountant" in page_text(admin.get("/users/security-log"))


def test_changing_only_the_language_records_no_role_change(demo, admin):
    staff = user(demo, "staff@lublin.example")
    admin.post(
        f"/users/{staff.id}",
        data={
            "name": staff.name,
            "role": "staff",
            "organisation": str(staff.organisation_id),
            "language": "uk",
        },
    )
    assert user(demo, "staff@lublin.example").language == "uk"
    assert SecurityEventKind.ROLE_CHANGED not in kinds(demo)


@pytest.mark.parametrize(
    ("email", "changes", "field", "message"),
    [
        (
            "partner@lutsk.example",
            {"organisation": ""},
            "organisation",
            "A partner user must belong to an organisation.",
        ),
        ("staff@lublin.example", {"role": "root"}, "role", "Choose one of the roles in the list."),
        ("admin@lublin.example", {"role": "staff"}, "role", "You cannot change your own role"),
    ],
)
def test_editing_with_bad_input_says_why_and_changes_nothing(
    demo, admin, email, changes, field, message
):
    target = user(demo, email)
    form = {
        "name": "Changed Name",
        "role": target.role.value,
        "organisation": str(target.organisation_id or ""),
        "language": "en",
        **changes,
    }
    before = snapshot(demo)

    response = admin.post(f"/users/{target.id}", data=form)

    assert response.status_code == 200
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert message in page_text(response)
    assert snapshot(demo) == before


def test_an_unknown_user_is_not_found(admin):
    assert admin.get("/users/9999").status_code == 404
    assert admin.post("/users/9999/deactivate").status_code == 404


# --- deactivating --------------------------------------------------------------------------------


def test_a_deactivated_user_cannot_log_in_and_keeps_their_history(demo, admin):
    accountant = demo.test_client()
    log_in(accountant, "accountant@lublin.example")
    target = user_id(demo, "accountant@lublin.example")

    response = admin.post(f"/users/{target}/deactivate")

    assert response.status_code == 302
    assert "is deactivated and can no longer log in" in page_text(admin.get(response.location))
    assert accountant.get("/shipments/").status_code == 302
    assert log_in(demo.test_client(), "accountant@lublin.example").status_code == 200
    assert user(demo, "accountant@lublin.example") is not None
    assert kinds(demo)[-2:] == [SecurityEventKind.USER_DEACTIVATED, SecurityEventKind.LOGIN_FAILED]

    admin.post(f"/users/{target}/reactivate")
    assert user(demo, "accountant@lublin.example").active
    assert log_in(demo.test_client(), "accountant@lublin.example").status_code == 302
    assert SecurityEventKind.USER_REACTIVATED in kinds(demo)


def test_an_admin_cannot_deactivate_themself(demo, admin):
    before = snapshot(demo)
    me = user_id(demo, "admin@lublin.example")

    response = admin.post(f"/users/{me}/deactivate", follow_redirects=True)

    assert "You cannot deactivate your own account." in page_text(response)
    assert snapshot(demo) == before
    assert admin.get("/users/").status_code == 200


def test_deactivating_twice_says_so_and_records_once(demo, admin):
    target = user_id(demo, "staff@lublin.example")
    admin.post(f"/users/{target}/deactivate")
    before = snapshot(demo)
    response = admin.post(f"/users/{target}/deactivate", follow_redirects=True)
    assert "is deactivated already" in page_text(response)
    assert snapshot(demo) == before


def test_the_last_active_administrator_can_be_neither_deactivated_nor_demoted(demo):
    with demo.app_context():
        admin = db.session.scalar(select(User).filter_by(email="admin@lublin.example"))
        deputy = create_user(email="deputy@lublin.example", password=PASSWORD, role=Role.ADMIN)
        deactivate_user(user=deputy, by=admin)
        # The deputy is inactive now: Anna is the last active administrator.
        with pytest.raises(LastActiveAdmin):
            deactivate_user(user=admin, by=deputy)
        with pytest.raises(LastActiveAdmin):
            update_user(
                user=admin,
                name=admin.name,
                role=Role.STAFF,
                organisation=None,
                language="en",
                by=deputy,
            )
        db.session.rollback()
        assert admin.active
        assert admin.role is Role.ADMIN


def test_one_admin_may_deactivate_another(demo, admin):
    with demo.app_context():
        create_user(email="deputy@lublin.example", password=PASSWORD, role=Role.ADMIN)
    admin.post(f"/users/{user_id(demo, 'deputy@lublin.example')}/deactivate")
    assert not user(demo, "deputy@lublin.example").active


# --- resetting a password ------------------------------------------------------------------------


def test_the_admin_resets_a_password_and_the_user_logs_in_with_it(demo, admin):
    staff = demo.test_client()
    log_in(staff, "staff@lublin.example")
    target = user_id(demo, "staff@lublin.example")

    response = admin.post(
        f"/users/{target}/password", data={"password": PASSWORD, "confirm": PASSWORD}
    )

    assert response.status_code == 302
    assert staff.get("/shipments/").status_code == 302  # the old session ended
    assert log_in(demo.test_client(), "staff@lublin.example").status_code == 200
    assert log_in(demo.test_client(), "staff@lublin.example", PASSWORD).status_code == 302
    with demo.app_context():
        event = db.session.scalar(select(SecurityEvent).filter_by(kind="password_reset"))
        assert (event.user.email, event.actor.email) == (
            "staff@lublin.example",
            "admin@lublin.example",
        )


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("short", "short", "password", "The password needs at least 12 characters."),
        ("Password1234", "Password1234", "password", "on a list of common passwords"),
        (PASSWORD, "something else", "confirm", "The two passwords differ."),
        ("staff@lublin.example", "staff@lublin.example", "password", "must not be the e-mail"),
    ],
)
def test_a_bad_reset_says_why_and_keeps_the_old_password(
    demo, admin, password, confirm, field, message
):
    before = snapshot(demo)
    target = user_id(demo, "staff@lublin.example")

    response = admin.post(
        f"/users/{target}/password", data={"password": password, "confirm": confirm}
    )

    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert message in page_text(response)
    assert snapshot(demo) == before


def test_an_admin_changes_their_own_password_on_the_change_password_page(demo, admin):
    me = user_id(demo, "admin@lublin.example")
    assert "Change your password" in page_text(admin.get(f"/users/{me}/password"))
    before = snapshot(demo)
    response = admin.post(f"/users/{me}/password", data={"password": PASSWORD, "confirm": PASSWORD})
    assert "Use “Change password” for your own account" in page_text(response)
    assert snapshot(demo) == before
    assert log_in(demo.test_client(), "admin@lublin.example", DEMO_PASSWORD).status_code == 302


# --- CSRF ----------------------------------------------------------------------------------------


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_users_form_posted_without_its_csrf_token_is_refused(demo, admin):
    demo.config["WTF_CSRF_ENABLED"] = True
    target = user_id(demo, "staff@lublin.example")
    before = snapshot(demo)

    assert admin.post("/users/new", data=new_user_form()).status_code == 400
    assert admin.post(f"/users/{target}/deactivate").status_code == 400
    assert snapshot(demo) == before

    token = csrf_token(admin.get(f"/users/{target}").get_data(as_text=True))
    response = admin.post(f"/users/{target}/deactivate", data={"csrf_token": token})
    assert response.status_code == 302
    assert not user(demo, "staff@lublin.example").active
