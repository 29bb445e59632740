"""The packing list carries the tracking link as text and as a QR code in its top right corner;
the streaming xlsx writer places PNG pictures that spreadsheet programs (here openpyxl) read."""

import io
import re
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
import segno
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.reports.packing_list import write_packing_list
from aidtracker.reports.xlsx import Workbook, cell_position
from aidtracker.shipments.models import Shipment
from aidtracker.shipments.queries import shipment_by_reference
from tests.reports.helpers import english, english_rows, user

MEDICAL = "LUB-KRR-2023-0001"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NS = {
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
}


def xml(archive: zipfile.ZipFile, path: str) -> ElementTree.Element:
    return ElementTree.fromstring(archive.read(path))  # noqa: S314 (our own file)


def pictures(data: bytes, sheet: int = 1) -> list[dict]:
    """The pictures of a sheet, followed from the sheet through its drawing to the media, as a
    spreadsheet program resolves them; openpyxl's drawing reader must accept the drawing too."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    rels_path = f"xl/worksheets/_rels/sheet{sheet}.xml.rels"
    if rels_path not in archive.namelist():
        return []
    sheet_xml = xml(archive, f"xl/worksheets/sheet{sheet}.xml")
    drawing_id = sheet_xml.find("main:drawing", NS).get(f"{{{NS['r']}}}id")
    relation = next(
        rel for rel in xml(archive, rels_path) if rel.get("Id") == drawing_id
    )  # e.g. ../drawings/drawing1.xml
    drawing_path = "xl/drawings/" + relation.get("Target").rsplit("/", 1)[1]
    drawing = xml(archive, drawing_path)
    SpreadsheetDrawing.from_tree(drawing)  # raises on a drawing openpyxl cannot read
    targets = {
        rel.get("Id"): "xl/media/" + rel.get("Target").rsplit("/", 1)[1]
        for rel in xml(archive, drawing_path.replace("drawings/", "drawings/_rels/") + ".rels")
    }
    found = []
    for anchor in drawing.findall("xdr:oneCellAnchor", NS):
        start = anchor.find("xdr:from", NS)
        extent = anchor.find("xdr:ext", NS)
        embed = anchor.find(".//a:blip", NS).get(f"{{{NS['r']}}}embed")
        found.append(
            {
                "column": int(start.find("xdr:col", NS).text),
                "row": int(start.find("xdr:row", NS).text),
                "width_px": int(extent.get("cx")) // 9525,
                "height_px": int(extent.get("cy")) // 9525,
                "png": archive.read(targets[embed]),
                "description": anchor.find(".//xdr:cNvPr", NS).get("descr"),
            }
        )
    return found


def packing_list(client_or_none, app, reference: str = MEDICAL) -> bytes:
    """The packing list as staff download it, or written outside a request when no client."""
    if client_or_none is not None:
        response = client_or_none.get(f"/shipments/{reference}/packing-list.xlsx")
        assert response.status_code == 200
        return response.data
    buffer = io.BytesIO()
    with app.app_context():
        member = user("staff@lublin.example")
        write_packing_list(buffer, member, shipment_by_reference(member, reference))
    return buffer.getvalue()


def header_value(data: bytes, label: str):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    for row in english_rows(sheet, min_row=4):
        if row[0] == label:
            return row[2]
    raise AssertionError(f"no {label} in the header")


def tracking_link_on_page(client, reference: str = MEDICAL) -> str:
    html = client.get(f"/shipments/{reference}").get_data(as_text=True)
    return re.search(r'id="tracking-url" type="text" readonly value="([^"]+)"', html).group(1)


def test_the_downloaded_packing_list_has_the_tracking_link_and_its_qr_code(staff, demo):
    link = tracking_link_on_page(staff)
    data = packing_list(staff, demo)
    assert header_value(data, "Tracking link") == link
    [picture] = pictures(data)
    assert (picture["column"], picture["row"]) == (13, 0)  # N1, beside the title
    assert picture["png"].startswith(PNG_SIGNATURE)
    assert english(picture["description"]) == "QR code of the tracking link"
    expected = io.BytesIO()
    segno.make(link, error="m", micro=False).save(expected, kind="png", scale=3, border=4)
    assert picture["png"] == expected.getvalue()
    width = int.from_bytes(picture["png"][16:20], "big")
    assert picture["width_px"] == picture["height_px"] == width >= 100


def test_openpyxl_loads_the_picture_when_pillow_is_installed(staff, demo):
    pytest.importorskip("PIL")
    sheet = openpyxl.load_workbook(io.BytesIO(packing_list(staff, demo))).worksheets[0]
    [image] = sheet._images
    assert image.format == "png"
    assert (image.anchor._from.col, image.anchor._from.row) == (13, 0)


def test_a_revoked_link_leaves_the_field_empty_and_no_qr_code(staff, demo):
    assert staff.post(f"/shipments/{MEDICAL}/tracking/revoke").status_code == 302
    data = packing_list(staff, demo)
    assert header_value(data, "Tracking link") is None
    assert pictures(data) == []
    assert "xl/media/image1.png" not in zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_from_the_command_line_the_qr_code_needs_the_sites_public_address(demo):
    with demo.app_context():
        token = db.session.scalar(select(Shipment.tracking_token).filter_by(reference=MEDICAL))
    data = packing_list(None, demo)
    assert header_value(data, "Tracking link") == f"/track/{token}"
    assert pictures(data) == []  # a QR code of a bare path would lead a phone nowhere

    demo.config["PUBLIC_URL"] = "https://aid.lublin.example"
    data = packing_list(None, demo)
    assert header_value(data, "Tracking link") == f"https://aid.lublin.example/track/{token}"
    assert len(pictures(data)) == 1


def test_the_rest_of_the_packing_list_is_where_it_was(staff, demo):
    sheet = openpyxl.load_workbook(io.BytesIO(packing_list(staff, demo))).worksheets[0]
    labels = [row[0] for row in english_rows(sheet, min_row=4, max_row=19)]
    assert labels[0] == "Reference"
    assert labels[-2:] == ["Dispatch date", "Tracking link"]
    heading_row = next(row[0].row for row in sheet.iter_rows() if english(row[0].value) == "No.")
    assert sheet.print_title_rows == f"${heading_row - 1}:${heading_row}"


# The writer ------------------------------------------------------------------------------------


def png(text: str = "hello", scale: int = 2) -> bytes:
    buffer = io.BytesIO()
    segno.make(text).save(buffer, kind="png", scale=scale)
    return buffer.getvalue()


def test_pictures_go_on_the_sheets_and_cells_they_were_placed_on():
    buffer = io.BytesIO()
    with Workbook(buffer) as workbook:
        first = workbook.add_sheet("First")
        first.append(["a"])
        first.add_image(png("one"), "H2", 120, 90, "first picture")
        workbook.add_sheet("Plain").append(["no pictures"])
        third = workbook.add_sheet("Third")
        third.add_image(png("two"), "A1", 50, 50)
        third.add_image(png("three"), "AB10", 60, 70)
    data = buffer.getvalue()
    assert [(p["column"], p["row"], p["width_px"], p["height_px"]) for p in pictures(data)] == [
        (7, 1, 120, 90)
    ]
    assert pictures(data, 2) == []
    assert [(p["column"], p["row"], p["width_px"]) for p in pictures(data, 3)] == [
        (0, 0, 50),
        (27, 9, 60),
    ]
    assert pictures(data, 3)[1]["png"] == png("three")
    archive = zipfile.ZipFile(io.BytesIO(data))
    types = xml(archive, "[Content_Types].xml")
    defaults = {item.get("Extension"): item.get("ContentType") for item in types}
    assert defaults["png"] == "image/png"
    overrides = {item.get("PartName"): item.get("ContentType") for item in types}
    drawing_type = "application/vnd.openxmlformats-officedocument.drawing+xml"
    assert overrides["/xl/drawings/drawing1.xml"] == drawing_type
    assert overrides["/xl/drawings/drawing2.xml"] == drawing_type
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["First", "Plain", "Third"]
    assert workbook["First"]["A1"].value == "a"


def test_the_drawing_comes_after_the_page_setup_as_the_schema_orders_it():
    from aidtracker.reports.xlsx import PageSetup

    buffer = io.BytesIO()
    with Workbook(buffer) as workbook:
        sheet = workbook.add_sheet("Sheet", page=PageSetup(landscape=True, footer="LUB"))
        sheet.append(["x"])
        sheet.merge(1, 0, 1, 3)
        sheet.add_image(png(), "B2", 40, 40)
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    children = [element.tag.split("}")[1] for element in xml(archive, "xl/worksheets/sheet1.xml")]
    assert children[-4:] == ["pageMargins", "pageSetup", "headerFooter", "drawing"]
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["Sheet"]
    assert sheet.oddFooter.left.text == "LUB"


def test_a_workbook_without_pictures_has_no_drawing_parts():
    buffer = io.BytesIO()
    with Workbook(buffer) as workbook:
        workbook.add_sheet("Sheet").append(["x"])
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    assert not [name for name in archive.namelist() if "drawing" in name or "media" in name]
    assert b'Extension="png"' not in archive.read("[Content_Types].xml")


@pytest.mark.parametrize(
    ("picture", "cell", "size", "message"),
    [
        (b"GIF89a...", "A1", (10, 10), "only PNG"),
        (png(), "1A", (10, 10), "not a cell reference"),
        (png(), "A0", (10, 10), "not a cell reference"),
        (png(), "A1", (0, 10), "positive width"),
    ],
)
def test_pictures_that_cannot_be_placed_are_refused(picture, cell, size, message):
    with Workbook(io.BytesIO()) as workbook:
        sheet = workbook.add_sheet("Sheet")
        with pytest.raises(ValueError, match=message):
            sheet.add_image(picture, cell, *size)


def test_cell_references_name_zero_based_columns_and_rows():
    assert cell_position("A1") == (0, 0)
    assert cell_position("h2") == (7, 1)
    assert cell_position("AB10") == (27, 9)
    assert cell_position("XFD1048576") == (16383, 1048575)
