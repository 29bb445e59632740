"""City staff log in with their e-mail and password, and log out when done."""

import pytest
from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from tests.conftest import log_in, page_text

WRONG = "The e-mail or the password is wrong."


def test_staff_logs_in_sees_the_shipments_and_logs_out(demo):
    client = demo.test_client()
    response = log_in(client, "staff@lublin.example")
    assert response.status_code == 302
    assert "LUB-KRR-2023-0002" in page_text(client.get("/shipments/"))

    client.post("/logout")
    assert client.get("/shipments/").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [("staff@lublin.example", "not-the-password"), ("nobody@lublin.example", "aidtracker-demo")],
)
def test_a_failed_login_does_not_tell_whether_the_email_exists(demo, email, password):
    client = demo.test_client()
    response = log_in(client, email, password)
    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert client.get("/shipments/").status_code == 302


def test_e_mail_is_matched_without_case_or_surrounding_blanks(demo):
    response = log_in(demo.test_client(), "  Staff@Lublin.EXAMPLE ")
    assert response.status_code == 302


def test_empty_fields_are_named_next_to_the_field(demo):
    response = demo.test_client().post("/login", data={"email": "", "password": ""})
    text = page_text(response)
    assert "Enter your e-mail address." in text
    assert "Enter your password." in text


def test_a_deactivated_user_cannot_log_in(demo):
    with demo.app_context():
        user = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        user.active = False
        db.session.commit()
    response = log_in(demo.test_client(), "staff@lublin.example")
    assert WRONG in page_text(response)


def test_a_deactivated_user_is_logged_out_on_the_next_request(staff, demo):
    with demo.app_context():
        user = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        user.active = False
        db.session.commit()
    assert staff.get("/shipments/").status_code == 302


@pytest.mark.parametrize("path", ["/", "/shipments/", "/shipments/LUB-KRR-2023-0002"])
def test_every_page_asks_for_login_first(client, demo, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_login_returns_to_the_page_asked_for(demo):
    client = demo.test_client()
    client.get("/shipments/LUB-KRR-2023-0001")
    response = client.post(
        "/login?next=/shipments/LUB-KRR-2023-0001",
        data={"email": "staff@lublin.example", "password": "aidtracker-demo"},
    )
    assert response.location == "/shipments/LUB-KRR-2023-0001"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_login_never_redirects_to_another_site(demo, target):
    response = demo.test_client().post(
        f"/login?next={target}",
        data={"email": "staff@lublin.example", "password": "aidtracker-demo"},
    )
    assert response.location == "/"


def test_passwords_are_stored_hashed_with_a_modern_scheme(demo):
    with demo.app_context():
        user = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        assert "aidtracker-demo" not in user.password_hash
        assert user.password_hash.startswith("scrypt:")


def test_logging_in_records_the_time(demo):
    log_in(demo.test_client(), "staff@lublin.example")
    with demo.app_context():
        user = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        assert user.last_login_at is not None


def test_a_form_posted_without_csrf_token_is_refused(demo):
    demo.config["WTF_CSRF_ENABLED"] = True
    client = demo.test_client()
    response = log_in(client, "staff@lublin.example")
    assert response.status_code == 400
    assert client.get("/shipments/").status_code == 302


def test_login_works_with_the_csrf_token_of_the_form(demo):
    import re

    demo.config["WTF_CSRF_ENABLED"] = True
    client = demo.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post(
        "/login",
        data={"email": "staff@lublin.example", "password": "aidtracker-demo", "csrf_token": token},
    )
    assert response.status_code == 302
