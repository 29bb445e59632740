"""Which language and time zone a request is served in, and the switcher that changes it.

The language is the user's profile language once logged in; before that, the one chosen with the
switcher (kept in the session), else the best match for the browser's Accept-Language.
"""

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, get_translations, gettext, ngettext, refresh
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from aidtracker.auth.access import public
from aidtracker.auth.models import LANGUAGE_NAMES
from aidtracker.extensions import db
from aidtracker.formviews import safe_next

blueprint = Blueprint("language", __name__)


def select_locale() -> str | None:
    """The user's profile language, else the one chosen before login, else the browser's."""
    if not has_request_context():
        return None  # commands and background work: the default language
    if current_user and current_user.is_authenticated:
        return current_user.language
    chosen = session.get("language")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    """The two-letter language of this request, for templates (``<html lang>``, item names)."""
    locale = get_locale()
    return locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


class LanguageForm(FlaskForm):
    """The layout's switcher: one button per language, each submitting its own code."""

    language = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        invalid_choice_message=_l("Choose one of the languages offered."),
    )
    next = HiddenField()


@blueprint.post("/language")
@public
def choose_language():
    """Switch the interface language at once and go back to the page the user was on."""
    form = LanguageForm()
    back = safe_next(form.next.data) or url_for("index")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "danger")
        return redirect(back)
    remember_language(form.language.data)
    return redirect(back)


def remember_language(language: str) -> None:
    """Serve this session in `language` from now on; a logged-in user's profile keeps it, so
    that it follows them to every device (and to their e-mails and reports)."""
    session["language"] = language
    if current_user.is_authenticated and current_user.language != language:
        current_user.language = language
        db.session.commit()
    refresh()


def page_translations():
    """Flask-Babel's translations for the current locale, found once per locale and request.

    Flask-Babel looks them up again for each string (13 µs), and a page shows a hundred. The
    answer is kept beside Flask-Babel's own per-request state, with the locale it was found
    for: ``force_locale`` (e-mails in the recipient's language) and ``refresh`` replace that
    locale, and the next string looks again.
    """
    state = g.get("_flask_babel")
    found = getattr(state, "aidtracker_translations", None)
    if found is not None and found[0] is getattr(state, "babel_locale", None):
        return found[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.aidtracker_translations = (locale, translations)
    return translations


def init_i18n(app) -> None:
    """Call after Flask-Babel's init_app: this replaces the gettext it gives templates."""
    app.register_blueprint(blueprint)
    app.jinja_env.install_gettext_callables(
        lambda text: page_translations().ugettext(text),
        lambda singular, plural, n: page_translations().ungettext(singular, plural, n),
        newstyle=True,
    )
    app.context_processor(
        lambda: {
            "current_language": current_language(),
            "language_names": LANGUAGE_NAMES,
        }
    )


COUNTRY_LANGUAGES = {"PL": "pl", "UA": "uk"}
"""The language of each country AidTracker speaks (ISO 3166 codes), for papers going there."""


def country_language(country: str | None) -> str | None:
    return COUNTRY_LANGUAGES.get((country or "").upper())


class Multilingual:
    """Texts in several languages at once, joined with " / " (each language once, in order):
    for papers read on both sides of a border, such as the packing list."""

    SEPARATOR = " / "

    def __init__(self, *languages: str | None):
        self.languages = list(dict.fromkeys(language for language in languages if language))

    def join(self, texts) -> str:
        return self.SEPARATOR.join(dict.fromkeys(text for text in texts if text))

    def _each(self, render) -> str:
        texts = []
        for language in self.languages:
            with force_locale(language):
                texts.append(str(render()))
        return self.join(texts)

    def gettext(self, message: str, **variables) -> str:
        return self._each(lambda: gettext(message, **variables))

    def ngettext(self, singular: str, plural: str, num: int, **variables) -> str:
        return self._each(lambda: ngettext(singular, plural, num, **variables))

    def label(self, text) -> str:
        """A lazily translated text (a status or unit label) in every language."""
        return self._each(lambda: text)

    def item_name(self, item) -> str:
        return self.join(item.name_in(language) for language in self.languages)
