"""Small files for the import tests, built in memory: good workbooks and every bad kind of file
the issue names (renamed CSV and PNG, password-protected, corrupt, too large...)."""

import io
import os
import struct
import zipfile
from collections.abc import Callable, Iterable

import openpyxl

from aidtracker.imports.reader import CFB_MAGIC, MAX_BYTES, Field

PACKING_FIELDS = [
    Field(
        "item",
        {"Item", "Description", "Towar", "Nazwa towaru", "Найменування", "Товар"},
        required=True,
    ),
    Field("quantity", {"Quantity", "Qty", "Ilość", "Кількість"}, required=True, label="Quantity"),
    Field("unit", {"Unit", "Jednostka", "J.m.", "Одиниця"}),
    Field("unit_value", {"Unit value", "Wartość jednostkowa", "Ціна за одиницю"}),
    Field("currency", {"Currency", "Waluta", "Валюта"}),
    Field("expiry", {"Expiry", "Expiry date", "Data ważności", "Термін придатності"}),
    Field("hs_code", {"HS code", "Kod HS", "Код УКТЗЕД"}),
    Field("gross_weight", {"Gross weight", "Waga brutto", "Вага брутто"}),
]

HEADER = ["Item", "Quantity", "Unit", "Unit value", "Currency"]
LINES = [
    ["Wool blanket", 500, "pcs", 45, "PLN"],
    ["Canned fish 240 g", 1800, "pcs", 7.8, "PLN"],
    ["Diesel generator 100 kVA", 1, "pcs", 25000, "EUR"],
]


def xlsx(
    rows: Iterable[Iterable[object]],
    *,
    title: str = "Lines",
    edit: Callable[[openpyxl.Workbook, object], None] | None = None,
) -> bytes:
    """A workbook with one sheet of `rows`; `edit(workbook, sheet)` may change it before saving."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    if edit is not None:
        edit(workbook, sheet)
    return save(workbook)


def sheets(*tables: tuple[str, list[list[object]], str]) -> bytes:
    """A workbook of several sheets, each (title, rows, state) with state visible or hidden."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows, state in tables:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    if all(sheet.sheet_state != "visible" for sheet in workbook.worksheets):
        workbook.create_sheet("Empty")  # Excel needs one visible sheet
    else:
        workbook.active = next(
            i for i, s in enumerate(workbook.worksheets) if s.sheet_state == "visible"
        )
    return save(workbook)


def save(workbook: openpyxl.Workbook) -> bytes:
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def packing_list() -> bytes:
    """A packing list as people keep them: a header block of parties above the lines, an HXL
    row under the header, a totals row and a signature line under the lines."""
    return xlsx(
        [
            ["PACKING LIST / SPECYFIKACJA", None, None, None, None],
            ["Sender:", "City of Lublin"],
            ["Recipient:", "Kryvyi Rih City Council"],
            ["Item: humanitarian aid, not for sale"],
            [],
            HEADER,
            ["#item+name", "#output+num", "#item+unit", "#value", "#currency"],
            *LINES,
            ["Total", 2301, None, None, None],
            [],
            ["Signature of the sender:", "Lublin", None, None, None],
        ]
    )


def many_rows(count: int, *, header: list[str] | None = None) -> bytes:
    """`count` data rows under a header, written in openpyxl's streaming mode."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Lines")
    sheet.append(header or ["Item", "Quantity"])
    for number in range(count):
        sheet.append([f"Item {number}", number + 1])
    return save(workbook)


# --- bad files ---------------------------------------------------------------------------------


def csv_renamed() -> bytes:
    return "Item;Quantity;Unit\nWool blanket;500;pcs\nKoc wełniany;20;szt.\n".encode()


def png_renamed() -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


def cfb_header_only() -> bytes:
    """The first bytes of an OLE2 compound file and padding: all the magic check sees."""
    return CFB_MAGIC + bytes(504)


def encrypted_workbook() -> bytes:
    """A compound file laid out as Excel writes a password-protected workbook: the streams
    EncryptionInfo (agile encryption, version 4.4) and EncryptedPackage (the encrypted zip)."""
    info = struct.pack("<HHI", 4, 4, 0x40) + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
        b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" '
        b'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"/>'
        b"</encryption>"
    )
    package = struct.pack("<Q", 6000) + os.urandom(6000)
    return compound_file({"EncryptionInfo": info, "EncryptedPackage": package})


def legacy_xls() -> bytes:
    """A compound file with a Workbook stream, as Excel 97-2003 writes .xls files."""
    return compound_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(5000)})


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal, valid compound file (CFB version 3, 512-byte sectors) holding `streams`.

    Every stream is padded to at least 4096 bytes so that it lives in ordinary sectors and the
    file needs no mini stream.
    """
    sector = 512
    end, free, fat_marker = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    data = {name: content.ljust(4096, b"\x00") for name, content in streams.items()}
    # Sector 0 holds the FAT, sector 1 the directory (4 entries), then the streams.
    fat = [fat_marker, end]
    starts = {}
    for name, content in data.items():
        count = -(-len(content) // sector)
        starts[name] = len(fat)
        fat.extend(range(len(fat) + 1, len(fat) + count))
        fat.append(end)
    assert len(fat) <= sector // 4
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(sector, b"\xff")

    def entry(name, kind, color, left, right, child, start, size):
        encoded = (name + "\x00").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB3I", len(encoded), kind, color, left, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    # A valid red-black tree: the root's child is the last stream, the others hang on its left.
    names = sorted(data, key=lambda n: (len(n), n.upper()))
    entries = [entry("Root Entry", 5, 1, free, free, len(names), end, 0)]
    for index, name in enumerate(names, start=1):
        left = index - 1 if index > 1 else free
        color = 1 if index == len(names) else 0
        entries.append(entry(name, 2, color, left, free, free, starts[name], len(data[name])))
    directory = b"".join(entries).ljust(sector, b"\x00")
    # A red child under a red parent is not allowed: at most one red node between root and leaf.
    assert len(names) <= 2
    header = (
        CFB_MAGIC
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + b"\xff" * (109 * 4 - 4)
    )
    assert len(header) == sector
    body = b"".join(
        content.ljust(-(-len(content) // sector) * sector, b"\x00") for content in data.values()
    )
    return header + fat_bytes + directory + body


def truncated() -> bytes:
    """A workbook cut off halfway, as an interrupted download leaves it."""
    content = xlsx([HEADER, *LINES])
    return content[: len(content) // 2]


def zip_of_other_files() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("readme.txt", "Photos of the load")
        archive.writestr("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(100))
    return output.getvalue()


def opendocument() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return output.getvalue()


def unpacks_too_large() -> bytes:
    """A real workbook whose shared strings unpack to 65 MB: compressed, a few kB."""
    source = zipfile.ZipFile(io.BytesIO(xlsx([HEADER, *LINES])))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            archive.writestr(member, source.read(member))
        archive.writestr("xl/bulk/sharedStrings.xml", b" " * (65 * 1024 * 1024))
    return output.getvalue()


def over_ten_megabytes() -> bytes:
    return b"PK\x03\x04" + bytes(MAX_BYTES - 3)


# --- cells read-only mode does not show --------------------------------------------------------


def with_formulas() -> bytes:
    """Formulas as openpyxl writes them: without the value Excel would have saved."""

    def edit(workbook, sheet):
        sheet["B2"] = "=250*2"
        sheet["D3"] = "=7.8"

    return xlsx([HEADER, *LINES], edit=edit)


def with_merged_item() -> bytes:
    """The same item name merged over two lines (rows 3 and 4)."""

    def edit(workbook, sheet):
        sheet["A4"] = None
        sheet.merge_cells("A3:A4")

    return xlsx([HEADER, *LINES], edit=edit)


def dated(values: list[object]) -> bytes:
    """One line per value in the Expiry column."""
    return xlsx(
        [
            ["Item", "Quantity", "Expiry"],
            *[[f"Paracetamol {i}", 10, v] for i, v in enumerate(values)],
        ]
    )
