"""The dashboard, each role's first page after login; and the expiry flags of the shipment page."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from babel.numbers import format_compact_decimal, format_currency, format_decimal
from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from aidtracker.auth.permissions import Permission, requires
from aidtracker.catalogue.models import Category
from aidtracker.dashboard import charts
from aidtracker.dashboard.queries import (
    CONFIRMATION_DAYS,
    EXPIRY_AMBER_MONTHS,
    EXPIRY_RED_MONTHS,
    INSPECTION_DAYS,
    LAPSE_WARNING_DAYS,
    RECENT_DAYS,
    Dashboard,
    ValueCube,
    dashboard_for,
    expiry_level,
    list_arguments,
)
from aidtracker.i18n import current_language
from aidtracker.shipments import lifecycle
from aidtracker.shipments.queries import ShipmentFilters
from aidtracker.shipments.status import local_today

blueprint = Blueprint("dashboard", __name__, url_prefix="/dashboard")

CATEGORY_STYLES = {category: index for index, category in enumerate(Category)}
"""Each category keeps its colour and pattern whichever others are on the chart."""
TOP_DONORS = 10
"""Donors shown by name on the chart; the others are added up in one bar."""

TALLY_LABELS = {
    "ready": _l("Ready to dispatch"),
    "held": _l("Held at customs"),
    "inspection": _l("Under inspection for more than %(days)d days", days=INSPECTION_DAYS),
    "unconfirmed": _l(
        "Delivered, receipt not confirmed for more than %(days)d days", days=CONFIRMATION_DAYS
    ),
    "discrepancies": _l("Received with discrepancies, last %(days)d days", days=RECENT_DAYS),
    "in_transit": _l("In transit"),
    "delivered": _l("Delivered, waiting for receipt confirmation"),
    "received": _l("Received in full"),
    "received_with_discrepancy": _l("Received with discrepancies"),
    "confirm_receipt": _l("Delivered: confirm what arrived"),
}
DEADLINE_LABELS = {
    "report": _l("Distribution report"),
    "recognition_code": _l("Aid recognition code"),
    "declaration": _l("Customs declaration"),
}
PERIOD_LABELS = {"month": _l("This month"), "quarter": _l("This quarter"), "year": _l("This year")}
EXPIRY_LABELS = {
    "red": _l("Under %(months)d months", months=EXPIRY_RED_MONTHS),
    "amber": _l("Under %(months)d months", months=EXPIRY_AMBER_MONTHS),
}


LIMITS = SimpleNamespace(
    recent=RECENT_DAYS,
    lapse=LAPSE_WARNING_DAYS,
    code=lifecycle.RECOGNITION_CODE_VALID_DAYS,
    declaration=lifecycle.DECLARATION_VALID_DAYS,
    amber=EXPIRY_AMBER_MONTHS,
    red=EXPIRY_RED_MONTHS,
)
"""The limits the rules use, for the sentences that explain them (stated once, in the rules)."""


def dashboard_today() -> date:
    """Today where the users live; the TODAY setting fixes the day (tests, demonstrations)."""
    configured = current_app.config.get("TODAY")
    if isinstance(configured, date):
        return configured
    if configured:
        return date.fromisoformat(str(configured))
    return local_today()


@blueprint.get("/")
@requires(Permission.VIEW_SHIPMENTS)
def show_dashboard():
    dashboard = dashboard_for(
        current_user,
        today=dashboard_today(),
        language=current_language(),
        year=request.args.get("year", type=int),
    )
    return render_template(
        "dashboard/index.html",
        dashboard=dashboard,
        charts=chart_panels(dashboard),
        finance_tables=finance_tables(dashboard),
        tally_labels=TALLY_LABELS,
        deadline_labels=DEADLINE_LABELS,
        period_labels=PERIOD_LABELS,
        limits=LIMITS,
    )


@blueprint.app_template_global()
def expiry_flags(lines) -> list[tuple[object, str, int]]:
    """The medical lines among `lines` whose expiry is near, soonest first, with their level
    (``red`` under 3 months, ``amber`` under 9) and the days left (negative once expired): what
    the shipment page flags."""
    today = dashboard_today()
    flagged = [
        (line, level, (line.expiry - today).days)
        for line in lines
        if line.item.category.needs_lot_and_expiry
        and (level := expiry_level(line.expiry, today)) is not None
    ]
    return sorted(flagged, key=lambda flag: (flag[0].expiry, flag[0].position))


@blueprint.app_template_filter("expiry_label")
def expiry_label(level: str) -> str:
    return str(EXPIRY_LABELS[level])


@dataclass(frozen=True)
class FinanceTable:
    """Values of this month, quarter and year side by side, one row per category, donor or
    destination (those with a value this year)."""

    key: str
    caption: str
    row_header: str
    rows: list[tuple[str, list[Decimal]]]


def finance_tables(dashboard: Dashboard) -> list[FinanceTable]:
    cube = dashboard.finance
    if cube is None:
        return []
    spans = [(period.first, period.last) for period in dashboard.periods]

    def rows(by, label) -> list[tuple[str, list[Decimal]]]:
        columns = [by(first, last) for first, last in spans]
        return [
            (label(key), [column.get(key, Decimal("0.00")) for column in columns])
            for key in columns[-1]
        ]

    return [
        FinanceTable(
            "category",
            _("By category"),
            _("Category"),
            rows(cube.by_category, lambda category: category.label),
        ),
        FinanceTable(
            "donor",
            _("By donor"),
            _("Donor"),
            rows(cube.by_donor, lambda key: cube.donor_name(key) or _("No donor recorded")),
        ),
        FinanceTable(
            "destination",
            _("By destination"),
            _("Destination"),
            rows(cube.by_destination, cube.destination_name),
        ),
    ]


# Charts and their tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[str]
    href: str | None = None


@dataclass(frozen=True)
class ChartPanel:
    """One chart with the same numbers as a table; `svg` is None when there is nothing to draw."""

    chart_id: str
    heading: str
    svg: Markup | None
    empty_text: str
    row_header: str
    columns: list[str]
    rows: list[TableRow]
    totals: list[str] = field(default_factory=list)
    wide: bool = False
    """Takes the page's width, its table beside it (the table of months is a wide one)."""


# Numbers in the user's language. Babel is called with the request's locale directly: a
# dashboard formats hundreds of figures, and Flask-Babel looks the locale up anew on every call.


def _money(currency: str):
    locale = get_locale()
    return lambda value: format_currency(value, currency, locale=locale)


def _money_whole(currency: str):
    """Whole units, in the locale's own currency pattern: labels on bars need no cents."""
    locale = get_locale()
    pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
    return lambda value: format_currency(
        value, currency, format=pattern, currency_digits=False, locale=locale
    )


def _compact(value) -> str:
    return format_compact_decimal(value, locale=get_locale(), fraction_digits=1)


def _count(value) -> str:
    return format_decimal(value, locale=get_locale())


def _amounts():
    """Figures of a wide table whose header names the currency; nothing shown as a dash."""
    locale = get_locale()
    return lambda value: format_decimal(value, format="#,##0.00", locale=locale) if value else "—"


def chart_panels(dashboard: Dashboard) -> list[ChartPanel]:
    """The four charts of every dashboard, each within the user's scope."""
    cube = dashboard.charts
    return [
        _value_by_month(cube, dashboard.chart_year),
        _shipments_by_status(dashboard),
        _value_by(
            cube,
            "chart-destination",
            _("Value by destination, %(year)d", year=dashboard.chart_year),
            _("Destination"),
            [(cube.destination_name(key), value) for key, value in cube.by_destination().items()],
            charts.OKABE_ITO[0],
        ),
        _value_by(
            cube,
            "chart-donor",
            _("Value by donor, %(year)d", year=dashboard.chart_year),
            _("Donor"),
            _donor_bars(cube),
            charts.OKABE_ITO[5],
        ),
    ]


def _value_by_month(cube: ValueCube, year: int) -> ChartPanel:
    currency = cube.currency
    months = cube.by_month_and_category()
    categories = list(cube.by_category())
    title = _("Value shipped by month, %(year)d", year=year)
    money = _money(currency)
    svg = None
    if cube.total():
        svg = charts.stacked_bar_chart(
            chart_id="chart-month",
            title=title,
            description=_(
                "Value of the shipments dispatched in %(year)d, in %(currency)s, stacked by "
                "category; the table beside it gives the figures.",
                year=year,
                currency=currency,
            ),
            x_label=_("Month"),
            y_label=_("Value (%(currency)s)", currency=currency),
            columns=[format_date(month, "LLL") for month in months],
            series=[
                charts.Series(category.label, CATEGORY_STYLES[category]) for category in categories
            ],
            values=[
                [per_category.get(category, Decimal(0)) for category in categories]
                for per_category in months.values()
            ],
            format_value=money,
            format_tick=_compact,
        )
    by_category = cube.by_category()
    amount = _amounts()
    return ChartPanel(
        chart_id="chart-month",
        heading=title,
        svg=svg,
        empty_text=_("No dispatched value to show for %(year)d.", year=year),
        row_header=_("Month (%(currency)s)", currency=currency),
        columns=[category.label for category in categories] + [_("Total")],
        rows=[
            TableRow(
                format_date(month, "LLL yyyy"),
                [amount(per_category.get(category)) for category in categories]
                + [amount(sum(per_category.values(), Decimal("0.00")))],
            )
            for month, per_category in months.items()
        ],
        totals=[amount(by_category[category]) for category in categories] + [amount(cube.total())],
        wide=True,
    )


def _shipments_by_status(dashboard: Dashboard) -> ChartPanel:
    counts = dashboard.status_counts
    title = _("Shipments by status")
    svg = None
    if counts:
        svg = charts.bar_chart(
            chart_id="chart-status",
            title=title,
            description=_(
                "How many shipments stand in each status today; the table beside it gives the "
                "figures."
            ),
            value_label=_("Shipments"),
            category_label=_("Status"),
            bars=[(status.label, count) for status, count in counts.items()],
            format_value=_count,
            format_tick=_compact,
            colour=charts.OKABE_ITO[2],
            whole=True,
        )
    return ChartPanel(
        chart_id="chart-status",
        heading=title,
        svg=svg,
        empty_text=_("No shipments yet."),
        row_header=_("Status"),
        columns=[_("Shipments")],
        rows=[
            TableRow(
                status.label,
                [_count(count)],
                url_for(
                    "shipments.list_shipments",
                    **list_arguments(ShipmentFilters(status=status.value)),
                ),
            )
            for status, count in counts.items()
        ],
        totals=[_count(sum(counts.values()))],
    )


def _donor_bars(cube: ValueCube) -> list[tuple[str, Decimal]]:
    donors = list(cube.by_donor().items())
    bars = [
        (cube.donor_name(key) or _("No donor recorded"), value)
        for key, value in donors[:TOP_DONORS]
    ]
    others = donors[TOP_DONORS:]
    if others:
        bars.append(
            (
                ngettext("%(num)d other donor", "%(num)d other donors", len(others)),
                sum((value for _key, value in others), Decimal("0.00")),
            )
        )
    return bars


def _value_by(
    cube: ValueCube,
    chart_id: str,
    title: str,
    category_label: str,
    bars: list[tuple[str, Decimal]],
    colour: str,
) -> ChartPanel:
    currency = cube.currency
    money = _money(currency)
    svg = None
    if bars:
        svg = charts.bar_chart(
            chart_id=chart_id,
            title=title,
            description=_(
                "Value in %(currency)s of the shipments dispatched in the year; the table beside "
                "it gives the figures.",
                currency=currency,
            ),
            value_label=_("Value (%(currency)s)", currency=currency),
            category_label=category_label,
            bars=bars,
            format_value=_money_whole(currency),
            format_tick=_compact,
            colour=colour,
        )
    return ChartPanel(
        chart_id=chart_id,
        heading=title,
        svg=svg,
        empty_text=_("No dispatched value to show for this year."),
        row_header=category_label,
        columns=[_("Value (%(currency)s)", currency=currency)],
        rows=[TableRow(label, [money(value)]) for label, value in bars],
        totals=[money(cube.total())] if bars else [],
    )
