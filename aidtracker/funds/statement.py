"""Cash donations from a bank statement (CSV or .xlsx): every row checked, then all recorded as
paid donations in one transaction, or none.

The columns are the date, the amount, the currency (empty: the fund's), the payer and the
transfer's reference, with English, Polish or Ukrainian headers. The payer must be an
organisation as AidTracker lists it (compared without regard to case or repeated spaces); an
unknown payer, an outgoing payment, or a transfer already recorded in the fund is a row error.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from aidtracker.auth.models import User
from aidtracker.extensions import db
from aidtracker.funds.models import CashDonation, DonationStatus, Fund
from aidtracker.funds.service import FundRefusal, check_donation, record_donation
from aidtracker.imports.reader import Field, Problem, Table, read_table_or_csv
from aidtracker.imports.values import CellError, date_value, decimal, normalise, text
from aidtracker.parties.models import Organisation

STATEMENT_FIELDS = [
    Field(
        "date",
        frozenset(
            {
                "Date",
                "Booking date",
                "Value date",
                "Data",
                "Data operacji",
                "Data księgowania",
                "Дата",
                "Дата операції",
            }
        ),
        required=True,
    ),
    Field("amount", frozenset({"Amount", "Kwota", "Сума"}), required=True),
    Field("currency", frozenset({"Currency", "Waluta", "Валюта"})),
    Field(
        "payer",
        frozenset(
            {"Payer", "Sender", "Nadawca", "Zleceniodawca", "Kontrahent", "Платник", "Відправник"}
        ),
        required=True,
    ),
    Field(
        "reference",
        frozenset(
            {
                "Reference",
                "Title",
                "Description",
                "Tytuł",
                "Tytuł przelewu",
                "Opis",
                "Призначення платежу",
                "Опис",
            }
        ),
    ),
]

# Which statement column a refusal of ``check_donation`` concerns.
_COLUMN_OF = {
    "amount": "amount",
    "currency": "currency",
    "donated_on": "date",
    "donor": "payer",
    "reference": "reference",
}


@dataclass
class StatementRow:
    row: int
    day: date
    donor: Organisation
    amount: Decimal
    currency: str
    reference: str | None


class StatementRefused(Exception):
    """Rows of the statement are wrong; nothing was recorded."""

    def __init__(self, problems: list[Problem]):
        super().__init__(
            ngettext(
                "%(num)d problem in the file; no donation was recorded.",
                "%(num)d problems in the file; no donation was recorded.",
                len(problems),
            )
        )
        self.problems = problems


def check_statement(fund: Fund, source) -> tuple[list[StatementRow], list[Problem]]:
    """The donations the statement `source` would record in `fund`, and the problems of its
    rows (the donations count only when there is none). Raises ImportFileError for a file that
    cannot be read at all. Writes nothing."""
    table = read_table_or_csv(source, STATEMENT_FIELDS)
    problems = list(table.problems)
    if not fund.is_open:
        problems.append(
            Problem(
                table.sheet,
                table.header_row,
                "",
                _("Fund “%(fund)s” is closed: it takes no more donations.", fund=fund.name),
            )
        )
        return [], problems
    donors = {
        normalise(organisation.name): organisation
        for organisation in db.session.scalars(select(Organisation))
    }
    recorded = {
        (d.donor_id, d.donated_on, d.amount, d.currency, d.reference or "")
        for d in db.session.scalars(select(CashDonation).where(CashDonation.fund_id == fund.id))
    }
    rows: list[StatementRow] = []
    seen: set[tuple] = set()
    for row in table.rows:
        found, row_problems = _check_row(fund, table, row, donors)
        if found is not None:
            key = (found.donor.id, found.day, found.amount, found.currency, found.reference or "")
            if key in recorded or key in seen:
                row_problems[_column(table, "reference")] = _(
                    "This transfer is recorded in the fund already (same payer, day, amount "
                    "and reference)."
                )
            seen.add(key)
        for column, message in row_problems.items():
            problems.append(Problem(row.sheet, row.number, column, message))
        if found is not None and not row_problems:
            rows.append(found)
    if not rows and not problems:
        problems.append(Problem(table.sheet, table.header_row, "", _("The file has no rows.")))
    problems.sort(key=lambda problem: problem.row)
    return rows, problems


def _check_row(fund: Fund, table: Table, row, donors) -> tuple[StatementRow | None, dict]:
    problems: dict[str, str] = {}
    cells = row.cells

    def read(name: str, reader):
        try:
            return reader(cells.get(name))
        except CellError as error:
            problems[_column(table, name)] = error.message
            return None

    day = read("date", date_value)
    amount = read("amount", decimal)
    if amount is not None and amount < 0:
        problems[_column(table, "amount")] = _(
            "An outgoing payment: only money received is imported. Remove this row."
        )
        return None, problems
    currency = (read("currency", text) or fund.currency).upper()
    payer = read("payer", text)
    donor = donors.get(normalise(payer)) if payer else None
    if payer and donor is None:
        problems[_column(table, "payer")] = _(
            "No organisation is named “%(name)s”. Add the donor to the organisations first, or "
            "write its name as AidTracker lists it.",
            name=payer,
        )
    reference = read("reference", text)
    if problems:
        return None, problems
    try:
        check_donation(
            fund=fund,
            donor=donor,
            amount=amount,
            currency=currency,
            donated_on=day,
            status=DonationStatus.PAID,
            reference=reference,
        )
    except FundRefusal as refusal:
        column = _column(table, _COLUMN_OF.get(refusal.field or "", "amount"))
        return None, {column: str(refusal)}
    return StatementRow(row.number, day, donor, amount, currency, reference), {}


def _column(table: Table, name: str) -> str:
    return table.columns.get(name) or next(f.title for f in STATEMENT_FIELDS if f.name == name)


def record_statement(fund: Fund, source, *, by: User) -> int:
    """Check the statement again and record all its rows as paid donations in one
    transaction; returns how many. Raises StatementRefused, ImportFileError or FundRefusal."""
    rows, problems = check_statement(fund, source)
    if problems:
        raise StatementRefused(problems)
    for row in rows:
        record_donation(
            fund=fund,
            donor=row.donor,
            amount=row.amount,
            currency=row.currency,
            donated_on=row.day,
            status=DonationStatus.PAID,
            reference=row.reference,
            by=by,
            commit=False,
        )
    db.session.commit()
    return len(rows)


def statement_total(rows: list[StatementRow]) -> dict[str, Decimal]:
    """What the statement adds, per currency (never mixed)."""
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.currency] = totals.get(row.currency, Decimal("0.00")) + row.amount
    return dict(sorted(totals.items()))
