"""Logins, failures and account changes are recorded with who, when and from where; admins read
them on the security log page, which nobody can edit."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from aidtracker.auth.models import SecurityEvent, SecurityEventKind, User
from aidtracker.auth.security_log import record
from aidtracker.database import utcnow
from aidtracker.extensions import db
from tests.conftest import DEMO_PASSWORD, log_in, page_text

ADDRESS = "192.0.2.44"


def events(app, kind=None) -> list[SecurityEvent]:
    with app.app_context():
        query = select(SecurityEvent).order_by(SecurityEvent.id)
        if kind is not None:
            query = query.filter_by(kind=kind)
        return db.session.scalars(query).all()


def post_login(client, email, password=DEMO_PASSWORD):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ADDRESS},
    )


def test_a_login_and_a_logout_are_recorded_with_the_address(demo):
    client = demo.test_client()
    post_login(client, "staff@lublin.example")
    client.post("/logout", environ_base={"REMOTE_ADDR": ADDRESS})

    login, logout = events(demo)
    assert (login.kind, logout.kind) == (SecurityEventKind.LOGIN, SecurityEventKind.LOGOUT)
    for event in (login, logout):
        assert event.ip_address == ADDRESS
        assert event.email == "staff@lublin.example"
        assert event.user_id == event.actor_id is not None
        assert utcnow() - event.occurred_at < timedelta(minutes=5)


@pytest.mark.parametrize(
    ("email", "password", "detail", "known"),
    [
        ("staff@lublin.example", "Not-The-Password-7", "wrong_password", True),
        ("Nobody@Lublin.example", "Not-The-Password-7", "unknown_email", False),
    ],
)
def test_a_failed_login_keeps_the_typed_e_mail_but_never_the_password(
    demo, email, password, detail, known
):
    post_login(demo.test_client(), email, password)

    [failed] = events(demo, SecurityEventKind.LOGIN_FAILED)
    assert failed.email == email.lower()
    assert failed.detail == detail
    assert failed.actor_id is None
    assert (failed.user_id is not None) is known
    assert failed.ip_address == ADDRESS
    with demo.app_context():
        for row in db.session.execute(select(SecurityEvent.__table__)).all():
            assert not any(password in str(value) for value in row)


def test_a_deactivated_account_logging_in_is_recorded_as_such(demo):
    with demo.app_context():
        db.session.scalar(select(User).filter_by(email="staff@lublin.example")).active = False
        db.session.commit()
    post_login(demo.test_client(), "staff@lublin.example")
    [failed] = events(demo, SecurityEventKind.LOGIN_FAILED)
    assert failed.detail == "account_inactive"


@pytest.fixture
def admin(demo):
    client = demo.test_client()
    assert log_in(client, "admin@lublin.example").status_code == 302
    return client


def test_the_admin_reads_who_did_what_from_where(demo, admin):
    post_login(demo.test_client(), "staff@lublin.example", "Not-The-Password-7")
    text = page_text(admin.get("/users/security-log"))
    assert "Failed login" in text
    assert "staff@lublin.example" in text
    assert ADDRESS in text
    assert "Wrong password" in text
    assert "Logged in" in text  # the admin's own login
    assert "Anna Administrator" in text


def test_the_log_is_newest_first_and_filtered_by_kind_and_e_mail(demo, admin):
    post_login(demo.test_client(), "staff@lublin.example", "Not-The-Password-7")
    post_login(demo.test_client(), "accountant@lublin.example")

    text = page_text(admin.get("/users/security-log"))
    assert text.index("accountant@lublin.example") < text.index("staff@lublin.example")

    failed = page_text(admin.get("/users/security-log?kind=login_failed"))
    assert "staff@lublin.example" in failed
    assert "accountant@lublin.example" not in failed.split("Security events, newest first")[1]

    accountant = page_text(admin.get("/users/security-log?email=ACCOUNTANT"))
    assert "1 event" in accountant
    assert "staff@lublin.example" not in accountant


def test_a_filter_that_matches_nothing_shows_an_empty_state(admin):
    text = page_text(admin.get("/users/security-log?email=nobody-at-all"))
    assert "No events" in text
    assert "Nothing matches this filter." in text


def test_an_unknown_kind_in_the_address_shows_everything_instead_of_failing(admin):
    response = admin.get("/users/security-log?kind=exploded&page=x")
    assert response.status_code == 200


def test_the_log_is_paginated(demo, admin):
    demo.config["PAGE_SIZE"] = 10
    with demo.app_context():
        for number in range(25):
            record(SecurityEventKind.LOGIN_FAILED, email=f"guess{number:02d}@lublin.example")
        db.session.commit()
    first = page_text(admin.get("/users/security-log"))
    assert "Page 1 of 3" in first
    assert "guess24@lublin.example" in first
    third = page_text(admin.get("/users/security-log?page=3"))
    assert "guess00@lublin.example" in third


def test_only_administrators_read_the_log(demo):
    staff = demo.test_client()
    log_in(staff, "staff@lublin.example")
    assert staff.get("/users/security-log").status_code == 403


def test_the_log_page_only_reads(demo):
    rules = [rule for rule in demo.url_map.iter_rules() if "security-log" in rule.rule]
    assert [sorted(rule.methods - {"HEAD", "OPTIONS"}) for rule in rules] == [["GET"]]
