"""The streaming writer produces workbooks that spreadsheet programs read as accountants expect."""

from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from aidtracker.reports.xlsx import (
    Column,
    PageSetup,
    Properties,
    Style,
    Workbook,
    column_letter,
    quantity_style,
    sheet_title,
)


def write(path, rows, columns=None, **sheet_options):
    columns = columns or [Column("A"), Column("B"), Column("C")]
    with Workbook(path, Properties(title="Test", creator="tester")) as workbook:
        sheet = workbook.add_sheet("Data", columns, **sheet_options)
        sheet.header()
        for row in rows:
            sheet.append(row)
    return openpyxl.load_workbook(path)["Data"]


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://example.com","x")',
        "+48 81 466 10 00",
        "-5",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_text_that_a_spreadsheet_would_run_is_stored_as_literal_text(tmp_path, text):
    sheet = write(tmp_path / "t.xlsx", [[text]])
    cell = sheet["A2"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix is True


def test_ordinary_text_is_plain_text(tmp_path):
    sheet = write(tmp_path / "t.xlsx", [["Canned fish 240 g", "a = b"]])
    assert sheet["A2"].quotePrefix is False
    assert sheet["B2"].value == "a = b"


def test_values_keep_their_types_and_empty_cells_keep_positions(tmp_path):
    moment = datetime(2023, 3, 30, 14, 5, tzinfo=UTC)
    columns = [Column("Date", Style.DATE), Column("Amount", Style.MONEY), Column("When")]
    sheet = write(
        tmp_path / "t.xlsx",
        [[date(2023, 3, 30), None, moment], [None, Decimal("1E+2"), True]],
        columns=columns,
    )
    assert sheet["A2"].value == datetime(2023, 3, 30)
    assert sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["B2"].value is None
    assert sheet["C2"].value == datetime(2023, 3, 30, 14, 5)
    assert sheet["B3"].value == 100
    assert sheet["B3"].number_format == "#,##0.00"
    assert sheet["C3"].value is True


def test_characters_xml_cannot_hold_are_dropped_and_markup_is_escaped(tmp_path):
    sheet = write(tmp_path / "t.xlsx", [["a\x00b\x1bc", "<b>&amp;</b>", "  spaced  "]])
    assert sheet["A2"].value == "abc"
    assert sheet["B2"].value == "<b>&amp;</b>"
    assert sheet["C2"].value == "  spaced  "


def test_header_is_frozen_filtered_and_columns_fit_their_content(tmp_path):
    rows = [["x" * 30, "short", 12345678]]
    sheet = write(tmp_path / "t.xlsx", rows)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C2"
    assert sheet.column_dimensions["A"].width == pytest.approx(32)
    assert sheet.column_dimensions["B"].width == pytest.approx(7)


def test_page_setup_prints_a4_fitted_to_width_with_repeated_titles(tmp_path):
    path = tmp_path / "t.xlsx"
    with Workbook(path) as workbook:
        sheet = workbook.add_sheet(
            "Packing list", [Column("No.")], page=PageSetup(repeat_rows=(3, 4), footer="LUB & co")
        )
        sheet.append(["Statement"], Style.TITLE)
        sheet.merge(1, 0, 1, 3)
        sheet.row_height(2, 40)
        with pytest.raises(ValueError, match="row 1 is written already"):
            sheet.row_height(1, 40)
        sheet.append(["Sign here"])
    sheet = openpyxl.load_workbook(path)["Packing list"]
    assert sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$3:$4"
    assert "A1:D1" in {str(cells) for cells in sheet.merged_cells.ranges}
    assert sheet.row_dimensions[2].height == 40
    assert "LUB && co" in sheet.oddFooter.left.text


def test_several_sheets_can_be_written_at_once_and_names_are_made_valid(tmp_path):
    path = tmp_path / "t.xlsx"
    with Workbook(path, Properties(title="Two", creator="me", description="d")) as workbook:
        first = workbook.add_sheet("Lines: 2023/24 [draft]")
        second = workbook.add_sheet("Lines: 2023/24 [draft]")
        first.append([1])
        second.append([2])
        first.append([3])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Lines  2023 24  draft", "Lines  2023 24  draft (2)"]
    assert [row[0].value for row in book.worksheets[0].iter_rows()] == [1, 3]
    assert (book.properties.title, book.properties.creator) == ("Two", "me")


def test_sheet_titles_and_column_letters():
    assert sheet_title("x" * 40) == "x" * 31
    assert sheet_title("''") == "Sheet"
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_whole_quantities_have_no_decimals_others_three():
    assert quantity_style(Decimal("1800.000")) is Style.INTEGER
    assert quantity_style(Decimal("12.5")) is Style.DECIMAL
    assert quantity_style(Decimal("12.5"), total=True) is Style.TOTAL_DECIMAL


def test_a_failure_half_way_leaves_no_sheet_behind(tmp_path):
    path = tmp_path / "t.xlsx"

    def export_that_fails():
        with Workbook(path) as workbook:
            workbook.add_sheet("Data").append([1])
            raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        export_that_fails()
    with pytest.raises(KeyError):
        openpyxl.load_workbook(path)
