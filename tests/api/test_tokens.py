"""Personal API tokens: made on the account page, shown once, stored hashed, expiring, revocable."""

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select

from aidtracker.api.models import ApiToken
from aidtracker.auth.models import User
from aidtracker.database import utcnow
from aidtracker.extensions import db
from tests.api.conftest import ApiClient, token_for
from tests.conftest import page_text

TOKEN = re.compile(r"at_[A-Za-z0-9_-]{43}")


def _create(client, name="Warehouse system", days="90"):
    return client.post("/account/api-tokens/", data={"name": name, "days": days})


def test_a_new_token_is_shown_once_and_stored_only_hashed(demo, staff):
    response = _create(staff)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = TOKEN.search(response.get_data(as_text=True)).group(0)

    listed = staff.get("/account/api-tokens/")
    assert listed.status_code == 200
    assert secret not in listed.get_data(as_text=True)
    assert "Warehouse system" in page_text(listed)
    assert secret[:8] in page_text(listed)

    with demo.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert token.prefix == secret[:8]
        assert secret not in (token.name, token.prefix, token.token_hash)
        lifetime = token.expires_at - token.created_at
        assert lifetime == timedelta(days=90)


def test_the_token_opens_the_api_and_notes_its_use(demo, staff):
    secret = TOKEN.search(_create(staff).get_data(as_text=True)).group(0)
    response = ApiClient(demo, secret).get("/api/v1/shipments")
    assert response.status_code == 200
    assert response.json["total"] == 7
    with demo.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_a_revoked_token_answers_401_with_a_bearer_challenge(demo, staff):
    secret = TOKEN.search(_create(staff).get_data(as_text=True)).group(0)
    with demo.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    response = staff.post(f"/account/api-tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert "Revoked" in page_text(staff.get("/account/api-tokens/"))

    response = ApiClient(demo, secret).get("/api/v1/shipments")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["status"] == 401


def test_an_expired_token_answers_401(demo):
    secret = token_for(demo, "staff@lublin.example")
    with demo.app_context():
        db.session.scalar(select(ApiToken)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert ApiClient(demo, secret).get("/api/v1/shipments").status_code == 401


def test_the_token_of_a_deactivated_user_answers_401(demo):
    secret = token_for(demo, "partner@lutsk.example")
    with demo.app_context():
        db.session.scalar(select(User).filter_by(email="partner@lutsk.example")).active = False
        db.session.commit()
    assert ApiClient(demo, secret).get("/api/v1/shipments").status_code == 401


def test_missing_malformed_or_unknown_tokens_answer_401(demo):
    client = demo.test_client()
    for headers in (
        {},
        {"Authorization": "Basic c3RhZmY6cGFzcw=="},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer at_" + "x" * 43},
        {"Authorization": "Bearer " + "y" * 500},
    ):
        response = client.get("/api/v1/shipments/LUB-KRR-2023-0001", headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"]["message"]


def test_a_browser_session_does_not_open_the_api_and_the_api_sets_no_cookie(demo, staff):
    assert staff.get("/api/v1/shipments").status_code == 401
    secret = token_for(demo, "staff@lublin.example")
    response = staff.get("/api/v1/shipments", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_token_needs_a_name_and_an_offered_lifetime(demo, staff):
    assert _create(staff, name="  ").status_code == 422
    response = _create(staff, days="7")
    assert response.status_code == 422
    assert not TOKEN.search(response.get_data(as_text=True))
    with demo.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_a_user_cannot_revoke_someone_elses_token(demo, staff):
    token_for(demo, "partner@lutsk.example")
    with demo.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert staff.post(f"/account/api-tokens/{token_id}/revoke").status_code == 404
    with demo.app_context():
        assert db.session.scalar(select(ApiToken.revoked_at)) is None


def test_the_user_menu_links_to_the_token_page(staff):
    html = staff.get("/shipments/").get_data(as_text=True)
    assert 'href="/account/api-tokens/"' in html
