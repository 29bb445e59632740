"""A streaming .xlsx writer: rows go to disk as they come, so any length of workbook fits in memory.

Why not a library: the register must export 100,000 lines faster than the fastest general-purpose
writer can write the same cells from a list (``bench/export_bench.py`` measures xlsxwriter,
pyexcelerate and openpyxl). A general writer builds an object per cell or a table per row; this one
turns each row into SpreadsheetML text in one pass, which is several times faster. It writes the
small part of the format that bookkeeping reports need (typed cells, a fixed set of styles, column
widths, frozen panes, autofilter, merged cells, A4 page setup, print titles, document properties,
PNG pictures anchored to a cell);
openpyxl reads everything back in the tests.

How user text becomes a cell is decided here and only here: every string is a typed text cell,
never a formula, and text that a spreadsheet would take for a formula when edited (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is also marked as literal text
(``quotePrefix``), the equivalent of typing an apostrophe in front of it.
"""

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import IntEnum
from xml.sax.saxutils import escape, quoteattr

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767
MAX_SHEET_NAME = 31
RECENT_VALUES = 4096
"""Per column, how many distinct texts and dates keep their XML ready."""
EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NEEDS_CARE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_KEEP_CR = {"\r": "&#13;"}  # a bare CR would be read back as a line feed
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_DRAWINGML_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
_PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
_EMU_PER_PIXEL = 9525
"""DrawingML measures in English Metric Units: 914,400 per inch, 96 pixels per inch."""
_CELL_REFERENCE = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Style(IntEnum):
    """The cell styles reports use; the value is the index in styles.xml's cellXfs."""

    GENERAL = 0
    LITERAL_TEXT = 1
    HEADER = 2
    DATE = 3
    DATETIME = 4
    MONEY = 5
    INTEGER = 6
    DECIMAL = 7
    RATE = 8
    BOLD = 9
    TOTAL_MONEY = 10
    TITLE = 11
    WRAP = 12
    TOTAL_INTEGER = 13
    TOTAL_DECIMAL = 14
    HASHTAG = 15
    BOLD_WRAP = 16


# numFmtId, fontId, fillId, borderId, extra attributes, alignment
_CELL_FORMATS = {
    Style.GENERAL: (0, 0, 0, 0, "", ""),
    Style.LITERAL_TEXT: (49, 0, 0, 0, ' quotePrefix="1"', ""),
    Style.HEADER: (0, 1, 2, 1, "", '<alignment vertical="top" wrapText="1"/>'),
    Style.DATE: (164, 0, 0, 0, "", ""),
    Style.DATETIME: (165, 0, 0, 0, "", ""),
    Style.MONEY: (4, 0, 0, 0, "", ""),
    Style.INTEGER: (3, 0, 0, 0, "", ""),
    Style.DECIMAL: (166, 0, 0, 0, "", ""),
    Style.RATE: (167, 0, 0, 0, "", ""),
    Style.BOLD: (0, 1, 0, 0, "", ""),
    Style.TOTAL_MONEY: (4, 1, 0, 2, "", ""),
    Style.TITLE: (0, 2, 0, 0, "", ""),
    Style.WRAP: (0, 0, 0, 0, "", '<alignment vertical="top" wrapText="1"/>'),
    Style.TOTAL_INTEGER: (3, 1, 0, 2, "", ""),
    Style.TOTAL_DECIMAL: (166, 1, 0, 2, "", ""),
    Style.HASHTAG: (0, 3, 0, 1, "", ""),
    Style.BOLD_WRAP: (0, 1, 0, 0, "", '<alignment vertical="top" wrapText="1"/>'),
}
_NUMBER_FORMATS = {
    164: "yyyy-mm-dd",
    165: "yyyy-mm-dd hh:mm",
    166: "#,##0.000",
    167: "0.0000####",
}


def quantity_style(amount: Decimal | int | float | None, *, total: bool = False) -> Style:
    """Whole quantities without decimals, others with three: 1,800 pcs but 12.500 kg."""
    whole = amount is None or amount == int(amount)
    if total:
        return Style.TOTAL_INTEGER if whole else Style.TOTAL_DECIMAL
    return Style.INTEGER if whole else Style.DECIMAL


def clean_text(text: str) -> str:
    """Text an .xlsx cell can hold: no XML-forbidden control characters, at most 32,767 long."""
    return _NOT_XML.sub("", text)[:MAX_CELL_TEXT]


def sheet_title(name: str) -> str:
    """A name Excel accepts for a sheet: no []:*?/\\, at most 31 characters, not empty."""
    return _SHEET_NAME_FORBIDDEN.sub(" ", name).strip("' ")[:MAX_SHEET_NAME] or "Sheet"


def column_letter(index: int) -> str:
    """Excel's name of the 0-based column `index`: 0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_position(reference: str) -> tuple[int, int]:
    """The 0-based (column, row) of a cell reference such as "H2" → (7, 1)."""
    match = _CELL_REFERENCE.fullmatch(reference.strip().upper())
    if match is None:
        raise ValueError(f"not a cell reference: {reference!r}")
    letters, digits = match.groups()
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return column - 1, int(digits) - 1


def _text_cell(text: str, style: int) -> str:
    if _NEEDS_CARE.search(text):
        text = _NOT_XML.sub("", text)[:MAX_CELL_TEXT]
        if text[:1] in FORMULA_TRIGGERS:
            style = Style.LITERAL_TEXT
        text = escape(text, _KEEP_CR)
    else:
        text = text[:MAX_CELL_TEXT]
        if text[:1] in FORMULA_TRIGGERS:
            style = Style.LITERAL_TEXT
    style_attribute = f' s="{style}"' if style else ""
    return f'<c t="inlineStr"{style_attribute}><is><t xml:space="preserve">{text}</t></is></c>'


def _cell(value, style: int) -> tuple[str, int]:
    """The XML of one cell, and the width in characters its content needs."""
    kind = value.__class__
    if kind is str:
        return _text_cell(value, style), len(value)
    style_attribute = f' s="{style}"' if style else ""
    if kind is Decimal:
        text = format(value, "f")
        return f"<c{style_attribute}><v>{text}</v></c>", len(text) + len(text) // 4
    if kind is int or kind is float:
        text = repr(value)
        return f"<c{style_attribute}><v>{text}</v></c>", len(text) + len(text) // 4
    if kind is date:
        if not style:
            style_attribute = f' s="{Style.DATE:d}"'
        return f"<c{style_attribute}><v>{value.toordinal() - EXCEL_EPOCH}</v></c>", 10
    if kind is datetime:
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        serial = value.toordinal() - EXCEL_EPOCH
        serial += (value.hour * 3600 + value.minute * 60 + value.second) / 86400
        if not style:
            style_attribute = f' s="{Style.DATETIME:d}"'
        return f"<c{style_attribute}><v>{serial!r}</v></c>", 16
    if value is None:
        return (f"<c{style_attribute}/>" if style else "<c/>"), 0
    if kind is bool:
        return f'<c t="b"{style_attribute}><v>{int(value)}</v></c>', 5
    return _text_cell(str(value), style), len(str(value))


@dataclass
class Column:
    """A column of a sheet: its header text, default style, and width limits in characters."""

    header: str
    style: Style = Style.GENERAL
    hashtag: str = ""
    min_width: float = 6
    max_width: float = 50


@dataclass
class PageSetup:
    """How a sheet prints: A4, fitted to the page width, with the header rows on every page."""

    landscape: bool = False
    repeat_rows: tuple[int, int] | None = None
    """First and last row number (1-based) printed at the top of every page."""
    footer: str = ""


@dataclass
class _Picture:
    """A PNG placed on a sheet: its media file, top-left cell (0-based) and size in pixels."""

    media_path: str
    column: int
    row: int
    width_px: int
    height_px: int
    description: str


@dataclass
class _SheetEntry:
    name: str
    path: str
    filter_range: str | None = None
    print_titles: str | None = None


class Sheet:
    """One worksheet being written: append rows top to bottom, then close it (or let the
    workbook close it)."""

    def __init__(
        self,
        workbook: "Workbook",
        entry: _SheetEntry,
        columns: Sequence[Column] = (),
        page: PageSetup | None = None,
    ):
        self._workbook = workbook
        self._entry = entry
        self.columns = list(columns)
        self._styles = [column.style for column in self.columns]
        self._widths = [0.0] * len(self.columns)
        self._recent: list[dict] = [{} for _ in self.columns]
        self._page = page
        # Rows wait on disk (in memory while small) until the column widths are known.
        self._rows = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115
        self._buffer: list[str] = []
        self.row_count = 0
        self._frozen_rows = 0
        self._filter: tuple[int, int] | None = None
        self._merged: list[str] = []
        self._row_heights: dict[int, float] = {}
        self._pictures: list[_Picture] = []
        self._closed = False

    @property
    def name(self) -> str:
        return self._entry.name

    def append(self, values: Sequence, styles: Sequence[int | None] | int | None = None) -> int:
        """Write one row; returns its number (1-based). `styles` overrides the columns' styles,
        for the whole row (one Style) or cell by cell (None keeps the column's)."""
        column_styles = self._styles
        if styles is None:
            cell_styles = column_styles
        elif isinstance(styles, int):
            cell_styles = [styles] * len(values)
        else:
            cell_styles = [
                style if style is not None else _at(column_styles, index)
                for index, style in enumerate(styles)
            ]
        widths = self._widths
        if len(widths) < len(values):
            widths.extend([0.0] * (len(values) - len(widths)))
        cells = []
        for index, value in enumerate(values):
            xml, width = _cell(value, _at(cell_styles, index))
            cells.append(xml)
            if width > widths[index]:
                widths[index] = width
        self.row_count += 1
        self._buffer.append(f"{self._row_tag(self.row_count)}{''.join(cells)}</row>")
        if len(self._buffer) >= 500:
            self._flush()
        return self.row_count

    def append_many(self, rows: Iterable[Sequence]) -> None:
        """Write rows in the columns' own styles: the fast path for long data. Text and dates
        repeat down a column (references, names, statuses), so each column remembers the XML
        of the values it has seen lately."""
        styles = self._styles
        widths = self._widths
        buffer = self._buffer
        recent = self._recent
        cell = _cell
        for values in rows:
            if len(widths) < len(values):
                widths.extend([0.0] * (len(values) - len(widths)))
                recent.extend({} for _ in range(len(values) - len(recent)))
            cells = []
            for index, value in enumerate(values):
                kind = value.__class__
                if kind is str or kind is date:
                    seen = recent[index]
                    known = seen.get(value)
                    if known is None:
                        if len(seen) >= RECENT_VALUES:
                            seen.clear()
                        known = seen[value] = cell(value, _at(styles, index))
                    xml, width = known
                else:
                    xml, width = cell(value, _at(styles, index))
                cells.append(xml)
                if width > widths[index]:
                    widths[index] = width
            self.row_count += 1
            buffer.append(f"{self._row_tag(self.row_count)}{''.join(cells)}</row>")
            if len(buffer) >= 500:
                self._flush()

    def header(self, hashtags: bool = False, autofilter: bool = True) -> None:
        """Write the columns' headers (and their HXL hashtags), freeze them, and filter on them
        unless the sheet ends with a total row that sorting must not move."""
        self.append([column.header for column in self.columns], Style.HEADER)
        if hashtags:
            self.append([column.hashtag for column in self.columns], Style.HASHTAG)
        self.freeze(self.row_count)
        if autofilter:
            self._filter = (self.row_count, len(self.columns))

    def blank(self) -> int:
        return self.append([])

    def freeze(self, rows: int) -> None:
        """Keep the first `rows` rows in view while scrolling."""
        self._frozen_rows = rows

    def merge(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        """Merge a block of cells (1-based rows, 0-based columns), e.g. a statement across."""
        self._merged.append(
            f"{column_letter(first_column)}{first_row}:{column_letter(last_column)}{last_row}"
        )

    def row_height(self, row: int, points: float) -> None:
        """Give a row a fixed height, e.g. room to sign in a signature block; set it before
        the row is written."""
        if row <= self.row_count:
            raise ValueError(f"row {row} is written already")
        self._row_heights[row] = points

    def add_image(
        self, png: bytes, cell: str, width_px: int, height_px: int, description: str = ""
    ) -> None:
        """Place a PNG picture with its top-left corner on `cell` (e.g. "H2"), shown at
        `width_px` × `height_px` whatever the row heights and column widths; `description` is
        its alternative text."""
        if not png.startswith(_PNG_SIGNATURE):
            raise ValueError("only PNG pictures are supported")
        if width_px <= 0 or height_px <= 0:
            raise ValueError("a picture needs a positive width and height")
        column, row = cell_position(cell)
        media_path = self._workbook._add_media(png)
        self._pictures.append(_Picture(media_path, column, row, width_px, height_px, description))

    def _drawing(self) -> str:
        """The drawing part that anchors this sheet's pictures, each to its top-left cell."""
        anchors = []
        for number, picture in enumerate(self._pictures, 1):
            width = picture.width_px * _EMU_PER_PIXEL
            height = picture.height_px * _EMU_PER_PIXEL
            anchors.append(
                "<xdr:oneCellAnchor>"
                f"<xdr:from><xdr:col>{picture.column}</xdr:col><xdr:colOff>0</xdr:colOff>"
                f"<xdr:row>{picture.row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
                f'<xdr:ext cx="{width}" cy="{height}"/>'
                "<xdr:pic><xdr:nvPicPr>"
                f'<xdr:cNvPr id="{number + 1}" name="Picture {number}"'
                f" descr={quoteattr(clean_text(picture.description))}/>"
                '<xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr>'
                f'<xdr:blipFill><a:blip r:embed="rId{number}"/><a:stretch><a:fillRect/>'
                "</a:stretch></xdr:blipFill>"
                f'<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{width}" cy="{height}"/>'
                '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>'
                "</xdr:pic><xdr:clientData/></xdr:oneCellAnchor>"
            )
        return (
            f'{_XML_HEAD}<xdr:wsDr xmlns:xdr="{_DRAWING_NS}" xmlns:a="{_DRAWINGML_NS}" '
            f'xmlns:r="{_REL_NS}">{"".join(anchors)}</xdr:wsDr>'
        )

    def _write_drawing(self) -> str:
        """Write the drawing, its relationships and the sheet's; returns the sheet's element."""
        drawing_path = self._workbook._add_drawing()
        drawing_name = drawing_path.rsplit("/", 1)[1]
        self._workbook._write_text(drawing_path, self._drawing())
        pictures = "".join(
            f'<Relationship Id="rId{number}" Type="{_REL_NS}/image" '
            f'Target="../media/{picture.media_path.rsplit("/", 1)[1]}"/>'
            for number, picture in enumerate(self._pictures, 1)
        )
        self._workbook._write_text(
            f"xl/drawings/_rels/{drawing_name}.rels",
            f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_REL_NS}">{pictures}</Relationships>',
        )
        folder, sheet_name = self._entry.path.rsplit("/", 1)
        self._workbook._write_text(
            f"{folder}/_rels/{sheet_name}.rels",
            f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/drawing" Target="../drawings/{drawing_name}"/></Relationships>',
        )
        return '<drawing r:id="rId1"/>'

    def _flush(self) -> None:
        if self._buffer:
            text = "".join(self._buffer)
            self._rows.write(text.encode("utf-8"))
            self._buffer.clear()

    def _row_tag(self, row: int) -> str:
        points = self._row_heights.get(row)
        if points is None:
            return f'<row r="{row}">'
        return f'<row r="{row}" ht="{points}" customHeight="1">'

    def _column_widths(self) -> str:
        parts = []
        for index, needed in enumerate(self._widths):
            column = self.columns[index] if index < len(self.columns) else Column("")
            header_words = max((len(word) for word in column.header.split()), default=0)
            width = min(max(needed + 2, header_words + 2, column.min_width), column.max_width)
            parts.append(
                f'<col min="{index + 1}" max="{index + 1}" width="{width:.1f}" customWidth="1"/>'
            )
        return f"<cols>{''.join(parts)}</cols>" if parts else ""

    def close(self) -> None:
        """Put the finished sheet into the workbook's zip."""
        if self._closed:
            return
        self._closed = True
        self._flush()
        last_column = column_letter(max(len(self._widths), 1) - 1)
        selected = ' tabSelected="1"' if self._entry is self._workbook.first_entry() else ""
        view = f'<sheetView workbookViewId="0"{selected}>'
        if self._frozen_rows:
            top = self._frozen_rows + 1
            view += (
                f'<pane ySplit="{self._frozen_rows}" topLeftCell="A{top}" activePane="bottomLeft"'
                ' state="frozen"/>'
                f'<selection pane="bottomLeft" activeCell="A{top}" sqref="A{top}"/>'
            )
        view += "</sheetView>"
        page_properties = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self._page else ""
        head = (
            f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">{page_properties}'
            f'<dimension ref="A1:{last_column}{max(self.row_count, 1)}"/>'
            f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f"{self._column_widths()}<sheetData>"
        ).encode()
        tail = "</sheetData>"
        if self._filter and self.row_count >= self._filter[0]:
            header_row, width = self._filter
            reference = f"A{header_row}:{column_letter(width - 1)}{self.row_count}"
            tail += f'<autoFilter ref="{reference}"/>'
            self._entry.filter_range = (
                f"$A${header_row}:${column_letter(width - 1)}${self.row_count}"
            )
        if self._merged:
            merged = "".join(f'<mergeCell ref="{cells}"/>' for cells in self._merged)
            tail += f'<mergeCells count="{len(self._merged)}">{merged}</mergeCells>'
        tail += (
            '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        )
        if self._page:
            orientation = "landscape" if self._page.landscape else "portrait"
            tail += (
                f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1"'
                ' fitToHeight="0"/>'
            )
            if self._page.footer:
                tail += (
                    "<headerFooter><oddFooter>"
                    f"{escape('&L' + self._page.footer.replace('&', '&&') + '&RPage &P / &N')}"
                    "</oddFooter></headerFooter>"
                )
            if self._page.repeat_rows:
                first, last = self._page.repeat_rows
                self._entry.print_titles = f"${first}:${last}"
        if self._pictures:
            tail += self._write_drawing()  # after the page setup, as the schema orders them
        tail += "</worksheet>"
        tail_bytes = tail.encode("utf-8")
        size = self._rows.tell()
        self._rows.seek(0)
        self._workbook._write_part(self._entry.path, head, self._rows, size, tail_bytes)
        self._rows.close()

    def discard(self) -> None:
        """Drop what was written, e.g. when the export failed half-way."""
        self._closed = True
        self._rows.close()


def _at(styles: Sequence[int], index: int) -> int:
    return styles[index] if index < len(styles) else 0


@dataclass
class Properties:
    """What File › Info shows: title, subject, author, keywords, description."""

    title: str = ""
    subject: str = ""
    creator: str = ""
    keywords: str = ""
    description: str = ""
    company: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


class Workbook:
    """An .xlsx file written sheet after sheet into `target` (a path or a binary file object).

    Use as a context manager; the file is complete when the block ends without an error.
    """

    def __init__(self, target, properties: Properties | None = None):
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.properties = properties or Properties()
        self._sheets: list[_SheetEntry] = []
        self._open: list[Sheet] = []
        self._media: list[str] = []
        self._drawings: list[str] = []

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
        else:
            for sheet in self._open:
                sheet.discard()
            self._zip.close()

    def first_entry(self) -> "_SheetEntry":
        return self._sheets[0]

    def add_sheet(
        self, name: str, columns: Sequence[Column] = (), page: PageSetup | None = None
    ) -> Sheet:
        """Start a new sheet. Several can be written at once (a register and its subtotals);
        each goes into the file when closed, at the latest when the workbook is."""
        title = sheet_title(name)
        taken = {entry.name.lower() for entry in self._sheets}
        suffix = 2
        while title.lower() in taken:
            ending = f" ({suffix})"
            title = sheet_title(name)[: MAX_SHEET_NAME - len(ending)] + ending
            suffix += 1
        entry = _SheetEntry(title, f"xl/worksheets/sheet{len(self._sheets) + 1}.xml")
        self._sheets.append(entry)
        sheet = Sheet(self, entry, columns, page)
        self._open.append(sheet)
        return sheet

    def _add_media(self, png: bytes) -> str:
        """Store a picture in the file now (xl/media/imageN.png) and return its path."""
        path = f"xl/media/image{len(self._media) + 1}.png"
        self._media.append(path)
        info = zipfile.ZipInfo(path, date_time=self.properties.created.timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED  # PNG is compressed already
        self._zip.writestr(info, png)
        return path

    def _add_drawing(self) -> str:
        path = f"xl/drawings/drawing{len(self._drawings) + 1}.xml"
        self._drawings.append(path)
        return path

    def _write_part(self, path: str, head: bytes, body, body_size: int, tail: bytes) -> None:
        info = zipfile.ZipInfo(path, date_time=self.properties.created.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size = len(head) + body_size + len(tail)
        with self._zip.open(info, "w") as part:
            part.write(head)
            shutil.copyfileobj(body, part, 1 << 20)
            part.write(tail)

    def _write_text(self, path: str, text: str) -> None:
        info = zipfile.ZipInfo(path, date_time=self.properties.created.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, text.encode("utf-8"))

    def close(self) -> None:
        for sheet in self._open:
            sheet.close()
        self._open.clear()
        if not self._sheets:
            self.add_sheet("Sheet").close()
        self._write_text("[Content_Types].xml", self._content_types())
        self._write_text("_rels/.rels", _PACKAGE_RELATIONSHIPS)
        self._write_text("docProps/core.xml", self._core_properties())
        self._write_text("docProps/app.xml", self._app_properties())
        self._write_text("xl/workbook.xml", self._workbook_xml())
        self._write_text("xl/_rels/workbook.xml.rels", self._workbook_relationships())
        self._write_text("xl/styles.xml", _styles_xml())
        self._zip.close()

    def _content_types(self) -> str:
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        sheets = "".join(
            f'<Override PartName="/{entry.path}" ContentType="{sheet_type}"/>'
            for entry in self._sheets
        )
        sheets += "".join(
            f'<Override PartName="/{path}" ContentType="{_DRAWING_TYPE}"/>'
            for path in self._drawings
        )
        pictures = '<Default Extension="png" ContentType="image/png"/>' if self._media else ""
        return (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f"{pictures}"
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{sheets}"
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
            'package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.extended-properties+xml"/></Types>'
        )

    def _core_properties(self) -> str:
        p = self.properties
        created = p.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f"{_XML_HEAD}<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(clean_text(p.title))}</dc:title>"
            f"<dc:subject>{escape(clean_text(p.subject))}</dc:subject>"
            f"<dc:creator>{escape(clean_text(p.creator))}</dc:creator>"
            f"<cp:keywords>{escape(clean_text(p.keywords))}</cp:keywords>"
            f"<dc:description>{escape(clean_text(p.description))}</dc:description>"
            f"<cp:lastModifiedBy>{escape(clean_text(p.creator))}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified>'
            "</cp:coreProperties>"
        )

    def _app_properties(self) -> str:
        return (
            f'{_XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
            'docPropsVTypes"><Application>AidTracker</Application>'
            f"<Company>{escape(clean_text(self.properties.company))}</Company></Properties>"
        )

    def _workbook_xml(self) -> str:
        sheets = "".join(
            f'<sheet name={quoteattr(entry.name)} sheetId="{number}" r:id="rId{number}"/>'
            for number, entry in enumerate(self._sheets, 1)
        )
        names = []
        for index, entry in enumerate(self._sheets):
            quoted = "'" + entry.name.replace("'", "''") + "'"
            if entry.filter_range:
                names.append(
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                    f"{escape(quoted)}!{entry.filter_range}</definedName>"
                )
            if entry.print_titles:
                names.append(
                    f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                    f"{escape(quoted)}!{entry.print_titles}</definedName>"
                )
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (
            f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><workbookPr/>'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets>{defined}</workbook>"
        )

    def _workbook_relationships(self) -> str:
        kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        relationships = [
            f'<Relationship Id="rId{number}" Type="{kind}/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>'
            for number in range(1, len(self._sheets) + 1)
        ]
        relationships.append(
            f'<Relationship Id="rId{len(self._sheets) + 1}" Type="{kind}/styles" '
            'Target="styles.xml"/>'
        )
        return (
            f'{_XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{"".join(relationships)}</Relationships>'
        )


_PACKAGE_RELATIONSHIPS = (
    f'{_XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/extended-properties" Target="docProps/app.xml"/></Relationships>'
)


def _styles_xml() -> str:
    number_formats = "".join(
        f'<numFmt numFmtId="{number}" formatCode={quoteattr(code)}/>'
        for number, code in _NUMBER_FORMATS.items()
    )
    fonts = (
        '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>'
        '<font><i/><sz val="9"/><color rgb="FF595959"/><name val="Calibri"/><family val="2"/>'
        "</font>"
    )
    fills = (
        '<fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDDE4EE"/><bgColor indexed="64"/>'
        "</patternFill></fill>"
    )
    borders = (
        "<border><left/><right/><top/><bottom/><diagonal/></border>"
        '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/>'
        "</border>"
        '<border><left/><right/><top style="thin"><color auto="1"/></top><bottom/><diagonal/>'
        "</border>"
    )
    formats = []
    for style in Style:
        number, font, fill, border, extra, alignment = _CELL_FORMATS[style]
        applied = ' applyNumberFormat="1"' if number else ""
        applied += ' applyFont="1"' if font else ""
        applied += ' applyFill="1"' if fill else ""
        applied += ' applyBorder="1"' if border else ""
        applied += ' applyAlignment="1"' if alignment else ""
        opening = (
            f'<xf numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="{border}" '
            f'xfId="0"{applied}{extra}'
        )
        formats.append(f"{opening}>{alignment}</xf>" if alignment else f"{opening}/>")
    return (
        f'{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">'
        f'<numFmts count="{len(_NUMBER_FORMATS)}">{number_formats}</numFmts>'
        f'<fonts count="4">{fonts}</fonts><fills count="3">{fills}</fills>'
        f'<borders count="3">{borders}</borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        f'<cellXfs count="{len(formats)}">{"".join(formats)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
