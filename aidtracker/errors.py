"""Error pages in the site's layout, never a stack trace; the API's errors stay JSON."""

from flask import Blueprint, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from aidtracker.api.errors import (
    PASSED_HEADERS,
    http_error_response,
    internal_error_response,
    is_api_request,
)
from aidtracker.extensions import db

blueprint = Blueprint("errors", __name__)

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("You are not allowed to do this.")),
    404: (_l("Page not found"), _l("There is nothing here. Check the address or use the menu.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts.")),
    429: (_l("Too many requests"), _l("Please wait a moment before trying again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Please try again later.")),
}
EXPIRED_FORM = (
    _l("The form has expired"),
    _l(
        "The page was open for a long time, or you logged in again meanwhile. Go back, reload "
        "the page and send the form again."
    ),
)
"""The 400 people actually meet: a form whose CSRF token no longer matches their session."""


def error_page(code: int, title: str, message: str, headers=()):
    response = make_response(
        render_template("errors/error.html", code=code, title=title, message=message), code
    )
    for name, value in headers:
        if name in PASSED_HEADERS:  # Allow on a 405, Retry-After on a 429
            response.headers[name] = value
    return response


@blueprint.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if is_api_request():
        return http_error_response(error)
    code = error.code or 500
    if isinstance(error, CSRFError):
        title, message = EXPIRED_FORM
    else:
        title, message = MESSAGES.get(code, (error.name, error.description))
    return error_page(code, title, message, error.get_headers())


@blueprint.app_errorhandler(500)
def internal_error(error):
    """Flask has logged the exception; what the failed request changed is undone before the
    page is drawn, which may itself need the database."""
    db.session.rollback()
    if is_api_request():
        return internal_error_response()
    return error_page(500, *MESSAGES[500])
