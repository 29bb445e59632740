"""Every form the application serves, filled with hostile values: never a 500, and afterwards the
database is consistent, and unchanged when the form was refused.

The forms are found in the URL map (every endpoint outside /api/ that accepts POST), so a new form
is fuzzed without a word here when it sits at its own address and needs only the usual URL
arguments; FORMS says where the others are, SKIPPED which are left out and why. Each form's page
is read as a browser would (the fields it offers, with their values), and hypothesis replaces,
drops, repeats and adds fields, swaps the file of an upload and, now and then, the address's ids.

One installation per database (``installation.py``: the demo, plus a few records the forms need),
logged in once per role. Every case starts from the same data: a case that wrote to the database
is checked (consistent, and unchanged if refused) and then undone from a snapshot; a case that
sent nothing but SELECTs left it as it was.
"""

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import url_for
from hypothesis import example, given, note, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict

from aidtracker import create_app
from aidtracker.auth.access import view_rule
from aidtracker.auth.models import Role
from aidtracker.auth.permissions import ROLE_PERMISSIONS
from aidtracker.extensions import db
from aidtracker.models import SecurityEvent
from tests.conftest import DEMO_PASSWORD, QueryCounter, post_multipart
from tests.fuzz.consistency import inconsistencies, read_contents
from tests.fuzz.hostile import (
    FUZZ_SCALE,
    FUZZ_SETTINGS,
    HOSTILE_NAMES,
    HOSTILE_VALUES,
    TEXTS,
    UNKNOWN_IDS,
)
from tests.fuzz.installation import (
    DELIVERED,
    DISPATCHED,
    EMAILS,
    PDF,
    RECEIVED,
    Installation,
)
from tests.fuzz.pages import PageForm, forms_posting_to
from tests.imports.files import xlsx

FORM_EXAMPLES = 6 * FUZZ_SCALE
BUTTON_EXAMPLES = 2 * FUZZ_SCALE
"""Examples for a form of fields, and for a button that posts nothing but its CSRF token (both
besides the form as the user filled it in)."""

LOG_TABLES = {SecurityEvent.__tablename__}
"""Written by refused requests too (failed logins): left out of "unchanged"."""

LINES_HEADER = ["Item", "Quantity", "Unit value", "Currency", "Donor", "Funding"]
LINES_ROW = ["Rice 1 kg", 10, "5,60", "PLN", "Lublin Residents' Fundraiser", "purchased"]
CATALOGUE_ROWS = [
    ["Name in English *", "Category *", "Unit *", "HS code"],
    ["Folding stretcher", "medical", "pcs", "940290"],
]
ORGANISATION_ROWS = [["Name", "Kind", "Country"], ["Caritas Lublin", "ngo", "PL"]]


@dataclass(frozen=True)
class Where:
    """Where a form is and how to reach it, when its URL map entry does not say."""

    page: str | Callable | None = None
    """The endpoint of the page that shows the form (with the form's URL arguments), or a function
    (installation, client, arguments) -> response posting what leads to it; None: its own page."""
    arguments: dict = field(default_factory=dict)
    """URL arguments by name: keys of ``Installation.ids``, or the value itself."""
    role: Role | None = None
    """Who posts it, when not the first role of STAFF, ACCOUNTANT, ADMIN, PARTNER allowed to."""
    filled: dict = field(default_factory=dict)
    """What a user types into the page's blank fields before saving (values as in `arguments`),
    so that the fuzzing starts from a form the application accepts."""
    examples: int | None = None
    """Fewer examples for a form whose every post hashes a password (a tenth of a second)."""


def _lines_preview(installation, client, arguments):
    content = xlsx([LINES_HEADER, LINES_ROW])
    file = (io.BytesIO(content), "lines.xlsx")
    return post_multipart(
        client, f"/shipments/{arguments['reference']}/import-lines", {"file": file}
    )


def _statement_preview(installation, client, arguments):
    statement = b"Date;Amount;Currency;Payer;Reference\n2024-01-05;100;PLN;Protection Civile;X\n"
    return post_multipart(
        client, f"/funds/{arguments['fund_id']}/import", {"file": (io.BytesIO(statement), "a.csv")}
    )


def _fund_page(installation, client, arguments):
    return client.get(f"/funds/{installation.ids['fund_id']}")


def _reference_preview(kind: str, rows: list[list]) -> Callable:
    def preview(installation, client, arguments):
        return post_multipart(
            client, f"/{kind}/import", {"file": (io.BytesIO(xlsx(rows)), "a.xlsx")}
        )

    return preview


SHIPMENT_PAGE = "shipments.show_shipment"
UNITS_PAGE, UNIT_PAGE = "packing.units_page", "packing.unit_page"
NEW_PASSWORD = "a much longer passphrase 2024"
PASSWORD_EXAMPLES = 2 * FUZZ_SCALE
FORMS = {
    "api_tokens.create_token": Where(page="api_tokens.list_tokens", filled={"name": "Warehouse"}),
    "api_tokens.revoke": Where(page="api_tokens.list_tokens"),
    "auth.change_password": Where(
        filled={
            "current_password": DEMO_PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        examples=PASSWORD_EXAMPLES,
    ),
    "auth.login": Where(
        filled={"email": "partner@lutsk.example", "password": DEMO_PASSWORD},
        examples=PASSWORD_EXAMPLES,
    ),
    "catalogue.deactivate_item": Where(page="catalogue.show_item"),
    "catalogue.delete_item": Where(page="catalogue.show_item"),
    "catalogue.new_item": Where(filled={"name_en": "Folding stretcher"}),
    "catalogue.reactivate_item": Where(
        page="catalogue.show_item", arguments={"item_id": "inactive"}
    ),
    "cities.new_city": Where(filled={"code": "ODE", "name": "Odesa", "country": "UA"}),
    "documents.remove_from_shipment": Where(
        page=SHIPMENT_PAGE, arguments={"reference": "draft with papers"}
    ),
    "documents.upload_document": Where(page=SHIPMENT_PAGE),
    "funds.advance": Where(page=_fund_page, arguments={"donation_id": "pledge"}),
    "funds.commit_statement": Where(page=_statement_preview),
    "funds.new_donation": Where(filled={"donor": "organisation_id", "amount": "100"}),
    "funds.new_fund": Where(filled={"name": "Winter appeal", "owner": "organisation_id"}),
    "funds.overdraft": Where(filled={"limit": "100", "reason": "Pledge of the summer convoy"}),
    "language.choose_language": Where(page="auth.change_password", role=Role.STAFF),
    "line_imports.cancel_import": Where(page=_lines_preview),
    "line_imports.commit_lines": Where(page=_lines_preview),
    "organisations.new_organisation": Where(filled={"name": "Caritas Lublin"}),
    "partnerships.add_step": Where(
        page="partnerships.show_partnership",
        filled={"signed_on": "2024-05-01", "act": "Twinning agreement"},
    ),
    "partnerships.delete_step": Where(page="partnerships.show_partnership"),
    "partnerships.new_partnership": Where(
        filled={"city_id": "city KRR", "partner_city_id": "city LUT"}
    ),
    "rates.import_rates": Where(page="rates.list_rates"),
    "rates.new_rate": Where(filled={"currency": "USD", "rate_date": "2024-05-02", "rate": "4,02"}),
    "reference_imports.cancel_catalogue": Where(
        page=_reference_preview("catalogue", CATALOGUE_ROWS)
    ),
    "reference_imports.commit_catalogue": Where(
        page=_reference_preview("catalogue", CATALOGUE_ROWS)
    ),
    "reference_imports.cancel_organisations": Where(
        page=_reference_preview("organisations", ORGANISATION_ROWS)
    ),
    "reference_imports.commit_organisations": Where(
        page=_reference_preview("organisations", ORGANISATION_ROWS)
    ),
    "packing.add_content": Where(page=UNIT_PAGE, arguments={"number": 2}),
    "packing.edit_unit": Where(page=UNIT_PAGE, arguments={"number": 2}),
    "packing.new_unit": Where(page=UNITS_PAGE),
    "packing.pack_in_bulk": Where(page=UNITS_PAGE),
    "packing.receipt_by_unit": Where(arguments={"reference": DELIVERED}),
    "packing.remove_content": Where(page=UNIT_PAGE, arguments={"number": 2}),
    "packing.remove_unit": Where(page=UNIT_PAGE, arguments={"number": 2}),
    "packing.unpack_all": Where(page=UNITS_PAGE),
    "shipment_status.confirm_receipt": Where(arguments={"reference": DELIVERED}),
    "shipment_status.customs_details": Where(
        page=SHIPMENT_PAGE, arguments={"reference": DISPATCHED}
    ),
    "shipment_status.delete_draft": Where(page=SHIPMENT_PAGE),
    "shipment_status.distribution_report": Where(
        page=SHIPMENT_PAGE, arguments={"reference": RECEIVED}
    ),
    "shipment_status.move": Where(page=SHIPMENT_PAGE, arguments={"reference": DISPATCHED}),
    "shipments.new_shipment": Where(
        filled={
            "destination_city": "city KRR",
            "lines-0-item": "item_id",
            "lines-0-quantity": "1 200,5",
        }
    ),
    "tracking.renew": Where(page=SHIPMENT_PAGE, arguments={"reference": DISPATCHED}),
    "tracking.revoke": Where(page=SHIPMENT_PAGE, arguments={"reference": DISPATCHED}),
    "users.deactivate": Where(page="users.edit_user"),
    "users.new_user": Where(
        filled={
            "email": "new.colleague@lublin.example",
            "name": "New Colleague",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        examples=PASSWORD_EXAMPLES,
    ),
    "users.reactivate": Where(page="users.edit_user", arguments={"user_id": "inactive user"}),
    "users.reset_user_password": Where(
        filled={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, examples=PASSWORD_EXAMPLES
    ),
}
SKIPPED = {
    "auth.logout": "reads no field, and would end the session the other forms share",
}


def post_endpoints() -> dict[str, list[str]]:
    """Every endpoint outside /api/ that accepts POST, with the names of its URL arguments."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "url-map", "SQLALCHEMY_DATABASE_URI": "sqlite://"},
            instance_path=folder,
        )
        return {
            rule.endpoint: sorted(rule.arguments)
            for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and not rule.rule.startswith("/api/")
        }


POST_ENDPOINTS = post_endpoints()
FUZZED = sorted(set(POST_ENDPOINTS) - set(SKIPPED))


# -- hostile submissions -------------------------------------------------------------------------

UPLOADS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            b"",
            PDF,
            b"date,currency,rate\n2024-05-02,USD,4.02\n",
            xlsx([LINES_HEADER, LINES_ROW]),
            xlsx(CATALOGUE_ROWS),
            xlsx(ORGANISATION_ROWS),
            xlsx([["Name in English *", "Category *", "Unit *"], ["\u202eRTL", "=1+1", "1e309"]]),
            b"currency,date,rate\nEUR,2023-02-30,4.5\nUSD,2023-01-01,NaN\n,,\n",
            "\ufeffcurrency;date;rate\r\nEUR;2023-01-01;1e309\r\n".encode("utf-16"),
        ]
    ),
    st.binary(max_size=300),
)
FILE_NAMES = st.one_of(
    st.sampled_from(["a.xlsx", "", "../../x.pdf", "scan\x00.pdf", "скан.pdf", "x" * 300]),
    st.text(max_size=20),
)


@st.composite
def submissions(draw, forms: list[PageForm], arguments: dict):
    """A form of the page, its fields with up to four of them replaced, dropped, repeated or
    added, its files swapped; and one time in five a URL argument replaced."""
    form = draw(st.sampled_from(forms))
    pairs = list(form.fields)
    if form.buttons:
        pairs.append(draw(st.sampled_from(form.buttons)))
    for _change in range(draw(st.integers(0, 4))):
        how = draw(st.sampled_from(["replace", "drop", "repeat", "add"]))
        if how == "add" or not pairs:
            pairs.append((draw(HOSTILE_NAMES), draw(HOSTILE_VALUES)))
            continue
        index = draw(st.integers(0, len(pairs) - 1))
        name, _value = pairs[index]
        if how == "replace":
            pairs[index] = (name, draw(HOSTILE_VALUES))
        elif how == "drop":
            del pairs[index]
        else:
            pairs.append((name, draw(HOSTILE_VALUES)))
    data = MultiDict(pairs)
    for name in form.files:
        content = draw(UPLOADS)
        if content is not None:
            data.add(name, FileStorage(io.BytesIO(content), draw(FILE_NAMES)))
    if arguments and draw(st.integers(0, 4)) == 4:
        name = draw(st.sampled_from(sorted(arguments)))
        if isinstance(arguments[name], int):
            hostile = draw(st.sampled_from(UNKNOWN_IDS))
        else:
            hostile = draw(st.sampled_from([text for text in TEXTS if text]) | st.text(min_size=1))
        arguments = {**arguments, name: hostile}
    return arguments, data


# -- the tests -----------------------------------------------------------------------------------


def role_for(app, endpoint: str) -> Role | None:
    """The first of staff, accountant, administrator and partner who may post the form; None
    for a public form (posted by a visitor who is not logged in)."""
    where = FORMS.get(endpoint, Where())
    if where.role is not None:
        return where.role
    rule = view_rule(app, endpoint)
    if rule == "public":
        return None
    allowed = [role for role in EMAILS if rule in ROLE_PERMISSIONS[role]]
    assert allowed, f"no demo user may post {endpoint} ({rule})"
    return allowed[0]


def _value(installation: Installation, key):
    """An id of the installation when `key` names one, else `key` itself."""
    return installation.ids.get(key, key)


def url_arguments(installation: Installation, endpoint: str) -> dict:
    chosen = FORMS.get(endpoint, Where()).arguments
    arguments = {}
    for name in POST_ENDPOINTS[endpoint]:
        value = _value(installation, chosen.get(name, name))
        assert name in chosen or name in installation.ids, (
            f"say in FORMS which {name} to post {endpoint} to"
        )
        arguments[name] = value
    return arguments


def filled_in(installation: Installation, endpoint: str, forms: list[PageForm]) -> None:
    """Type the values of FORMS[endpoint].filled into the page's `forms`."""
    filled = FORMS.get(endpoint, Where()).filled
    names = {name for form in forms for name, _value in form.fields}
    assert set(filled) <= names, f"FORMS fills fields {endpoint} does not have"
    for form in forms:
        form.fields = [
            (name, str(_value(installation, filled[name])) if name in filled else value)
            for name, value in form.fields
        ]


def refused(response) -> bool:
    """Did the application say no: an error status, or the form again with fields marked?"""
    return response.status_code >= 400 or (
        response.mimetype == "text/html" and b"is-invalid" in response.get_data()
    )


def without_logs(contents: dict) -> dict:
    return {name: rows for name, rows in contents.items() if name not in LOG_TABLES}


def _reads_only(statement: str) -> bool:
    return statement.lstrip().upper().startswith("SELECT")


def _address(app, endpoint: str, arguments: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **arguments)


def _page_of(installation, endpoint, client, arguments):
    where = FORMS.get(endpoint, Where())
    if callable(where.page):
        return where.page(installation, client, arguments)
    return installation.page(client, _address(installation.app, where.page or endpoint, arguments))


@pytest.mark.parametrize("endpoint", FUZZED)
def test_hostile_input_never_breaks_a_form_nor_the_database(installation, endpoint):
    installation.restore(installation.baseline)
    app = installation.app
    role = role_for(app, endpoint)
    client = installation.clients[role] if role else app.test_client()
    arguments = url_arguments(installation, endpoint)
    address = _address(app, endpoint, arguments)
    page = _page_of(installation, endpoint, client, arguments)
    assert page.status_code == 200, f"the page of {endpoint} answered {page.status_code}"
    forms = forms_posting_to(page, address)
    assert forms, f"no form on {page.request.path} posts to {address}: see FORMS"
    filled_in(installation, endpoint, forms)
    has_fields = any(form.fields or form.files or form.buttons for form in forms)
    examples = FORMS.get(endpoint, Where()).examples or (
        FORM_EXAMPLES if has_fields else BUTTON_EXAMPLES
    )
    start = installation.state()  # with what reaching the page stored (an upload to commit)
    assert inconsistencies(start.contents, upload_folder=installation.upload_folder) == []

    with app.app_context():
        engine = db.engine

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(submission=submissions(forms, arguments))
    @example(submission=(arguments, MultiDict(forms[0].fields + forms[0].clicked)))
    def post_hostile_form(submission):
        posted_arguments, data = submission
        url = (
            address if posted_arguments is arguments else _address(app, endpoint, posted_arguments)
        )
        note(f"POST {url} {list(data.items(multi=True))}")
        poster = client if role else app.test_client()  # each visitor arrives logged out
        with QueryCounter(engine) as statements:
            response = poster.post(url, data=data)
        if response.status_code in (302, 303):  # the flashed message waits for a page: drop it
            with poster.session_transaction() as session:
                session.pop("_flashes", None)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if all(_reads_only(statement) for statement in statements.statements):
            return  # nothing written: the database is as consistent as at the start
        with app.app_context():
            after = read_contents()
        try:
            assert inconsistencies(after, upload_folder=installation.upload_folder) == []
            if refused(response):
                assert without_logs(after) == without_logs(start.contents), (
                    f"{url} refused the form ({response.status_code}) but changed the database"
                )
        finally:
            if after != start.contents:  # the next case starts from the same data again
                installation.restore(start, after)

    post_hostile_form()


def test_every_form_is_fuzzed_or_skipped_for_a_reason():
    """A new POST endpoint is fuzzed unless listed in SKIPPED; the lists name only real ones."""
    fuzz_test = test_hostile_input_never_breaks_a_form_nor_the_database
    (fuzzed,) = [mark.args[1] for mark in fuzz_test.pytestmark if mark.name == "parametrize"]
    assert fuzzed, "the URL map lists no form"
    assert set(fuzzed) | set(SKIPPED) == set(POST_ENDPOINTS)
    assert not any(endpoint.startswith("api.") for endpoint in fuzzed), "the API takes no form"
    assert set(SKIPPED) <= set(POST_ENDPOINTS), "SKIPPED names an endpoint that is gone"
    assert set(FORMS) <= set(POST_ENDPOINTS), "FORMS names an endpoint that is gone"
    assert all(reason.strip() for reason in SKIPPED.values())
