"""A request that only read ends its transaction with COMMIT (psycopg keeps its prepared
statements); one that wrote and did not commit is still rolled back, whatever way it wrote."""

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from aidtracker.auth.access import public
from aidtracker.extensions import db
from aidtracker.models import Organisation

NAME = "Kryvyi Rih City Council"


@pytest.fixture
def endings(demo):
    """How each transaction of the test ended: "commit" or "rollback", in order."""
    seen: list[str] = []
    with demo.app_context():
        engine = db.engine

    def on_commit(connection):
        seen.append("commit")

    def on_rollback(connection):
        seen.append("rollback")

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield seen
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


def route(app, path, view):
    app.add_url_rule(path, endpoint=path.strip("/"), view_func=public(view))


def organisation() -> Organisation:
    return db.session.scalar(select(Organisation).filter_by(name=NAME))


def test_a_request_that_only_read_commits(demo, endings):
    route(demo, "/read", lambda: organisation().name)
    response = demo.test_client().get("/read")
    assert response.get_data(as_text=True) == NAME
    assert endings == ["commit"]


def test_an_unsaved_change_of_the_orm_is_rolled_back(demo, endings):
    def rename():
        organisation().name = "Renamed, never saved"
        return "changed"

    route(demo, "/rename", rename)
    assert demo.test_client().get("/rename").status_code == 200
    assert endings == ["rollback"]
    with demo.app_context():
        assert organisation() is not None


def test_a_flushed_but_uncommitted_change_is_rolled_back(demo, endings):
    def flush_only():
        organisation().name = "Flushed, never committed"
        db.session.flush()
        return "flushed"

    route(demo, "/flush", flush_only)
    assert demo.test_client().get("/flush").status_code == 200
    assert endings == ["rollback"]
    with demo.app_context():
        assert organisation() is not None


def test_sql_written_past_the_orm_is_rolled_back(demo, endings):
    def raw_update():
        db.session.execute(
            update(Organisation)
            .where(Organisation.name == NAME)
            .values(name="Raw, never committed")
        )
        return "updated"

    route(demo, "/raw", raw_update)
    assert demo.test_client().get("/raw").status_code == 200
    assert endings == ["rollback"]
    with demo.app_context():
        assert organisation() is not None


def test_a_view_that_committed_then_read_commits_its_read(demo, endings):
    def save_then_read():
        organisation().name = "Saved"
        db.session.commit()
        return db.session.scalar(select(Organisation.name).filter_by(name="Saved"))

    route(demo, "/save", save_then_read)
    assert demo.test_client().get("/save").get_data(as_text=True) == "Saved"
    assert endings == ["commit", "commit"]


def test_a_failed_flush_the_view_caught_is_rolled_back(demo, endings):
    def refused_change():
        organisation().name = None  # the column is NOT NULL
        try:
            db.session.flush()
        except IntegrityError:
            return "refused"
        return "saved"

    route(demo, "/refused", refused_change)
    assert demo.test_client().get("/refused").get_data(as_text=True) == "refused"
    assert endings == ["rollback"]
    with demo.app_context():
        assert organisation() is not None


def test_a_failed_request_rolls_back(demo, endings):
    def fail():
        organisation()
        raise RuntimeError("the view failed")

    route(demo, "/fail", fail)
    demo.config["PROPAGATE_EXCEPTIONS"] = False
    assert demo.test_client().get("/fail").status_code == 500
    assert endings == ["rollback"]


def test_what_an_app_context_loaded_stays_readable_after_it_ends(demo):
    with demo.app_context():
        loaded = organisation()
    assert loaded.name == NAME
