"""Session cookies: Secure over HTTPS, and worthless once their login has ended.

Flask keeps the session in a signed cookie. Signed is not revocable: a copy of the cookie taken
before logout would, by itself, stay valid until it expires. So each session carries the id of the
security-log event that opened it (the LOGIN, or the PASSWORD_CHANGED of the user's own change),
and a session is refused once the security log holds, for its account, a later logout, password
change or reset, or deactivation. The log is written by the application only and never edited,
which makes it a record the sessions can rely on. The check is made where the session's user is
loaded, in the same query: every page that needs the user (all but the static files, the
tracking page and the health check) checks the session, for the price of that one query.

A logout therefore ends every session of the account, in every browser.
"""

from flask import Flask, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from aidtracker.auth.models import SecurityEvent, User
from aidtracker.auth.service import user_of_session
from aidtracker.extensions import login_manager

OPENED_BY = "opened_by_event"
"""Session key: the id of the security event from which the session is valid."""
API_PATH = "/api/"


def mark_session(event: SecurityEvent) -> None:
    """Make the current session valid from `event` on (a LOGIN or the user's own password
    change): later logouts, password changes and deactivations of the account end it."""
    session[OPENED_BY] = event.id


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the session's user while its login lasts. A session whose
    login has ended, or that our login did not make, is emptied (the response deletes the
    cookie) and the request goes on without a user."""
    opened_by = session.get(OPENED_BY)
    user = None
    if user_id.isdigit() and isinstance(opened_by, int):
        user = user_of_session(user_id=int(user_id), since_event_id=opened_by)
    if user is None:
        session.clear()
    return user


class AidTrackerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions: Secure over HTTPS, and never opened by the API."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request came over HTTPS."""
        forced = bool(app.config["SESSION_COOKIE_SECURE"])
        return forced or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request):
        if request.path.startswith(API_PATH):
            # The API authenticates by token: a cookie neither opens it nor is set by it.
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_sessions(app: Flask) -> None:
    app.session_interface = AidTrackerSessionInterface()
    login_manager.user_loader(load_session_user)
