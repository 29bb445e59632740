"""Finding the table in the spreadsheets people already have, and refusing the files that are
not one, always with ImportFileError and a message that says what to do. No app, no database."""

import io
import random
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from werkzeug.datastructures import FileStorage

from aidtracker.imports.reader import (
    MAX_ROWS,
    Field,
    ImportFileError,
    Problem,
    normalise_header,
    read_table,
)
from aidtracker.imports.values import CellError, date_value, decimal, text
from tests.imports import files
from tests.imports.files import HEADER, LINES, PACKING_FIELDS

FORMULA = (
    "This cell holds a formula without a saved value: open the file in Excel, save it, "
    "and upload it again."
)


def read(content: bytes):
    return read_table(content, PACKING_FIELDS)


def refusal(content: bytes) -> str:
    with pytest.raises(ImportFileError) as refused:
        read(content)
    return refused.value.message


# --- a good table --------------------------------------------------------------------------------


def test_a_plain_table_is_read_row_by_row_with_excel_row_numbers():
    table = read(files.xlsx([HEADER, *LINES]))

    assert (table.sheet, table.header_row) == ("Lines", 1)
    assert table.columns == {
        "item": "Item",
        "quantity": "Quantity",
        "unit": "Unit",
        "unit_value": "Unit value",
        "currency": "Currency",
    }
    assert [row.number for row in table.rows] == [2, 3, 4]
    assert table.rows[0].cells == {
        "item": "Wool blanket",
        "quantity": 500,
        "unit": "pcs",
        "unit_value": 45,
        "currency": "PLN",
    }
    assert table.rows[2].column("unit_value") == "Unit value"
    assert table.problems == []


def test_a_packing_list_header_block_hxl_row_totals_and_signatures_are_not_lines():
    table = read(files.packing_list())

    assert table.header_row == 6
    assert [(row.number, row.cells["item"]) for row in table.rows] == [
        (8, "Wool blanket"),
        (9, "Canned fish 240 g"),
        (10, "Diesel generator 100 kVA"),
    ]
    assert table.problems == []


@pytest.mark.parametrize("label", ["Total", "TOTAL:", "Razem", "Ogółem", "Разом:", "Всього"])
def test_a_totals_row_ends_the_table_even_with_values_in_required_columns(label):
    table = read(files.xlsx([HEADER, *LINES, [label, 2301], ["Extra", 5]]))

    assert [row.number for row in table.rows] == [2, 3, 4]


def test_a_totals_row_after_an_empty_numbering_cell_ends_the_table():
    rows = [
        ["No.", *HEADER],
        *[[n, *line] for n, line in enumerate(LINES, 1)],
        [None, "Razem", 2301],
    ]
    rows.append([None, "Paracetamol", 5])

    assert [row.number for row in read(files.xlsx(rows)).rows] == [2, 3, 4]


def test_a_row_named_like_a_total_but_with_text_after_it_is_data():
    fields = [Field("name", {"Name"}, required=True), Field("country", {"Country"})]
    rows = [["Name", "Country", "Tax number"], ["Razem", "PL", 5252000000], ["Caritas", "PL"]]

    table = read_table(files.xlsx(rows), fields)

    assert [row.cells["name"] for row in table.rows] == ["Razem", "Caritas"]


def test_a_totals_label_alone_is_not_a_totals_row():
    table = read(files.xlsx([HEADER, LINES[0], ["Total"], LINES[1]]))

    assert [row.number for row in table.rows] == [2, 3, 4]


def test_blank_rows_and_rows_without_any_required_value_are_skipped():
    table = read(
        files.xlsx(
            [
                HEADER,
                LINES[0],
                [],
                [None, "  ", "\u00a0", None],
                LINES[1],
                [None, None, "pcs", 12, "PLN"],  # a note row: neither item nor quantity
                LINES[2],
            ]
        )
    )

    assert [row.number for row in table.rows] == [2, 5, 7]


def test_a_row_with_one_required_value_is_kept_so_that_the_import_can_say_what_is_missing():
    table = read(files.xlsx([HEADER, [None, 40, "pcs"], ["Soap", None]]))

    assert [(row.number, row.cells["item"], row.cells["quantity"]) for row in table.rows] == [
        (2, None, 40),
        (3, "Soap", None),
    ]


def test_polish_headers_in_another_order_with_units_stars_and_colons():
    table = read(
        files.xlsx(
            [
                ["Waluta", "Ilość *", "Lp.", "Nazwa towaru:", "Waga brutto (kg)", "Kod HS"],
                ["PLN", "1 800", 1, "Konserwa rybna 240 g", "432,5", 1604.0],
            ]
        )
    )

    assert table.columns == {
        "currency": "Waluta",
        "quantity": "Ilość *",
        "item": "Nazwa towaru:",
        "gross_weight": "Waga brutto (kg)",
        "hs_code": "Kod HS",
    }
    row = table.rows[0]
    assert decimal(row.cells["quantity"]) == Decimal(1800)
    assert decimal(row.cells["gross_weight"]) == Decimal("432.5")
    assert text(row.cells["hs_code"]) == "1604"


def test_ukrainian_headers_with_line_breaks_and_blanks():
    table = read(
        files.xlsx(
            [
                ["  Найменування ", "Кількість\n(шт)", "Ціна за\u00a0одиницю", "ВАЛЮТА"],
                ["Ковдра вовняна", 300, "45,00", "UAH"],
            ]
        )
    )

    assert table.columns["quantity"] == "Кількість (шт)"
    assert table.columns["item"] == "Найменування"
    assert decimal(table.rows[0].cells["unit_value"]) == Decimal("45.00")
    assert table.rows[0].cells["currency"] == "UAH"


def test_cells_keep_their_raw_value_and_blank_text_is_empty():
    table = read(files.xlsx([HEADER, ["\u00a0Wool blanket ", "  500 ", " ", "12,5", None]]))

    cells = table.rows[0].cells
    assert cells["item"] == "\u00a0Wool blanket "
    assert text(cells["item"]) == "Wool blanket"
    assert decimal(cells["quantity"]) == Decimal(500)
    assert cells["unit"] is None
    assert decimal(cells["unit_value"]) == Decimal("12.5")
    assert cells["currency"] is None


def test_dates_arrive_as_dates_or_text_and_wrong_text_is_refused_by_the_cell_reader():
    table = read(
        files.dated([datetime(2025, 6, 30), "2025-06-30", "30.06.2025", "30/06/2025", "6/30/2025"])
    )

    values = [row.cells["expiry"] for row in table.rows]
    assert [date_value(value) for value in values[:4]] == [date(2025, 6, 30)] * 4
    with pytest.raises(CellError, match=r"Write dates as YYYY-MM-DD, DD\.MM\.YYYY or DD/MM/YYYY"):
        date_value(values[4])


def test_unknown_columns_are_ignored_and_missing_optional_columns_have_no_key():
    table = read(files.xlsx([["Remarks", "Item", "Qty", "Pallet"], ["fragile", "Soap", 10, 2]]))

    assert table.rows[0].cells == {"item": "Soap", "quantity": 10}


def test_the_table_may_sit_on_a_later_visible_sheet_after_a_cover_sheet():
    content = files.sheets(
        ("Cover", [["Aid for Kryvyi Rih"], ["Prepared by", "City of Lublin"]], "visible"),
        ("Lines", [HEADER, *LINES], "visible"),
    )

    table = read(content)

    assert table.sheet == "Lines"
    assert len(table.rows) == 3


def test_a_hidden_first_sheet_is_skipped_for_the_visible_table_after_it():
    content = files.sheets(
        ("Old lines", [HEADER, ["Old item", 1]], "hidden"),
        ("Lines", [HEADER, *LINES], "visible"),
    )

    table = read(content)

    assert table.sheet == "Lines"
    assert table.rows[0].cells["item"] == "Wool blanket"


def test_a_table_only_on_a_hidden_sheet_is_refused_with_the_sheets_name():
    content = files.sheets(
        ("Notes", [["Nothing here"]], "visible"),
        ("Lines 2023", [HEADER, *LINES], "hidden"),
    )

    assert refusal(content) == (
        "The table is on the hidden sheet “Lines 2023”. Unhide it in Excel (right-click a sheet "
        "tab, Unhide) or copy the table to a visible sheet, and upload it again."
    )


def test_a_workbook_without_a_header_row_names_the_headers_looked_for():
    message = refusal(files.xlsx([["Some", "other", "table"], [1, 2, 3]]))

    assert message.startswith("No sheet has a header row in its first 30 rows.")
    assert "Item" in message
    assert "Ilość" in message
    assert "Кількість" in message


def test_a_header_row_below_row_30_is_not_looked_for():
    content = files.xlsx([*[[f"note {n}"] for n in range(30)], HEADER, *LINES])

    assert refusal(content).startswith("No sheet has a header row")


def test_a_header_row_without_a_required_column_says_which_is_missing():
    message = refusal(files.xlsx([["Item", "Unit", "Currency"], ["Soap", "pcs", "PLN"]]))

    assert message == (
        "Row 1 of sheet “Lines” looks like the header row, but these columns are missing: Quantity."
    )


def test_the_same_field_twice_in_the_header_row_is_refused():
    message = refusal(files.xlsx([["Item", "Quantity", "Ilość"], ["Soap", 1, 2]]))

    assert message == (
        "Row 1 of sheet “Lines” has the same column twice: “Quantity” (B), “Ilość” (C). "
        "Keep one of them."
    )


def test_a_one_field_table_needs_only_that_header():
    fields = [Field("name", {"Name", "Nazwa"}, required=True)]

    table = read_table(files.xlsx([["Nazwa"], ["Lublin"], ["Lutsk"]]), fields)

    assert [row.cells for row in table.rows] == [{"name": "Lublin"}, {"name": "Lutsk"}]


def test_without_required_fields_two_known_headers_make_the_header_row():
    fields = [Field("name", {"Name"}), Field("country", {"Country"}), Field("city", {"City"})]
    content = files.xlsx([["Name:", "Example Org"], ["Name", "Country"], ["Lublin", "PL"], []])

    table = read_table(content, fields)

    assert table.header_row == 2
    assert [row.cells for row in table.rows] == [{"name": "Lublin", "country": "PL"}]


def test_a_header_listed_for_two_fields_is_a_programming_error():
    fields = [Field("donor", {"Donor"}), Field("sender", {"donor "})]

    with pytest.raises(ValueError, match="is a header of donor and sender"):
        read_table(files.xlsx([HEADER]), fields)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Gross weight (kg)", "gross weight"),
        ("  GROSS\u00a0 weight [kg] *", "gross weight"),
        ("Ilość:", "ilość"),
        ("Quantity (pcs) * :", "quantity"),
        ("Lp.", "lp."),
    ],
)
def test_headers_are_compared_without_case_blanks_marks_and_units(typed, expected):
    assert normalise_header(typed) == expected


# --- cells that cannot be trusted --------------------------------------------------------------


def test_formulas_without_a_saved_value_are_problems_of_their_cells():
    table = read(files.with_formulas())

    assert table.problems == [
        Problem("Lines", 2, "Quantity", FORMULA),
        Problem("Lines", 3, "Unit value", FORMULA),
    ]
    assert table.rows[0].cells["quantity"] is None


def test_formulas_with_a_saved_value_are_read_as_their_value():
    content = files.xlsx([HEADER, *LINES])
    # What Excel saves: the formula and its last value.
    patched = _patch_sheet(
        content, lambda xml: xml.replace(b"<v>500</v>", b"<f>250*2</f><v>500</v>")
    )

    table = read(patched)

    assert table.rows[0].cells["quantity"] == 500
    assert table.problems == []


def test_a_text_formula_with_an_empty_saved_result_is_no_problem():
    # What Excel saves for =IF(B2="";"";B2): a text result, empty.
    patched = _patch_sheet(
        files.xlsx([HEADER, *LINES]),
        lambda xml: xml.replace(
            b'<c r="C2" t="inlineStr"><is><t>pcs</t></is></c>',
            b'<c r="C2" t="str"><f>IF(B2="","","pcs")</f><v></v></c>',
        ),
    )

    table = read(patched)

    assert table.problems == []
    assert table.rows[0].cells["unit"] is None


def test_formulas_are_found_all_through_a_sheet_of_several_megabytes():
    def edit(workbook, sheet):
        for number in range(2, 4002):
            sheet.cell(row=number, column=2).value = f"={number}*2"

    filler = "Humanitarian aid, not for sale. " * 30
    rows = [["Item", "Quantity", "Note"], *[[f"Item {n}", None, filler] for n in range(4000)]]
    content = files.xlsx(rows, edit=edit)

    table = read(content)

    assert len(table.rows) == 4000
    assert [problem.row for problem in table.problems] == list(range(2, 4002))


def test_formulas_and_merged_cells_are_found_in_xml_with_namespace_prefixes():
    def prefixed(xml: bytes) -> bytes:
        xml = re.sub(rb"<(/?)(\w+)([\s/>])", rb"<\1x:\2\3", xml)
        return xml.replace(b"<x:worksheet xmlns=", b"<x:worksheet xmlns:x=", 1)

    def edit(workbook, sheet):
        sheet["B3"] = "=3*600"
        sheet["A4"] = None
        sheet.merge_cells("A3:A4")

    table = read(_patch_sheet(files.xlsx([HEADER, *LINES], edit=edit), prefixed))

    assert [(p.row, p.column, p.message[:13]) for p in table.problems] == [
        (3, "Quantity", "This cell hol"),
        (4, "Item", "Merged cells "),
    ]
    assert table.rows[0].cells["item"] == "Wool blanket"


def test_a_formula_outside_the_tables_columns_is_no_problem():
    def edit(workbook, sheet):
        sheet["F2"] = "=B2*D2"

    assert read(files.xlsx([HEADER, *LINES], edit=edit)).problems == []


def test_merged_cells_over_lines_are_a_problem_at_the_first_row_left_empty():
    table = read(files.with_merged_item())

    assert table.problems == [
        Problem(
            "Lines",
            4,
            "Item",
            "Merged cells (A3:A4): unmerge them so that every row has its own value.",
        )
    ]


def test_merged_cells_in_the_header_block_are_no_problem():
    def edit(workbook, sheet):
        sheet.merge_cells("A1:E1")

    content = files.xlsx([["PACKING LIST"], [], HEADER, *LINES], edit=edit)

    assert read(content).problems == []


def test_error_values_of_formulas_are_problems_of_their_cells():
    patched = _patch_sheet(
        files.xlsx([HEADER, *LINES]),
        lambda xml: xml.replace(b'<c r="D3" t="n"><v>7.8</v>', b'<c r="D3" t="e"><v>#REF!</v>'),
    )

    table = read(patched)

    assert table.problems == [
        Problem(
            "Lines",
            3,
            "Unit value",
            "This cell shows the error #REF!: correct the formula in Excel, save the file and "
            "upload it again.",
        )
    ]
    assert table.rows[1].cells["unit_value"] is None


def test_a_sheet_that_misstates_its_size_is_read_to_the_end():
    patched = _patch_sheet(
        files.xlsx([HEADER, *LINES]),
        lambda xml: re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:B2"/>', xml),
    )

    table = read(patched)

    assert [row.number for row in table.rows] == [2, 3, 4]
    assert table.rows[2].cells["currency"] == "EUR"


def test_up_to_20000_rows_are_read():
    table = read(files.many_rows(MAX_ROWS))

    assert len(table.rows) == MAX_ROWS
    assert table.rows[-1].number == MAX_ROWS + 1


def test_20001_rows_are_refused():
    assert refusal(files.many_rows(MAX_ROWS + 1)) == (
        "The table has more than 20000 rows. Split it into several files."
    )


# --- files that are not a workbook -------------------------------------------------------------

NOT_XLSX = "This is not an Excel .xlsx workbook but "
RESAVE = " Open it in your spreadsheet, save it as Excel Workbook (.xlsx) and upload that file."
DAMAGED = (
    "The file is damaged: it cannot be opened as an Excel workbook. Open it in Excel, save it "
    "again as Excel Workbook (.xlsx) and upload it again."
)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (files.csv_renamed, NOT_XLSX + "a text file (CSV, HTML or XML)." + RESAVE),
        (files.png_renamed, NOT_XLSX + "a picture." + RESAVE),
        (
            lambda: ("Towar;Ilość\nКовдра;300\n" * 400).encode(),
            NOT_XLSX + "a text file (CSV, HTML or XML)." + RESAVE,
        ),
        (
            lambda: "Item\tQuantity\nSoap\t10\n".encode("utf-16"),
            NOT_XLSX + "a text file (CSV, HTML or XML)." + RESAVE,
        ),
        (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", NOT_XLSX + "a PDF document." + RESAVE),
        (files.zip_of_other_files, NOT_XLSX + "a zip archive of other files." + RESAVE),
        (files.opendocument, NOT_XLSX + "an OpenDocument spreadsheet (.ods)." + RESAVE),
        (lambda: bytes(range(256)) * 4, NOT_XLSX + "a file of another kind." + RESAVE),
        (
            files.cfb_header_only,
            "This file is password-protected, or it is an old Excel 97-2003 workbook (.xls). "
            "Remove the password, or save it as Excel Workbook (.xlsx), and upload it again.",
        ),
        (
            files.encrypted_workbook,
            "This workbook is protected with a password. Open it in Excel, remove the password "
            "(File > Info > Protect Workbook > Encrypt with Password), save it and upload it "
            "again.",
        ),
        (
            files.legacy_xls,
            "This is an old Excel 97-2003 workbook (.xls). Open it in Excel or LibreOffice, save "
            "it as Excel Workbook (.xlsx) and upload that file.",
        ),
        (files.truncated, DAMAGED),
        (lambda: b"PK\x03\x04" + bytes(100), DAMAGED),
        (lambda: b"", "The file is empty."),
        (
            files.over_ten_megabytes,
            "The file is larger than 10 MB. Split it into smaller workbooks.",
        ),
        (
            files.unpacks_too_large,
            "The workbook holds too much data once unpacked. Split it into smaller workbooks.",
        ),
    ],
)
def test_a_file_that_is_no_usable_workbook_is_refused_with_what_to_do(build, message):
    assert refusal(build()) == message


def test_a_workbook_without_its_sheet_is_damaged():
    content = files.xlsx([HEADER, *LINES])
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for member in source.infolist():
            if member.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(member, source.read(member))

    assert refusal(output.getvalue()) == DAMAGED


@pytest.mark.parametrize("seed", range(40))
def test_a_damaged_workbook_is_read_or_refused_but_never_raises_anything_else(seed):
    content = bytearray(files.packing_list())
    chance = random.Random(seed)  # noqa: S311 (a repeatable damage, not a secret)
    for _ in range(chance.randint(1, 6)):
        position = chance.randrange(30, len(content))
        content[position] = chance.randrange(256)

    outcome = _read_or_refuse(bytes(content))

    if isinstance(outcome, str):
        assert outcome
    else:
        assert all(row.number > outcome.header_row for row in outcome.rows)


def _read_or_refuse(content: bytes):
    """The table, or the refusal's message; any other exception fails the test."""
    try:
        return read(content)
    except ImportFileError as refused:
        return refused.message


def test_paths_streams_and_uploaded_files_are_read_alike(tmp_path):
    content = files.xlsx([HEADER, *LINES])
    path = tmp_path / "lines.xlsx"
    path.write_bytes(content)
    upload = FileStorage(io.BytesIO(content), filename="lines.xlsx")

    tables = [read_table(source, PACKING_FIELDS) for source in (path, str(path), upload)]
    tables.append(read_table(io.BytesIO(content), PACKING_FIELDS))

    assert {len(table.rows) for table in tables} == {3}


def test_a_path_that_is_gone_asks_to_upload_again(tmp_path):
    with pytest.raises(ImportFileError, match="no longer there: upload it again"):
        read_table(tmp_path / "gone.xlsx", PACKING_FIELDS)


def test_a_large_file_on_disk_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(files.over_ten_megabytes())

    with pytest.raises(ImportFileError, match="larger than 10 MB"):
        read_table(path, PACKING_FIELDS)


def _patch_sheet(content: bytes, change) -> bytes:
    """The workbook with its first sheet's XML changed by `change`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                patched = change(data)
                assert patched != data, "the patch changed nothing"
                data = patched
            archive.writestr(member, data)
    return output.getvalue()
