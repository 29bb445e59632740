"""Administrators read, filter and export the audit trail; nobody can edit it."""

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select, update

from aidtracker.audit.models import AuditAction, AuditedEntity, AuditEntry
from aidtracker.audit.queries import FIELD_LABELS
from aidtracker.audit.service import AUDITED, AuditTrailReadOnly
from aidtracker.extensions import db
from aidtracker.models import Organisation
from tests.audit.conftest import entries, entry_count
from tests.conftest import form_fields, log_in, page_text

DRAFT = "LUB-KRR-2023-0003"
FORMULA_NAME = '=HYPERLINK("http://evil.example","Click")'


@pytest.fixture
def admin(demo):
    client = demo.test_client()
    log_in(client, "admin@lublin.example")
    return client


def _today(app):
    return datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _change_protection_civile(client, app, **changes):
    with app.app_context():
        organisation_id = db.session.scalar(
            select(Organisation.id).filter_by(name="Protection Civile")
        )
    fields = form_fields(client.get(f"/organisations/{organisation_id}/edit"))
    fields.update(changes)
    assert client.post(f"/organisations/{organisation_id}/edit", data=fields).status_code == 302


def test_an_administrator_reads_who_changed_what_newest_first(admin, staff, demo):
    _change_protection_civile(staff, demo, contact_phone="+33 1 23 45 67 89", kind="company")
    response = admin.get("/admin/audit/")
    assert response.status_code == 200
    text = page_text(response)
    first_row = text.split("Changes", 1)[1]
    assert first_row.index("Protection Civile") < first_row.index("City of Lublin")
    assert "Stanisław Staff staff@lublin.example Changed Organisation Protection Civile" in text
    assert "Kind: NGO → Company" in text
    assert "Phone: — → +33 1 23 45 67 89" in text
    # The demo was loaded by a command: its records were created by nobody in particular.
    assert "nobody (command line) Created Shipment LUB-KRR-2023-0003" in text


def test_filters_by_record_action_user_dates_and_text(admin, staff, demo):
    _change_protection_civile(staff, demo, contact_name="Marie Dupont")
    today = _today(demo)

    def shown(**filters):
        return page_text(admin.get("/admin/audit/", query_string=filters))

    by_staff = shown(entity="organisation", action="change", user="STAFF@lublin")
    assert "1 entry" in by_staff
    assert "Contact person: — → Marie Dupont" in by_staff
    assert "1 entry" in shown(date_from=today.isoformat(), text="protection", action="change")
    yesterday = (today - timedelta(days=1)).isoformat()
    assert "Nothing matches this filter." in shown(date_to=yesterday)
    assert "Nothing matches this filter." in shown(user="accountant")
    lines = shown(entity="shipment_line", text=DRAFT)
    assert "1 entry" in lines
    assert f"{DRAFT} #1" in lines


def test_filters_are_kept_when_paging_and_in_the_export_link(admin, demo):
    demo.config["PAGE_SIZE"] = 5
    response = admin.get("/admin/audit/?entity=shipment_line&text=LUB")
    assert "Page 1 of" in page_text(response)
    html = response.get_data(as_text=True)
    [next_page] = re.findall(r'href="([^"]*page=2[^"]*)"', html)
    assert "entity=shipment_line" in next_page
    assert "text=LUB" in next_page
    assert "/admin/audit/export.xlsx?entity=shipment_line&amp;text=LUB" in html


def _export(client, query: str = ""):
    """The exported workbook, the response closed (it streams a temporary file)."""
    with client.get(f"/admin/audit/export.xlsx{query}") as response:
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment; filename=audit-trail-")
        return load_workbook(io.BytesIO(response.data))


def test_the_export_holds_the_filtered_entries_field_by_field(admin, staff, demo):
    _change_protection_civile(staff, demo, contact_phone="+33 1 23 45 67 89", name=FORMULA_NAME)
    workbook = _export(admin, "?entity=organisation&action=change")
    assert workbook.sheetnames == ["Audit trail", "Parameters"]
    rows = list(workbook["Audit trail"].iter_rows(values_only=True))
    assert rows[0] == (
        "When",
        "User",
        "User's e-mail",
        "Action",
        "Record",
        "Record id",
        "Reference or name",
        "Field",
        "Before",
        "After",
    )
    fields = {row[7]: row for row in rows[1:]}
    assert set(fields) == {"Name", "Phone"}
    name = fields["Name"]
    assert name[1:5] == ("Stanisław Staff", "staff@lublin.example", "Changed", "Organisation")
    assert isinstance(name[0], datetime)
    assert (name[6], name[8], name[9]) == (FORMULA_NAME, "Protection Civile", FORMULA_NAME)
    label_cell = workbook["Audit trail"].cell(row=2, column=7)
    assert label_cell.data_type == "s"  # text, never a formula
    parameters = dict(row[:2] for row in workbook["Parameters"].iter_rows(values_only=True))
    assert parameters["Record"] == "Organisation"
    assert parameters["Action"] == "Changed"
    assert parameters["Entries"] == 1
    assert parameters["Generated by"] == "Anna Administrator <admin@lublin.example>"


def test_the_export_of_the_whole_trail_has_a_row_per_field_of_each_entry(admin, demo):
    workbook = _export(admin)
    rows = list(workbook["Audit trail"].iter_rows(min_row=2, values_only=True))
    assert {row[3] for row in rows} == {"Created"}
    labels = {row[6] for row in rows}
    assert {DRAFT, f"{DRAFT} #1", "City of Lublin", "admin@lublin.example"} <= labels
    password = [row for row in rows if row[7] == "Password"]
    assert password
    assert {row[9] for row in password} == {"set"}
    parameters = dict(row[:2] for row in workbook["Parameters"].iter_rows(values_only=True))
    assert parameters["Entries"] == entry_count(demo)


@pytest.mark.parametrize(
    "email", ["staff@lublin.example", "accountant@lublin.example", "partner@kryvyirih.example"]
)
def test_only_administrators_read_the_trail(demo, email):
    client = demo.test_client()
    log_in(client, email)
    assert client.get("/admin/audit/").status_code == 403
    with client.get("/admin/audit/export.xlsx") as export:
        assert export.status_code == 403


def test_the_trail_asks_a_visitor_to_log_in(demo):
    response = demo.test_client().get("/admin/audit/")
    assert response.status_code == 302
    assert "/login" in response.location


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2024-13-45", "Not a valid date value."),
        ("date_from=2024-05-02&date_to=2024-05-01", "The “to” date is before the “from” date."),
        ("entity=invoice", "Not a valid choice."),
        ("action=edit", "Not a valid choice."),
        ("text=" + "x" * 300, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_filters_are_explained_and_left_out(admin, query, message):
    response = admin.get(f"/admin/audit/?{query}")
    assert response.status_code == 200
    text = page_text(response)
    assert message in text
    assert "Nothing matches this filter." not in text  # the wrong filter is not applied
    assert _export(admin, f"?{query}").sheetnames == ["Audit trail", "Parameters"]


@pytest.mark.parametrize("page", ["999999999999999999999999", "-3", "two"])
def test_any_page_number_shows_a_page(admin, demo, page):
    demo.config["PAGE_SIZE"] = 10
    response = admin.get(f"/admin/audit/?page={page}")
    assert response.status_code == 200
    assert "Page " in page_text(response)


def test_far_off_dates_are_accepted(admin):
    response = admin.get("/admin/audit/?date_from=0001-01-01&date_to=9999-12-31")
    assert response.status_code == 200
    assert "Created" in page_text(response)


def test_entries_cannot_be_changed_or_deleted_from_the_application(demo):
    before = [(entry.id, entry.action, entry.entity_label) for entry in entries(demo)]
    attempts = [
        lambda entry: setattr(entry, "entity_label", "nothing happened"),
        lambda entry: setattr(entry, "action", AuditAction.DELETE),
        lambda entry: db.session.delete(entry),
        lambda entry: db.session.add(
            AuditEntry(
                action=AuditAction.CREATE,
                entity_type=AuditedEntity.USER,
                entity_id=1,
                entity_label="forged",
            )
        ),
        lambda entry: db.session.execute(update(AuditEntry).values(entity_label="rewritten")),
        lambda entry: db.session.execute(delete(AuditEntry).where(AuditEntry.id == entry.id)),
        lambda entry: db.session.execute(delete(AuditEntry.__table__)),
    ]
    for attempt in attempts:
        with demo.app_context():
            entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id).limit(1))
            with pytest.raises(AuditTrailReadOnly):
                _then_commit(attempt, entry)
            db.session.rollback()
    assert [(entry.id, entry.action, entry.entity_label) for entry in entries(demo)] == before


def _then_commit(attempt, entry) -> None:
    attempt(entry)
    db.session.commit()


def test_the_trail_has_no_page_that_changes_it(demo):
    methods = {
        method
        for rule in demo.url_map.iter_rules()
        if rule.rule.startswith("/admin/audit")
        for method in rule.methods
    }
    assert methods == {"GET", "HEAD", "OPTIONS"}


def test_every_recorded_field_has_a_name_people_read():
    columns = {column for audited in AUDITED for column in audited.columns}
    assert columns - set(FIELD_LABELS) == set()
