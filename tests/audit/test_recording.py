"""Every create, change, cancellation and deletion of shipments, lines, documents, organisations,
rates and users is recorded with who, when, and the values before and after."""

import io
import json
from datetime import UTC, datetime

from sqlalchemy import select

from aidtracker.audit.models import AuditAction, AuditedEntity
from aidtracker.audit.service import HIDDEN, act_as
from aidtracker.extensions import db
from aidtracker.generate import generate_data
from aidtracker.models import CatalogueItem, City, Organisation, Shipment, User
from tests.audit.conftest import entries, entry_count
from tests.conftest import QueryCounter, form_fields, log_in, post_multipart

DRAFT = "LUB-KRR-2023-0003"  # one line (250 kits), documents pending
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _ids(app) -> dict:
    with app.app_context():

        def by(key, model):
            return dict(db.session.execute(select(key, model.id)).all())

        return {
            "cities": by(City.code, City),
            "organisations": by(Organisation.name, Organisation),
            "items": by(CatalogueItem.name_en, CatalogueItem),
        }


def _new_shipment_form(app) -> dict:
    ids = _ids(app)
    organisation = ids["organisations"]
    return {
        "origin_city": ids["cities"]["LUB"],
        "destination_city": ids["cities"]["KRR"],
        "sender": organisation["City of Lublin"],
        "recipient": organisation["Kryvyi Rih City Council"],
        "transport_mode": "road",
        "planned_departure": "2024-05-06",
        "notes": "Winter aid",
        "lines-0-item": ids["items"]["Rice 1 kg"],
        "lines-0-quantity": "1000",
        "lines-0-donor": organisation["Lublin Residents' Fundraiser"],
        "lines-0-funding": "purchased",
        "lines-1-item": ids["items"]["Wool blanket"],
        "lines-1-quantity": "200",
        "lines-1-unit_value": "50,00",
        "lines-1-currency": "PLN",
        "lines-1-funding": "in_kind",
    }


def _move(client, reference: str, action: str, **changes):
    fields = form_fields(client.get(f"/shipments/{reference}"))
    data = {key: value for key, value in fields.items() if key.startswith(f"{action}-")}
    data["action"] = action
    data.update({f"{action}-{name}": value for name, value in changes.items()})
    return client.post(f"/shipments/{reference}/move", data=data)


def test_creating_changing_and_cancelling_a_shipment_records_who_when_and_what(staff, demo):
    started = datetime.now(UTC)
    created = staff.post("/shipments/new", data=_new_shipment_form(demo))
    assert created.status_code == 302
    reference = created.location.rsplit("/", 1)[-1]

    [shipment_created] = entries(demo, entity_type=AuditedEntity.SHIPMENT, entity_label=reference)
    assert shipment_created.action is AuditAction.CREATE
    assert shipment_created.user_email == "staff@lublin.example"
    assert shipment_created.user_name == "Stanisław Staff"
    assert started <= shipment_created.occurred_at <= datetime.now(UTC)
    assert shipment_created.before is None
    assert shipment_created.after["status"] == "draft"
    assert shipment_created.after["notes"] == "Winter aid"
    assert shipment_created.after["planned_departure"] == "2024-05-06"
    assert shipment_created.after["tracking_token"] == HIDDEN  # a secret link: never stored
    lines = entries(demo, entity_type=AuditedEntity.SHIPMENT_LINE)
    created_lines = [entry for entry in lines if entry.entity_label.startswith(reference)]
    assert [entry.entity_label for entry in created_lines] == [f"{reference} #1", f"{reference} #2"]
    assert created_lines[0].after["quantity"] == "1000.000"

    fields = form_fields(staff.get(f"/shipments/{reference}/edit"))
    fields["notes"] = "Winter aid, urgent"
    fields["lines-0-quantity"] = "1100"
    assert staff.post(f"/shipments/{reference}/edit", data=fields).status_code == 302
    changed = entries(demo, action=AuditAction.CHANGE)
    assert [(entry.entity_label, entry.before, entry.after) for entry in changed] == [
        (reference, {"notes": "Winter aid"}, {"notes": "Winter aid, urgent"}),
        # The trail shows what changed in the line, and only that.
        (f"{reference} #1", {"quantity": "1000.000"}, {"quantity": "1100.000"}),
    ]

    assert _move(staff, reference, "cancel", note="Donor withdrew").status_code == 302
    [cancelled] = entries(demo, action=AuditAction.CANCEL)
    assert cancelled.entity_label == reference
    assert cancelled.before["status"] == "draft"
    assert cancelled.after["status"] == "cancelled"
    assert cancelled.user_email == "staff@lublin.example"


def test_removing_a_line_and_deleting_a_draft_record_the_values_that_are_gone(staff, demo):
    fields = form_fields(staff.get(f"/shipments/{DRAFT}/edit"))
    fields["lines-0-remove"] = "y"
    staff.post(f"/shipments/{DRAFT}/edit", data=fields)
    [removed] = entries(demo, action=AuditAction.DELETE)
    assert removed.entity_label == f"{DRAFT} #1"
    assert removed.before["quantity"] == "250.000"
    assert removed.after is None

    fields = form_fields(staff.get(f"/shipments/{DRAFT}"))
    response = staff.post(
        f"/shipments/{DRAFT}/delete", data={"delete-version": fields["delete-version"]}
    )
    assert response.status_code == 302
    [deleted] = entries(demo, action=AuditAction.DELETE, entity_type=AuditedEntity.SHIPMENT)
    assert deleted.entity_label == DRAFT
    assert deleted.before["reference"] == DRAFT


def test_an_uploaded_document_is_recorded_with_its_shipment(staff, demo):
    response = post_multipart(
        staff,
        f"/shipments/{DRAFT}/documents",
        {
            "document-kind": "packing_list",
            "document-file": (io.BytesIO(PDF), "packing.pdf", "application/pdf"),
        },
    )
    assert response.status_code == 302
    [uploaded] = entries(demo, entity_type=AuditedEntity.DOCUMENT)
    assert uploaded.action is AuditAction.CREATE
    assert uploaded.entity_label == f"{DRAFT}: packing.pdf"
    assert uploaded.after["kind"] == "packing_list"
    assert uploaded.after["size_bytes"] == len(PDF)
    assert uploaded.user_email == "staff@lublin.example"


def test_a_changed_organisation_records_only_the_changed_fields(staff, demo):
    organisation_id = _ids(demo)["organisations"]["Protection Civile"]
    fields = form_fields(staff.get(f"/organisations/{organisation_id}/edit"))
    fields["contact_phone"] = "+33 1 23 45 67 89"
    fields.pop("is_donor")  # no longer a usual donor
    response = staff.post(f"/organisations/{organisation_id}/edit", data=fields)
    assert response.status_code == 302
    [changed] = entries(demo, entity_type=AuditedEntity.ORGANISATION, action=AuditAction.CHANGE)
    assert changed.entity_id == organisation_id
    assert changed.entity_label == "Protection Civile"
    assert changed.before == {"contact_phone": None, "is_donor": True}
    assert changed.after == {"contact_phone": "+33 1 23 45 67 89", "is_donor": False}


def test_a_new_and_a_corrected_exchange_rate_are_recorded(demo):
    accountant = demo.test_client()
    log_in(accountant, "accountant@lublin.example")
    form = {"currency": "chf", "rate_date": "2024-01-02", "rate": "4,65", "source": "NBP"}
    assert accountant.post("/rates/new", data=form).status_code == 302
    [created] = entries(demo, entity_label="CHF 2024-01-02")
    assert created.action is AuditAction.CREATE
    assert created.after["rate"] == "4.65000000"
    assert created.user_email == "accountant@lublin.example"

    form["rate"] = "4,6512"
    assert accountant.post(f"/rates/{created.entity_id}/edit", data=form).status_code == 302
    [corrected] = entries(demo, entity_label="CHF 2024-01-02", action=AuditAction.CHANGE)
    assert (corrected.before, corrected.after) == ({"rate": "4.65000000"}, {"rate": "4.65120000"})


def test_a_password_change_is_recorded_without_any_hash(demo):
    client = demo.test_client()
    log_in(client, "partner@kryvyirih.example")
    new_password = "a completely new passphrase 42"
    response = client.post(
        "/account/password",
        data={
            "current_password": "aidtracker-demo",
            "password": new_password,
            "confirm": new_password,
        },
    )
    assert response.status_code == 302
    [changed] = entries(demo, entity_type=AuditedEntity.USER, action=AuditAction.CHANGE)
    assert changed.entity_label == "partner@kryvyirih.example"
    assert changed.user_email == "partner@kryvyirih.example"
    assert changed.before == {"password_hash": HIDDEN}
    assert changed.after == {"password_hash": HIDDEN}
    with demo.app_context():
        user = db.session.scalar(select(User).filter_by(email="partner@kryvyirih.example"))
        stored_hash = user.password_hash
    for entry in entries(demo, entity_type=AuditedEntity.USER):
        text = json.dumps([entry.before, entry.after])
        assert stored_hash not in text
        assert "scrypt" not in text


def test_an_administrator_changing_a_role_is_recorded(demo):
    admin = demo.test_client()
    log_in(admin, "admin@lublin.example")
    with demo.app_context():
        accountant_id = db.session.scalar(
            select(User.id).filter_by(email="accountant@lublin.example")
        )
    fields = form_fields(admin.get(f"/users/{accountant_id}"))
    fields["role"] = "staff"
    assert admin.post(f"/users/{accountant_id}", data=fields).status_code == 302
    [changed] = entries(demo, entity_type=AuditedEntity.USER, action=AuditAction.CHANGE)
    assert (changed.before, changed.after) == ({"role": "accountant"}, {"role": "staff"})
    assert changed.user_email == "admin@lublin.example"


def test_turning_a_tracking_link_off_is_recorded_without_the_link(staff, demo):
    response = staff.post(f"/shipments/{DRAFT}/tracking/revoke")
    assert response.status_code == 302
    [changed] = entries(demo, action=AuditAction.CHANGE)
    assert changed.entity_label == DRAFT
    assert (changed.before, changed.after) == ({"tracking_token": HIDDEN}, {"tracking_token": None})
    assert changed.user_email == "staff@lublin.example"


def test_a_command_line_change_is_recorded_with_no_user(demo):
    result = demo.test_cli_runner().invoke(
        args=["create-user", "--email", "clerk@lublin.example", "--role", "staff"],
        env={"AIDTRACKER_PASSWORD": "a long enough password for tests"},
    )
    assert result.exit_code == 0, result.output
    [created] = entries(demo, entity_type=AuditedEntity.USER, action=AuditAction.CREATE)[-1:]
    assert created.entity_label == "clerk@lublin.example"
    assert created.user_id is None
    assert created.user_email is None
    assert created.after["role"] == "staff"
    assert created.after["password_hash"] == HIDDEN


def test_a_command_acting_as_a_user_records_that_user(demo):
    with demo.app_context():
        admin = db.session.scalar(select(User).filter_by(email="admin@lublin.example"))
        act_as(admin)
        organisation = db.session.scalar(select(Organisation).filter_by(name="Protection Civile"))
        organisation.contact_name = "Marie Dupont"
        db.session.commit()
    [changed] = entries(demo, entity_type=AuditedEntity.ORGANISATION, action=AuditAction.CHANGE)
    assert changed.user_email == "admin@lublin.example"


def test_rows_written_in_bulk_are_recorded_one_by_one(demo):
    before = entry_count(demo)
    with demo.app_context():
        report = generate_data(shipments=2, lines_per_shipment=3, seed=1, years=(2023, 2023))
        rates = report.rates
    created = entries(demo, action=AuditAction.CREATE)[-(entry_count(demo) - before) :]
    kinds = [entry.entity_type for entry in created]
    assert kinds.count(AuditedEntity.SHIPMENT) == 2
    assert kinds.count(AuditedEntity.SHIPMENT_LINE) == 6
    assert kinds.count(AuditedEntity.EXCHANGE_RATE) == rates
    line = next(entry for entry in created if entry.entity_type is AuditedEntity.SHIPMENT_LINE)
    with demo.app_context():
        reference = db.session.scalar(
            select(Shipment.reference).where(Shipment.id == line.after["shipment_id"])
        )
    assert line.entity_label == f"{reference} #{line.after['position']}"


def test_refused_input_and_rolled_back_changes_leave_no_entry(staff, demo):
    before = entry_count(demo)
    form = _new_shipment_form(demo) | {"lines-0-quantity": "-5"}
    assert staff.post("/shipments/new", data=form).status_code == 422
    with demo.app_context():
        organisation = db.session.scalar(select(Organisation).filter_by(name="Protection Civile"))
        organisation.contact_name = "Nobody"
        db.session.flush()
        db.session.rollback()
    assert entry_count(demo) == before


def test_reading_pages_and_logging_in_write_nothing_to_the_trail(demo):
    with demo.app_context():
        engine = db.engine
    client = demo.test_client()
    with QueryCounter(engine) as queries:
        log_in(client, "staff@lublin.example")
        client.get(f"/shipments/{DRAFT}")
        client.get("/organisations/")
    assert not [sql for sql in queries.statements if "audit_entries" in sql]


def test_a_value_changed_without_being_read_first_still_shows_what_it_was(demo):
    with demo.app_context():
        organisation = db.session.scalar(select(Organisation).filter_by(name="Protection Civile"))
        organisation.contact_name = "Marie Dupont"
        db.session.commit()  # everything expires: the next change knows no old value itself
        organisation.contact_name = "Jean Martin"
        db.session.commit()
    changes = entries(demo, entity_type=AuditedEntity.ORGANISATION, action=AuditAction.CHANGE)
    assert [(entry.before, entry.after) for entry in changes] == [
        ({"contact_name": None}, {"contact_name": "Marie Dupont"}),
        ({"contact_name": "Marie Dupont"}, {"contact_name": "Jean Martin"}),
    ]
    assert changes[1].entity_label == "Protection Civile"
