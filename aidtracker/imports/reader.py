"""Opening an uploaded workbook safely and reading one table out of it.

People upload the spreadsheets they already have: a packing list with a block of parties above
the lines and a totals row under them, a catalogue kept for years, a list of partners typed in
Polish or Ukrainian. ``read_table`` finds the table in such a file by its header row and returns
its rows as raw cell values, keyed by field name; turning each cell into a value is
``aidtracker.imports.values``' job, and checking a row against the database the import's.

A file that cannot be read at all raises ``ImportFileError`` with a message that says what to do
(save it as .xlsx, remove the password, unhide the sheet...). Cells that were read but cannot be
trusted (a formula Excel never calculated, a merged range that leaves rows without their value,
an error such as #REF!) become ``Problem`` entries of the table, so that the import can list them
with its own row problems and import nothing.

The rules, in the order they apply:

- at most ``MAX_BYTES`` (10 MB) and, unpacked, ``MAX_UNPACKED_BYTES``: a 10 MB zip can hold
  gigabytes of XML;
- the file is recognised by its first bytes, never its name: a zip (``PK\\x03\\x04``) holding an
  Excel workbook; a CFB container (``D0 CF 11 E0``) is a password-protected workbook or an old
  .xls, anything else is not a workbook;
- the table is on the first visible sheet that has a header row in its first 30 rows; hidden
  sheets (e.g. the lists behind drop-downs) are skipped;
- the header row is the first row naming every required field, and at least two known fields
  (or the one field of a one-field table); headers are compared casefolded, blanks collapsed,
  with a trailing ``*``, ``:`` and unit in brackets removed ("Gross weight (kg) *" is "gross
  weight"); column order does not matter and unknown columns are ignored;
- rows above the header row (a packing list's header block) are ignored, and so is a row right
  under it whose cells all start with ``#`` (an HXL hashtag row);
- blank rows are skipped, and so are rows where every required field is empty (notes, subtotals,
  signature lines);
- a row whose first filled cell says "Total" (or "Razem", "Разом", "Всього"...) followed only by
  numbers (the sums) ends the table: what follows is the footer;
- more than ``MAX_ROWS`` data rows refuse the file, before the rest is read.

openpyxl reads the cells in read-only mode (streaming, constant memory) with the cached values of
formulas. What read-only mode cannot see, formulas without a cached value and merged ranges, is
read from the sheet's XML in one more streaming pass (``_scan_sheet``). python-calamine was
measured against openpyxl for this (see ``bench/import_bench.py`` and the README); it is faster
but shows neither, so openpyxl stays.
"""

import csv
import dataclasses
import io
import logging
import os
import re
import warnings
import zipfile
import zlib
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import BinaryIO

import openpyxl
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from aidtracker.imports.values import normalise

MAX_BYTES = 10 * 1024 * 1024
"""The largest file accepted: 10 MB (MiB, as file managers count them)."""
MAX_ROWS = 20_000
"""The most data rows one import may hold."""
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""The most all parts of the workbook may take once unpacked (a 20,000-row list takes ~30 MB)."""
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
"""The shared-string table is loaded whole, so it gets a tighter limit of its own."""
HEADER_SEARCH_ROWS = 30

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_CONTENT_TYPES = (
    b"spreadsheetml.sheet.main+xml",
    b"spreadsheetml.template.main+xml",
    b"ms-excel.sheet.macroEnabled.main+xml",
    b"ms-excel.template.macroEnabled.main+xml",
)
ERROR_VALUES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)
TOTAL_LABELS = frozenset(
    {
        "total",
        "totals",
        "grand total",
        "subtotal",
        "sum",
        "razem",
        "suma",
        "ogółem",
        "łącznie",
        "podsumowanie",
        "разом",
        "всього",
        "усього",
        "підсумок",
        "итого",
        "всего",
    }
)

_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    OSError,
    ValueError,
    TypeError,
    AttributeError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
    RuntimeError,  # an encrypted zip member
    InvalidFileException,
)
_UNIT_SUFFIX = re.compile(r"\s*[(\[][^()\[\]]*[)\]]$")
_CHUNK = 1024 * 1024
log = logging.getLogger(__name__)


class ImportFileError(Exception):
    """The whole file is unusable; ``message`` says why and what to do, translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Field:
    """A column an import reads: its name in the code and the headers it may have in a file.

    `headers` holds the accepted header texts in English, Polish and Ukrainian; they are
    compared normalised (see ``normalise_header``), so "Gross weight (kg)" may be given as it is.
    `label` is what messages call the column when the file lacks it; by default the
    shortest header.
    """

    name: str
    headers: frozenset[str]
    required: bool = False
    label: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "headers", frozenset(self.headers))

    @property
    def title(self) -> str:
        return self.label or min(sorted(self.headers), key=len, default=self.name)


@dataclass(frozen=True)
class Problem:
    """A cell that was read but cannot be trusted; `column` is its header as in the file."""

    sheet: str
    row: int
    column: str
    message: str


@dataclass
class Row:
    """One data row: `number` is its row number in Excel, `cells` its raw values by field.

    Only fields whose column is in the file have a key; an empty cell is None.
    """

    sheet: str
    number: int
    cells: dict[str, object]
    headers: dict[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def column(self, field_name: str) -> str:
        """The header of `field_name`'s column as the file spells it, for messages."""
        return self.headers.get(field_name, field_name)


@dataclass
class Table:
    """The table found in a workbook: where it is, which columns it has, its rows and the cells
    that could not be trusted."""

    sheet: str
    header_row: int
    columns: dict[str, str]
    rows: list[Row]
    problems: list[Problem]


def normalise_header(value: str) -> str:
    """A header as it is compared: "  Gross  weight (kg) *" and "gross weight" are the same."""
    key, previous = normalise(value), None
    while key != previous:
        previous = key
        key = _UNIT_SUFFIX.sub("", key.rstrip("*: \t"))
    return key


def read_table(source: BinaryIO | Path | str | bytes, fields: list[Field]) -> Table:
    """Read the table of `fields` from the workbook `source` (a path, a binary stream, a
    werkzeug FileStorage or bytes).

    Raises ``ImportFileError`` when the file cannot be used at all; never anything else for a
    bad file. Problems with single cells are in the returned table's ``problems``.
    """
    lookup = _header_lookup(fields)
    content = _read_source(source)
    archive = _open_archive(content)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (data validation extensions, missing styles)
            # and turns dates out of range into #VALUE!, which is reported below.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                return _read_workbook(workbook, archive, fields, lookup)
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except _UNREADABLE as error:
        log.info("unreadable workbook: %r", error, exc_info=True)
        raise ImportFileError(_damaged()) from None
    finally:
        archive.close()


def read_table_or_csv(source: BinaryIO | Path | str | bytes, fields: list[Field]) -> Table:
    """``read_table`` for a workbook, ``read_csv_table`` for anything else: banks export their
    statements as either."""
    content = _read_source(source)
    if content.startswith((ZIP_MAGIC, CFB_MAGIC)):
        return read_table(content, fields)
    return read_csv_table(content, fields)


def read_csv_table(content: bytes, fields: list[Field]) -> Table:
    """The table of `fields` in a CSV text (UTF-8, separated by commas, semicolons or tabs), read
    as the one sheet of a workbook, by the same rules; every cell is text."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is neither an Excel workbook nor a CSV text in UTF-8: save it as either.")
        ) from None
    if "\x00" in text:
        raise ImportFileError(_("The file is neither an Excel workbook nor a CSV text."))
    try:
        rows = [tuple(row) for row in csv.reader(io.StringIO(text, newline=""), csv_dialect(text))]
    except csv.Error:
        raise ImportFileError(_("The CSV text cannot be read: save it again as CSV.")) from None
    workbook = SimpleNamespace(worksheets=[_CsvSheet(rows)])
    return _read_workbook(workbook, None, fields, _header_lookup(fields))


def csv_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """How a CSV text separates its cells (comma, semicolon or tab), guessed from its start."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


@dataclass
class _CsvSheet:
    """A CSV text in the shape of a read-only worksheet."""

    rows: list[tuple]
    title: str = "CSV"
    sheet_state: str = "visible"

    def reset_dimensions(self) -> None:
        """Nothing to reset: a CSV text has no recorded dimensions."""

    def iter_rows(self, values_only: bool = True) -> Iterator[tuple]:
        return iter(self.rows)


# --- the file ----------------------------------------------------------------------------------


def read_limited(data: bytes | BinaryIO) -> bytes:
    """The bytes of an upload or stream, reading at most one byte over MAX_BYTES, so that a
    huge upload is never held whole."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    stream = getattr(data, "stream", data)
    chunks, size = [], 0
    while size <= MAX_BYTES:
        chunk = stream.read(min(_CHUNK, MAX_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _read_source(source) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        content = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ImportFileError(_too_large())
            content = path.read_bytes()
        except FileNotFoundError:
            raise ImportFileError(
                _("The uploaded file is no longer there: upload it again.")
            ) from None
    else:
        content = read_limited(source)
    if not content:
        raise ImportFileError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise ImportFileError(_too_large())
    return content


def _too_large() -> str:
    return _("The file is larger than 10 MB. Split it into smaller workbooks.")


def _damaged() -> str:
    return _(
        "The file is damaged: it cannot be opened as an Excel workbook. "
        "Open it in Excel, save it again as Excel Workbook (.xlsx) and upload it again."
    )


def _not_a_workbook(what: str) -> str:
    return _(
        "This is not an Excel .xlsx workbook but %(what)s. Open it in your spreadsheet, "
        "save it as Excel Workbook (.xlsx) and upload that file.",
        what=what,
    )


def _open_archive(content: bytes) -> zipfile.ZipFile:
    """Check what the file is from its first bytes and its parts; return it open as a zip."""
    if content.startswith(CFB_MAGIC):
        raise ImportFileError(_compound_file_message(content))
    if not content.startswith(ZIP_MAGIC):
        raise ImportFileError(_not_a_workbook(_guess_kind(content)))
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
        names = {member.filename for member in members}
        content_types = (
            archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        )
        mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except _UNREADABLE as error:
        log.info("unreadable zip: %r", error)
        raise ImportFileError(_damaged()) from None
    try:
        if b"opendocument.spreadsheet" in mimetype:
            raise ImportFileError(_not_a_workbook(_("an OpenDocument spreadsheet (.ods)")))
        if b"sheet.binary.macroEnabled.main" in content_types:
            raise ImportFileError(_not_a_workbook(_("an Excel Binary Workbook (.xlsb)")))
        if not any(kind in content_types for kind in WORKBOOK_CONTENT_TYPES):
            raise ImportFileError(_not_a_workbook(_("a zip archive of other files")))
        if any(member.flag_bits & 0x1 for member in members):
            raise ImportFileError(_damaged())
        unpacked = sum(member.file_size for member in members)
        shared = sum(m.file_size for m in members if m.filename.endswith("sharedStrings.xml"))
        if unpacked > MAX_UNPACKED_BYTES or shared > MAX_SHARED_STRINGS_BYTES:
            raise ImportFileError(
                _(
                    "The workbook holds too much data once unpacked. "
                    "Split it into smaller workbooks."
                )
            )
    except ImportFileError:
        archive.close()
        raise
    return archive


def _compound_file_message(content: bytes) -> str:
    """A CFB container is an encrypted workbook, an old .xls, or some other Office file."""
    if "EncryptedPackage".encode("utf-16-le") in content:
        return _(
            "This workbook is protected with a password. Open it in Excel, remove the password "
            "(File > Info > Protect Workbook > Encrypt with Password), save it and upload it again."
        )
    if "Workbook".encode("utf-16-le") in content or "Book".encode("utf-16-le") in content:
        return _(
            "This is an old Excel 97-2003 workbook (.xls). Open it in Excel or LibreOffice, "
            "save it as Excel Workbook (.xlsx) and upload that file."
        )
    return _(
        "This file is password-protected, or it is an old Excel 97-2003 workbook (.xls). "
        "Remove the password, or save it as Excel Workbook (.xlsx), and upload it again."
    )


def _guess_kind(content: bytes) -> str:
    head = content[:4096]
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM", b"II*\x00")):
        return _("a picture")
    if head.startswith(b"%PDF-"):
        return _("a PDF document")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" saved by Excel
        sample = head.decode("utf-16", errors="replace")
    elif b"\x00" not in head:
        sample = head.decode("utf-8-sig", errors="replace")
    else:
        return _("a file of another kind")
    # The head may end inside a character: allow a few replacement characters.
    readable = sum((c.isprintable() and c != "\ufffd") or c in "\r\n\t" for c in sample)
    if readable >= 0.95 * len(sample) - 2:
        return _("a text file (CSV, HTML or XML)")
    return _("a file of another kind")


# --- finding the table -------------------------------------------------------------------------


def _header_lookup(fields: list[Field]) -> dict[str, Field]:
    lookup: dict[str, Field] = {}
    for field in fields:
        for header in field.headers:
            key = normalise_header(header)
            if lookup.setdefault(key, field) is not field:
                raise ValueError(f"{header!r} is a header of {lookup[key].name} and {field.name}")
    return lookup


@dataclass
class _Header:
    number: int
    found: dict[str, list[tuple[int, str]]]  # field name -> (column index, header text)


def _field_named(header: str, lookup: dict[str, Field]) -> Field | None:
    """The field a header names. A bilingual header ("Item / Товар", as on AidTracker's packing
    lists) names it when its parts name that one field and no other."""
    field = lookup.get(normalise_header(header))
    if field is None and " / " in header:
        named = {lookup.get(normalise_header(part)) for part in header.split(" / ")} - {None}
        field = named.pop() if len(named) == 1 else None
    return field


def _header_in(row: tuple, number: int, lookup: dict[str, Field]) -> _Header:
    found: dict[str, list[tuple[int, str]]] = {}
    for index, value in enumerate(row):
        if isinstance(value, str) and (field := _field_named(value, lookup)):
            found.setdefault(field.name, []).append((index, " ".join(value.split())))
    return _Header(number, found)


def _complete(header: _Header, fields: list[Field]) -> bool:
    required = all(field.name in header.found for field in fields if field.required)
    return required and len(header.found) >= min(2, len(fields))


def _rows(sheet) -> Iterator[tuple]:
    """The sheet's rows as tuples of values, row 1 first, gaps filled with empty tuples.

    Dimensions recorded in the file are ignored: some programs write wrong ones, and openpyxl
    would stop reading at them.
    """
    sheet.reset_dimensions()
    try:
        yield from sheet.iter_rows(values_only=True)
    except _UNREADABLE as error:
        log.info("unreadable sheet %s: %r", sheet.title, error, exc_info=True)
        raise ImportFileError(_damaged()) from None


def _find_header(sheet, fields, lookup) -> tuple[_Header | None, _Header | None, Iterator[tuple]]:
    """The sheet's header row (or None), the first row naming some fields, and the sheet's rows
    positioned after the header row."""
    rows = _rows(sheet)
    partial = None
    for number, row in enumerate(rows, start=1):
        header = _header_in(row, number, lookup)
        if _complete(header, fields):
            return header, header, rows
        if partial is None and len(header.found) >= 2:
            partial = header
        if number >= HEADER_SEARCH_ROWS:
            break
    rows.close()
    return None, partial, iter(())


def _read_workbook(workbook, archive, fields, lookup) -> Table:
    if not workbook.worksheets:  # every sheet's part is missing
        raise ImportFileError(_damaged())
    hidden_with_table, partial = None, None
    for sheet in workbook.worksheets:
        visible = sheet.sheet_state == "visible"
        if not visible and hidden_with_table is not None:
            continue
        header, candidate, rows = _find_header(sheet, fields, lookup)
        if header is None:
            if visible and partial is None and candidate is not None:
                partial = (sheet.title, candidate)
            continue
        if not visible:
            rows.close()
            hidden_with_table = sheet.title
            continue
        return _read_rows(sheet, archive, header, rows, fields)
    if hidden_with_table is not None:
        raise ImportFileError(
            _(
                "The table is on the hidden sheet “%(sheet)s”. Unhide it in Excel (right-click a "
                "sheet tab, Unhide) or copy the table to a visible sheet, and upload it again.",
                sheet=hidden_with_table,
            )
        )
    required = [field for field in fields if field.required]
    if partial is not None:
        title, candidate = partial
        missing = [field.title for field in required if field.name not in candidate.found]
        raise ImportFileError(
            _(
                "Row %(row)d of sheet “%(sheet)s” looks like the header row, but these columns "
                "are missing: %(missing)s.",
                row=candidate.number,
                sheet=title,
                missing=", ".join(missing),
            )
        )
    looked_for = "; ".join(
        " / ".join(sorted(field.headers, key=str.casefold)) for field in (required or fields)
    )
    raise ImportFileError(
        _(
            "No sheet has a header row in its first %(count)d rows. The header row must name "
            "these columns: %(headers)s.",
            count=HEADER_SEARCH_ROWS,
            headers=looked_for,
        )
    )


# --- reading the rows --------------------------------------------------------------------------


def _empty(value) -> bool:
    # str.strip() also strips no-break and other Unicode spaces.
    return value is None or (isinstance(value, str) and not value.strip())


def _read_rows(sheet, archive, header: _Header, rows: Iterator[tuple], fields) -> Table:
    title = sheet.title
    duplicates = {name: found for name, found in header.found.items() if len(found) > 1}
    if duplicates:
        rows.close()
        name, found = next(iter(duplicates.items()))
        raise ImportFileError(
            _(
                "Row %(row)d of sheet “%(sheet)s” has the same column twice: %(columns)s. "
                "Keep one of them.",
                row=header.number,
                sheet=title,
                columns=", ".join(
                    f"“{text}” ({get_column_letter(index + 1)})" for index, text in found
                ),
            )
        )
    index_of = {name: found[0][0] for name, found in header.found.items()}
    columns = {name: found[0][1] for name, found in header.found.items()}
    required = [field.name for field in fields if field.required and field.name in index_of]
    table = Table(title, header.number, columns, [], [])
    errors: list[tuple[int, str, str]] = []

    for number, row in enumerate(rows, start=header.number + 1):
        if number == header.number + 1 and _is_hashtag_row(row):
            continue
        cells: dict[str, object] = {}
        for name, index in index_of.items():
            value = row[index] if index < len(row) else None
            if isinstance(value, str):
                if value in ERROR_VALUES:
                    errors.append((number, name, value))
                    value = None
                elif not value.strip():
                    value = None
            cells[name] = value
        if _is_totals_row(row):
            rows.close()
            break
        if all(value is None for value in cells.values()):
            continue
        if required and all(cells[name] is None for name in required):
            continue
        if len(table.rows) == MAX_ROWS:
            rows.close()
            raise ImportFileError(
                _(
                    "The table has more than %(count)d rows. Split it into several files.",
                    count=MAX_ROWS,
                )
            )
        table.rows.append(Row(title, number, cells, columns))

    kept = [row.number for row in table.rows]
    kept_set = set(kept)
    for number, name, value in errors:
        if number in kept_set:
            table.problems.append(
                Problem(
                    title,
                    number,
                    columns[name],
                    _(
                        "This cell shows the error %(error)s: correct the formula in Excel, "
                        "save the file and upload it again.",
                        error=value,
                    ),
                )
            )
    path = getattr(sheet, "_worksheet_path", None)  # set by openpyxl's read-only reader
    if kept and path:
        field_at = {index + 1: name for name, index in index_of.items()}
        formulas, merges = _scan_sheet(archive, path, after_row=header.number)
        for row_number, column in sorted(formulas):
            if row_number in kept_set and column in field_at:
                table.problems.append(
                    Problem(
                        title,
                        row_number,
                        columns[field_at[column]],
                        _(
                            "This cell holds a formula without a saved value: open the file in "
                            "Excel, save it, and upload it again."
                        ),
                    )
                )
        for ref in merges:
            if problem := _merge_problem(ref, kept, field_at, columns, title):
                table.problems.append(problem)
    order = {name: position for position, name in enumerate(index_of)}
    table.problems.sort(key=lambda p: (p.row, order.get(_field_of(p.column, columns), 0)))
    return table


def _field_of(header_text: str, columns: dict[str, str]) -> str | None:
    return next((name for name, text in columns.items() if text == header_text), None)


def _is_hashtag_row(row: tuple) -> bool:
    filled = [value for value in row if not _empty(value)]
    return bool(filled) and all(isinstance(v, str) and v.strip().startswith("#") for v in filled)


def _is_totals_row(row: tuple) -> bool:
    """A row that starts with "Total" (or its Polish or Ukrainian word) and holds nothing but
    numbers after it.

    Narrow on purpose: a party called "Razem" with its country after it is a row of data, and
    taking a data row for the totals would drop it and every row below it without a word; a
    totals row not recognised is only reported by the import as a wrong row.
    """
    filled = (value for value in row if not _empty(value))
    first = next(filled, None)
    if not isinstance(first, str) or normalise_header(first) not in TOTAL_LABELS:
        return False
    rest = list(filled)
    return bool(rest) and all(
        isinstance(value, int | float | Decimal) and not isinstance(value, bool) for value in rest
    )


def _merge_problem(ref, kept, field_at, columns, sheet) -> Problem | None:
    """A merged range leaves every cell but its first empty: a problem when one of those is a
    field's cell in a data row."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    covered_fields = [column for column in sorted(field_at) if min_col <= column <= max_col]
    if not covered_fields:
        return None
    position = bisect_left(kept, min_row)
    while position < len(kept) and kept[position] <= max_row:
        number = kept[position]
        for column in covered_fields:
            if (number, column) != (min_row, min_col):
                return Problem(
                    sheet,
                    number,
                    columns[field_at[column]],
                    _(
                        "Merged cells (%(cells)s): unmerge them so that every row has its own "
                        "value.",
                        cells=ref,
                    ),
                )
        position += 1
    return None


# --- what read-only mode does not show ---------------------------------------------------------

_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_CELL_START = re.compile(rb"<(?:\w+:)?c(\s[^>]*)?>\s*")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s*/>|>([^<]*)<)")
_TEXT_TYPE = re.compile(rb"""\st=["']str["']""")
_CELL_REF = re.compile(rb"""\sr=["']([A-Z]{1,3})([0-9]{1,7})["']""")
_MERGE = re.compile(
    rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Za-z]{1,3}[0-9]{1,7}(?::[A-Za-z]{1,3}[0-9]{1,7})?)"'
)


def _scan_sheet(
    archive: zipfile.ZipFile, path: str, *, after_row: int
) -> tuple[set[tuple[int, int]], list[str]]:
    """The cells below `after_row` holding a formula without a cached value, as (row, column),
    and the merged ranges, read from the sheet's XML in one streaming pass.

    The XML is cut after a closing row tag (a cell never spans one, and "<" never appears in
    text), so each piece holds whole cells; the merged ranges come after the rows. Cheap byte
    searches decide whether a piece needs a closer look: most sheets have few formulas and
    only a handful of merged ranges at the end.
    """
    formulas: set[tuple[int, int]] = set()
    merges: list[str] = []
    with archive.open(path.lstrip("/")) as stream:
        pending: list[bytes] = []
        while chunk := stream.read(_CHUNK):
            cut = _last_row_end(chunk)
            if cut is None:
                pending.append(chunk)
                continue
            _scan_piece(b"".join([*pending, chunk[:cut]]), after_row, formulas, merges)
            pending = [chunk[cut:]]
        _scan_piece(b"".join(pending), after_row, formulas, merges)
    return formulas, merges


def _last_row_end(chunk: bytes) -> int | None:
    """Where the last complete closing row tag in `chunk` ends (a tag cut in two by the chunk
    boundary is found in the next chunk)."""
    position = chunk.rfind(b"row>")
    while position != -1:
        start = chunk.rfind(b"<", 0, position)
        if start != -1 and _ROW_END.fullmatch(chunk, start, position + 4):
            return position + 4
        position = chunk.rfind(b"row>", 0, position)
    return None


def _scan_piece(
    piece: bytes, after_row: int, formulas: set[tuple[int, int]], merges: list[str]
) -> None:
    if b"f>" in piece or b"f " in piece or b"f/" in piece:
        formulas.update(_uncached_formulas(piece, after_row))
    if b"mergeCell" in piece:
        merges.extend(match[1].decode("ascii").upper() for match in _MERGE.finditer(piece))


def _uncached_formulas(piece: bytes, after_row: int) -> Iterator[tuple[int, int]]:
    for formula in _FORMULA.finditer(piece):
        # A formula is its cell's first child (CT_Cell is the sequence f, v, is): the tag
        # before it is the cell's start tag.
        start = piece.rfind(b"<", 0, formula.start())
        cell = _CELL_START.fullmatch(piece, start, formula.start()) if start != -1 else None
        if cell is None:
            continue
        attributes = cell[1] or b""
        end = _CELL_END.search(piece, formula.end())
        value = _VALUE.search(piece, formula.start(), end.start() if end else len(piece))
        # Excel saves the empty result of a text formula (=IF(A2="";"";...)) as an empty <v>;
        # any other formula without a value in <v> was never calculated.
        if value and (value[1] or _TEXT_TYPE.search(attributes)):
            continue
        reference = _CELL_REF.search(attributes)
        if reference is not None and int(reference[2]) > after_row:
            yield int(reference[2]), _column_number(reference[1])


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
