"""Helpers of the funds tests: demo accounts, organisations and the demo fund."""

from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.funds.models import Fund
from aidtracker.parties.models import Organisation
from tests.conftest import log_in

FUND = "Lublin Residents' Fundraiser"
ACCOUNTANT = "accountant@lublin.example"
STAFF = "staff@lublin.example"


def user(email: str) -> User:
    return db.session.scalar(select(User).filter_by(email=email))


def organisation(name: str) -> Organisation:
    return db.session.scalar(select(Organisation).filter_by(name=name))


def demo_fund() -> Fund:
    return db.session.scalar(select(Fund).filter_by(name=FUND))


def logged_in(app, email: str):
    client = app.test_client()
    assert log_in(client, email).status_code == 302
    return client
