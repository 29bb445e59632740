"""Converting money between currencies through the base currency: the rules of the books.

Pure: no Flask, no database. A ``RateBook`` holds the rates that were loaded; ``convert`` applies
DESIGN.md's rule: a value in currency A becomes ``value × rate(A) / rate(B)`` in currency B, each
rate being the latest one on or before the day (or, with ``RateRule.PREVIOUS_DAY``, the last one
strictly before it, as Poland's Accounting Act asks of the NBP average rate), rounded half-up to the
cent after conversion. A missing rate is an error that names the currency and the day, never 1.0.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class RateRule(StrEnum):
    ON_OR_BEFORE = "on_or_before"
    """The latest rate published on the day or before it."""
    PREVIOUS_DAY = "previous_day"
    """The last rate published strictly before the day."""


class MissingRate(LookupError):
    """No rate for `currency` is known for `on` under the rule in force."""

    def __init__(self, currency: str, on: date):
        super().__init__(f"no exchange rate for {currency} on {on.isoformat()}")
        self.currency = currency
        self.on = on


@dataclass(frozen=True)
class AppliedRate:
    currency: str
    rate: Decimal
    """Units of the base currency per one unit of `currency`."""
    rate_date: date | None
    """The day the rate was published; None for the base currency itself."""


class RateBook:
    """The known rates of some currencies against one base currency."""

    def __init__(
        self,
        base: str,
        rates: Iterable[tuple[str, date, Decimal]],
        rule: RateRule = RateRule.ON_OR_BEFORE,
    ):
        self.base = base
        self.rule = RateRule(rule)
        by_currency: dict[str, list[tuple[date, Decimal]]] = {}
        for currency, rate_date, rate in rates:
            by_currency.setdefault(currency, []).append((rate_date, Decimal(rate)))
        self._dates = {c: [d for d, _ in sorted(rows)] for c, rows in by_currency.items()}
        self._rates = {c: [r for _, r in sorted(rows)] for c, rows in by_currency.items()}

    def rate(self, currency: str, on: date) -> AppliedRate:
        """The rate of `currency` that applies on `on`; raises MissingRate."""
        if currency == self.base:
            return AppliedRate(currency, Decimal(1), None)
        dates = self._dates.get(currency, [])
        find = bisect_right if self.rule is RateRule.ON_OR_BEFORE else bisect_left
        index = find(dates, on) - 1
        if index < 0:
            raise MissingRate(currency, on)
        return AppliedRate(currency, self._rates[currency][index], dates[index])

    def convert(self, amount: Decimal, currency: str, to: str, on: date) -> Decimal:
        """`amount` in `currency` expressed in `to` on `on`, rounded half-up to the cent."""
        source, target = self.rate(currency, on), self.rate(to, on)
        return round_cents(amount * source.rate / target.rate)

    def missing(self, needs: Iterable[tuple[str, date]]) -> list[MissingRate]:
        """Every (currency, day) of `needs` that has no rate, each once, in order."""
        problems: dict[tuple[str, date], MissingRate] = {}
        for currency, on in needs:
            try:
                self.rate(currency, on)
            except MissingRate as problem:
                problems.setdefault((currency, on), problem)
        return sorted(problems.values(), key=lambda p: (p.currency, p.on))


def round_cents(amount: Decimal) -> Decimal:
    """Half-up to the cent, as bookkeeping rounds (not banker's rounding)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
