"""Donor statement: what each donor's gifts and funds sent in the period, by category and
destination, in the reporting currency, with every line behind the figures; and, per donor, the
cash given (by status), the goods bought from the funds it gave to (pro rata to its share of the
money paid into each fund) and the goods given in kind.

It reads the same lines as the register (``line_rows``), so the statement's grand total is the
register's. The lines sheet is written as rows stream in (in dispatch order, each with its donor);
only the small per donor × category × destination totals are held until the end.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from aidtracker.auth.models import User
from aidtracker.catalogue.models import Category
from aidtracker.funds.models import DonationStatus
from aidtracker.funds.service import CashGiven, FundShares, cash_given, paid_shares
from aidtracker.money.rates import MissingRate, round_cents
from aidtracker.reports.parameters import period_workbook, write_parameters_sheet
from aidtracker.reports.register import enum_labels
from aidtracker.reports.scope import ReportParameters, valuation_needs
from aidtracker.reports.summary import (
    SUBTOTAL_STYLES,
    GrandTotals,
    Place,
    Tally,
    category_key,
    valued_lines,
)
from aidtracker.reports.valuation import (
    ExportRefused,
    Valuation,
    line_value,
    missing_rate_messages,
)
from aidtracker.reports.xlsx import Column, Sheet, Style, quantity_style
from aidtracker.shipments.models import Funding

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
    funds_by_donor: dict[str, "DonorFunds"] = field(default_factory=dict)


@dataclass
class DonorFunds:
    """One donor's cash and what it became, in the reporting currency."""

    name: str
    cash: dict[DonationStatus, Decimal] = field(
        default_factory=lambda: dict.fromkeys(DonationStatus, Decimal("0.00"))
    )
    bought: Decimal = Decimal("0.00")
    """Goods bought from the funds it gave to, its pro rata part."""
    in_kind: Decimal = Decimal("0.00")


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
    # The lines' rates are named first (``period_workbook`` checks them again, cheaply): a
    # missing rate of the goods is what people fix first.
    Valuation.checked(currency, valuation_needs(user, parameters))
    try:
        cash = cash_given(
            start=parameters.date_from,
            end=parameters.date_to,
            currency=currency,
            donor_id=parameters.donor_id,
        )
        shares = paid_shares(parameters.date_to)
    except MissingRate as missing:
        raise ExportRefused(missing_rate_messages([missing])) from None
    fund_goods: dict[int, Decimal] = {}
    in_kind: dict[int, Decimal] = {}
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
            if row.funding == Funding.PURCHASED and row.fund_id is not None:
                fund_goods[row.fund_id] = fund_goods.get(row.fund_id, 0) + converted.value
            elif row.funding == Funding.IN_KIND and row.donor_id is not None:
                in_kind[row.donor_id] = in_kind.get(row.donor_id, 0) + converted.value
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
        totals.funds_by_donor = _write_cash_and_funds(
            workbook.add_sheet(
                _("Cash and funds"),
                [
                    Column(_("Donor"), max_width=40),
                    Column(_("Cash pledged"), Style.MONEY),
                    Column(_("Cash committed"), Style.MONEY),
                    Column(_("Cash paid"), Style.MONEY),
                    Column(
                        _("Goods bought from its funds (%(currency)s)", currency=currency),
                        Style.MONEY,
                    ),
                    Column(_("Goods given in kind (%(currency)s)", currency=currency), Style.MONEY),
                ],
            ),
            currency,
            cash,
            shares,
            fund_goods,
            in_kind,
            {donor_id: group.name for donor_id, group in groups.items() if donor_id is not None},
            parameters.donor_id,
        )
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


def _write_cash_and_funds(
    sheet: Sheet,
    currency: str,
    cash: dict[int, CashGiven],
    shares: dict[int, FundShares],
    fund_goods: dict[int, Decimal],
    in_kind: dict[int, Decimal],
    names: dict[int, str],
    only_donor: int | None,
) -> dict[str, DonorFunds]:
    """Per donor: cash by status, its part of what its funds bought, its goods in kind; then
    each donor's share of each fund, and the method, stated so that the sheet explains itself."""
    donors: dict[int, DonorFunds] = {}

    def donor(donor_id: int, name: str) -> DonorFunds:
        return donors.setdefault(donor_id, DonorFunds(name))

    for donor_id, given in cash.items():
        donor(donor_id, given.name).cash = dict(given.by_status)
    parts: list[tuple] = []
    for fund_id, fund in sorted(shares.items(), key=lambda item: item[1].name.casefold()):
        bought = fund_goods.get(fund_id, Decimal("0.00"))
        for donor_id, paid in sorted(fund.paid_by.items(), key=lambda i: fund.donor_names[i[0]]):
            if only_donor and donor_id != only_donor:
                continue
            share = fund.share(donor_id)
            part = round_cents(bought * share)
            donor(donor_id, fund.donor_names[donor_id]).bought += part
            parts.append(
                (
                    fund.donor_names[donor_id],
                    fund.name,
                    paid,
                    fund.currency,
                    (share * 100).quantize(Decimal("0.001")),
                    bought,
                    part,
                )
            )
    for donor_id, value in in_kind.items():
        donor(donor_id, names.get(donor_id, "")).in_kind += value
    sheet.header(autofilter=False)
    ordered = sorted(donors.values(), key=lambda d: d.name.casefold())
    for entry in ordered:
        sheet.append(
            [
                entry.name,
                entry.cash[DonationStatus.PLEDGED],
                entry.cash[DonationStatus.COMMITTED],
                entry.cash[DonationStatus.PAID],
                entry.bought,
                entry.in_kind,
            ]
        )
    sheet.append(
        [
            _("Total"),
            *(sum((d.cash[status] for d in ordered), Decimal("0.00")) for status in DonationStatus),
            sum((d.bought for d in ordered), Decimal("0.00")),
            sum((d.in_kind for d in ordered), Decimal("0.00")),
        ],
        [Style.BOLD, *[Style.TOTAL_MONEY] * 5],
    )
    sheet.blank()
    sheet.append(
        [
            _("Donor"),
            _("Fund"),
            _("Paid into the fund by the end of the period"),
            _("Fund currency"),
            _("Share of the fund (%)"),
            _("Bought from the fund in the period (%(currency)s)", currency=currency),
            _("Donor's part (%(currency)s)", currency=currency),
        ],
        Style.HEADER,
    )
    for values in parts:
        sheet.append(
            values, [None, None, Style.MONEY, None, Style.DECIMAL, Style.MONEY, Style.MONEY]
        )
    sheet.blank()
    for note in (
        _(
            "Method: the goods bought from a fund in the period are attributed to the donors "
            "of the fund pro rata to their share of the money paid into it by the end of the "
            "period (in the fund's currency). Each donor's part is rounded half-up to the cent, "
            "so the parts may differ from the fund's purchases by a few cents."
        ),
        _(
            "Cash is counted on the day of its current status (pledge, commitment or payment) "
            "and converted at that day's rate; only paid money can be spent."
        ),
        _("Filters other than the donor apply to the goods, not to the cash."),
    ):
        sheet.append([note], Style.WRAP)
    return {entry.name: entry for entry in ordered}
