"""Session cookies: HttpOnly, SameSite=Lax, Secure over HTTPS; new at login; dead after logout."""

from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.auth.service import deactivate_user, reset_password
from aidtracker.auth.sessions import OPENED_BY
from aidtracker.extensions import db
from tests.conftest import DEMO_PASSWORD, log_in

NEW_PASSWORD = "seven brass lanterns"


def session_cookie_header(response) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def cookie_value(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_the_session_cookie_is_http_only_and_same_site_lax(demo):
    header = session_cookie_header(log_in(demo.test_client(), "staff@lublin.example"))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header  # plain HTTP: a Secure cookie would never come back


def test_over_https_the_session_cookie_is_secure(demo):
    response = demo.test_client().post(
        "/login",
        data={"email": "staff@lublin.example", "password": DEMO_PASSWORD},
        base_url="https://aid.lublin.example",
    )
    assert response.status_code == 302
    assert "; Secure" in session_cookie_header(response)


def test_the_session_cookie_changes_at_login_and_the_old_one_is_not_logged_in(demo):
    client = demo.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = cookie_value(client)

    log_in(client, "staff@lublin.example")

    assert cookie_value(client) not in (None, before)
    with client.session_transaction() as session:
        assert "planted" not in session
    stranger = demo.test_client()
    stranger.set_cookie("session", before)
    assert stranger.get("/shipments/").status_code == 302


def test_a_cookie_copied_before_logout_no_longer_opens_the_account(demo):
    client = demo.test_client()
    log_in(client, "staff@lublin.example")
    copied = cookie_value(client)
    assert client.get("/shipments/").status_code == 200

    client.post("/logout")

    thief = demo.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/shipments/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_logging_in_again_after_logout_works(demo):
    client = demo.test_client()
    log_in(client, "staff@lublin.example")
    client.post("/logout")
    assert log_in(client, "staff@lublin.example").status_code == 302
    assert client.get("/shipments/").status_code == 200


def test_changing_ones_password_keeps_this_session_and_ends_the_others(demo):
    here, elsewhere = demo.test_client(), demo.test_client()
    log_in(here, "staff@lublin.example")
    log_in(elsewhere, "staff@lublin.example")

    response = here.post(
        "/account/password",
        data={"current_password": DEMO_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert here.get("/shipments/").status_code == 200
    assert elsewhere.get("/shipments/").status_code == 302


def _user(email: str) -> User:
    return db.session.scalar(select(User).filter_by(email=email))


def test_a_password_reset_or_deactivation_ends_the_users_sessions(demo):
    staff, accountant = demo.test_client(), demo.test_client()
    log_in(staff, "staff@lublin.example")
    log_in(accountant, "accountant@lublin.example")
    with demo.app_context():
        admin = _user("admin@lublin.example")
        reset_password(user=_user("staff@lublin.example"), new_password=NEW_PASSWORD, by=admin)
        deactivate_user(user=_user("accountant@lublin.example"), by=admin)

    assert staff.get("/shipments/").status_code == 302
    assert accountant.get("/shipments/").status_code == 302


def test_a_session_without_the_login_mark_is_not_accepted(demo):
    client = demo.test_client()
    log_in(client, "staff@lublin.example")
    with client.session_transaction() as session:
        del session[OPENED_BY]
    assert client.get("/shipments/").status_code == 302
