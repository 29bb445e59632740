"""Line values in the reporting currency, and a record of every rate that went into them.

The rule itself is ``aidtracker.money.rates``; this adds what an export needs around it: checking
all rates before the first row is written, converting fast when a rate repeats over thousands of
lines, and listing the rates used on the Parameters sheet.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from aidtracker.money.rates import AppliedRate, MissingRate, RateBook, round_cents
from aidtracker.money.service import missing_rate_message, rate_book

RATE_DIGITS = Decimal("0.00000001")


class ExportRefused(Exception):
    """The report cannot be made as asked; ``messages`` says why, one sentence each."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def missing_rate_messages(problems: Iterable[MissingRate]) -> list[str]:
    return [missing_rate_message(problem) for problem in problems]


@dataclass(frozen=True)
class Converted:
    value: Decimal
    """In the reporting currency, rounded half-up to the cent."""
    rate: Decimal
    """Units of the reporting currency per one unit of the line's currency (to 8 decimals)."""
    rate_date: date | None
    """The newest publication date among the rates used; None when no conversion was needed."""


class Valuation:
    """Converts amounts into one reporting currency with the rates of a RateBook."""

    def __init__(self, book: RateBook, currency: str):
        self.book = book
        self.currency = currency
        self._factors: dict[tuple[str, date], tuple[Decimal, Decimal, date | None]] = {}
        self.rates_used: set[AppliedRate] = set()

    @classmethod
    def checked(cls, currency: str, needs: Iterable[tuple[str, date]]) -> "Valuation":
        """A valuation for `needs` (each line currency and day); raises ExportRefused naming
        every missing rate, before anything is written."""
        needs = list(needs)
        currencies = {source for source, _day in needs} | {currency}
        days = [day for _source, day in needs]
        book = rate_book(currencies, max(days, default=None), since=min(days, default=None))
        wanted = [(source, day) for source, day in needs if source != currency]
        wanted += [(currency, day) for source, day in needs if source != currency]
        missing = book.missing(wanted)
        if missing:
            raise ExportRefused(missing_rate_messages(missing))
        return cls(book, currency)

    def _factor(self, currency: str, on: date) -> tuple[Decimal, Decimal, date | None]:
        key = (currency, on)
        factor = self._factors.get(key)
        if factor is None:
            if currency == self.currency:
                factor = (Decimal(1), Decimal(1), None)
            else:
                source, target = self.book.rate(currency, on), self.book.rate(self.currency, on)
                for applied in (source, target):
                    if applied.rate_date is not None:
                        self.rates_used.add(applied)
                days = [d for d in (source.rate_date, target.rate_date) if d is not None]
                factor = (source.rate, target.rate, max(days) if days else None)
            self._factors[key] = factor
        return factor

    def convert(self, amount: Decimal, currency: str, on: date) -> Converted:
        """`amount` in `currency` on `on`, in the reporting currency: amount × rate(A) / rate(B)."""
        source, target, rate_date = self._factor(currency, on)
        return Converted(
            round_cents(amount * source / target),
            (source / target).quantize(RATE_DIGITS),
            rate_date,
        )


def line_value(quantity: Decimal, unit_value: Decimal) -> Decimal:
    """A line's value in its own currency, to the cent: the figure totals add up."""
    return round_cents(quantity * unit_value)
