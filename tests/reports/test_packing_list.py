"""The packing list: what travels with the load, printed on A4, scoped to what the user may see."""

from decimal import Decimal

import openpyxl
from sqlalchemy import select

from aidtracker.auth.models import Role
from aidtracker.auth.service import create_user
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.packing import service
from aidtracker.packing.models import UnitKind
from aidtracker.parties.models import Organisation
from aidtracker.reports.packing_list import packing_list_file_name, write_packing_list
from aidtracker.shipments.models import Shipment, ShipmentLine
from aidtracker.shipments.queries import shipment_by_reference
from tests.reports.helpers import cents, english, english_rows, user

STAFF = "staff@lublin.example"
GENERATOR = "LUB-KRR-2023-0002"
MEDICAL = "LUB-KRR-2023-0001"
STATEMENT = "Humanitarian aid, not for sale"
PARTNER_PASSWORD = "partner password 1"


def export(tmp_path, reference: str, email: str = STAFF):
    path = tmp_path / f"packing-list-{reference}.xlsx"
    member = user(email)
    shipment = shipment_by_reference(member, reference)
    write_packing_list(path, member, shipment)
    return path


def partner_of(organisation: str, email: str) -> None:
    member_of = db.session.scalar(select(Organisation).filter_by(name=organisation))
    create_user(email=email, password=PARTNER_PASSWORD, role=Role.PARTNER, organisation=member_of)
    db.session.commit()


def add_line(reference: str, item: str, quantity: str, unit_value: str, currency: str, donor: str):
    shipment = db.session.scalar(select(Shipment).filter_by(reference=reference))
    catalogue_item = db.session.scalar(select(CatalogueItem).filter_by(name_en=item))
    shipment.lines.append(
        ShipmentLine(
            position=len(shipment.lines) + 1,
            item=catalogue_item,
            quantity=Decimal(quantity),
            unit=catalogue_item.unit,
            unit_value=Decimal(unit_value),
            currency=currency,
            donor=db.session.scalar(select(Organisation).filter_by(name=donor)),
            funding="in_kind",
            gross_weight_kg=Decimal("12.5"),
        )
    )
    db.session.commit()


def packing_sheet(path):
    return openpyxl.load_workbook(path).worksheets[0]


def header_values(sheet) -> dict[str, object]:
    """The header block: bold labels in column A, their values in column C."""
    values = {}
    for row in english_rows(sheet, min_row=4):
        if row[0] == "No.":
            break
        if row[0]:
            values[row[0]] = row[2]
    return values


def line_table(sheet) -> tuple[list, list[list], list[list]]:
    """The column headings, the numbered lines, and the rows after them up to the signatures."""
    rows = english_rows(sheet)
    start = next(index for index, row in enumerate(rows) if row[0] == "No.")
    header = rows[start]
    lines, after = [], []
    for row in rows[start + 1 :]:
        if row[0] == "Sender":
            break
        (lines if isinstance(row[0], int) else after).append(row)
    return header, lines, after


def value_totals(after: list[list], header: list) -> dict[str, Decimal]:
    value, currency = header.index("Value"), header.index("Currency")
    return {
        row[currency]: cents(row[value])
        for row in after
        if row[1] and str(row[1]).startswith("Total value in")
    }


def test_the_file_is_named_after_the_shipment(demo):
    with demo.app_context():
        shipment = db.session.scalar(select(Shipment).filter_by(reference=GENERATOR))
        assert packing_list_file_name(shipment) == "aidtracker-packing-list-LUB-KRR-2023-0002.xlsx"


def test_the_header_names_parties_vehicle_papers_and_dates(demo, tmp_path):
    with demo.app_context():
        path = export(tmp_path, GENERATOR)
    header = header_values(packing_sheet(path))
    assert header["Reference"] == GENERATOR
    assert header["Origin"] == "Lublin (PL)"
    assert header["Destination"] == "Kryvyi Rih (UA)"
    assert header["Sender"] == "City of Lublin, PL"
    assert header["Recipient"] == "Kryvyi Rih City Council, UA"
    assert header["Carrier"] == "Protection Civile, FR"
    assert header["Transport mode"] == "Road"
    assert header["Vehicle registration"] == "AB-123-CD"
    assert header["Driver"] == "Julien Martin"
    assert header["CMR number"] == "PC-2023-0042"
    assert header["Customs declaration number"] == "23PL301020E0006377"
    assert header["Border crossing"] == "Dorohusk–Yahodyn"
    assert header["Humanitarian aid recognition code"] == "GD-2023-002015"
    assert header["Planned departure"].date().isoformat() == "2023-03-30"
    assert header["Dispatch date"].date().isoformat() == "2023-03-30"
    properties = openpyxl.load_workbook(path).properties
    assert GENERATOR in properties.title
    assert "staff@lublin.example" in properties.creator


def test_lines_are_numbered_with_hs_codes_weights_values_and_totals(demo, tmp_path):
    with demo.app_context():
        path = export(tmp_path, MEDICAL)
    header, lines, after = line_table(packing_sheet(path))
    assert header == [
        "No.",
        "Item",
        "HS code",
        "Category",
        "Quantity",
        "Unit",
        "Lot",
        "Expiry",
        "Gross weight (kg)",
        "Unit value",
        "Value",
        "Currency",
        "Donor",
        "Funding",
    ]
    assert [row[0] for row in lines] == [1, 2, 3]
    assert [row[1] for row in lines] == [
        "Vehicle first-aid kit",
        "Elastic bandage",
        "Paracetamol 500 mg ×20",
    ]
    assert [row[2] for row in lines] == ["300650", "300590", "300490"]
    assert lines[2][6] == "PCM-2301-448"
    assert lines[2][7].date().isoformat() == "2026-08-31"
    assert [cents(row[10]) for row in lines] == [
        Decimal("26000.00"),
        Decimal("7200.00"),
        Decimal("8280.00"),
    ]
    total = next(row for row in after if row[1] == "Total: 3 lines")
    assert total[8] == 560  # kg: 320 + 180 + 60
    assert value_totals(after, header) == {"PLN": Decimal("41480.00")}


def test_amounts_in_different_currencies_are_totalled_apart(demo, tmp_path):
    with demo.app_context():
        add_line(MEDICAL, "Wool blanket", "10", "12.50", "EUR", "Protection Civile")
        path = export(tmp_path, MEDICAL)
    header, lines, after = line_table(packing_sheet(path))
    assert lines[3][0] == 4
    assert (cents(lines[3][10]), lines[3][11]) == (Decimal("125.00"), "EUR")
    assert value_totals(after, header) == {"EUR": Decimal("125.00"), "PLN": Decimal("41480.00")}
    total = next(row for row in after if row[1] == "Total: 4 lines")
    assert Decimal(str(total[8])) == Decimal("572.5")


def test_the_statement_is_prominent_and_heads_every_printed_page(demo, tmp_path):
    with demo.app_context():
        path = export(tmp_path, GENERATOR)
    sheet = packing_sheet(path)
    statement = next(
        cell
        for row in sheet.iter_rows(max_row=5)
        for cell in row
        if english(cell.value) == STATEMENT
    )
    assert statement.font.b
    assert statement.font.sz >= 14
    assert f"A{statement.row}:N{statement.row}" in {str(r) for r in sheet.merged_cells.ranges}
    heading_row = next(row[0].row for row in sheet.iter_rows() if english(row[0].value) == "No.")
    repeated = english(sheet.cell(heading_row - 1, 1).value)
    assert repeated == f"{GENERATOR} · {STATEMENT}"
    assert sheet.print_title_rows == f"${heading_row - 1}:${heading_row}"


def test_it_prints_on_a4_landscape_fitted_to_the_width_with_the_reference_in_the_footer(
    demo, tmp_path
):
    with demo.app_context():
        path = export(tmp_path, GENERATOR)
    sheet = packing_sheet(path)
    assert int(sheet.page_setup.paperSize) == 9
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(sheet.page_setup.fitToWidth) == 1
    assert int(sheet.page_setup.fitToHeight) == 0
    assert sheet.oddFooter.left.text == GENERATOR


def test_sender_carrier_and_recipient_have_room_to_sign_and_stamp(demo, tmp_path):
    with demo.app_context():
        path = export(tmp_path, GENERATOR)
    sheet = packing_sheet(path)
    parts = next(row for row in sheet.iter_rows() if english(row[5].value) == "Carrier")
    assert [english(parts[0].value), english(parts[10].value)] == ["Sender", "Recipient"]
    organisations = sheet[parts[0].row + 1]
    assert organisations[5].value == "Protection Civile"
    labels = {
        english(sheet.cell(parts[0].row + offset, 1).value): parts[0].row + offset
        for offset in (2, 3, 4, 5)
    }
    assert set(labels) == {"Name and surname:", "Signature:", "Date:", "Stamp:"}
    assert sheet.row_dimensions[labels["Signature:"]].height >= 30
    assert sheet.row_dimensions[labels["Stamp:"]].height >= 50
    assert english(sheet.cell(labels["Stamp:"], 11).value) == "Stamp:"


def test_a_carrier_only_partner_sees_quantities_and_weights_but_no_values(demo, tmp_path):
    with demo.app_context():
        partner_of("Lublin Municipal Fleet", "dispatch@fleet.example")
        path = export(tmp_path, MEDICAL, "dispatch@fleet.example")
    header, lines, after = line_table(packing_sheet(path))
    assert [row[0] for row in lines] == [1, 2, 3]
    assert [row[4] for row in lines] == [400, 3000, 1200]
    assert [row[8] for row in lines] == [320, 180, 60]
    for row in lines:
        assert row[header.index("Unit value")] is None
        assert row[header.index("Value")] is None
        assert row[header.index("Currency")] is None
    assert value_totals(after, header) == {}
    assert any("Values are not shown" in str(row[1]) for row in after)


def test_a_carrier_that_donated_the_load_sees_its_value(demo, tmp_path):
    with demo.app_context():
        partner_of("Protection Civile", "logistics@protection-civile.example")
        path = export(tmp_path, GENERATOR, "logistics@protection-civile.example")
    header, lines, after = line_table(packing_sheet(path))
    assert [(row[1], cents(row[10]), row[11]) for row in lines] == [
        ("Diesel generator 100 kVA", Decimal("25000.00"), "EUR")
    ]
    assert value_totals(after, header) == {"EUR": Decimal("25000.00")}


def test_a_donor_only_partner_lists_only_its_own_lines(demo, tmp_path):
    with demo.app_context():
        add_line(MEDICAL, "Wool blanket", "50", "45.00", "PLN", "Example Textiles Sp. z o.o.")
        partner_of("Example Textiles Sp. z o.o.", "csr@textiles.example")
        path = export(tmp_path, MEDICAL, "csr@textiles.example")
    header, lines, after = line_table(packing_sheet(path))
    assert [(row[0], row[1], cents(row[10])) for row in lines] == [
        (1, "Wool blanket", Decimal("2250.00"))
    ]
    assert any(row[1] == "Total: 1 line" for row in after)
    assert value_totals(after, header) == {"PLN": Decimal("2250.00")}
    texts = {cell for row in english_rows(packing_sheet(path)) for cell in row}
    assert "Elastic bandage" not in texts
    assert "Paracetamol 500 mg ×20" not in texts


def test_a_list_going_to_ukraine_is_in_english_and_ukrainian_whatever_the_users_language(
    demo, tmp_path
):
    with demo.app_context():
        user(STAFF).language = "pl"
        db.session.commit()
        path = export(tmp_path, MEDICAL)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Packing list – Пакувальний лист"]
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    cells = {cell for row in rows for cell in row}
    assert "Humanitarian aid, not for sale / Гуманітарна допомога, не для продажу" in cells
    heading = next(row for row in rows if row[0] == "No. / №")
    assert heading[1] == "Item / Товар"
    assert heading[4] == "Quantity / Кількість"
    assert "Vehicle first-aid kit / Автомобільна аптечка" in cells


# Packing units ---------------------------------------------------------------------------------

KITS = "LUB-KRR-2023-0003"


def pack_kits(reference: str = KITS) -> None:
    """250 family hygiene kits in 10 boxes of 25 (60 × 40 × 40 cm) on 2 pallets, and a crate
    of nothing yet."""
    shipment = db.session.scalar(select(Shipment).filter_by(reference=reference))
    service.pack_line(
        shipment,
        service.BulkPacking(
            line_id=shipment.lines[0].id,
            per_unit=Decimal(25),
            pallets=2,
            length_cm=Decimal(60),
            width_cm=Decimal(40),
            height_cm=Decimal(40),
        ),
        by=user(STAFF),
    )
    service.add_unit(shipment, service.UnitDetails(kind=UnitKind.CRATE), by=user(STAFF))


def units_sheet(path) -> list[list]:
    workbook = openpyxl.load_workbook(path)
    assert len(workbook.worksheets) == 2
    return english_rows(workbook.worksheets[1])


def test_a_shipment_packed_in_units_lists_each_unit_its_contents_weight_and_volume(demo, tmp_path):
    with demo.app_context():
        pack_kits()
        path = export(tmp_path, KITS)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[1].split(" – ")[0] == "Packing units"
    rows = units_sheet(path)
    assert rows[1][0] == STATEMENT
    assert rows[2] == [
        "Packing unit",
        "Kind",
        "On unit",
        "No.",
        "Item",
        "Quantity",
        "Unit of measure",
        "Dimensions (cm)",
        "Gross weight (kg)",
        "Units on it",
        "Volume (m³)",
    ]
    pallet, box, crate = rows[3], rows[5], rows[15]
    assert pallet[:3] == ["1/13", "Pallet", None]
    assert (pallet[4], pallet[8], pallet[9]) == (None, 500, 5)
    assert Decimal(str(pallet[10])) == Decimal("0.48")  # its five boxes: nobody measured it
    assert box[:8] == ["3/13", "Box", "1/13", 1, "Family hygiene kit", 25, "set", "60 × 40 × 40"]
    assert (box[8], Decimal(str(box[10]))) == (100, Decimal("0.096"))
    assert crate[:2] == ["13/13", "Crate"]
    totals = rows[16]
    assert totals[:2] == ["Total: 13 units", "Pallet: 2, Box: 10, Crate: 1"]
    assert (totals[8], Decimal(str(totals[10]))) == (1000, Decimal("0.96"))
    assert rows[17][0] == "3 packages: the units on no other unit"
    assert rows[18][0] == "Weight not recorded for 1 package"
    assert rows[19][0] == "Dimensions not recorded for 1 package"


def test_a_shipment_not_packed_in_units_keeps_its_single_sheet(demo, tmp_path):
    with demo.app_context():
        path = export(tmp_path, KITS)
    assert len(openpyxl.load_workbook(path).worksheets) == 1


def test_a_donor_only_partner_sees_only_the_units_that_hold_its_lines(demo, tmp_path):
    with demo.app_context():
        pack_kits()
        add_line(KITS, "Wool blanket", "50", "45.00", "PLN", "Example Textiles Sp. z o.o.")
        shipment = db.session.scalar(select(Shipment).filter_by(reference=KITS))
        service.put_in_unit(
            shipment, 13, by=user(STAFF), line_id=shipment.lines[1].id, quantity=Decimal(50)
        )
        partner_of("Example Textiles Sp. z o.o.", "csr@textiles.example")
        path = export(tmp_path, KITS, "csr@textiles.example")
    rows = units_sheet(path)
    assert [row[0] for row in rows[3:4]] == ["13/13"]
    assert rows[3][3:6] == [1, "Wool blanket", 50]  # numbered as on its own first sheet
    assert rows[4][0] == "Total: 1 unit"
