"""The rules of funds and cash donations: recording, moving from pledged to paid, the balance,
and the check that stops a purchase from spending a fund twice.

A fund's balance is what was paid in less what its purchases cost, in the fund's currency:

- *paid in*: the paid donations, each converted to the fund's currency on the day it was paid;
- *spent*: the purchased shipment lines that draw on the fund, in shipments not cancelled (a
  draft's purchase already holds its money), each converted on the shipment's dispatch date
  (planned departure before dispatch, today for a shipment with neither);
- *left*: paid in less spent. Pledged and committed money is shown apart and cannot be spent.

Every amount is converted with the money module's rule and rounded half-up to the cent, one
donation or line at a time, and then added: the fund page, the ledger and the overdraft check
therefore agree to the cent. The rows come from two narrow queries; the conversion is done in
Python's decimals because SQLite would round binary floats.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from aidtracker.auth.models import User
from aidtracker.auth.permissions import Permission, has_permission
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.database import utcnow
from aidtracker.extensions import db
from aidtracker.funds.models import CashDonation, DonationStatus, Fund
from aidtracker.money.currencies import known_currencies
from aidtracker.money.rates import MissingRate, RateBook, round_cents
from aidtracker.money.service import base_currency, missing_rate_message, rate_book
from aidtracker.parties.models import Organisation
from aidtracker.refusals import FieldRefusal
from aidtracker.shipments.models import Funding, Shipment, ShipmentLine, ShipmentStatus

LARGEST_AMOUNT = Decimal("999999999999.99")
"""What a Money column (14 digits, 2 after the point) holds."""
MAX_NAME = 200
MAX_REFERENCE = 120
MAX_TEXT = 5000
ZERO = Decimal("0.00")

NEXT_STATUSES = {
    DonationStatus.PLEDGED: frozenset({DonationStatus.COMMITTED, DonationStatus.PAID}),
    DonationStatus.COMMITTED: frozenset({DonationStatus.PAID}),
    DonationStatus.PAID: frozenset(),
}
"""Money moves forward only: a pledge is committed or paid, a commitment paid."""


class FundRefusal(FieldRefusal):
    """A fund or donation cannot be saved as asked; `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DonationTransitionNotAllowed(FundRefusal):
    def __init__(self, *, actual: DonationStatus, wanted: DonationStatus) -> None:
        super().__init__(
            _(
                "A %(actual)s donation cannot become %(wanted)s: money moves from pledged to "
                "committed to paid, never back.",
                actual=actual.label.lower(),
                wanted=wanted.label.lower(),
            ),
            "status",
        )
        self.actual = actual
        self.wanted = wanted


class FundOverdrawn(FundRefusal):
    """A purchase would take a fund below zero (or below the overdraft an accountant allowed)."""

    def __init__(self, fund: Fund, shortfall: Decimal) -> None:
        amount = format_currency(shortfall, fund.currency)
        if fund.overdraft_limit:
            message = _(
                "Fund “%(fund)s” cannot pay for this: it would go %(amount)s beyond the "
                "overdraft of %(limit)s an accountant allowed.",
                fund=fund.name,
                amount=amount,
                limit=format_currency(fund.overdraft_limit, fund.currency),
            )
        else:
            message = _(
                "Fund “%(fund)s” cannot pay for this: it would go %(amount)s below zero. Record "
                "the donations that pay for it, or ask an accountant to allow an overdraft.",
                fund=fund.name,
                amount=amount,
            )
        super().__init__(message, "fund")
        self.fund = fund
        self.shortfall = shortfall


class NotPermitted(FundRefusal):
    pass


# --- checking what was typed --------------------------------------------------------------------


def check_amount(amount: Decimal | None, field: str = "amount") -> Decimal:
    """A positive amount in cents that the database can hold; raises FundRefusal."""
    if amount is None:
        raise FundRefusal(_l("Enter the amount."), field)
    if not amount.is_finite() or amount <= 0:
        raise FundRefusal(_l("The amount must be more than zero."), field)
    if amount != amount.quantize(Decimal("0.01")):
        raise FundRefusal(_l("At most two decimals: amounts are in cents."), field)
    if amount > LARGEST_AMOUNT:
        raise FundRefusal(_l("The amount is too large."), field)
    return amount


def check_currency(code: str | None, field: str = "currency") -> str:
    code = (code or "").strip().upper()
    if code not in known_currencies():
        raise FundRefusal(_("%(code)s is not an ISO 4217 currency code.", code=code or "—"), field)
    return code


def _check_day(day: date | None, field: str) -> date:
    if day is None:
        raise FundRefusal(_l("Enter the date."), field)
    if day > date.today():
        raise FundRefusal(_l("The date cannot be in the future."), field)
    return day


def _check_text(value: str | None, limit: int, field: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise FundRefusal(_("At most %(count)d characters.", count=limit), field)
    return value


def _check_convertible(currency: str, to: str, on: date, field: str) -> None:
    """Refuse money whose conversion into the fund's currency has no rate yet."""
    if currency == to:
        return
    try:
        rate_book({currency, to}).convert(Decimal(1), currency, to, on)
    except MissingRate as missing:
        raise FundRefusal(missing_rate_message(missing), field) from None


# --- funds ---------------------------------------------------------------------------------------


def create_fund(
    *, name: str, currency: str, owner: Organisation | None, purpose: str | None, by: User
) -> Fund:
    """Open a new fund; raises FundRefusal (field by field) or NotPermitted."""
    _require(by, Permission.RECORD_DONATIONS)
    fund = Fund(is_open=True, overdraft_limit=ZERO)
    fund.currency = check_currency(currency)
    _fill_fund(fund, name=name, owner=owner, purpose=purpose)
    db.session.add(fund)
    db.session.commit()
    return fund


def update_fund(
    fund: Fund,
    *,
    name: str,
    owner: Organisation | None,
    purpose: str | None,
    is_open: bool,
    by: User,
) -> Fund:
    """Rename, re-purpose, close or reopen a fund. Its currency never changes: its donations
    and purchases were counted in it."""
    _require(by, Permission.RECORD_DONATIONS)
    _fill_fund(fund, name=name, owner=owner, purpose=purpose)
    fund.is_open = is_open
    db.session.commit()
    return fund


def _fill_fund(fund: Fund, *, name: str, owner: Organisation | None, purpose: str | None) -> None:
    name = _check_text(name, MAX_NAME, "name")
    if name is None:
        raise FundRefusal(_l("Name the fund."), "name")
    clash = db.session.scalar(
        select(Fund.id).where(func.lower(Fund.name) == name.lower(), Fund.id != (fund.id or 0))
    )
    if clash is not None:
        raise FundRefusal(_("A fund named “%(name)s” exists already.", name=name), "name")
    if owner is None:
        raise FundRefusal(_l("Choose the organisation that holds the fund."), "owner")
    fund.name = name
    fund.owner = owner
    fund.purpose = _check_text(purpose, MAX_TEXT, "purpose")


def allow_overdraft(fund: Fund, *, limit: Decimal | None, reason: str | None, by: User) -> Fund:
    """Let purchases take `fund` down to minus `limit` (0 withdraws the allowance), recording
    why, who and when. Only accountants (and administrators) may; raises NotPermitted or
    FundRefusal."""
    _require(by, Permission.ALLOW_OVERDRAFT)
    if limit is None:
        raise FundRefusal(_l("Enter the amount the fund may go below zero (0 for none)."), "limit")
    if limit != 0:
        check_amount(limit, "limit")
    reason = _check_text(reason, MAX_TEXT, "reason")
    if limit > 0 and (reason is None or len(reason) < 5):
        raise FundRefusal(_l("Say why the fund may be overdrawn."), "reason")
    fund.overdraft_limit = limit
    fund.overdraft_reason = reason
    fund.overdraft_allowed_by = by
    fund.overdraft_allowed_at = utcnow()
    db.session.commit()
    return fund


def _require(user: User, permission: Permission) -> None:
    if not has_permission(user, permission):
        raise NotPermitted(_("%(user)s may not do this.", user=getattr(user, "email", "?")))


def default_fund(donor: Organisation | None) -> Fund | None:
    """The fund a purchased line draws on when none is named: the donor's own, if it holds
    exactly one open fund."""
    if donor is None:
        return None
    funds = db.session.scalars(
        select(Fund).where(Fund.owner_id == donor.id, Fund.is_open.is_(True)).limit(2)
    ).all()
    return funds[0] if len(funds) == 1 else None


# --- donations -----------------------------------------------------------------------------------


def record_donation(
    *,
    fund: Fund,
    donor: Organisation | None,
    amount: Decimal | None,
    currency: str | None,
    donated_on: date | None,
    status: DonationStatus,
    reference: str | None,
    by: User,
    commit: bool = True,
) -> CashDonation:
    """Record money given or promised to an open fund; raises FundRefusal field by field."""
    _require(by, Permission.RECORD_DONATIONS)
    donation = check_donation(
        fund=fund,
        donor=donor,
        amount=amount,
        currency=currency,
        donated_on=donated_on,
        status=status,
        reference=reference,
    )
    donation.recorded_by = by
    db.session.add(donation)
    if commit:
        db.session.commit()
    return donation


def check_donation(
    *,
    fund: Fund,
    donor: Organisation | None,
    amount: Decimal | None,
    currency: str | None,
    donated_on: date | None,
    status: DonationStatus,
    reference: str | None,
) -> CashDonation:
    """The donation as it would be recorded (not added to the session); raises FundRefusal."""
    if not fund.is_open:
        raise FundRefusal(
            _("Fund “%(fund)s” is closed: it takes no more donations.", fund=fund.name)
        )
    if donor is None:
        raise FundRefusal(_l("Choose the donor."), "donor")
    amount = check_amount(amount)
    currency = check_currency(currency)
    donated_on = _check_day(donated_on, "donated_on")
    if status is DonationStatus.PAID:
        _check_convertible(currency, fund.currency, donated_on, "currency")
    return CashDonation(
        fund_id=fund.id,
        donor_id=donor.id,
        amount=amount,
        currency=currency,
        donated_on=donated_on,
        status=status,
        reference=_check_text(reference, MAX_REFERENCE, "reference"),
    )


def advance_donation(
    donation: CashDonation, *, to: DonationStatus, on: date | None, by: User
) -> CashDonation:
    """Move a donation forward (pledged → committed → paid) on day `on`; raises
    DonationTransitionNotAllowed, FundRefusal or NotPermitted."""
    _require(by, Permission.RECORD_DONATIONS)
    if to not in NEXT_STATUSES[donation.status]:
        raise DonationTransitionNotAllowed(actual=donation.status, wanted=to)
    if not donation.fund.is_open:
        raise FundRefusal(
            _("Fund “%(fund)s” is closed: it takes no more donations.", fund=donation.fund.name)
        )
    on = _check_day(on, "on")
    if on < donation.donated_on:
        raise FundRefusal(
            _(
                "The donation was recorded on %(day)s: it cannot move on before that.",
                day=donation.donated_on.isoformat(),
            ),
            "on",
        )
    if to is DonationStatus.PAID:
        _check_convertible(donation.currency, donation.fund.currency, on, "on")
    donation.status = to
    donation.donated_on = on
    db.session.commit()
    return donation


# --- balances ------------------------------------------------------------------------------------


@dataclass
class Money:
    """An amount in a fund's currency and in the base currency."""

    own: Decimal = ZERO
    base: Decimal = ZERO

    def __add__(self, other: "Money") -> "Money":
        return Money(self.own + other.own, self.base + other.base)

    def __sub__(self, other: "Money") -> "Money":
        return Money(self.own - other.own, self.base - other.base)


@dataclass
class FundBalance:
    currency: str
    base_currency: str
    paid_in: Money
    spent: Money
    pledged: Money
    committed: Money

    @property
    def left(self) -> Money:
        return self.paid_in - self.spent


def purchase_day(dispatch_date: date | None, planned_departure: date | None) -> date:
    """The day a purchase is valued on: dispatch, else planned departure, else today."""
    return dispatch_date or planned_departure or date.today()


def purchase_cost(
    book: RateBook, quantity: Decimal, unit_value: Decimal, currency: str, to: str, on: date
) -> Decimal:
    """What one purchased line costs in currency `to`, to the cent (raises MissingRate)."""
    return book.convert(quantity * unit_value, currency, to, on)


def donation_rows(fund_ids: Iterable[int]):
    """(fund_id, status, amount, currency, donated_on) of the funds' donations."""
    return db.session.execute(
        select(
            CashDonation.fund_id,
            CashDonation.status,
            CashDonation.amount,
            CashDonation.currency,
            CashDonation.donated_on,
        ).where(CashDonation.fund_id.in_(list(fund_ids)))
    ).all()


def purchase_rows(fund_ids: Iterable[int], *, excluding_shipment: int | None = None):
    """(fund_id, quantity, unit_value, currency, day) of the purchases that draw on the funds."""
    statement = (
        select(
            ShipmentLine.fund_id,
            ShipmentLine.quantity,
            ShipmentLine.unit_value,
            ShipmentLine.currency,
            Shipment.dispatch_date,
            Shipment.planned_departure,
        )
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(
            ShipmentLine.fund_id.in_(list(fund_ids)),
            ShipmentLine.funding == Funding.PURCHASED,
            Shipment.status != ShipmentStatus.CANCELLED,
        )
    )
    if excluding_shipment is not None:
        statement = statement.where(Shipment.id != excluding_shipment)
    return db.session.execute(statement).all()


def fund_balances(
    funds: Iterable[Fund], *, excluding_shipment: int | None = None
) -> dict[int, FundBalance]:
    """Each fund's balance by id (see the module's docstring); raises MissingRate naming the
    currency and day of a conversion that has no rate."""
    funds = {fund.id: fund for fund in funds}
    base = base_currency()
    balances = {
        fund_id: FundBalance(fund.currency, base, Money(), Money(), Money(), Money())
        for fund_id, fund in funds.items()
    }
    if not funds:
        return balances
    donations = donation_rows(funds)
    purchases = purchase_rows(funds, excluding_shipment=excluding_shipment)
    currencies = {f.currency for f in funds.values()} | {base}
    currencies |= {row.currency for row in donations} | {row.currency for row in purchases}
    book = rate_book(currencies)
    for fund_id, status, amount, currency, day in donations:
        fund = funds[fund_id]
        money = Money(
            book.convert(amount, currency, fund.currency, day),
            book.convert(amount, currency, base, day),
        )
        balance = balances[fund_id]
        if status is DonationStatus.PAID:
            balance.paid_in += money
        elif status is DonationStatus.COMMITTED:
            balance.committed += money
        else:
            balance.pledged += money
    for fund_id, quantity, unit_value, currency, dispatched, planned in purchases:
        fund = funds[fund_id]
        day = purchase_day(dispatched, planned)
        balances[fund_id].spent += Money(
            purchase_cost(book, quantity, unit_value, currency, fund.currency, day),
            purchase_cost(book, quantity, unit_value, currency, base, day),
        )
    return balances


def fund_balance(fund: Fund) -> FundBalance:
    return fund_balances([fund])[fund.id]


@dataclass(frozen=True)
class Draw:
    """A purchased line as entered: which fund pays, how much, in which currency."""

    index: int
    fund: Fund
    quantity: Decimal
    unit_value: Decimal
    currency: str


def draw_problems(draws: list[Draw], *, shipment: Shipment | None, on: date) -> dict[int, str]:
    """Why some purchases cannot be paid, by line index (on the first line of each fund).

    Only a fund that this shipment would draw more from than it already does is checked, so an
    unrelated edit of a shipment is never refused because a fund is short. The shipment's own
    earlier purchases are left out of the balance, since the entry replaces them.
    """
    problems: dict[int, str] = {}
    if not draws:
        return problems
    funds = {draw.fund.id: draw.fund for draw in draws}
    currencies = {f.currency for f in funds.values()} | {d.currency for d in draws}
    book = rate_book(currencies)
    wanted: dict[int, Decimal] = {}
    first_line: dict[int, int] = {}
    for draw in draws:
        try:
            cost = purchase_cost(
                book, draw.quantity, draw.unit_value, draw.currency, draw.fund.currency, on
            )
        except MissingRate as missing:
            problems[draw.index] = missing_rate_message(missing)
            continue
        wanted[draw.fund.id] = wanted.get(draw.fund.id, ZERO) + cost
        first_line.setdefault(draw.fund.id, draw.index)
    already: dict[int, Decimal] = {}
    if shipment is not None and shipment.id is not None:
        for line in shipment.lines:
            if line.funding is Funding.PURCHASED and line.fund_id in funds:
                day = purchase_day(shipment.dispatch_date, shipment.planned_departure)
                try:
                    cost = purchase_cost(
                        book,
                        line.quantity,
                        line.unit_value,
                        line.currency,
                        funds[line.fund_id].currency,
                        day,
                    )
                except MissingRate:
                    continue
                already[line.fund_id] = already.get(line.fund_id, ZERO) + cost
    growing = [fund_id for fund_id, cost in wanted.items() if cost > already.get(fund_id, ZERO)]
    if not growing:
        return problems
    try:
        balances = fund_balances(
            [funds[fund_id] for fund_id in growing],
            excluding_shipment=shipment.id if shipment is not None else None,
        )
    except MissingRate as missing:
        for fund_id in growing:
            problems.setdefault(first_line[fund_id], missing_rate_message(missing))
        return problems
    for fund_id in growing:
        fund = funds[fund_id]
        if not fund.is_open:
            problems.setdefault(
                first_line[fund_id],
                _("Fund “%(fund)s” is closed: nothing more can be bought from it.", fund=fund.name),
            )
            continue
        after = balances[fund_id].left.own - wanted[fund_id]
        if after < -fund.overdraft_limit:
            problems.setdefault(
                first_line[fund_id], str(FundOverdrawn(fund, -fund.overdraft_limit - after))
            )
    return problems


# --- what a fund's page and ledger list ----------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """One movement of a fund: a donation (paid, or pledged and committed shown apart) or a
    purchase, with its amount in its own currency and in the fund's."""

    day: date
    kind: str
    """"donation" or "purchase"."""
    party: str
    """The donor, or the shipment's reference."""
    detail: str
    """The donation's reference, or the purchased line: "#2 Rice 1 kg"."""
    status: str
    amount: Decimal
    currency: str
    in_fund: Decimal
    """In the fund's currency: positive paid in, negative spent."""
    shipment_reference: str | None = None
    donation_id: int | None = None


def fund_ledger(fund: Fund, *, language: str, donations_of=None) -> list[LedgerEntry]:
    """Every donation and purchase of `fund`, in date order (donations first on a day), each
    converted as ``fund_balances`` converts it; raises MissingRate. `donations_of` narrows the
    donations (a WHERE clause on CashDonation, the user's scope)."""
    scope = [donations_of] if donations_of is not None else []
    donations = db.session.execute(
        select(
            CashDonation.id,
            CashDonation.donated_on,
            CashDonation.status,
            CashDonation.amount,
            CashDonation.currency,
            CashDonation.reference,
            Organisation.name,
        )
        .join(Organisation, Organisation.id == CashDonation.donor_id)
        .where(CashDonation.fund_id == fund.id, *scope)
    ).all()
    purchases = db.session.execute(
        select(
            Shipment.reference,
            Shipment.dispatch_date,
            Shipment.planned_departure,
            Shipment.status,
            ShipmentLine.position,
            CatalogueItem.name_in_sql(language),
            ShipmentLine.quantity,
            ShipmentLine.unit_value,
            ShipmentLine.currency,
        )
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(CatalogueItem, CatalogueItem.id == ShipmentLine.catalogue_item_id)
        .where(
            ShipmentLine.fund_id == fund.id,
            ShipmentLine.funding == Funding.PURCHASED,
            Shipment.status != ShipmentStatus.CANCELLED,
        )
    ).all()
    currencies = {fund.currency} | {row.currency for row in donations + purchases}
    book = rate_book(currencies)
    entries = []
    for donation_id, day, status, amount, currency, reference, donor in donations:
        entries.append(
            LedgerEntry(
                day,
                "donation",
                donor,
                reference or "",
                status.value,
                amount,
                currency,
                book.convert(amount, currency, fund.currency, day),
                donation_id=donation_id,
            )
        )
    for (
        reference,
        dispatched,
        planned,
        status,
        position,
        item,
        quantity,
        value,
        currency,
    ) in purchases:
        day = purchase_day(dispatched, planned)
        cost = purchase_cost(book, quantity, value, currency, fund.currency, day)
        entries.append(
            LedgerEntry(
                day,
                "purchase",
                reference,
                f"#{position} {item}",
                status.value,
                round_cents(quantity * value),
                currency,
                -cost,
                shipment_reference=reference,
            )
        )
    entries.sort(key=lambda e: (e.day, e.kind != "donation", e.party, e.detail))
    return entries


# --- what donors gave, for the donor statement ---------------------------------------------------


@dataclass
class FundShares:
    """Who paid how much into one fund up to a day, in the fund's currency."""

    name: str
    currency: str
    paid_by: dict[int, Decimal]
    donor_names: dict[int, str]

    @property
    def total(self) -> Decimal:
        return sum(self.paid_by.values(), ZERO)

    def share(self, donor_id: int) -> Decimal:
        """The donor's part of the money paid in, as a fraction (0 when nothing was paid)."""
        total = self.total
        return self.paid_by.get(donor_id, ZERO) / total if total else Decimal(0)


def paid_shares(until: date) -> dict[int, FundShares]:
    """For each fund, the money each donor had paid into it by `until` (raises MissingRate)."""
    rows = db.session.execute(
        select(
            Fund.id,
            Fund.name,
            Fund.currency,
            CashDonation.donor_id,
            Organisation.name,
            CashDonation.amount,
            CashDonation.currency,
            CashDonation.donated_on,
        )
        .join(CashDonation, CashDonation.fund_id == Fund.id)
        .join(Organisation, Organisation.id == CashDonation.donor_id)
        .where(CashDonation.status == DonationStatus.PAID, CashDonation.donated_on <= until)
    ).all()
    book = rate_book({row[2] for row in rows} | {row[6] for row in rows})
    shares: dict[int, FundShares] = {}
    for fund_id, fund, fund_currency, donor_id, donor, amount, currency, day in rows:
        entry = shares.setdefault(fund_id, FundShares(fund, fund_currency, {}, {}))
        entry.paid_by[donor_id] = entry.paid_by.get(donor_id, ZERO) + book.convert(
            amount, currency, fund_currency, day
        )
        entry.donor_names[donor_id] = donor
    return shares


@dataclass
class CashGiven:
    """One donor's cash in a period, by status, in a reporting currency."""

    name: str
    by_status: dict[DonationStatus, Decimal]


def cash_given(
    *, start: date, end: date, currency: str, donor_id: int | None = None
) -> dict[int, CashGiven]:
    """Each donor's cash whose current status dates from the period, converted into `currency`
    on its day, by status (raises MissingRate)."""
    statement = (
        select(
            CashDonation.donor_id,
            Organisation.name,
            CashDonation.status,
            CashDonation.amount,
            CashDonation.currency,
            CashDonation.donated_on,
        )
        .join(Organisation, Organisation.id == CashDonation.donor_id)
        .where(CashDonation.donated_on >= start, CashDonation.donated_on <= end)
    )
    if donor_id:
        statement = statement.where(CashDonation.donor_id == donor_id)
    rows = db.session.execute(statement).all()
    book = rate_book({row[4] for row in rows} | {currency})
    given: dict[int, CashGiven] = {}
    for donor, name, status, amount, from_currency, day in rows:
        entry = given.setdefault(donor, CashGiven(name, dict.fromkeys(DonationStatus, ZERO)))
        entry.by_status[status] += book.convert(amount, from_currency, currency, day)
    return given
