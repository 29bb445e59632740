"""Period summary: value and count of the period's lines by category and destination, month by
month, and as one category × destination matrix for the whole period.

It reads the same lines as the register (``line_rows``), so its grand total is the register's. Lines
arrive in dispatch order, so a month is complete when the next one starts: only one month's groups
and the small whole-period matrix are held, however many lines there are.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from aidtracker.auth.models import User
from aidtracker.catalogue.models import Category
from aidtracker.reports.parameters import period_workbook, write_parameters_sheet
from aidtracker.reports.register import PROGRESS_EVERY
from aidtracker.reports.scope import ReportParameters, line_rows
from aidtracker.reports.valuation import Valuation
from aidtracker.reports.xlsx import Column, Sheet, Style, Workbook

CATEGORY_ORDER = {category: index for index, category in enumerate(Category)}

# A subtotal or total row of a Shipments / Lines / Value table: label and figures in bold.
SUBTOTAL_STYLES = [
    None,
    Style.BOLD,
    None,
    None,
    Style.TOTAL_INTEGER,
    Style.TOTAL_INTEGER,
    Style.TOTAL_MONEY,
]
Place = tuple[str, str]
"""A destination city: (name, ISO country code)."""


@dataclass
class Tally:
    """Lines, distinct shipments and value (reporting currency) of a group of report lines.

    ``line_rows`` orders by dispatch date, then reference, so a shipment's lines arrive together:
    remembering the last shipment seen counts distinct shipments without a set that grows.
    """

    lines: int = 0
    shipments: int = 0
    value: Decimal = Decimal("0.00")
    last_shipment: int | None = field(default=None, repr=False)

    def add(self, shipment_id: int, value: Decimal) -> None:
        self.lines += 1
        self.value += value
        if shipment_id != self.last_shipment:
            self.shipments += 1
            self.last_shipment = shipment_id


def category_key(category: Category) -> int:
    return CATEGORY_ORDER[category]


def place_label(place: Place) -> str:
    """How a destination is named in a column header: Kryvyi Rih (UA)."""
    name, country = place
    return f"{name} ({country})"


def valued_lines(
    user: User,
    parameters: ReportParameters,
    valuation: Valuation,
    progress: Callable[[int], None] | None = None,
) -> Iterable[tuple]:
    """Each report line with its value in the reporting currency (rounded per line), reporting
    progress as lines go by; what the donor statement and the summary add up."""
    convert = valuation.convert
    count = 0
    for row in line_rows(user, parameters):
        yield row, convert(row.quantity * row.unit_value, row.currency, row.valued_on)
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress:
        progress(count)


def period_summary_title() -> str:
    return _("Period summary")


@dataclass
class GrandTotals:
    """A report's overall tally; `lines`, `shipments` and `value` are what the page and the
    command line print."""

    total: Tally = field(default_factory=Tally)

    @property
    def lines(self) -> int:
        return self.total.lines

    @property
    def shipments(self) -> int:
        return self.total.shipments

    @property
    def value(self) -> Decimal:
        return self.total.value


@dataclass
class SummaryTotals(GrandTotals):
    """What the summary found: the whole period, each month, and each category × destination."""

    by_month: dict[date, Tally] = field(default_factory=dict)
    matrix: dict[tuple[Category, Place], Tally] = field(default_factory=dict)


def write_period_summary(
    target,
    user: User,
    parameters: ReportParameters,
    progress: Callable[[int], None] | None = None,
) -> SummaryTotals:
    """Write the period summary to `target` (a path or binary file); raises ExportRefused before
    writing anything when a rate is missing."""
    currency = parameters.currency
    totals = SummaryTotals()
    title = period_summary_title()
    with period_workbook(target, title, user, parameters) as (workbook, valuation):
        by_month = workbook.add_sheet(
            _("By month"),
            [
                Column(_("Month"), Style.DATE, min_width=11),
                Column(_("Category")),
                Column(_("Destination")),
                Column(_("Country")),
                Column(_("Shipments"), Style.INTEGER),
                Column(_("Lines"), Style.INTEGER),
                Column(_("Value (%(currency)s)", currency=currency), Style.MONEY),
            ],
        )
        by_month.header(autofilter=False)
        month: date | None = None
        groups: dict[tuple[Category, Place], Tally] = {}
        for row, converted in valued_lines(user, parameters, valuation, progress):
            day = row.dispatch_date
            row_month = date(day.year, day.month, 1)
            if row_month != month:
                if month is not None:
                    _write_month(by_month, month, groups, totals.by_month[month])
                month, groups = row_month, {}
                totals.by_month[month] = Tally()
            category = Category(row.category)
            key = (category, (row.destination, row.destination_country))
            value = converted.value
            groups.setdefault(key, Tally()).add(row.shipment_id, value)
            totals.matrix.setdefault(key, Tally()).add(row.shipment_id, value)
            totals.by_month[month].add(row.shipment_id, value)
            totals.total.add(row.shipment_id, value)
        if month is not None:
            _write_month(by_month, month, groups, totals.by_month[month])
        total = totals.total
        by_month.append(
            [None, _("Total"), None, None, total.shipments, total.lines, total.value],
            SUBTOTAL_STYLES,
        )
        _write_matrix(workbook, totals, currency)
        write_parameters_sheet(
            workbook,
            title,
            parameters,
            user,
            valuation,
            [
                (_("Months"), len(totals.by_month)),
                (_("Shipments"), totals.shipments),
                (_("Lines"), totals.lines),
            ],
        )
    return totals


def _write_month(
    sheet: Sheet, month: date, groups: dict[tuple[Category, Place], Tally], month_total: Tally
) -> None:
    """A month's rows by category and destination, then the month's subtotal in bold."""
    labels = {category: category.label for category, _place in groups}
    for (category, (destination, country)), tally in sorted(
        groups.items(), key=lambda item: (category_key(item[0][0]), item[0][1])
    ):
        row = [month, labels[category], destination, country, tally.shipments, tally.lines]
        sheet.append([*row, tally.value])
    sheet.append(
        [
            month,
            _("Month total"),
            None,
            None,
            month_total.shipments,
            month_total.lines,
            month_total.value,
        ],
        SUBTOTAL_STYLES,
    )


def _write_matrix(workbook: Workbook, totals: SummaryTotals, currency: str) -> None:
    """The whole period as a table: a row per category, a column per destination, with row and
    column totals; first the value in the reporting currency, then the number of lines."""
    categories = sorted({category for category, _place in totals.matrix}, key=category_key)
    places = sorted({place for _category, place in totals.matrix})
    sheet = workbook.add_sheet(
        _("Category × destination"),
        [Column(_("Category"), min_width=14)]
        + [Column(place_label(place), Style.MONEY, min_width=12) for place in places]
        + [Column(_("Total"), Style.TOTAL_MONEY, min_width=12)],
    )
    sheet.append([_("Value (%(currency)s)", currency=currency)], Style.TITLE)
    sheet.header(autofilter=False)
    _write_block(sheet, totals, categories, places, "value", Style.TOTAL_MONEY)
    sheet.blank()
    sheet.append([_("Lines")], Style.TITLE)
    sheet.append([column.header for column in sheet.columns], Style.HEADER)
    _write_block(sheet, totals, categories, places, "lines", Style.TOTAL_INTEGER)


def _write_block(
    sheet: Sheet,
    totals: SummaryTotals,
    categories: list[Category],
    places: list[Place],
    measure: str,
    total_style: Style,
) -> None:
    cell_style = Style.MONEY if measure == "value" else Style.INTEGER
    zero = Decimal("0.00") if measure == "value" else 0
    column_totals = [zero] * len(places)
    for category in categories:
        cells = []
        for index, place in enumerate(places):
            tally = totals.matrix.get((category, place))
            amount = getattr(tally, measure) if tally else None
            if amount is not None:
                column_totals[index] += amount
            cells.append(amount)
        row_total = sum((amount for amount in cells if amount is not None), zero)
        sheet.append(
            [category.label, *cells, row_total],
            [None] + [cell_style] * len(places) + [total_style],
        )
    sheet.append(
        [_("Total"), *column_totals, getattr(totals.total, measure)],
        [Style.BOLD] + [total_style] * (len(places) + 1),
    )
