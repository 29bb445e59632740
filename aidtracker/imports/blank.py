"""The template workbooks people download, fill in and import.

Each import offers a workbook whose first sheet has the header row the import looks for, one
example row, and drop-down lists where a column takes fixed values; an "Instructions" sheet says
what each column holds. The lists behind the drop-downs live on a hidden "Lists" sheet, because an
inline list is limited to 255 characters (the currencies are longer) and breaks on commas;
``read_table`` skips hidden sheets, and the table sheet is the first visible one.

The workbook is small, so openpyxl writes it in normal mode.
"""

import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

VALIDATED_ROWS = 1000
"""Rows under the header that get the drop-down lists (2 to 1001)."""
LISTS_SHEET = "Lists"
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a template: its header, an example value, a line of help, the allowed
    values when they are fixed, a width in characters and whether it must be filled in."""

    header: str
    example: object
    help: str
    choices: list[str] | None = None
    width: int = 18
    required: bool = False

    @property
    def title(self) -> str:
        """The header as written in the file: required ones are marked with " *"."""
        return f"{self.header} *" if self.required else self.header


def template_workbook(title: str, columns: list[TemplateColumn], instructions: list[str]) -> bytes:
    """An .xlsx template: the table sheet named `title`, an "Instructions" sheet, and the
    hidden "Lists" sheet when a column has choices; returns the file's bytes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name(title)
    lists, list_count = None, 0
    for number, column in enumerate(columns, start=1):
        letter = get_column_letter(number)
        header = sheet.cell(row=1, column=number)
        _write(header, column.title)
        header.font = Font(bold=True)
        header.fill = _HEADER_FILL
        header.alignment = Alignment(vertical="top", wrap_text=True)
        _write(sheet.cell(row=2, column=number), column.example)
        sheet.column_dimensions[letter].width = column.width
        if column.choices:
            if lists is None:
                lists = workbook.create_sheet(LISTS_SHEET)
                lists.sheet_state = "hidden"
            list_count += 1
            list_column = get_column_letter(list_count)
            lists[f"{list_column}1"] = column.header
            for offset, value in enumerate(column.choices, start=2):
                _write(lists[f"{list_column}{offset}"], value)
            last = len(column.choices) + 1
            validation = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(LISTS_SHEET)}!${list_column}$2:${list_column}${last}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header[:32],
                error=_("Choose one of the values of the list.")[:255],
                showInputMessage=True,
                promptTitle=column.header[:32],
                prompt=column.help[:255],
            )
            validation.add(f"{letter}2:{letter}{VALIDATED_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    _instructions(workbook.create_sheet(_("Instructions")), title, columns, instructions)
    if lists is not None:
        workbook.move_sheet(lists, offset=len(workbook.sheetnames))  # keep it last
    workbook.properties.creator = "AidTracker"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def sheet_name(title: str) -> str:
    """`title` as a valid sheet name: no []:*?/\\ and at most 31 characters."""
    name = _SHEET_NAME_FORBIDDEN.sub(" ", title).strip().strip("'")[:31].strip()
    return name or "Sheet1"


def _instructions(sheet, title: str, columns: list[TemplateColumn], lines: list[str]) -> None:
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 60
    sheet.column_dimensions["D"].width = 50
    _write(sheet.cell(row=1, column=1), title)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    row = 3
    for line in lines:
        _write(sheet.cell(row=row, column=1), line)
        row += 1
    row += 1
    headings = (_("Column"), _("Required"), _("What to enter"), _("Allowed values"))
    for number, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=row, column=number)
        _write(cell, heading)
        cell.font = Font(bold=True)
    for column in columns:
        row += 1
        _write(sheet.cell(row=row, column=1), column.header)
        _write(sheet.cell(row=row, column=2), _("yes") if column.required else _("no"))
        _write(sheet.cell(row=row, column=3), column.help)
        if column.choices:
            _write(sheet.cell(row=row, column=4), ", ".join(column.choices))
        for number in (3, 4):
            sheet.cell(row=row, column=number).alignment = Alignment(wrap_text=True, vertical="top")


def _write(cell, value) -> None:
    """Write a value; text is always text, even when it starts with "=" (never a formula)."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
