"""Fixtures: a fresh app and database per test, on SQLite and (when configured) on PostgreSQL.

Set AIDTRACKER_TEST_DATABASE_URL to a PostgreSQL URL (``make test`` does when the local server
answers) and every test that uses the database runs twice, once per backend. The PostgreSQL run
works in a throw-away database created for the session, emptied after each test.
"""

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

from aidtracker import create_app
from aidtracker.auth.models import Role
from aidtracker.auth.service import create_user
from aidtracker.extensions import db
from aidtracker.models import CatalogueItem, Organisation, Shipment, ShipmentLine
from aidtracker.reports.jobs import wait_for_exports

POSTGRES_URL = os.environ.get("AIDTRACKER_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
DEMO_PASSWORD = "aidtracker-demo"


@contextmanager
def scratch_postgres_database(prefix: str = "aidtracker_test") -> Iterator[str]:
    """Create an empty PostgreSQL database beside the configured one; drop it afterwards."""
    server = make_url(POSTGRES_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    with scratch_postgres_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aidtracker.db'}"
    return request.getfixturevalue("postgres_database")


class ReadingClient(FlaskClient):
    """Flask's test client, reading every answer whole as a browser would. Unread, a download
    keeps its file open until the garbage collector closes it, and the ResourceWarning it then
    gives fails whichever test happens to be running."""

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@contextmanager
def fresh_app(database_url: str, tmp_path, **settings) -> Iterator:
    """An application on an empty database with every table created; emptied afterwards."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "documents"),
            "RATELIMIT_STORAGE_URI": "memory://",
            **settings,
        },
        instance_path=str(tmp_path / "instance"),
    )
    app.test_client_class = ReadingClient
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        # Report threads a test started give their connection back before the database is
        # emptied: otherwise the emptying waits on them, or a connection outlives its pool.
        wait_for_exports(timeout=60)
        with app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
                with db.engine.begin() as connection:
                    connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    """A fresh application; CSRF is off so tests can post forms directly."""
    with fresh_app(database_url, tmp_path, WTF_CSRF_ENABLED=False) as app:
        yield app


@pytest.fixture
def demo(app):
    """The demo installation of DESIGN.md: cities, organisations, users and seven shipments."""
    from aidtracker.demo import load_demo

    with app.app_context():
        load_demo()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def log_in(client, email: str, password: str = DEMO_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


PARTNER_PASSWORD = "partner password 1"


def partner_of(app, organisation: str, email: str, password: str = PARTNER_PASSWORD) -> None:
    """A partner user of the demo organisation named `organisation`."""
    with app.app_context():
        member_of = db.session.scalar(select(Organisation).filter_by(name=organisation))
        create_user(email=email, password=password, role=Role.PARTNER, organisation=member_of)
        db.session.commit()


def add_donated_line(app, reference: str, donor: str, item: str = "Wool blanket") -> None:
    """50 units of `item` at 45.00 PLN, given in kind by `donor`, at the end of shipment
    `reference`: a line whose donor takes no other part in the shipment."""
    with app.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=reference))
        catalogue_item = db.session.scalar(select(CatalogueItem).filter_by(name_en=item))
        shipment.lines.append(
            ShipmentLine(
                position=len(shipment.lines) + 1,
                item=catalogue_item,
                quantity=Decimal(50),
                unit=catalogue_item.unit,
                unit_value=Decimal("45.00"),
                currency="PLN",
                donor=db.session.scalar(select(Organisation).filter_by(name=donor)),
                funding="in_kind",
            )
        )
        db.session.commit()


@pytest.fixture
def staff(demo):
    """A browser session of the demo's city staff member."""
    client = demo.test_client()
    response = log_in(client, "staff@lublin.example")
    assert response.status_code == 302
    return client


class QueryCounter:
    """Counts the SQL statements an engine runs while active."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def __len__(self) -> int:
        return len(self.statements)


def page_text(response) -> str:
    """The visible text of an HTML response, with tags removed and blanks collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


class _FormReader(HTMLParser):
    """Collects what a browser would submit from the forms of a page."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._switcher = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form":
            self._switcher = (attributes.get("action") or "").endswith("/language")
        if self._switcher:
            return  # the layout's language switcher is not part of the page's forms
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind in ("submit", "button", "file"):
                return
            self.fields[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = attributes.get("value") or ""
            if self._first_option is None:
                self._first_option = value
            if "selected" in attributes:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._switcher = False
        if tag == "select" and self._select:
            self.fields.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(response) -> dict[str, str]:
    """The fields a browser would submit from the page, as it was rendered."""
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    reader.fields.pop("csrf_token", None)
    return reader.fields


def post_multipart(client, url: str, data: dict):
    """POST a multipart form, closing the body afterwards.

    Werkzeug's test client spools a body over 500 kB into a temporary file that it never closes;
    warnings are errors here, so large uploads go through this.
    """
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=url, method="POST", data=data)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
