"""Every user changes their own password: the current one, then the new one twice."""

import pytest
from sqlalchemy import select

from aidtracker.auth.models import SecurityEvent, SecurityEventKind, User
from aidtracker.extensions import db
from tests.conftest import DEMO_PASSWORD, log_in, page_text

NEW_PASSWORD = "seven brass lanterns"


@pytest.fixture
def partner(demo):
    client = demo.test_client()
    assert log_in(client, "partner@kryvyirih.example").status_code == 302
    return client


def password_hash(app, email="partner@kryvyirih.example") -> str:
    with app.app_context():
        return db.session.scalar(select(User.password_hash).filter_by(email=email))


def change(client, current=DEMO_PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm": confirm or new},
    )


def test_a_partner_changes_their_password_and_logs_in_with_the_new_one(demo, partner):
    assert "Change your password" in page_text(partner.get("/account/password"))

    response = change(partner)

    assert response.status_code == 302
    assert "Your password has been changed." in page_text(partner.get("/shipments/"))
    assert log_in(demo.test_client(), "partner@kryvyirih.example").status_code == 200
    assert log_in(demo.test_client(), "partner@kryvyirih.example", NEW_PASSWORD).status_code == 302
    with demo.app_context():
        [event] = db.session.scalars(
            select(SecurityEvent).filter_by(kind=SecurityEventKind.PASSWORD_CHANGED)
        ).all()
        assert event.user.email == event.actor.email == "partner@kryvyirih.example"
        assert event.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        (
            "wrong current password",
            NEW_PASSWORD,
            None,
            "current_password",
            "This is not your current password.",
        ),
        (
            DEMO_PASSWORD,
            "short one",
            None,
            "password",
            "The password needs at least 12 characters.",
        ),
        (DEMO_PASSWORD, "Qwerty123456", None, "password", "on a list of common passwords"),
        (
            DEMO_PASSWORD,
            NEW_PASSWORD,
            "seven brass lantern",
            "confirm",
            "The two passwords differ.",
        ),
        (
            DEMO_PASSWORD,
            "partner@kryvyirih.example",
            None,
            "password",
            "must not be the e-mail address",
        ),
        ("", NEW_PASSWORD, None, "current_password", "Enter your current password."),
    ],
)
def test_a_bad_change_says_why_next_to_the_field_and_keeps_the_old_password(
    demo, partner, current, new, confirm, field, message
):
    before = password_hash(demo)

    response = change(partner, current, new, confirm)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in page_text(response)
    assert password_hash(demo) == before
    with demo.app_context():
        assert not db.session.scalars(
            select(SecurityEvent).filter_by(kind=SecurityEventKind.PASSWORD_CHANGED)
        ).all()


def test_every_page_offers_the_change_password_link(partner):
    assert 'href="/account/password"' in partner.get("/shipments/").get_data(as_text=True)


def test_the_change_needs_a_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.location.startswith("/login")
