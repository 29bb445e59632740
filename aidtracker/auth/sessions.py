"""Session cookies: Secure over HTTPS, and worthless once their login has ended.

Flask keeps the session in a signed cookie. Signed is not revocable: a copy of the cookie taken
before logout would, by itself, stay valid until it expires. So each session carries the id of the
security-log event that opened it (the LOGIN, or the PASSWORD_CHANGED of the user's own change),
and a session is refused once the security log holds, for its account, a later logout, password
change or reset, or deactivation. The log is written by the application only and never edited,
which makes it a record the sessions can rely on; the check is one indexed query per request of
a logged-in user.

A logout therefore ends every session of the account, in every browser.
"""

from flask import Flask, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from aidtracker.auth.models import SecurityEvent
from aidtracker.auth.service import session_has_ended

OPENED_BY = "opened_by_event"
"""Session key: the id of the security event from which the session is valid."""
USER_ID = "_user_id"  # where Flask-Login keeps the logged-in user's id
API_PATH = "/api/"


def mark_session(event: SecurityEvent) -> None:
    """Make the current session valid from `event` on (a LOGIN or the user's own password
    change): later logouts, password changes and deactivations of the account end it."""
    session[OPENED_BY] = event.id


def session_is_current(data) -> bool:
    """True unless `data` is a logged-in session whose login has ended since."""
    user_id = data.get(USER_ID)
    if user_id is None:
        return True
    opened_by = data.get(OPENED_BY)
    if not str(user_id).isdigit() or not isinstance(opened_by, int):
        return False  # a session from before this rule, or not made by our login
    return not session_has_ended(user_id=int(user_id), since_event_id=opened_by)


class AidTrackerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the two rules above."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request came over HTTPS."""
        forced = bool(app.config["SESSION_COOKIE_SECURE"])
        return forced or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request):
        if request.path.startswith(API_PATH):
            # The API authenticates by token: a cookie neither opens it nor is set by it.
            return self.make_null_session(app)
        data = super().open_session(app, request)
        if data is not None and not session_is_current(data):
            data.clear()  # marks it modified: the response deletes the cookie
        return data


def init_sessions(app: Flask) -> None:
    app.session_interface = AidTrackerSessionInterface()
