"""Which language and time zone a request is served in."""

from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user


def select_locale() -> str | None:
    """The user's chosen language, else the best match for the browser's Accept-Language."""
    if not has_request_context():
        return None  # commands and background work: the default language
    if current_user and current_user.is_authenticated:
        return current_user.language
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    """The two-letter language of this request, for templates (``<html lang>``, item names)."""
    locale = get_locale()
    return locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def init_i18n(app) -> None:
    app.context_processor(lambda: {"current_language": current_language()})
