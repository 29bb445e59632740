"""Errors of the API: always JSON, ``{"error": {"status", "message", "fields"?}}``.

``aidtracker.errors`` hands every HTTP error of an ``/api/`` address to ``http_error_response``, so
a wrong address, a wrong method or a rate limit answer in JSON there too, never in HTML.
"""

from flask import jsonify, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

API_PATH = "/api/"

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Send a valid API token: Authorization: Bearer …"),
    403: _l("You are not allowed to do this."),
    404: _l("There is nothing here."),
    405: _l("This address does not accept this method."),
    409: _l("The shipment is not in a state that allows this."),
    413: _l("What you sent is larger than this site accepts."),
    415: _l("Send the body as JSON (Content-Type: application/json)."),
    422: _l("Some fields need correcting."),
    429: _l("Too many requests; please wait a moment before trying again."),
    500: _l("Something went wrong. The error has been logged."),
}
PASSED_HEADERS = ("WWW-Authenticate", "Allow", "Retry-After")


def is_api_request() -> bool:
    return request.path.startswith(API_PATH)


def json_error(status: int, message: str | None = None, fields: dict | None = None):
    """The JSON answer for an error; `fields` maps a field name to what is wrong with it."""
    body: dict = {"status": status, "message": message or str(MESSAGES.get(status, ""))}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


def http_error_response(error: HTTPException):
    """A werkzeug HTTP error as JSON, keeping the headers the client needs (challenge, Allow)."""
    code = error.code or 500
    # Our own descriptions are messages for the client; werkzeug's defaults are replaced by ours.
    custom = error.description != type(error).description and code != 429
    message = error.description if custom else str(MESSAGES.get(code, error.name))
    response = json_error(code, message)
    for name, value in error.get_headers():
        if name in PASSED_HEADERS:
            response.headers[name] = value
    return response


def internal_error_response():
    return json_error(500, gettext("Something went wrong. The error has been logged."))
