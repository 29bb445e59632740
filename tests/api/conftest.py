"""Tokens for the demo's users, and an API client that sends one."""

import pytest
from sqlalchemy import select

from aidtracker.api.tokens import issue_token
from aidtracker.auth.models import User
from aidtracker.extensions import db


def token_for(app, email: str, days: int = 30) -> str:
    """A fresh API token of the user with `email`."""
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email=email))
        _token, secret = issue_token(user, name="test", days=days)
        return secret


class ApiClient:
    """The app's test client with a bearer token on every request."""

    def __init__(self, app, token: str | None):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, url: str, **kwargs):
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url: str, **kwargs):
        return self.client.post(url, headers=self.headers, **kwargs)

    def open(self, url: str, method: str, **kwargs):
        return self.client.open(url, method=method, headers=self.headers, **kwargs)


@pytest.fixture
def api_as(demo):
    """``api_as(email)``: an API client with a new token of that demo user."""
    return lambda email: ApiClient(demo, token_for(demo, email))
