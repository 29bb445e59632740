"""Donor statement: what each donor's gifts and funds sent in the period, by category and
destination, in the reporting currency, with every line behind the figures.

It reads the same lines as the register (``line_rows``), so the statement's grand total is the
register's. The lines sheet is written as rows stream in (in dispatch order, each with its donor);
only the small per donor × category × destination totals are held until the end.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _

from aidtracker.auth.models import User
from aidtracker.catalogue.models import Category
from aidtracker.reports.parameters import period_workbook, write_parameters_sheet
from aidtracker.reports.register import enum_labels
from aidtracker.reports.scope import ReportParameters
from aidtracker.reports.summary import (
    SUBTOTAL_STYLES,
    GrandTotals,
    Place,
    Tally,
    category_key,
    valued_lines,
)
from aidtracker.reports.valuation import line_value
from aidtracker.reports.xlsx import Column, Sheet, Style, quantity_style

BATCH = 1_000
QUANTITY = 9
"""Index of the quantity in a row of the lines sheet."""


def donor_statement_title() -> str:
    return _("Donor statement")


def lines_columns(currency: str) -> list[Column]:
    """The lines sheet's columns, with HXL hashtags (the donor is the funder)."""
    return [
        Column(_("Donor"), hashtag="#org+funder+name", max_width=40),
        Column(_("Reference"), hashtag="#meta+id", min_width=18),
        Column(_("Dispatch date"), Style.DATE, "#date+start", min_width=11),
        Column(_("Destination"), hashtag="#loc+name+dest"),
        Column(_("Destination country"), hashtag="#country+code+dest"),
        Column(_("Line"), Style.INTEGER, "#meta+line"),
        Column(_("Item"), hashtag="#item+name", max_width=40),
        Column(_("HS code"), hashtag="#item+code"),
        Column(_("Category"), hashtag="#sector"),
        Column(_("Quantity"), Style.INTEGER, "#output+num"),
        Column(_("Unit"), hashtag="#item+unit"),
        Column(_("Value"), Style.MONEY, "#value"),
        Column(_("Currency"), hashtag="#currency"),
        Column(_("Rate to %(currency)s", currency=currency), Style.RATE, "#meta+rate"),
        Column(_("Rate date"), Style.DATE, "#date+converted"),
        Column(_("Value (%(currency)s)", currency=currency), Style.MONEY, "#value+converted"),
        Column(_("Funding"), hashtag="#meta+funding"),
    ]


@dataclass
class DonorGroup:
    """One donor's lines: in all, and by category and destination."""

    name: str
    total: Tally = field(default_factory=Tally)
    cells: dict[tuple[Category, Place], Tally] = field(default_factory=dict)


@dataclass
class DonorStatementTotals(GrandTotals):
    """What the statement found: the whole period, and per donor (by name, "No donor" last)."""

    by_donor: dict[str, Tally] = field(default_factory=dict)


def write_donor_statement(
    target,
    user: User,
    parameters: ReportParameters,
    progress: Callable[[int], None] | None = None,
) -> DonorStatementTotals:
    """Write the donor statement to `target` (a path or binary file); raises ExportRefused before
    writing anything when a rate is missing."""
    currency = parameters.currency
    labels = enum_labels()
    no_donor = _("No donor")
    totals = DonorStatementTotals()
    groups: dict[int | None, DonorGroup] = {}
    title = donor_statement_title()
    with period_workbook(target, title, user, parameters) as (workbook, valuation):
        # The statement opens on its totals; they are written once every line has been read.
        statement = workbook.add_sheet(
            _("By donor, category, destination"),
            [
                Column(_("Donor"), max_width=40),
                Column(_("Category")),
                Column(_("Destination")),
                Column(_("Country")),
                Column(_("Shipments"), Style.INTEGER),
                Column(_("Lines"), Style.INTEGER),
                Column(_("Value (%(currency)s)", currency=currency), Style.MONEY),
            ],
        )
        lines = workbook.add_sheet(_("Lines by donor"), lines_columns(currency))
        lines.header(hashtags=parameters.hxl)
        batch: list[tuple] = []
        for row, converted in valued_lines(user, parameters, valuation, progress):
            donor = row.donor if row.donor_id is not None else no_donor
            group = groups.get(row.donor_id)
            if group is None:
                group = groups[row.donor_id] = DonorGroup(donor)
            category = Category(row.category)
            key = (category, (row.destination, row.destination_country))
            group.cells.setdefault(key, Tally()).add(row.shipment_id, converted.value)
            group.total.add(row.shipment_id, converted.value)
            totals.total.add(row.shipment_id, converted.value)
            batch.append(
                (
                    donor,
                    row.reference,
                    row.dispatch_date,
                    row.destination,
                    row.destination_country,
                    row.position,
                    row.item,
                    row.hs_code,
                    labels[row.category],
                    row.quantity,
                    labels[row.unit],
                    line_value(row.quantity, row.unit_value),
                    row.currency,
                    converted.rate,
                    converted.rate_date,
                    converted.value,
                    labels[row.funding],
                )
            )
            if len(batch) >= BATCH:
                _flush(lines, batch)
        _flush(lines, batch)
        ordered = sorted(
            groups.items(), key=lambda item: (item[0] is None, item[1].name.casefold())
        )
        _write_statement(statement, [group for _donor_id, group in ordered], totals.total)
        totals.by_donor = {group.name: group.total for _donor_id, group in ordered}
        write_parameters_sheet(
            workbook,
            title,
            parameters,
            user,
            valuation,
            [
                (_("Donors"), sum(1 for donor_id in groups if donor_id is not None)),
                (_("Shipments"), totals.shipments),
                (_("Lines"), totals.lines),
            ],
        )
    return totals


def _flush(sheet: Sheet, batch: list[tuple]) -> None:
    """Write a batch of line rows; quantities that are not whole get three decimals."""
    plain = []
    for values in batch:
        quantity = values[QUANTITY]
        if quantity == int(quantity):
            plain.append(values)
            continue
        sheet.append_many(plain)
        plain = []
        styles: list[Style | None] = [None] * len(values)
        styles[QUANTITY] = quantity_style(quantity)
        sheet.append(values, styles)
    sheet.append_many(plain)
    batch.clear()


def _write_statement(sheet: Sheet, groups: list[DonorGroup], total: Tally) -> None:
    """Per donor, a row per category and destination and the donor's total in bold; then the
    grand total. A shipment with several categories counts once in a donor's total."""
    sheet.header(autofilter=False)
    for group in groups:
        for (category, (destination, country)), tally in sorted(
            group.cells.items(), key=lambda item: (category_key(item[0][0]), item[0][1])
        ):
            sheet.append(
                [
                    group.name,
                    category.label,
                    destination,
                    country,
                    tally.shipments,
                    tally.lines,
                    tally.value,
                ]
            )
        donor_total = group.total
        sheet.append(
            [
                group.name,
                _("Donor total"),
                None,
                None,
                donor_total.shipments,
                donor_total.lines,
                donor_total.value,
            ],
            [Style.BOLD, *SUBTOTAL_STYLES[1:]],
        )
    sheet.append(
        [_("Total"), None, None, None, total.shipments, total.lines, total.value],
        [Style.BOLD, *SUBTOTAL_STYLES[1:]],
    )
