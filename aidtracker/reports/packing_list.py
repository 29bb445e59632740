"""Packing list and customs manifest of one shipment: what travels with the load and what the
border sees. It prints on A4 landscape with the column headings on every page.

A partner gets the packing list of the shipments it may see, scoped by ``ShipmentAccess``: a
donor-only partner lists its own lines, and a line whose value the user may not see (a mere carrier)
has empty value cells. Values stay in each line's own currency; amounts in different currencies are
totalled apart, never mixed. The header ends with the shipment's public tracking link, and its QR
code sits in the top right corner, so that anybody holding the paper can follow the load.

A shipment packed in units (pallets, boxes, crates) gets a second sheet, one row per unit and line
it holds, with the totals customs and carriers count: units, packages, gross weight and volume.
"""

from decimal import Decimal

from aidtracker.auth.models import User
from aidtracker.auth.permissions import ShipmentAccess
from aidtracker.i18n import Multilingual, country_language
from aidtracker.packing import service as packing
from aidtracker.packing.models import PackingUnit
from aidtracker.parties.models import City, Organisation
from aidtracker.reports.parameters import generated_at, open_workbook, user_label
from aidtracker.reports.xlsx import Column, PageSetup, Sheet, Style, column_letter, quantity_style
from aidtracker.shipments.models import Shipment, ShipmentLine
from aidtracker.shipments.queries import totals_by_currency
from aidtracker.tracking.service import qr_png, tracking_url

LAST_COLUMN = 13
QUANTITY, WEIGHT, VALUE, CURRENCY = 4, 8, 10, 11
"""Indexes of the line table's columns that totals and styles refer to."""
HEADER_VALUE_COLUMN = 2
"""Header values start in the third column and span to the last; labels span the first two."""
SIGNATURE_BLOCKS = ((0, 4), (5, 9), (10, LAST_COLUMN))
"""Sender, carrier and recipient sign side by side, each in its own span of columns."""
SIGNATURE_ROW_HEIGHTS = (None, None, 24, 40, 24, 60)
"""Points: the part, the organisation, then room to write a name, sign, date and stamp."""
QR_CELL = f"{column_letter(LAST_COLUMN)}1"
"""The tracking link's QR code sits in the top right corner, beside the left-aligned title."""
QR_SCALE = 3
"""Pixels per QR module: about 3 cm across on paper, easy for a phone at the border."""


def packing_list_languages(shipment: Shipment) -> Multilingual:
    """English, which customs everywhere read, and the language of the destination country."""
    return Multilingual("en", country_language(shipment.destination_city.country))


def packing_list_file_name(shipment: Shipment) -> str:
    return f"aidtracker-packing-list-{shipment.reference}.xlsx"


def packing_list_title(text: Multilingual, shipment: Shipment) -> str:
    return text.gettext("Packing list and customs manifest") + " " + shipment.reference


def statement(text: Multilingual) -> str:
    return text.gettext("Humanitarian aid, not for sale")


def line_columns(text: Multilingual) -> list[Column]:
    """The line table; widths are capped where header values and signature blocks begin, since
    those span several columns and must not widen the first one."""
    return [
        Column(text.gettext("No."), Style.INTEGER, min_width=4, max_width=6),
        Column(text.gettext("Item"), min_width=30, max_width=40),
        Column(text.gettext("HS code"), min_width=10, max_width=14),
        Column(text.gettext("Category"), max_width=14),
        Column(text.gettext("Quantity"), Style.INTEGER, max_width=14),
        Column(text.gettext("Unit"), max_width=10),
        Column(text.gettext("Lot"), max_width=18),
        Column(text.gettext("Expiry"), Style.DATE, min_width=11, max_width=12),
        Column(text.gettext("Gross weight (kg)"), Style.DECIMAL, max_width=14),
        Column(text.gettext("Unit value"), Style.MONEY, max_width=14),
        Column(text.gettext("Value"), Style.MONEY, max_width=16),
        Column(text.gettext("Currency"), max_width=10),
        Column(text.gettext("Donor"), max_width=30),
        Column(text.gettext("Funding"), max_width=30),
    ]


def place(city: City) -> str:
    return f"{city.name} ({city.country})"


def party(organisation: Organisation | None) -> str:
    """An organisation as customs papers name it: name, address, country."""
    if organisation is None:
        return ""
    parts = [organisation.name]
    if organisation.address:
        parts += [part.strip() for part in organisation.address.splitlines() if part.strip()]
    parts.append(organisation.country)
    return ", ".join(parts)


def header_fields(text: Multilingual, shipment: Shipment) -> list[tuple[str, object]]:
    """The header block: who sends what to whom, how, and under which papers. Every field is
    listed even when empty, so a printed copy shows what is still to be filled in."""
    return [
        (text.gettext("Reference"), shipment.reference),
        (text.gettext("Origin"), place(shipment.origin_city)),
        (text.gettext("Destination"), place(shipment.destination_city)),
        (text.gettext("Sender"), party(shipment.sender)),
        (text.gettext("Recipient"), party(shipment.recipient)),
        (text.gettext("Carrier"), party(shipment.carrier)),
        (text.gettext("Transport mode"), text.label(shipment.transport_mode.label)),
        (text.gettext("Vehicle registration"), shipment.vehicle_registration),
        (text.gettext("Driver"), shipment.driver_name),
        (text.gettext("CMR number"), shipment.cmr_number),
        (text.gettext("Customs declaration number"), shipment.customs_declaration_number),
        (text.gettext("Border crossing"), shipment.border_crossing),
        (text.gettext("Humanitarian aid recognition code"), shipment.aid_recognition_code),
        (text.gettext("Planned departure"), shipment.planned_departure),
        (text.gettext("Dispatch date"), shipment.dispatch_date),
        (text.gettext("Tracking link"), tracking_url(shipment)),
    ]


def write_packing_list(target, user: User, shipment: Shipment) -> None:
    """Write the packing list of `shipment` (one `user` may see, with its lines, items, donors
    and parties loaded) to `target`, a path or binary file."""
    access = ShipmentAccess(user, shipment)
    lines = access.lines
    text = packing_list_languages(shipment)
    every_unit = packing.units_of(shipment)
    units = packing.visible_units(every_unit, access)
    fields = header_fields(text, shipment)
    # Rows 1-2 title and statement, a blank, the header block, a blank, then the two rows that
    # head every printed page: the reference with the statement, and the column headings.
    repeated_row = 3 + len(fields) + 2
    heading_row = repeated_row + 1
    title = packing_list_title(text, shipment)
    description = text.gettext(
        "Packing list and customs manifest of shipment %(reference)s, %(origin)s to "
        "%(destination)s",
        reference=shipment.reference,
        origin=place(shipment.origin_city),
        destination=place(shipment.destination_city),
    )
    with open_workbook(target, title, description, user) as workbook:
        sheet = workbook.add_sheet(
            text.gettext("Packing list").replace(text.SEPARATOR, " – "),  # "/" is not allowed
            line_columns(text),
            PageSetup(
                landscape=True,
                repeat_rows=(repeated_row, heading_row),
                footer=shipment.reference,
            ),
        )
        _across(sheet, title, Style.TITLE)
        _across(sheet, statement(text), Style.TITLE)
        _add_tracking_qr(text, sheet, shipment)
        sheet.blank()
        for label, value in fields:
            row = sheet.append([label, None, value], [Style.BOLD])
            sheet.merge(row, 0, row, 1)
            sheet.merge(row, HEADER_VALUE_COLUMN, row, LAST_COLUMN)
        sheet.blank()
        _across(sheet, f"{shipment.reference} · {statement(text)}", Style.BOLD)
        sheet.append([column.header for column in sheet.columns], Style.HEADER)
        _write_lines(text, sheet, access, lines)
        sheet.blank()
        _write_signatures(text, sheet, shipment)
        sheet.blank()
        sheet.append(
            [
                text.gettext(
                    "Prepared with AidTracker on %(moment)s by %(user)s",
                    moment=generated_at().strftime("%Y-%m-%d %H:%M"),
                    user=user_label(user),
                )
            ]
        )
        if units:
            _write_units(workbook, text, shipment, lines, every_unit, units)


UNIT_LAST_COLUMN = 10
UNIT_WEIGHT, UNIT_VOLUME = 8, 10


def unit_columns(text: Multilingual) -> list[Column]:
    """The units sheet: one row per unit and line it holds (a unit's own figures on its first)."""
    return [
        Column(text.gettext("Packing unit"), min_width=6, max_width=10),
        Column(text.gettext("Kind"), max_width=20),
        Column(text.gettext("On unit"), max_width=10),
        Column(text.gettext("No."), Style.INTEGER, min_width=4, max_width=6),
        Column(text.gettext("Item"), min_width=30, max_width=40),
        Column(text.gettext("Quantity"), Style.INTEGER, max_width=14),
        Column(text.gettext("Unit of measure"), max_width=12),
        Column(text.gettext("Dimensions (cm)"), max_width=18),
        Column(text.gettext("Gross weight (kg)"), Style.DECIMAL, max_width=14),
        Column(text.gettext("Units on it"), Style.INTEGER, max_width=10),
        Column(text.gettext("Volume (m³)"), Style.DECIMAL, max_width=12),
    ]


def _write_units(
    workbook,
    text: Multilingual,
    shipment: Shipment,
    lines: list[ShipmentLine],
    every_unit: list[PackingUnit],
    units: list[PackingUnit],
) -> None:
    """The units sheet: unit n/N, what it is and stands on, each line it holds (numbered as on
    the first sheet), its gross weight, dimensions and volume; then the totals."""
    numbers = {line.id: number for number, line in enumerate(lines, start=1)}
    children = packing.children_of(every_unit)
    total = len(every_unit)
    by_id = {unit.id: unit for unit in every_unit}
    sheet = workbook.add_sheet(
        text.gettext("Packing units").replace(text.SEPARATOR, " – "),
        unit_columns(text),
        PageSetup(landscape=True, repeat_rows=(3, 3), footer=shipment.reference),
    )
    for value in (packing_list_title(text, shipment), statement(text)):
        row = sheet.append([value], Style.TITLE)
        sheet.merge(row, 0, row, UNIT_LAST_COLUMN)
    sheet.append([column.header for column in sheet.columns], Style.HEADER)
    for unit in units:
        contents = [c for c in unit.contents if c.line_id in numbers] or [None]
        for index, content in enumerate(contents):
            first = index == 0
            line = content.line if content else None
            styles: list[Style | None] = [None] * (UNIT_LAST_COLUMN + 1)
            if content:
                styles[5] = quantity_style(content.quantity)
            sheet.append(
                [
                    packing.label_of(unit, total),
                    text.label(unit.kind.label) if first else None,
                    packing.label_of(by_id[unit.parent_id], total)
                    if first and unit.parent_id
                    else None,
                    numbers[line.id] if line else None,
                    text.item_name(line.item) if line else None,
                    content.quantity if content else None,
                    text.label(line.unit.label) if line else None,
                    _dimensions(unit) if first else None,
                    packing.unit_weight(unit, children) if first else None,
                    (len(children.get(unit.id, [])) or None) if first else None,
                    _volume(packing.unit_volume(unit, children)) if first else None,
                ],
                styles,
            )
    totals = packing.packing_totals(units)
    styles = [None] * (UNIT_LAST_COLUMN + 1)
    styles[0], styles[UNIT_WEIGHT], styles[UNIT_VOLUME] = (
        Style.BOLD,
        Style.TOTAL_DECIMAL,
        Style.TOTAL_DECIMAL,
    )
    row = [None] * (UNIT_LAST_COLUMN + 1)
    row[0] = text.ngettext("Total: %(num)d unit", "Total: %(num)d units", totals.units)
    row[1] = ", ".join(
        f"{text.label(kind.label)}: {count}" for kind, count in totals.by_kind.items()
    )
    row[UNIT_WEIGHT], row[UNIT_VOLUME] = totals.gross_weight_kg, totals.volume_m3
    sheet.append(row, styles)
    sheet.append(
        [
            text.ngettext(
                "%(num)d package: the units on no other unit",
                "%(num)d packages: the units on no other unit",
                totals.packages,
            )
        ]
    )
    if totals.unweighed:
        sheet.append(
            [
                text.ngettext(
                    "Weight not recorded for %(num)d package",
                    "Weight not recorded for %(num)d packages",
                    totals.unweighed,
                )
            ]
        )
    if totals.unmeasured:
        sheet.append(
            [
                text.ngettext(
                    "Dimensions not recorded for %(num)d package",
                    "Dimensions not recorded for %(num)d packages",
                    totals.unmeasured,
                )
            ]
        )


def _dimensions(unit: PackingUnit) -> str | None:
    if unit.length_cm is None:
        return None
    return " × ".join(
        format(value.normalize(), "f") for value in (unit.length_cm, unit.width_cm, unit.height_cm)
    )


def _volume(volume: Decimal | None) -> Decimal | None:
    return None if volume is None else volume.quantize(Decimal("0.001"))


def _add_tracking_qr(text: Multilingual, sheet: Sheet, shipment: Shipment) -> None:
    """The QR code of the tracking link, when the shipment has one and its full address is known
    (a link without the site's address would lead a phone nowhere)."""
    url = tracking_url(shipment)
    if url is None or not url.startswith(("https://", "http://")):
        return
    png = qr_png(url, scale=QR_SCALE)
    size = int.from_bytes(png[16:20], "big")  # the PNG header's width; QR codes are square
    sheet.add_image(png, QR_CELL, size, size, text.gettext("QR code of the tracking link"))


def _across(sheet: Sheet, text: str, style: Style) -> int:
    """A line of text over the whole width of the page."""
    row = sheet.append([text], style)
    sheet.merge(row, 0, row, LAST_COLUMN)
    return row


def _write_lines(
    text: Multilingual, sheet: Sheet, access: ShipmentAccess, lines: list[ShipmentLine]
) -> None:
    """Numbered lines, then the number of lines, the gross weight and the value per currency."""
    hidden_values = False
    weight = Decimal("0.000")
    unweighed = 0
    for number, line in enumerate(lines, start=1):
        shows_value = access.sees_value_of(line)
        hidden_values = hidden_values or not shows_value
        if line.gross_weight_kg is None:
            unweighed += 1
        else:
            weight += line.gross_weight_kg
        styles: list[Style | None] = [None] * (LAST_COLUMN + 1)
        styles[QUANTITY] = quantity_style(line.quantity)
        sheet.append(
            [
                number,
                text.item_name(line.item),
                line.item.hs_code,
                text.label(line.item.category.label),
                line.quantity,
                text.label(line.unit.label),
                line.lot,
                line.expiry,
                line.gross_weight_kg,
                line.unit_value if shows_value else None,
                line.value if shows_value else None,
                line.currency if shows_value else None,
                line.donor.name if line.donor else None,
                text.label(line.funding.label),
            ],
            styles,
        )
    total_row = _row({1: text.ngettext("Total: %(num)d line", "Total: %(num)d lines", len(lines))})
    total_row[WEIGHT] = weight
    styles = [None] * (LAST_COLUMN + 1)
    styles[1], styles[WEIGHT] = Style.BOLD, Style.TOTAL_DECIMAL
    if unweighed:
        total_row[WEIGHT + 1] = text.ngettext(
            "Weight not recorded for %(num)d line",
            "Weight not recorded for %(num)d lines",
            unweighed,
        )
    sheet.append(total_row, styles)
    if hidden_values:
        sheet.append(
            [None, text.gettext("Values are not shown: your organisation may not see them all.")]
        )
        return
    styles = [None] * (LAST_COLUMN + 1)
    styles[1], styles[VALUE], styles[CURRENCY] = Style.BOLD, Style.TOTAL_MONEY, Style.BOLD
    for currency, value in totals_by_currency(lines).items():
        label = text.gettext("Total value in %(currency)s", currency=currency)
        sheet.append(_row({1: label, VALUE: value, CURRENCY: currency}), styles)


def _row(cells: dict[int, object]) -> list:
    """A row of the line table with only the given columns filled."""
    return [cells.get(index) for index in range(LAST_COLUMN + 1)]


def _write_signatures(text: Multilingual, sheet: Sheet, shipment: Shipment) -> None:
    """Sender, carrier and recipient side by side, with room to sign and stamp."""
    parts = [
        (text.gettext("Sender"), shipment.sender),
        (text.gettext("Carrier"), shipment.carrier),
        (text.gettext("Recipient"), shipment.recipient),
    ]
    rows = [
        ([part for part, _organisation in parts], Style.BOLD),
        ([organisation.name if organisation else "" for _part, organisation in parts], Style.WRAP),
        ([text.gettext("Name and surname:")] * 3, Style.GENERAL),
        ([text.gettext("Signature:")] * 3, Style.GENERAL),
        ([text.gettext("Date:")] * 3, Style.GENERAL),
        ([text.gettext("Stamp:")] * 3, Style.GENERAL),
    ]
    for (texts, style), height in zip(rows, SIGNATURE_ROW_HEIGHTS, strict=True):
        values: list = [None] * (LAST_COLUMN + 1)
        for text, (first, _last) in zip(texts, SIGNATURE_BLOCKS, strict=True):
            values[first] = text
        if height:
            # Set before the row is written: a row already flushed to disk keeps its height.
            sheet.row_height(sheet.row_count + 1, height)
        row = sheet.append(values, style)
        for first, last in SIGNATURE_BLOCKS:
            sheet.merge(row, first, row, last)
