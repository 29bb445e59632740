"""Fund ledger: every paid donation and every purchase of one fund in date order, with the
running balance in the fund's currency; pledges and commitments on a sheet of their own.

The entries and their conversion are ``funds.service.fund_ledger``'s, the same as the fund
page's balance, so the ledger's totals are the page's to the cent.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib.metadata import version

from flask_babel import gettext as _

from aidtracker.auth.models import User
from aidtracker.funds.models import DonationStatus, Fund
from aidtracker.funds.service import fund_balance, fund_ledger
from aidtracker.i18n import current_language
from aidtracker.money.service import base_currency
from aidtracker.reports.parameters import generated_at, open_workbook, rule_label, user_label
from aidtracker.reports.xlsx import Column, Style
from aidtracker.shipments.models import ShipmentStatus

ZERO = Decimal("0.00")


def fund_ledger_title() -> str:
    return _("Fund ledger")


def ledger_file_name(fund: Fund) -> str:
    return f"aidtracker-fund-ledger-{fund.id}-{date.today().isoformat()}.xlsx"


@dataclass
class LedgerTotals:
    paid_in: Decimal = ZERO
    spent: Decimal = ZERO

    @property
    def left(self) -> Decimal:
        return self.paid_in - self.spent


def write_fund_ledger(target, user: User, fund: Fund) -> LedgerTotals:
    """Write the ledger of `fund` to `target` (a path or binary file); raises MissingRate
    before anything is written when a conversion has no rate."""
    entries = fund_ledger(fund, language=current_language())
    balance = fund_balance(fund)
    kinds = {"donation": _("Donation"), "purchase": _("Purchase")}
    statuses = {status.value: status.label for status in DonationStatus}
    currency = fund.currency
    title = fund_ledger_title()
    totals = LedgerTotals()
    description = _(
        "%(report)s of %(fund)s, in %(currency)s", report=title, fund=fund.name, currency=currency
    )
    with open_workbook(target, title, description, user) as workbook:
        sheet = workbook.add_sheet(
            _("Ledger"),
            [
                Column(_("Date"), Style.DATE, min_width=11),
                Column(_("Entry")),
                Column(_("Donor or shipment"), max_width=40),
                Column(_("Detail"), max_width=40),
                Column(_("Status")),
                Column(_("Amount"), Style.MONEY),
                Column(_("Currency")),
                Column(_("Paid in (%(currency)s)", currency=currency), Style.MONEY),
                Column(_("Spent (%(currency)s)", currency=currency), Style.MONEY),
                Column(_("Balance (%(currency)s)", currency=currency), Style.MONEY),
            ],
        )
        sheet.header(autofilter=False)
        running = ZERO
        for entry in entries:
            if entry.kind == "donation" and entry.status != DonationStatus.PAID.value:
                continue
            paid_in = entry.in_fund if entry.in_fund > 0 else None
            spent = -entry.in_fund if entry.in_fund < 0 else None
            totals.paid_in += paid_in or ZERO
            totals.spent += spent or ZERO
            running += entry.in_fund
            sheet.append(
                [
                    entry.day,
                    kinds[entry.kind],
                    entry.party,
                    entry.detail,
                    statuses.get(entry.status) or ShipmentStatus(entry.status).label,
                    entry.amount,
                    entry.currency,
                    paid_in,
                    spent,
                    running,
                ]
            )
        sheet.append(
            [
                _("Total"),
                None,
                None,
                None,
                None,
                None,
                None,
                totals.paid_in,
                totals.spent,
                totals.left,
            ],
            [
                Style.BOLD,
                None,
                None,
                None,
                None,
                None,
                None,
                Style.TOTAL_MONEY,
                Style.TOTAL_MONEY,
                Style.TOTAL_MONEY,
            ],
        )

        promised = workbook.add_sheet(
            _("Pledges and commitments"),
            [
                Column(_("Date"), Style.DATE, min_width=11),
                Column(_("Donor"), max_width=40),
                Column(_("Reference"), max_width=40),
                Column(_("Status")),
                Column(_("Amount"), Style.MONEY),
                Column(_("Currency")),
                Column(_("In %(currency)s", currency=currency), Style.MONEY),
            ],
        )
        promised.header()
        for entry in entries:
            if entry.kind == "donation" and entry.status != DonationStatus.PAID.value:
                promised.append(
                    [
                        entry.day,
                        entry.party,
                        entry.detail,
                        statuses[entry.status],
                        entry.amount,
                        entry.currency,
                        entry.in_fund,
                    ]
                )

        parameters = workbook.add_sheet(
            _("Parameters"), [Column(_("Parameter"), Style.BOLD), Column(_("Value"), max_width=70)]
        )
        parameters.append([title], Style.TITLE)
        parameters.blank()
        base = base_currency()
        rows = [
            (_("Fund"), fund.name),
            (_("Held by"), fund.owner.name),
            (_("Fund currency"), currency),
            (_("Open"), _("Yes") if fund.is_open else _("No")),
            (_("Paid in (%(currency)s)", currency=currency), balance.paid_in.own),
            (_("Spent (%(currency)s)", currency=currency), balance.spent.own),
            (_("Left (%(currency)s)", currency=currency), balance.left.own),
            (_("Pledged (%(currency)s)", currency=currency), balance.pledged.own),
            (_("Committed (%(currency)s)", currency=currency), balance.committed.own),
            (_("Left (%(currency)s)", currency=base), balance.left.base),
            (_("Allowed overdraft (%(currency)s)", currency=currency), fund.overdraft_limit),
            (_("Base currency"), base),
            (_("Exchange rate rule"), rule_label()),
            (
                _("Rounding"),
                _("Each donation and line half-up to the cent after conversion; totals add them"),
            ),
            (
                _("Purchases"),
                _(
                    "Purchased lines that draw on the fund, in shipments not cancelled, valued "
                    "on the dispatch date (planned departure before dispatch)"
                ),
            ),
            (_("Generated at"), generated_at()),
            (_("Generated by"), user_label(user)),
            (_("Application"), f"AidTracker {version('aidtracker')}"),
        ]
        for label, value in rows:
            style = Style.MONEY if isinstance(value, Decimal) else None
            parameters.append([label, value], [None, style])
    return totals
