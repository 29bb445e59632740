"""English, Polish and Ukrainian: every message translated, no text in a template that skips
gettext, the language taken from the profile, the browser or the switcher, and numbers, dates and
money written the way each language writes them."""

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, format_currency, format_date
from sqlalchemy import select

import aidtracker
from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.i18n import Multilingual, country_language
from tests.conftest import log_in, page_text

TRANSLATIONS = Path(aidtracker.__file__).parent / "translations"
ROOT = TRANSLATIONS.parent.parent
TRANSLATED = ("pl", "uk")
KEYWORDS = DEFAULT_KEYWORDS | {
    "_l": None,
    "lazy_gettext": None,
    "_ln": (1, 2),
    "lazy_ngettext": (1, 2),
}
"""What `make messages` looks for (its BABEL_KEYWORDS), besides Babel's defaults."""
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|<[^>]+>")
ONE_FORM_MAY_DROP = {"%(num)d", "%(count)d"}


def source_messages() -> set[str]:
    """The singular msgid of every message the code and the templates ask to translate now."""
    with open(TRANSLATIONS / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(ROOT, method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for *_, message, _, _ in found}


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_of_the_code_and_templates_is_translated(language):
    translated = catalogue(language)
    missing = []
    for msgid in sorted(source_messages()):
        message = translated.get(msgid)
        forms = () if message is None else message.string
        forms = forms if isinstance(forms, tuple) else (forms,)
        complete = message is not None and "fuzzy" not in message.flags and all(forms)
        if not complete or (message.pluralizable and len(forms) != translated.num_plurals):
            missing.append(msgid)
    assert missing == [], f"{len(missing)} messages lack a {language} translation: make messages"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder_and_tag(language):
    wrong = []
    for message in catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for form in forms:
            found = set(PLACEHOLDER.findall(form))
            if found - wanted or wanted - found - ONE_FORM_MAY_DROP:
                wrong.append((ids[0], form))
    assert wrong == []


def _key(text):
    return tuple(text) if isinstance(text, list | tuple) else text


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_current_one(language):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with open(folder / "messages.mo", "rb") as mo:
        compiled = {_key(message.id): _key(message.string) for message in read_mo(mo)}
    written = {_key(message.id): _key(message.string) for message in catalogue(language)}
    assert compiled == written, "run make to compile the catalogues"


# --- no text in templates outside gettext -------------------------------------------------------

TEXT_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label", "aria-description"}
WORD = re.compile(r"[^\W\d_]{2,}")
NOT_TRANSLATED = {"AidTracker"}
"""The product's name stays as it is in every language."""
CSS_CLASSES = re.compile(r"^(0\s+)?[a-z0-9]+-[a-z0-9-]+(\s+[a-z0-9]+-[a-z0-9-]+)*$")
"""Blocks that only name CSS classes: ``{% block container %}container-lg{% endblock %}``."""


class _TextFinder(HTMLParser):
    """Text a reader would see, in elements and in the attributes screen readers and tooltips
    show, of a template whose Jinja parts have been blanked out."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and WORD.search(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        text = data.strip()
        if self._hidden or set(WORD.findall(text)) <= NOT_TRANSLATED:
            return
        if not CSS_CLASSES.match(text):
            self.found.append((self.getpos()[0], text))


def _blank_jinja(source: str) -> str:
    """The template with comments, {% trans %} blocks and tags removed and every {{ … }}
    replaced by a digit, keeping line numbers."""

    def keep_lines(replacement: str):
        return lambda match: replacement + "\n" * match.group(0).count("\n")

    source = re.sub(r"\{#.*?#\}", keep_lines(""), source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}", keep_lines("0"), source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", keep_lines("0"), source, flags=re.S)
    return re.sub(r"\{%.*?%\}", keep_lines(""), source, flags=re.S)


def untranslated_text(source: str) -> list[tuple[int, str]]:
    finder = _TextFinder()
    finder.feed(_blank_jinja(source))
    return finder.found


def test_the_template_checker_catches_text_that_skips_gettext():
    source = (
        '<p>{{ _("Shipments") }}</p>\n'
        "<p>Shipments</p>\n"
        '<input placeholder="Search">\n'
        '<main class="{% block container %}container-lg{% endblock %}">AidTracker</main>'
    )
    assert untranslated_text(source) == [(2, "Shipments"), (3, 'placeholder="Search"')]


def test_no_template_holds_text_outside_gettext():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for line, text in untranslated_text(path.read_text(encoding="utf-8"))
    ]
    assert found == []


# --- which language a request is served in ------------------------------------------------------


def _language_of(response) -> str:
    return re.search(r'<html lang="(\w+)"', response.get_data(as_text=True)).group(1)


def test_before_login_the_browser_language_is_used(client):
    response = client.get("/login", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    assert _language_of(response) == "uk"
    assert "Увійти" in page_text(response)
    polish = client.get("/login", headers={"Accept-Language": "pl"})
    assert _language_of(polish) == "pl"
    assert _language_of(client.get("/login", headers={"Accept-Language": "de"})) == "en"


def test_the_switcher_changes_the_language_before_login_and_returns_to_the_page(client):
    response = client.post("/language", data={"language": "pl", "next": "/login?next=%2Fshipments"})
    assert response.status_code == 302
    assert response.location == "/login?next=%2Fshipments"
    page = client.get("/login", headers={"Accept-Language": "uk"})
    assert _language_of(page) == "pl"  # the choice wins over the browser's


def test_the_switcher_never_sends_the_user_to_another_site(client):
    response = client.post("/language", data={"language": "uk", "next": "https://evil.example/"})
    assert response.location == "/"


def test_an_unknown_language_changes_nothing_and_says_why(client):
    response = client.post(
        "/language", data={"language": "de", "next": "/login"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Choose one of the languages offered." in page_text(response)
    assert _language_of(response) == "en"


def test_a_logged_in_user_switching_language_changes_their_profile(staff, demo):
    staff.post("/language", data={"language": "uk", "next": "/shipments"})
    page = staff.get("/shipments/", headers={"Accept-Language": "pl"})
    assert _language_of(page) == "uk"
    assert "Відправлення" in page_text(page)
    with demo.app_context():
        user = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
        assert user.language == "uk"


def test_the_profile_language_wins_over_the_browser_after_login(demo):
    with demo.app_context():
        user = db.session.scalar(select(User).filter_by(email="accountant@lublin.example"))
        user.language = "pl"
        db.session.commit()
    client = demo.test_client()
    log_in(client, "accountant@lublin.example")
    page = client.get("/shipments/", headers={"Accept-Language": "uk"})
    assert _language_of(page) == "pl"
    assert "Przesyłki" in page_text(page)


def test_the_switcher_is_on_every_page_with_the_current_language_pressed(client):
    html = client.get("/login", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert re.search(r'value="pl" lang="pl"\s+class="[^"]*"\s+aria-pressed="true">Polski<', html)
    assert re.search(
        r'value="uk" lang="uk"\s+class="[^"]*"\s+aria-pressed="false">Українська<', html
    )


# --- local formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "currency", "written"),
    [
        ("pl", "PLN", "1\xa0234,50\xa0zł"),
        ("uk", "UAH", "1\xa0234,50\xa0₴"),
        ("en", "EUR", "€1,234.50"),
    ],
)
def test_money_is_written_as_each_language_writes_it(app, language, currency, written):
    with app.test_request_context(), force_locale(language):
        assert format_currency(Decimal("1234.50"), currency) == written


def test_shipment_pages_show_values_and_dates_in_the_users_language(staff):
    staff.post("/language", data={"language": "pl", "next": "/"})
    text = page_text(staff.get("/shipments/LUB-KRR-2023-0001"))
    assert "41 480,00 zł" in text  # the three medical lines in PLN
    staff.post("/language", data={"language": "en", "next": "/"})
    assert "41,480.00" in page_text(staff.get("/shipments/LUB-KRR-2023-0001"))


def test_dates_follow_the_language(app):
    with app.test_request_context():
        with force_locale("uk"):
            assert "берез" in format_date(date(2023, 3, 30), "long")
        with force_locale("pl"):
            assert "marca" in format_date(date(2023, 3, 30), "long")


# --- several languages at once ------------------------------------------------------------------


def test_papers_for_ukraine_speak_english_and_ukrainian(app):
    with app.app_context():
        text = Multilingual("en", country_language("UA"))
        assert text.gettext("Quantity") == "Quantity / Кількість"
        assert text.ngettext("Total: %(num)d line", "Total: %(num)d lines", 3).startswith(
            "Total: 3 lines / "
        )


def test_a_text_the_same_in_both_languages_is_written_once(app):
    with app.app_context():
        assert Multilingual("en", country_language("FR")).gettext("Quantity") == "Quantity"
        assert Multilingual("en", "uk").gettext("CMR number").count("CMR") == 2
        assert Multilingual("en", "en").languages == ["en"]
