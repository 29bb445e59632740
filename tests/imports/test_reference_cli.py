"""``aidtracker import catalogue FILE`` and ``aidtracker import organisations FILE``: the pages'
checks from the command line, every problem printed as Sheet!Row, Column: message, exit 1 and
nothing written when any row is wrong."""

import pytest
from sqlalchemy import select

from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.imports.reference_cli import (
    catalogue_import_command,
    organisations_import_command,
)
from aidtracker.parties.models import Organisation
from tests.catalogue.helpers import stored_rows
from tests.imports.files import png_renamed, xlsx


@pytest.fixture
def run(demo, tmp_path):
    """Write `content` to a file and run `command` on it with `options`."""

    def invoke(command, content: bytes, *options: str, name: str = "import.xlsx"):
        path = tmp_path / name
        path.write_bytes(content)
        return demo.test_cli_runner().invoke(command, [str(path), *options])

    return invoke


def reference_rows(app) -> list[tuple]:
    return stored_rows(app, CatalogueItem, Organisation)


ITEMS = xlsx(
    [
        ["Name in English", "Category", "Unit", "HS code"],
        ["Folding stretcher", "medical", "pcs", "9402.90"],
        ["Camp bed", "shelter", "pcs", "940320"],
    ],
    title="Catalogue",
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


def test_the_catalogue_command_adds_every_item(run, demo):
    result = run(catalogue_import_command, ITEMS)

    assert result.exit_code == 0, result.output
    assert "Added 2 catalogue items from" in result.output
    with demo.app_context():
        added = db.session.scalars(
            select(CatalogueItem.hs_code).where(
                CatalogueItem.name_en.in_(["Folding stretcher", "Camp bed"])
            )
        ).all()
    assert sorted(added) == ["940290", "940320"]


def test_wrong_rows_are_printed_one_a_line_and_nothing_is_written(run, demo):
    before = reference_rows(demo)

    result = run(catalogue_import_command, BAD_ITEMS)

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "Catalogue!3, Category: camping is not one of the allowed values: " in result.output
    assert any(line.startswith("Catalogue!3, HS code: “94032” is not an HS code") for line in lines)
    assert any(
        line.startswith("Catalogue!4, Name in English: The catalogue already has “Wool blanket”")
        for line in lines
    )
    assert "Error: nothing imported: 3 problems in" in result.output
    assert reference_rows(demo) == before


def test_the_organisations_command_adds_every_organisation(run, demo):
    content = xlsx(
        [
            ["Nazwa", "Rodzaj", "Kraj", "Miasto", "Darczyńca"],
            ["Caritas Lublin", "fundacja", "Polska", "LUB", "tak"],
            ["Kharkiv Food Bank", "ngo", "UA", None, "nie"],
        ]
    )

    result = run(organisations_import_command, content, "--user", "staff@lublin.example")

    assert result.exit_code == 0, result.output
    assert "Added 2 organisations from" in result.output
    with demo.app_context():
        caritas = db.session.scalar(select(Organisation).filter_by(name="Caritas Lublin"))
        assert (caritas.city.code, caritas.is_donor) == ("LUB", True)


def test_check_reads_and_checks_without_writing(run, demo):
    before = reference_rows(demo)

    result = run(catalogue_import_command, ITEMS, "--check")

    assert result.exit_code == 0, result.output
    assert "is right: it would add 2 catalogue items." in result.output
    assert reference_rows(demo) == before


def test_a_file_that_is_not_a_workbook_is_refused_with_its_message(run, demo):
    before = reference_rows(demo)

    result = run(organisations_import_command, png_renamed(), name="partners.xlsx")

    assert result.exit_code == 1
    assert "partners.xlsx: This is not an Excel .xlsx workbook but a picture." in result.output
    assert reference_rows(demo) == before


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("accountant@lublin.example", "may not add catalogue items or organisations"),
        ("partner@lutsk.example", "may not add catalogue items or organisations"),
        ("nobody@lublin.example", "no user has the e-mail address 'nobody@lublin.example'"),
    ],
)
def test_only_users_who_manage_reference_data_may_import(run, demo, email, message):
    before = reference_rows(demo)

    result = run(catalogue_import_command, ITEMS, "--user", email)

    assert result.exit_code == 1
    assert message in result.output
    assert reference_rows(demo) == before


def test_a_missing_file_is_a_usage_error(demo, tmp_path):
    result = demo.test_cli_runner().invoke(catalogue_import_command, [str(tmp_path / "none.xlsx")])

    assert result.exit_code == 2
    assert "does not exist" in result.output
