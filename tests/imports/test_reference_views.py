"""Staff import catalogue items and organisations from Excel: download the template, upload,
see the preview or the table of problems, and add everything with one click, or nothing."""

import io

import pytest
from sqlalchemy import select

from aidtracker.catalogue.models import CatalogueItem, Category, Unit
from aidtracker.catalogue.service import ItemDetails, add_item
from aidtracker.extensions import db
from aidtracker.imports.reader import read_table
from aidtracker.imports.reference import IMPORTS
from aidtracker.imports.reference_views import XLSX_MIMETYPE
from aidtracker.imports.uploads import imports_folder
from aidtracker.parties.models import Organisation
from tests.catalogue.helpers import ACCOUNTANT, ADMIN, PARTNER, STAFF, client_of, stored_rows
from tests.catalogue.helpers import text_of as page
from tests.conftest import form_fields
from tests.imports.files import csv_renamed, xlsx

ITEMS = xlsx(
    [
        [
            "Name in English *",
            "Category *",
            "Unit *",
            "HS code",
            "Default value per unit",
            "Currency",
        ],
        ["Folding stretcher", "medical", "pcs", "9402.90", "350,00", "PLN"],
        ["Camp bed", "shelter", "szt.", "940320", 210, "PLN"],
    ],
    title="Catalogue",
)
PARTNERS = xlsx(
    [
        ["Name", "Kind", "Country", "City", "E-mail", "Donor", "Recipient"],
        ["Caritas Lublin", "ngo", "PL", "Lublin", "info@caritas.example", "tak", "nie"],
        ["Kharkiv Food Bank", "ngo", "Україна", None, None, None, "так"],
    ],
    title="Partners",
)
BAD_ITEMS = xlsx(
    [
        ["Name in English", "Category", "Unit", "HS code"],
        ["Folding stretcher", "medical", "pcs", "9402.90"],
        ["Camp bed", "camping", "pcs", "94032"],
        ["Wool blanket", "shelter", "pcs", None],
    ],
    title="Catalogue",
)


def upload(client, kind: str, content: bytes, name: str = "file.xlsx"):
    return client.post(
        f"/{kind}/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def kept_uploads(app) -> list[str]:
    with app.test_request_context():
        folder = imports_folder()
        return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def reference_rows(app) -> list[tuple]:
    return stored_rows(app, CatalogueItem, Organisation)


def test_staff_import_catalogue_items_through_upload_preview_and_commit(staff, demo):
    before = reference_rows(demo)
    form_page = staff.get("/catalogue/import")
    assert form_page.status_code == 200
    assert "Download the template (.xlsx)" in page(form_page)

    preview = upload(staff, "catalogue", ITEMS, "stretchers.xlsx")

    assert preview.status_code == 200
    text = page(preview)
    assert (
        "Every row of “stretchers.xlsx” is right: 2 items will be added to the catalogue." in text
    )
    assert "Folding stretcher" in text
    assert "940290" in text
    assert "Add 2 items" in text
    assert reference_rows(demo) == before  # the preview writes nothing
    assert len(kept_uploads(demo)) == 1

    done = staff.post("/catalogue/import/commit", data=form_fields(preview))

    assert done.status_code == 302
    assert done.location == "/catalogue/"
    listed = page(staff.get(done.location))
    assert "2 items were added to the catalogue." in listed
    assert "Folding stretcher" in listed
    assert "Camp bed" in listed
    with demo.app_context():
        camp_bed = db.session.scalar(select(CatalogueItem).filter_by(name_en="Camp bed"))
        assert (camp_bed.category, camp_bed.unit, camp_bed.hs_code) == (
            Category.SHELTER,
            Unit.PCS,
            "940320",
        )
    assert kept_uploads(demo) == []  # the kept file goes once imported


def test_staff_import_organisations_through_upload_preview_and_commit(staff, demo):
    preview = upload(staff, "organisations", PARTNERS)

    assert preview.status_code == 200
    text = page(preview)
    assert "2 organisations will be added." in text
    assert "2 Caritas Lublin NGO Poland Lublin info@caritas.example Donor" in text
    assert "3 Kharkiv Food Bank NGO Ukraine — — Recipient" in text
    assert "Add 2 organisations" in text

    done = staff.post("/organisations/import/commit", data=form_fields(preview))

    assert done.location == "/organisations/"
    assert "2 organisations were added." in page(staff.get(done.location))
    with demo.app_context():
        caritas = db.session.scalar(select(Organisation).filter_by(name="Caritas Lublin"))
        assert (caritas.city.code, caritas.is_donor, caritas.is_recipient) == ("LUB", True, False)


def test_wrong_rows_answer_422_with_the_table_of_problems_and_nothing_is_kept(staff, demo):
    before = reference_rows(demo)

    response = upload(staff, "catalogue", BAD_ITEMS)

    assert response.status_code == 422
    text = page(response)
    assert "Nothing was imported: 3 problems were found." in text
    assert "Catalogue 3 Category camping is not one of the allowed values" in text
    assert "Catalogue 3 HS code “94032” is not an HS code" in text
    assert "Catalogue 4 Name in English The catalogue already has “Wool blanket”" in text
    assert reference_rows(demo) == before
    assert kept_uploads(demo) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (csv_renamed(), "This is not an Excel .xlsx workbook but a text file"),
        (b"", "The file is empty."),
        (xlsx([["Item", "Price"], ["Tent", 10]]), "No sheet has a header row"),
    ],
    ids=["csv renamed", "empty", "no header"],
)
def test_a_file_that_cannot_be_used_answers_422_with_its_message(staff, demo, content, message):
    before = reference_rows(demo)

    response = upload(staff, "organisations", content)

    assert response.status_code == 422
    assert message in page(response)
    assert reference_rows(demo) == before


def test_no_file_at_all_answers_422(staff):
    response = staff.post("/catalogue/import", data={}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "Choose the .xlsx file to import." in page(response)


def test_cancel_discards_the_kept_file_and_adds_nothing(staff, demo):
    before = reference_rows(demo)
    preview = upload(staff, "catalogue", ITEMS)

    cancelled = staff.post("/catalogue/import/cancel", data=form_fields(preview))

    assert cancelled.location == "/catalogue/"
    assert "Nothing was imported." in page(staff.get(cancelled.location))
    assert kept_uploads(demo) == []
    assert reference_rows(demo) == before


def test_a_token_that_is_unknown_or_another_users_adds_nothing(staff, demo):
    before = reference_rows(demo)
    admin = client_of(demo, ADMIN)
    admins_preview = upload(admin, "catalogue", ITEMS)

    for token in (form_fields(admins_preview)["token"], "x" * 32, ""):
        response = staff.post("/catalogue/import/commit", data={"token": token})
        assert response.location == "/catalogue/import"
    assert "upload it again" in page(staff.get("/catalogue/import"))
    assert reference_rows(demo) == before


def test_the_commit_checks_the_file_again_and_refuses_what_was_added_meanwhile(staff, demo):
    preview = upload(staff, "catalogue", ITEMS)
    with demo.app_context():
        add_item(details=ItemDetails(name_en="CAMP BED", category=Category.SHELTER, unit=Unit.PCS))
    before = reference_rows(demo)

    response = staff.post("/catalogue/import/commit", data=form_fields(preview))

    assert response.status_code == 422
    assert "Catalogue 3 Name in English * The catalogue already has “Camp bed”" in page(response)
    assert reference_rows(demo) == before
    assert kept_uploads(demo) == []


@pytest.mark.parametrize("email", [ACCOUNTANT, PARTNER])
def test_accountants_and_partners_may_not_import(demo, email):
    client = client_of(demo, email)
    before = reference_rows(demo)

    for kind in ("catalogue", "organisations"):
        assert client.get(f"/{kind}/import").status_code == 403
        assert upload(client, kind, ITEMS).status_code == 403
        assert client.post(f"/{kind}/import/commit", data={"token": "x" * 32}).status_code == 403
        assert client.get(f"/imports/{kind}-template.xlsx").status_code == 403
    assert reference_rows(demo) == before


def test_the_lists_offer_the_import_to_those_who_may_manage_them_only(staff, demo):
    accountant = client_of(demo, ACCOUNTANT)
    for list_url, import_url in (
        ("/catalogue/", "/catalogue/import"),
        ("/organisations/", "/organisations/import"),
    ):
        assert f'href="{import_url}"' in staff.get(list_url).get_data(as_text=True)
        accountants_list = accountant.get(list_url)
        assert accountants_list.status_code == 200
        assert import_url not in accountants_list.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["catalogue", "organisations"])
def test_the_template_reads_back_with_its_example_row_and_no_problem(demo, kind):
    client = client_of(demo, STAFF)

    response = client.get(f"/imports/{kind}-template.xlsx")

    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    assert f"aidtracker-{kind}-template.xlsx" in response.headers["Content-Disposition"]
    spec = IMPORTS[kind]
    table = read_table(response.data, spec.fields)
    assert table.problems == []
    assert len(table.rows) == 1
    assert set(table.columns) == {field.name for field in spec.fields}
    with demo.app_context():
        new, problems = spec.check(response.data)
    assert problems == []
    assert len(new) == 1


def test_the_template_uploaded_as_it_is_previews_its_example_row(staff):
    template = staff.get("/imports/catalogue-template.xlsx").data

    preview = upload(staff, "catalogue", template)

    assert preview.status_code == 200
    assert "Camp bed" in page(preview)
    assert "Add 1 item" in page(preview)
