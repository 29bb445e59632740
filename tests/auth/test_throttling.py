"""After 5 failed logins in a minute for one e-mail or from one address, the next are refused."""

import uuid

import pytest
import redis
from sqlalchemy import select

from aidtracker.auth.models import SecurityEvent, SecurityEventKind
from aidtracker.auth.throttling import (
    FAILED_LOGINS,
    NAMESPACE,
    REFUSALS_RECORDED,
    login_throttle,
)
from aidtracker.demo import load_demo
from aidtracker.extensions import db
from tests.conftest import DEMO_PASSWORD, fresh_app, page_text

THROTTLED = "Too many failed logins. Please wait a minute and try again."
WRONG = "The e-mail or the password is wrong."
REDIS_URL = "redis://127.0.0.1:6379"


def attempt(client, email, password="not-the-password", address="192.0.2.10"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def fail_five_times(client, email="staff@lublin.example", address="192.0.2.10"):
    for _ in range(5):
        response = attempt(client, email, address=address)
        assert response.status_code == 200
        assert WRONG in page_text(response)


def events(app, kind):
    with app.app_context():
        return db.session.scalars(select(SecurityEvent).filter_by(kind=kind)).all()


def test_the_sixth_try_for_one_e_mail_is_refused_even_with_the_right_password(demo):
    client = demo.test_client()
    fail_five_times(client)

    # From another address, so that only the e-mail's counter is full.
    response = attempt(client, "staff@lublin.example", DEMO_PASSWORD, address="198.51.100.7")

    assert response.status_code == 429
    assert THROTTLED in page_text(response)
    assert client.get("/shipments/").status_code == 302
    [refused] = events(demo, SecurityEventKind.LOGIN_THROTTLED)
    assert refused.email == "staff@lublin.example"
    assert refused.ip_address == "198.51.100.7"
    assert refused.user_id is not None


def test_the_e_mail_counter_ignores_case_and_blanks(demo):
    client = demo.test_client()
    for email in ["Staff@Lublin.example", " staff@lublin.example", "STAFF@LUBLIN.EXAMPLE"] * 2:
        if attempt(client, email).status_code == 429:
            break
    else:
        pytest.fail("six failures under different spellings were not throttled")
    assert attempt(client, "staff@lublin.example", DEMO_PASSWORD).status_code == 429


def test_five_failures_from_one_address_refuse_every_account_from_it(demo):
    client = demo.test_client()
    for number in range(5):
        attempt(client, f"guess{number}@lublin.example", address="203.0.113.5")

    refused = attempt(client, "accountant@lublin.example", DEMO_PASSWORD, address="203.0.113.5")
    assert refused.status_code == 429
    assert THROTTLED in page_text(refused)

    elsewhere = attempt(client, "accountant@lublin.example", DEMO_PASSWORD, address="203.0.113.6")
    assert elsewhere.status_code == 302


def test_four_failures_still_let_the_right_password_in(demo):
    client = demo.test_client()
    for _ in range(4):
        attempt(client, "staff@lublin.example")
    assert attempt(client, "staff@lublin.example", DEMO_PASSWORD).status_code == 302


def test_successful_logins_are_not_counted(demo):
    for _ in range(FAILED_LOGINS.amount + 2):
        client = demo.test_client()
        assert attempt(client, "staff@lublin.example", DEMO_PASSWORD).status_code == 302
    assert events(demo, SecurityEventKind.LOGIN_THROTTLED) == []


def test_repeated_refusals_are_recorded_once_a_minute(demo):
    client = demo.test_client()
    fail_five_times(client)
    for _ in range(3):
        assert attempt(client, "staff@lublin.example").status_code == 429
    assert len(events(demo, SecurityEventKind.LOGIN_THROTTLED)) == 1
    # Refused attempts are not failures: the log shows the five real ones only.
    assert len(events(demo, SecurityEventKind.LOGIN_FAILED)) == 5


def test_each_new_app_starts_with_empty_counters(database_url, tmp_path):
    with fresh_app(database_url, tmp_path / "one", WTF_CSRF_ENABLED=False) as first:
        with first.app_context():
            load_demo()
        fail_five_times(first.test_client())
        assert attempt(first.test_client(), "staff@lublin.example").status_code == 429
    with fresh_app(database_url, tmp_path / "two", WTF_CSRF_ENABLED=False) as second:
        with second.app_context():
            load_demo()
        response = attempt(second.test_client(), "staff@lublin.example", DEMO_PASSWORD)
        assert response.status_code == 302


def test_two_apps_of_one_process_keep_their_own_counters(demo, tmp_path):
    # `demo` was built first; a second app binds the shared Flask-Limiter object afterwards.
    with fresh_app(
        f"sqlite:///{tmp_path / 'other.db'}", tmp_path / "other", WTF_CSRF_ENABLED=False
    ) as other:
        with other.app_context():
            load_demo()
        fail_five_times(other.test_client())
        assert attempt(demo.test_client(), "staff@lublin.example", DEMO_PASSWORD).status_code == 302
        assert (
            attempt(other.test_client(), "staff@lublin.example", DEMO_PASSWORD).status_code == 429
        )


def test_the_default_storage_is_memory(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    with app.app_context():
        assert type(login_throttle().storage).__name__ == "MemoryStorage"


def test_an_unreachable_storage_lets_people_log_in_and_is_logged(database_url, tmp_path, caplog):
    # Port 1 on the loopback interface refuses connections at once.
    with fresh_app(
        database_url,
        tmp_path,
        WTF_CSRF_ENABLED=False,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1",
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1},
    ) as app:
        with app.app_context():
            load_demo()
        response = attempt(app.test_client(), "staff@lublin.example", DEMO_PASSWORD)
    assert response.status_code == 302
    assert "rate-limit storage does not answer" in caplog.text


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason=f"no Redis answers at {REDIS_URL}")
def test_with_redis_the_counters_live_in_redis(database_url, tmp_path):
    # Addresses and e-mails unique to this run, so that runs sharing the Redis never meet.
    run = uuid.uuid4().hex[:12]
    email = f"nobody-{run}@lublin.example"
    address = f"2001:db8::{run[:4]}:{run[4:8]}"
    with fresh_app(
        database_url, tmp_path, WTF_CSRF_ENABLED=False, RATELIMIT_STORAGE_URI=REDIS_URL
    ) as app:
        with app.app_context():
            load_demo()
            throttle = login_throttle()
            assert type(throttle.storage).__name__ == "RedisStorage"
        client = app.test_client()
        try:
            fail_five_times(client, email=email, address=address)
            assert attempt(client, email, address=address).status_code == 429
            keys = redis.Redis.from_url(REDIS_URL).keys(f"*{NAMESPACE}*{run}*")
            assert keys, "the failures were not counted in Redis"
        finally:
            with app.app_context():
                for kind, value in [("email", email), ("address", address)]:
                    throttle.window.clear(FAILED_LOGINS, NAMESPACE, kind, value)
                throttle.window.clear(REFUSALS_RECORDED, NAMESPACE, "refused", email, address)
