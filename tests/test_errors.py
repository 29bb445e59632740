"""Whatever goes wrong, a person gets a page in the site's layout that says so in words, never a
stack trace; the JSON API answers in JSON; a failed request leaves nothing half-saved."""

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from aidtracker.auth.access import public
from aidtracker.extensions import db, limiter
from aidtracker.parties.models import City
from tests.conftest import fresh_app, log_in, page_text

STAFF_NAME = "Stanisław Staff"


def assert_error_page(response, code: int, title: str, message: str) -> str:
    """The error page in the layout: menu, title, message; no trace of the code behind it."""
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert f"<title>{title} · AidTracker</title>" in html
    assert 'aria-label="Main navigation"' in html
    text = page_text(response)
    assert message in text
    assert "Go to the start page" in text
    assert "Traceback" not in html
    return text


@public
def add_a_city_twice():
    """A request that fails half-way, after writing: the second city breaks a unique rule."""
    db.session.add(City(code="ZZZ", name="Half-saved", country="PL"))
    db.session.flush()
    db.session.add(City(code="ZZZ", name="Duplicate", country="PL"))
    db.session.flush()  # raises IntegrityError


@public
@limiter.limit("1 per minute")
def once_a_minute():
    return "done"


@pytest.fixture
def failing_app(app):
    """The site with a page that fails (at two addresses, one in the API) and a page allowed
    once a minute; exceptions are handled as in production, not raised into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/broken", view_func=add_a_city_twice)
    app.add_url_rule("/api/v1/broken", endpoint="api_broken", view_func=add_a_city_twice)
    app.add_url_rule("/once-a-minute", view_func=once_a_minute)
    return app


def half_saved_cities(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(City.code == "ZZZ"))


def test_an_expired_form_answers_400_saying_to_reload_the_page(database_url, tmp_path):
    with fresh_app(database_url, tmp_path) as app:  # CSRF on, as in production
        response = app.test_client().post("/login", data={"email": "a@b.example"})
    assert_error_page(
        response,
        400,
        "The form has expired",
        "Go back, reload the page and send the form again.",
    )


def test_a_page_the_role_may_not_use_answers_403(staff):
    assert_error_page(staff.get("/users/"), 403, "Not allowed", "You are not allowed to do this.")


def test_an_unknown_address_answers_404(client):
    assert_error_page(
        client.get("/no-such-page"),
        404,
        "Page not found",
        "There is nothing here. Check the address or use the menu.",
    )


def test_a_wrong_method_answers_405_naming_the_allowed_ones(client):
    response = client.post("/healthz")
    assert_error_page(response, 405, "Not allowed", "This page cannot be used that way.")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}


def test_a_body_over_the_size_limit_answers_413(client):
    response = client.post(
        "/login",
        data=b"email=" + b"x" * (12 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_page(response, 413, "Too large", "What you sent is larger than this site accepts.")


def test_too_many_requests_answer_429_in_the_layout(failing_app):
    client = failing_app.test_client()
    assert client.get("/once-a-minute").status_code == 200
    response = client.get("/once-a-minute")
    text = assert_error_page(
        response, 429, "Too many requests", "Please wait a moment before trying again."
    )
    assert "1 per 1 minute" not in text  # Flask-Limiter's own wording is replaced by ours


def test_a_failure_answers_500_logs_it_and_saves_nothing_of_the_request(failing_app, demo, caplog):
    client = failing_app.test_client()
    log_in(client, "staff@lublin.example")

    with caplog.at_level(logging.ERROR):
        response = client.get("/broken")

    text = assert_error_page(
        response,
        500,
        "Something went wrong",
        "The error has been logged. Please try again later.",
    )
    # The layout could still read the database: the failed transaction was rolled back first.
    assert STAFF_NAME in text
    assert "ZZZ" not in text
    assert "IntegrityError" not in text
    [record] = [r for r in caplog.records if r.exc_info and r.exc_info[0] is IntegrityError]
    assert "/broken" in record.getMessage()
    assert half_saved_cities(failing_app) == 0


def test_api_errors_stay_json(failing_app):
    client = failing_app.test_client()

    missing = client.get("/api/v1/no-such-thing")
    broken = client.get("/api/v1/broken")

    assert missing.status_code == 404
    assert missing.json["error"]["status"] == 404
    assert broken.status_code == 500
    assert broken.json == {
        "error": {"status": 500, "message": "Something went wrong. The error has been logged."}
    }
    assert half_saved_cities(failing_app) == 0


def test_error_pages_speak_the_visitors_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "uk"})
    assert response.status_code == 404
    assert "Сторінку не знайдено" in page_text(response)


# Multipart form limits (MAX_FORM_MEMORY_SIZE, MAX_FORM_PARTS): refused with 413, never a 500.


def test_a_form_field_too_large_for_memory_answers_413_even_before_the_csrf_check(
    database_url, tmp_path
):
    with fresh_app(database_url, tmp_path) as app:  # CSRF on: its check reads the form first
        response = app.test_client().post(
            "/login",
            data={"email": "x" * (256 * 1024 + 1), "password": "p"},
            content_type="multipart/form-data",
        )
    assert_error_page(response, 413, "Too large", "What you sent is larger than this site accepts.")


def test_a_form_with_too_many_parts_answers_413(client):
    fields = {f"field-{number}": "x" for number in range(60)}
    response = client.post("/login", data=fields, content_type="multipart/form-data")
    assert_error_page(response, 413, "Too large", "What you sent is larger than this site accepts.")
