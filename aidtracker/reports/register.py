"""Shipment register: one row per shipment line dispatched in the period, valued in the reporting
currency, with the rate and rate date used; subtotals per shipment, totals per currency.

Rows stream from the database into the file, so a year of a busy hub exports in constant memory.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from aidtracker.auth.models import User
from aidtracker.catalogue.models import Category, Unit
from aidtracker.money.rates import round_cents
from aidtracker.reports.parameters import period_workbook, write_parameters_sheet
from aidtracker.reports.scope import ReportParameters, line_rows
from aidtracker.reports.valuation import Valuation
from aidtracker.reports.xlsx import Column, Sheet, Style, quantity_style
from aidtracker.shipments.models import (
    CustomsStatus,
    Funding,
    LineCondition,
    ShipmentStatus,
    TransportMode,
)

PROGRESS_EVERY = 1_000


def register_title() -> str:
    return _("Shipment register")


def register_columns(currency: str) -> list[Column]:
    """The register's columns with their HXL hashtags (DESIGN.md's list; the donor is the
    funder). The line value comes before any other #value column, so HXL tools summing #value
    sum the value in the line's own currency, next to #currency."""
    return [
        Column(_("Reference"), hashtag="#meta+id", min_width=18),
        Column(_("Dispatch date"), Style.DATE, "#date+start", min_width=11),
        Column(_("Status"), hashtag="#status"),
        Column(_("Customs status"), hashtag="#status+customs"),
        Column(_("Origin"), hashtag="#loc+name+origin"),
        Column(_("Destination"), hashtag="#loc+name+dest"),
        Column(_("Destination country"), hashtag="#country+code+dest"),
        Column(_("Sender"), hashtag="#org+impl+name"),
        Column(_("Recipient"), hashtag="#org+name+recipient"),
        Column(_("Carrier"), hashtag="#org+name+carrier"),
        Column(_("Transport"), hashtag="#meta+transport"),
        Column(_("CMR number"), hashtag="#meta+cmr"),
        Column(_("Customs declaration"), hashtag="#meta+declaration"),
        Column(_("Line"), Style.INTEGER, "#meta+line"),
        Column(_("Item"), hashtag="#item+name", max_width=40),
        Column(_("HS code"), hashtag="#item+code"),
        Column(_("Category"), hashtag="#sector"),
        Column(_("DAC sector"), hashtag="#sector+code+dac"),
        Column(_("Quantity"), Style.INTEGER, "#output+num"),
        Column(_("Unit"), hashtag="#item+unit"),
        Column(_("Unit value"), Style.MONEY, "#meta+unit_value"),
        Column(_("Value"), Style.MONEY, "#value"),
        Column(_("Currency"), hashtag="#currency"),
        Column(_("Rate to %(currency)s", currency=currency), Style.RATE, "#meta+rate"),
        Column(_("Rate date"), Style.DATE, "#date+converted"),
        Column(_("Value (%(currency)s)", currency=currency), Style.MONEY, "#value+converted"),
        Column(_("Donor"), hashtag="#org+funder+name"),
        Column(_("Funding"), hashtag="#meta+funding"),
        Column(_("Lot"), hashtag="#meta+lot"),
        Column(_("Expiry"), Style.DATE, "#date+expiry"),
        Column(_("Gross weight (kg)"), Style.DECIMAL, "#meta+weight_kg"),
        Column(_("Received quantity"), Style.INTEGER, "#output+num+received"),
        Column(_("Condition"), hashtag="#status+condition"),
        Column(_("Delivery date"), Style.DATE, "#date+end"),
    ]


def enum_labels() -> dict:
    """Every status, category, unit… label, translated once per export rather than per row."""
    labels = {None: None}
    for kind in (
        ShipmentStatus,
        CustomsStatus,
        TransportMode,
        Funding,
        LineCondition,
        Category,
        Unit,
    ):
        labels.update({member: member.label for member in kind})
        labels.update({member.value: member.label for member in kind})
    return labels


@dataclass
class RegisterTotals:
    """What the Totals sheet reports: per line currency and overall, in the reporting currency."""

    lines: int = 0
    shipments: int = 0
    value: Decimal = Decimal("0.00")
    by_currency: dict[str, list] = field(default_factory=dict)
    """currency → [lines, value in that currency, value in the reporting currency]."""

    def add(self, currency: str, value: Decimal, converted: Decimal) -> None:
        self.lines += 1
        self.value += converted
        entry = self.by_currency.setdefault(currency, [0, Decimal("0.00"), Decimal("0.00")])
        entry[0] += 1
        entry[1] += value
        entry[2] += converted


def write_register(
    target,
    user: User,
    parameters: ReportParameters,
    progress: Callable[[int], None] | None = None,
) -> RegisterTotals:
    """Write the register to `target` (a path or binary file); raises ExportRefused before
    writing anything when a rate is missing."""
    currency = parameters.currency
    labels = enum_labels()
    totals = RegisterTotals()
    title = register_title()
    with period_workbook(target, title, user, parameters) as (workbook, valuation):
        register = workbook.add_sheet(title, register_columns(currency))
        register.header(hashtags=parameters.hxl)
        subtotals = workbook.add_sheet(
            _("Subtotals by shipment"),
            [
                Column(_("Reference"), min_width=18),
                Column(_("Dispatch date"), Style.DATE, min_width=11),
                Column(_("Destination")),
                Column(_("Lines"), Style.INTEGER),
                Column(_("Value (%(currency)s)", currency=currency), Style.MONEY),
            ],
        )
        subtotals.header()
        _write_lines(register, subtotals, user, parameters, valuation, labels, totals, progress)
        _write_totals(workbook.add_sheet(_("Totals"), totals_columns(currency)), totals)
        write_parameters_sheet(
            workbook,
            title,
            parameters,
            user,
            valuation,
            [(_("Shipments"), totals.shipments), (_("Lines"), totals.lines)],
        )
    return totals


def _write_lines(
    register: Sheet,
    subtotals: Sheet,
    user: User,
    parameters: ReportParameters,
    valuation: Valuation,
    labels: dict,
    totals: RegisterTotals,
    progress: Callable[[int], None] | None,
) -> None:
    convert = valuation.convert
    shipment_row: list | None = None
    batch = []
    for row in line_rows(user, parameters):
        amount = row.quantity * row.unit_value
        value = round_cents(amount)
        converted = convert(amount, row.currency, row.valued_on)
        if shipment_row is None or shipment_row[0] != row.reference:
            if shipment_row is not None:
                subtotals.append(shipment_row)
            shipment_row = [row.reference, row.dispatch_date, row.destination, 0, Decimal("0.00")]
            totals.shipments += 1
        shipment_row[3] += 1
        shipment_row[4] += converted.value
        totals.add(row.currency, value, converted.value)
        batch.append(
            (
                row.reference,
                row.dispatch_date,
                labels[row.status],
                labels[row.customs_status],
                row.origin,
                row.destination,
                row.destination_country,
                row.sender,
                row.recipient,
                row.carrier,
                labels[row.transport_mode],
                row.cmr_number,
                row.customs_declaration_number,
                row.position,
                row.item,
                row.hs_code,
                labels[row.category],
                row.dac_sector.value if row.dac_sector else None,
                row.quantity,
                labels[row.unit],
                row.unit_value,
                value,
                row.currency,
                converted.rate,
                converted.rate_date,
                converted.value,
                row.donor,
                labels[row.funding],
                row.lot,
                row.expiry,
                row.gross_weight_kg,
                row.received_quantity,
                labels[row.condition],
                row.delivery_date,
            )
        )
        if len(batch) >= PROGRESS_EVERY:
            _flush(register, batch)
            if progress:
                progress(totals.lines)
    _flush(register, batch)
    if shipment_row is not None:
        subtotals.append(shipment_row)
    if progress:
        progress(totals.lines)


def _flush(register: Sheet, batch: list) -> None:
    """Write a batch of rows; quantities that are not whole get three decimals."""
    plain = []
    for values in batch:
        received = values[31]
        if values[18] != int(values[18]) or (received is not None and received != int(received)):
            if plain:
                register.append_many(plain)
                plain = []
            styles = [None] * len(values)
            styles[18] = quantity_style(values[18])
            styles[31] = quantity_style(values[31])
            register.append(values, styles)
        else:
            plain.append(values)
    register.append_many(plain)
    batch.clear()


def totals_columns(currency: str) -> list[Column]:
    return [
        Column(_("Currency of the lines")),
        Column(_("Lines"), Style.INTEGER),
        Column(_("Value in that currency"), Style.MONEY),
        Column(_("Value (%(currency)s)", currency=currency), Style.MONEY),
    ]


def _write_totals(sheet: Sheet, totals: RegisterTotals) -> None:
    sheet.header(autofilter=False)
    for line_currency, (lines, value, converted) in sorted(totals.by_currency.items()):
        sheet.append([line_currency, lines, value, converted])
    sheet.append(
        [_("Total"), totals.lines, None, totals.value],
        [Style.BOLD, Style.TOTAL_INTEGER, Style.TOTAL_MONEY, Style.TOTAL_MONEY],
    )
