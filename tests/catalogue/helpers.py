"""Helpers the reference-data tests share: who is logged in, what the page says, what is stored."""

import html

from sqlalchemy import inspect, select

from aidtracker.extensions import db
from tests.conftest import log_in, page_text

STAFF = "staff@lublin.example"
ADMIN = "admin@lublin.example"
ACCOUNTANT = "accountant@lublin.example"
PARTNER = "partner@kryvyirih.example"


def client_of(app, email: str):
    """A test client logged in as the demo user `email`."""
    client = app.test_client()
    assert log_in(client, email).status_code == 302
    return client


def text_of(response) -> str:
    """The visible text of a page, with entities such as &#39; turned back into characters."""
    return html.unescape(page_text(response))


def stored_rows(app, *models) -> list[tuple]:
    """Every column of every row of `models`, in id order: compare before and after a request."""
    rows = []
    with app.app_context():
        for model in models:
            columns = [column.key for column in inspect(model).column_attrs]
            for record in db.session.scalars(select(model).order_by(model.id)):
                rows.append((model.__name__, *(getattr(record, name) for name in columns)))
        db.session.remove()
    return rows
