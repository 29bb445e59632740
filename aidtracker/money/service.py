"""Exchange rates in the database: entering, importing from CSV, and loading a RateBook."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.imports.reader import csv_dialect
from aidtracker.money.currencies import known_currencies
from aidtracker.money.models import ExchangeRate
from aidtracker.money.rates import MissingRate, RateBook, RateRule

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 100_000
RATE_QUANTUM = Decimal("0.00000001")

HEADER_NAMES = {
    "date": {"date", "data", "дата", "rate_date", "day"},
    "currency": {"currency", "waluta", "валюта", "code", "kod", "код"},
    "rate": {"rate", "kurs", "курс", "mid", "value"},
}


class RateError(ValueError):
    """A rate cannot be saved as entered; ``problems`` maps each field to its message."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def rate_rule() -> RateRule:
    return RateRule(current_app.config["RATE_RULE"])


def base_currency() -> str:
    return current_app.config["BASE_CURRENCY"]


def rate_book(
    currencies: Iterable[str] | None = None,
    until: date | None = None,
    *,
    since: date | None = None,
) -> RateBook:
    """The rates of `currencies` (all when None) published up to `until`, as a RateBook.

    With `since`, only what amounts of that day and later need under either rule: the rates from
    the last publication before `since` on, not years of history for a report of one week.
    """
    query = select(ExchangeRate.currency, ExchangeRate.rate_date, ExchangeRate.rate)
    if currencies is not None:
        query = query.where(ExchangeRate.currency.in_(sorted(set(currencies))))
    if until is not None:
        query = query.where(ExchangeRate.rate_date <= until)
    if since is not None:
        last_before = (
            select(func.max(ExchangeRate.rate_date).label("day"))
            .where(ExchangeRate.rate_date < since)
            .group_by(ExchangeRate.currency)
        )
        if currencies is not None:
            last_before = last_before.where(ExchangeRate.currency.in_(sorted(set(currencies))))
        earliest_needed = select(func.min(last_before.subquery().c.day)).scalar_subquery()
        query = query.where(ExchangeRate.rate_date >= func.coalesce(earliest_needed, since))
    return RateBook(base_currency(), db.session.execute(query).all(), rule=rate_rule())


def check_rate(currency: str, rate_date: date | None, rate: Decimal | None) -> dict[str, str]:
    """What is wrong with one rate, field by field."""
    problems = {}
    currency = (currency or "").strip().upper()
    if currency not in known_currencies():
        problems["currency"] = _("%(code)s is not an ISO 4217 currency code.", code=currency or "—")
    elif currency == base_currency():
        problems["currency"] = _(
            "%(code)s is the base currency: its rate is always 1.", code=currency
        )
    if rate_date is None:
        problems["rate_date"] = _("Enter the date of the rate.")
    if rate is None:
        problems["rate"] = _("Enter the rate.")
    elif not rate.is_finite() or rate <= 0:
        problems["rate"] = _("The rate must be more than zero.")
    elif rate != rate.quantize(RATE_QUANTUM) or rate >= Decimal("10") ** 10:
        problems["rate"] = _("At most 10 digits before and 8 after the decimal point.")
    return problems


def save_rate(
    *,
    currency: str,
    rate_date: date,
    rate: Decimal,
    source: str | None,
    existing: ExchangeRate | None = None,
) -> ExchangeRate:
    """Add a rate, or change `existing`; raises RateError with field messages."""
    currency = currency.strip().upper()
    problems = check_rate(currency, rate_date, rate)
    if problems:
        raise RateError(problems)
    clash = db.session.scalar(
        select(ExchangeRate).filter_by(currency=currency, rate_date=rate_date)
    )
    if clash is not None and clash is not existing:
        raise RateError(
            {
                "rate_date": _(
                    "A rate for %(currency)s on %(date)s exists already (%(rate)s); "
                    "change that one.",
                    currency=currency,
                    date=rate_date.isoformat(),
                    rate=clash.rate,
                )
            }
        )
    target = existing or ExchangeRate()
    target.currency, target.rate_date, target.rate = currency, rate_date, rate
    target.source = source or None
    db.session.add(target)
    db.session.commit()
    return target


def import_rates_csv(content: bytes, *, replace: bool, source: str | None) -> ImportResult:
    """Check every row of a CSV of rates, then write them all in one transaction, or nothing.

    The columns date, currency and rate may come in any order, with English, Polish or Ukrainian
    headers, separated by commas or semicolons, with decimal points or commas. Existing rates of
    the same currency and day are replaced only when `replace` is set.
    """
    result = ImportResult()
    rows = _read_csv(content, result)
    if result.problems:
        return result
    wanted: dict[tuple[str, date], Decimal] = {}
    for number, currency, rate_date, rate in rows:
        if (currency, rate_date) in wanted and wanted[(currency, rate_date)] != rate:
            result.problems.append(
                RowProblem(
                    number,
                    "date",
                    _(
                        "%(currency)s on %(date)s appears twice with different rates.",
                        currency=currency,
                        date=rate_date.isoformat(),
                    ),
                )
            )
        wanted[(currency, rate_date)] = rate
    if result.problems:
        return result
    existing = {
        (r.currency, r.rate_date): r
        for r in db.session.scalars(
            select(ExchangeRate).where(ExchangeRate.currency.in_({c for c, _ in wanted}))
        )
    }
    for (currency, rate_date), rate in wanted.items():
        current = existing.get((currency, rate_date))
        if current is None:
            db.session.add(
                ExchangeRate(currency=currency, rate_date=rate_date, rate=rate, source=source)
            )
            result.added += 1
        elif current.rate == rate or not replace:
            result.unchanged += 1
        else:
            current.rate, current.source = rate, source
            result.replaced += 1
    db.session.commit()
    return result


def _read_csv(content: bytes, result: ImportResult) -> list[tuple[int, str, date, Decimal]]:
    if len(content) > MAX_CSV_BYTES:
        result.problems.append(RowProblem(0, "", _("The file is larger than 2 MB.")))
        return []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.problems.append(
            RowProblem(
                0,
                "",
                _(
                    "The file is not a text file in UTF-8: "
                    "save it from the spreadsheet as CSV UTF-8."
                ),
            )
        )
        return []
    if not text.strip():
        result.problems.append(RowProblem(0, "", _("The file is empty.")))
        return []
    if "\x00" in text:
        result.problems.append(RowProblem(0, "", _("The file is not a CSV text file.")))
        return []
    reader = csv.reader(io.StringIO(text), csv_dialect(text))
    header = next(reader, None)
    columns = _columns(header or [])
    missing = [name for name in HEADER_NAMES if name not in columns]
    if missing:
        result.problems.append(
            RowProblem(
                1,
                ", ".join(missing),
                _("The first row must name the columns date, currency and rate."),
            )
        )
        return []
    rows = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(rows) >= MAX_CSV_ROWS:
            result.problems.append(
                RowProblem(
                    number, "", _("The file has more than %(count)d rows.", count=MAX_CSV_ROWS)
                )
            )
            break

        def cell(name, row=row):
            index = columns[name]
            return row[index].strip() if index < len(row) else ""

        rate_date = _parse_date(cell("date"))
        if rate_date is None:
            result.problems.append(
                RowProblem(
                    number,
                    "date",
                    _("'%(value)s' is not a date: write it as YYYY-MM-DD.", value=cell("date")),
                )
            )
        rate = _parse_decimal(cell("rate"))
        if rate is None and cell("rate"):
            result.problems.append(
                RowProblem(number, "rate", _("'%(value)s' is not a number.", value=cell("rate")))
            )
        currency = cell("currency").upper()
        for column, message in check_rate(currency, rate_date, rate).items():
            if (column == "rate_date" and rate_date is None) or (
                column == "rate" and rate is None and cell("rate")
            ):
                continue  # explained above
            result.problems.append(RowProblem(number, column, message))
        if rate_date is not None and rate is not None:
            rows.append((number, currency, rate_date, rate))
    if not rows and not result.problems:
        result.problems.append(RowProblem(0, "", _("The file has no rates.")))
    return rows


def _columns(header: list[str]) -> dict[str, int]:
    columns = {}
    for index, title in enumerate(header):
        for name, aliases in HEADER_NAMES.items():
            if title.strip().lower() in aliases and name not in columns:
                columns[name] = index
    return columns


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_decimal(text: str) -> Decimal | None:
    cleaned = text.replace("\u00a0", "").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def missing_rate_message(missing: MissingRate) -> str:
    """What a user is told when money cannot be converted for want of a rate, and what to do."""
    return _(
        "No exchange rate for %(currency)s on %(day)s: enter it on the Exchange rates page.",
        currency=missing.currency,
        day=missing.on.isoformat(),
    )
