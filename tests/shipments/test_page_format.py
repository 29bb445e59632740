"""The busy pages write numbers, amounts, dates and labels once per page, exactly as Flask-Babel's
filters would write them, in every language; and the form controls they write out by hand are
exactly those WTForms' widgets and the macros of _forms.html would draw."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import render_template_string, request
from flask_babel import force_locale, format_currency, format_date, format_datetime, format_decimal
from flask_login import login_user
from sqlalchemy import select

from aidtracker.auth.permissions import ShipmentAccess
from aidtracker.catalogue.models import Category
from aidtracker.extensions import db
from aidtracker.models import Shipment, User
from aidtracker.shipments.document_forms import ACCEPTED_FILES, DocumentUploadForm
from aidtracker.shipments.document_views import document_section
from aidtracker.shipments.forms import ShipmentFilterForm
from aidtracker.shipments.models import DocumentKind, ShipmentStatus
from aidtracker.shipments.views import PageFormat
from tests.conftest import post_multipart

LATE_EVENING_IN_WARSAW = datetime(2024, 3, 31, 22, 30, tzinfo=UTC)
"""Already 1 April where users live (summer time began that morning)."""


@pytest.mark.parametrize("language", ["en", "pl", "uk"])
def test_the_page_writes_what_the_filters_write(app, language):
    with app.test_request_context(), force_locale(language):
        page = PageFormat()
        assert page.number(Decimal("1234.5")) == format_decimal(Decimal("1234.5"))
        assert page.money(Decimal("19640"), "PLN") == format_currency(Decimal("19640"), "PLN")
        assert page.money(Decimal("0.5"), "EUR") == format_currency(Decimal("0.5"), "EUR")
        assert page.day(date(2023, 3, 20)) == format_date(date(2023, 3, 20))
        assert page.day(LATE_EVENING_IN_WARSAW) == format_date(LATE_EVENING_IN_WARSAW)
        assert page.moment(LATE_EVENING_IN_WARSAW) == format_datetime(
            LATE_EVENING_IN_WARSAW, "short"
        )
        assert page.label(ShipmentStatus.RECEIVED) == ShipmentStatus.RECEIVED.label


def test_a_late_evening_is_the_next_day_where_users_live(app):
    with app.test_request_context(), force_locale("en"):
        assert PageFormat().day(LATE_EVENING_IN_WARSAW) == "Apr 1, 2024"


def test_equal_values_of_different_kinds_keep_their_own_labels(app):
    with app.test_request_context(), force_locale("en"):
        page = PageFormat()
        assert Category.OTHER == DocumentKind.OTHER  # both are the string "other"
        assert page.label(Category.OTHER) == "Other"
        assert page.label(DocumentKind.OTHER) == "Other document"


# The controls as the list and the shipment page drew them with WTForms, before they were written
# out by hand: the references the written-out markup must keep matching.
FILTER_BAR_DRAWN = """{% from "_forms.html" import filter_field %}
{% set width = "col-sm-6 col-md-4 col-lg-2" %}
<form method="get" class="card card-body bg-body-tertiary mb-3 py-2" role="search"
  aria-label="{{ _('Search and filter shipments') }}">
  <div class="row g-2 align-items-end">
    {{ filter_field(filters.q, "form-control", "col-md-6 col-lg-6",
                    placeholder=filters.q.description, type="search") }}
    {{ filter_field(filters.sort, width=width) }}
    <div class="col-auto d-flex gap-2">
      <button type="submit" class="btn btn-sm btn-primary">{{ _("Search") }}</button>
      <a class="btn btn-sm btn-link"
        href="{{ url_for('shipments.list_shipments') }}">{{ _("Clear") }}</a>
    </div>
  </div>
  <div class="row g-2 align-items-end mt-0">
    {{ filter_field(filters.status, width=width) }}
    {{ filter_field(filters.customs_status, width=width) }}
    {{ filter_field(filters.destination, width=width) }}
    {{ filter_field(filters.category, width=width) }}
    {{ filter_field(filters.departure_from, "form-control", width) }}
    {{ filter_field(filters.departure_to, "form-control", width) }}
    {{ filter_field(filters.changed_from, "form-control", width) }}
    {{ filter_field(filters.changed_to, "form-control", width) }}
  </div>
</form>"""

UPLOAD_DRAWN = """<form method="post"
  action="{{ url_for('documents.upload_document', reference=reference) }}#documents"
  enctype="multipart/form-data" novalidate class="row g-3 align-items-start"
  aria-labelledby="upload-heading">
  <h3 id="upload-heading" class="h6 col-12 mb-0">{{ _("Attach a document") }}</h3>
  {{ form.hidden_tag() }}
  {% set kind, file = form.kind, form.file %}
  <div class="col-md-4">
    {{ kind.label(class_="form-label") }}
    {% set kind_attributes = {"class_": "form-select" ~ (" is-invalid" if kind.errors else "")} %}
    {% if kind.errors %}{% set ignored = kind_attributes.update(
      {"aria-describedby": kind.id ~ "-error", "aria-invalid": "true"}) %}{% endif %}
    {{ kind(**kind_attributes) }}
    {% if kind.errors %}<div id="{{ kind.id }}-error"
      class="invalid-feedback">{{ kind.errors | join(" ") }}</div>{% endif %}
  </div>
  <div class="col-md-5">
    {{ file.label(class_="form-label") }}
    {% set described = file.id ~ "-help" ~ ((" " ~ file.id ~ "-error") if file.errors else "") %}
    {% set file_attributes = {"class_": "form-control" ~ (" is-invalid" if file.errors else ""),
                              "accept": accept, "aria-describedby": described} %}
    {% if file.errors %}
    {% set ignored = file_attributes.update({"aria-invalid": "true"}) %}
    {% endif %}
    {{ file(**file_attributes) }}
    <div id="{{ file.id }}-help" class="form-text">{{ _("PDF, JPEG or PNG, at most 10 MB.") }}</div>
    {% if file.errors %}<div id="{{ file.id }}-error"
      class="invalid-feedback">{{ file.errors | join(" ") }}</div>{% endif %}
  </div>
  <div class="col-md-3 pt-md-4 mt-md-2">
    {{ form.submit(class_="btn btn-primary") }}
  </div>
</form>"""

DRAFT = "LUB-KRR-2023-0003"  # documents pending: staff may attach documents to it


def _region(html: str, start: str) -> str:
    """The element that opens with `start`, up to its closing </form>, blanks squeezed."""
    found = re.search(re.escape(start) + r".*?</form>", _squeezed(html))
    assert found, start
    return found.group(0)


def _squeezed(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def _logged_in_staff() -> User:
    staff = db.session.scalar(select(User).filter_by(email="staff@lublin.example"))
    login_user(staff)
    return staff


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=KRR&sort=reference&status=dispatched&customs_status=cleared&destination=2"
        "&category=medical&departure_from=2023-01-01&changed_to=2024-06-30",
        "?status=nonsense&destination=999&departure_from=bad&departure_to=2020-13-01"
        "&changed_from=yesterday&sort=sideways",
    ],
)
def test_the_written_out_filter_bar_is_what_the_form_macros_draw(staff, demo, query):
    page = staff.get("/shipments/" + query).get_data(as_text=True)
    with demo.test_request_context("/shipments/" + query):
        _logged_in_staff()
        filters = ShipmentFilterForm(request.args)
        filters.to_filters()
        drawn = render_template_string(FILTER_BAR_DRAWN, filters=filters)
    assert _region(page, '<form method="get"') == _region(drawn, '<form method="get"')


@pytest.mark.parametrize(
    "sent",
    [None, {"document-kind": "passport"}, {"document-kind": ""}, {"document-kind": "cmr"}],
    ids=["unsent", "unknown kind, no file", "no kind, no file", "no file"],
)
def test_the_written_out_upload_form_is_what_the_widgets_draw(staff, demo, sent):
    if sent is None:
        page = staff.get(f"/shipments/{DRAFT}")
    else:
        page = post_multipart(staff, f"/shipments/{DRAFT}/documents", sent)
        assert page.status_code == 422
    with demo.test_request_context(f"/shipments/{DRAFT}/documents", method="POST", data=sent):
        user = _logged_in_staff()
        if sent is None:  # what the page offers first: the first document still missing
            shipment = db.session.scalar(select(Shipment).filter_by(reference=DRAFT))
            form = document_section(ShipmentAccess(user, shipment)).form
        else:
            form = DocumentUploadForm()
            assert not form.validate_on_submit()
        drawn = render_template_string(
            UPLOAD_DRAWN, form=form, reference=DRAFT, accept=ACCEPTED_FILES
        )
    start = f'<form method="post" action="/shipments/{DRAFT}/documents#documents"'
    assert _region(page.get_data(as_text=True), start) == _region(drawn, start)
