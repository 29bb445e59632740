"""Error pages in the site's layout, never a stack trace."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from aidtracker.api.errors import http_error_response, internal_error_response, is_api_request

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


@blueprint.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if is_api_request():
        return http_error_response(error)
    code = error.code or 500
    title, message = MESSAGES.get(code, (error.name, error.description))
    return render_template("errors/error.html", code=code, title=title, message=message), code


@blueprint.app_errorhandler(500)
def internal_error(error):
    from aidtracker.extensions import db

    db.session.rollback()
    if is_api_request():
        return internal_error_response()
    title, message = MESSAGES[500]
    return render_template("errors/error.html", code=500, title=title, message=message), 500
