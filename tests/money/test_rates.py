"""Money conversion follows the books' rules exactly, to the cent."""

from datetime import date
from decimal import Decimal

import pytest

from aidtracker.money.rates import MissingRate, RateBook, RateRule, round_cents

DEMO_EUR = [
    ("EUR", date(2022, 4, 11), Decimal("4.6450")),
    ("EUR", date(2023, 3, 27), Decimal("4.6800")),
    ("EUR", date(2023, 3, 30), Decimal("4.6700")),
    ("UAH", date(2023, 3, 29), Decimal("0.1170")),
]


def test_the_generator_is_worth_116750_pln_on_its_dispatch_day():
    book = RateBook("PLN", DEMO_EUR)
    assert book.convert(Decimal("25000.00"), "EUR", "PLN", date(2023, 3, 30)) == Decimal(
        "116750.00"
    )


def test_the_latest_rate_on_or_before_the_day_applies():
    book = RateBook("PLN", DEMO_EUR)
    applied = book.rate("EUR", date(2023, 3, 29))
    assert (applied.rate, applied.rate_date) == (Decimal("4.6800"), date(2023, 3, 27))


def test_the_previous_day_rule_never_uses_the_days_own_rate():
    book = RateBook("PLN", DEMO_EUR, rule=RateRule.PREVIOUS_DAY)
    applied = book.rate("EUR", date(2023, 3, 30))
    assert (applied.rate, applied.rate_date) == (Decimal("4.6800"), date(2023, 3, 27))
    assert book.convert(Decimal("25000.00"), "EUR", "PLN", date(2023, 3, 30)) == Decimal(
        "117000.00"
    )


def test_converting_between_two_foreign_currencies_goes_through_the_base():
    book = RateBook("PLN", DEMO_EUR)
    # 1000 UAH × 0.1170 / 4.6700 = 25.0535… EUR
    assert book.convert(Decimal("1000"), "UAH", "EUR", date(2023, 3, 30)) == Decimal("25.05")


def test_pln_into_eur_divides_by_the_rate():
    book = RateBook("PLN", DEMO_EUR)
    assert book.convert(Decimal("41480.00"), "PLN", "EUR", date(2023, 3, 27)) == Decimal("8863.25")


def test_the_base_currency_converts_to_itself_unchanged():
    book = RateBook("PLN", [])
    assert book.convert(Decimal("19640.00"), "PLN", "PLN", date(2023, 2, 14)) == Decimal("19640.00")
    assert book.rate("PLN", date(2023, 2, 14)).rate_date is None


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.005", "0.01"), ("0.0049", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01")],
)
def test_rounding_is_half_up_to_the_cent(amount, expected):
    assert round_cents(Decimal(amount)) == Decimal(expected)


def test_a_missing_rate_names_the_currency_and_the_day_and_is_never_one():
    book = RateBook("PLN", DEMO_EUR)
    with pytest.raises(MissingRate) as problem:
        book.convert(Decimal("10"), "USD", "PLN", date(2023, 3, 30))
    assert (problem.value.currency, problem.value.on) == ("USD", date(2023, 3, 30))
    assert "USD" in str(problem.value)
    assert "2023-03-30" in str(problem.value)


def test_a_rate_published_after_the_day_does_not_count():
    book = RateBook("PLN", DEMO_EUR)
    with pytest.raises(MissingRate):
        book.rate("EUR", date(2022, 4, 10))
    with pytest.raises(MissingRate):
        RateBook("PLN", DEMO_EUR, rule=RateRule.PREVIOUS_DAY).rate("EUR", date(2022, 4, 11))


def test_missing_lists_each_currency_and_day_once():
    book = RateBook("PLN", DEMO_EUR)
    needs = [
        ("USD", date(2023, 1, 2)),
        ("EUR", date(2023, 3, 30)),
        ("USD", date(2023, 1, 2)),
        ("GBP", date(2023, 1, 2)),
        ("EUR", date(2020, 1, 1)),
    ]
    missing = [(m.currency, m.on) for m in book.missing(needs)]
    assert missing == [
        ("EUR", date(2020, 1, 1)),
        ("GBP", date(2023, 1, 2)),
        ("USD", date(2023, 1, 2)),
    ]
