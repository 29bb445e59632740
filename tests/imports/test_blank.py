"""The template workbooks people fill in: what they hold, and that the import reads them back."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from aidtracker.imports.blank import LISTS_SHEET, TemplateColumn, sheet_name, template_workbook
from aidtracker.imports.reader import Field, read_table
from aidtracker.imports.values import choice, date_value, decimal, text

MANY_CURRENCIES = [f"{a}{b}{c}" for a in "ABCDE" for b in "XYZ" for c in "QRSTUVWXYZ"]  # 150
COLUMNS = [
    TemplateColumn("Item", "Wool blanket", "The item's name, as in the catalogue.", required=True),
    TemplateColumn("Quantity", 500, "How many units.", width=12, required=True),
    TemplateColumn("Unit", "pcs", "The unit counted.", choices=["pcs", "kg", "l", "box"]),
    TemplateColumn("Unit value", Decimal("45.00"), "The value of one unit."),
    TemplateColumn("Currency", "PLN", "ISO 4217 code.", choices=MANY_CURRENCIES),
    TemplateColumn("Expiry", date(2026, 6, 30), "Medical items: the expiry date."),
    TemplateColumn("Note", "=not a formula", "Anything the recipient should know."),
]
FIELDS = [
    Field("item", {"Item", "Towar"}, required=True),
    Field("quantity", {"Quantity", "Ilość"}, required=True),
    Field("unit", {"Unit"}),
    Field("unit_value", {"Unit value"}),
    Field("currency", {"Currency"}),
    Field("expiry", {"Expiry"}),
    Field("note", {"Note"}),
]
INSTRUCTIONS = ["Fill in one row per item.", "Do not change the header row."]


@pytest.fixture(scope="module")
def content() -> bytes:
    return template_workbook("Packing list", COLUMNS, INSTRUCTIONS)


@pytest.fixture(scope="module")
def workbook(content):
    return openpyxl.load_workbook(io.BytesIO(content))


def test_the_template_reads_back_with_its_example_row(content):
    table = read_table(content, FIELDS)

    assert (table.sheet, table.header_row, table.problems) == ("Packing list", 1, [])
    assert table.columns["item"] == "Item *"
    [row] = table.rows
    assert row.number == 2
    assert text(row.cells["item"]) == "Wool blanket"
    assert decimal(row.cells["quantity"]) == Decimal(500)
    assert choice(row.cells["unit"], {"pcs": "pcs"}) == "pcs"
    assert decimal(row.cells["unit_value"]) == Decimal(45)
    assert date_value(row.cells["expiry"]) == date(2026, 6, 30)
    assert row.cells["note"] == "=not a formula"


def test_sheets_are_the_table_the_instructions_and_the_hidden_lists(workbook):
    assert workbook.sheetnames == ["Packing list", "Instructions", LISTS_SHEET]
    assert [sheet.sheet_state for sheet in workbook.worksheets] == ["visible", "visible", "hidden"]


def test_the_header_row_is_bold_frozen_and_marks_required_columns(workbook):
    sheet = workbook["Packing list"]

    assert [cell.value for cell in sheet[1]] == [
        "Item *",
        "Quantity *",
        "Unit",
        "Unit value",
        "Currency",
        "Expiry",
        "Note",
    ]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 12


def test_example_text_that_starts_with_equals_is_text_not_a_formula(workbook):
    cell = workbook["Packing list"]["G2"]

    assert cell.data_type == "s"
    assert cell.value == "=not a formula"


def test_the_example_date_is_a_date_cell(workbook):
    cell = workbook["Packing list"]["F2"]

    assert cell.is_date
    assert cell.number_format == "yyyy-mm-dd"


def test_columns_with_choices_get_drop_down_lists_from_the_hidden_sheet(workbook):
    sheet = workbook["Packing list"]
    lists = workbook[LISTS_SHEET]
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}

    assert set(validations) == {"C2:C1001", "E2:E1001"}
    unit, currency = validations["C2:C1001"], validations["E2:E1001"]
    assert unit.type == "list"
    assert unit.formula1 == "'Lists'!$A$2:$A$5"
    assert [lists.cell(row=r, column=1).value for r in range(1, 6)] == [
        "Unit",
        "pcs",
        "kg",
        "l",
        "box",
    ]
    # 150 codes: far over the 255 characters an inline list may hold.
    assert currency.formula1 == "'Lists'!$B$2:$B$151"
    assert [lists.cell(row=r, column=2).value for r in range(2, 152)] == MANY_CURRENCIES
    assert unit.showErrorMessage
    assert unit.error == "Choose one of the values of the list."
    assert unit.prompt == "The unit counted."


def test_the_instructions_sheet_explains_every_column(workbook):
    sheet = workbook["Instructions"]
    lines = [
        [cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)
    ]

    assert lines[0] == ["Packing list"]
    assert ["Fill in one row per item."] in lines
    assert ["Do not change the header row."] in lines
    assert ["Column", "Required", "What to enter", "Allowed values"] in lines
    assert ["Item", "yes", "The item's name, as in the catalogue."] in lines
    assert ["Unit", "no", "The unit counted.", "pcs, kg, l, box"] in lines
    assert ["Note", "no", "Anything the recipient should know."] in lines


def test_a_template_without_choices_has_no_lists_sheet():
    content = template_workbook(
        "Organisations",
        [
            TemplateColumn("Name", "City of Lublin", "The organisation's name.", required=True),
            TemplateColumn("Country", "PL", "ISO 3166 code.", required=True),
        ],
        [],
    )
    workbook = openpyxl.load_workbook(io.BytesIO(content))

    assert workbook.sheetnames == ["Organisations", "Instructions"]
    table = read_table(
        content,
        [Field("name", {"Name"}, required=True), Field("country", {"Country"}, required=True)],
    )
    assert table.rows[0].cells == {"name": "City of Lublin", "country": "PL"}


def test_filling_in_the_template_below_the_example_is_read_as_well(content):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook["Packing list"]
    sheet.append(["Canned fish 240 g", "1 800", "szt.", "7,80", "PLN", "30.06.2026", None])
    output = io.BytesIO()
    workbook.save(output)

    table = read_table(output.getvalue(), FIELDS)

    assert [row.number for row in table.rows] == [2, 3]
    assert decimal(table.rows[1].cells["unit_value"]) == Decimal("7.80")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Packing list", "Packing list"),
        ("Lines [2023/24]: *draft?*", "Lines  2023 24    draft"),
        ("A very long title for a sheet in Excel", "A very long title for a sheet i"),
        ("'quoted'", "quoted"),
        ("???", "Sheet1"),
    ],
)
def test_sheet_names_are_made_valid_for_excel(title, expected):
    assert sheet_name(title) == expected
    assert len(sheet_name(title)) <= 31
