"""Reading one cell as people type it: no app, no database."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from aidtracker.imports.values import CellError, choice, date_value, decimal, normalise, text

UNITS = {"pcs": "pcs", "szt.": "pcs", "szt": "pcs", "шт": "pcs", "kg": "kg", "кг": "kg"}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("\u00a0Wool blanket\u00a0 ", "Wool blanket"),
        ("\u202fKoc\u2007wełniany ", "Koc wełniany"),
        (1604.0, "1604"),  # an HS code typed as a number
        (1604, "1604"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (Decimal("250.000"), "250"),
        (Decimal("7.80"), "7.8"),
        (datetime(2024, 5, 1), "2024-05-01"),
        (date(2024, 5, 1), "2024-05-01"),
        (True, "TRUE"),
    ],
)
def test_text_strips_blanks_and_writes_whole_numbers_without_a_point(cell, expected):
    assert text(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, None),
        ("", None),
        (" \u00a0", None),
        (12, Decimal(12)),
        (0.1, Decimal("0.1")),  # not 0.1000000000000000055511151231257827
        (0.1 + 0.2, Decimal("0.3")),  # what Excel shows for a saved =0.1+0.2
        (1e16, Decimal(10**16)),
        (123456789.125, Decimal("123456789.125")),
        (7.8, Decimal("7.8")),
        (Decimal("4.6700"), Decimal("4.6700")),
        ("  7 ", Decimal(7)),
        ("12.5", Decimal("12.5")),
        ("12,5", Decimal("12.5")),
        ("1234,5", Decimal("1234.5")),
        ("1 234,50", Decimal("1234.50")),
        ("1\u00a0234,50", Decimal("1234.50")),
        ("1\u202f234\u202f567", Decimal(1234567)),
        ("1,234.50", Decimal("1234.50")),
        ("1.234,50", Decimal("1234.50")),
        ("1,234,567", Decimal(1234567)),
        ("1.234.567,8", Decimal("1234567.8")),
        ("-3,5", Decimal("-3.5")),
        ("+4", Decimal(4)),
        (",5", Decimal("0.5")),
    ],
)
def test_decimal_reads_numbers_as_people_write_them(cell, expected):
    assert decimal(cell) == expected


@pytest.mark.parametrize(
    "cell", ["12,5x", "twelve", "1,2,3.4", "12 5", "1 23,5", "1..5", "5.", "--5", "1e3", "€ 12"]
)
def test_decimal_refuses_what_is_not_a_number_and_quotes_it(cell):
    with pytest.raises(CellError) as refused:
        decimal(cell)
    assert refused.value.message == f"Not a number: {cell.strip()}"


@pytest.mark.parametrize("cell", [True, float("nan"), float("inf"), Decimal("NaN")])
def test_decimal_refuses_booleans_and_infinities(cell):
    with pytest.raises(CellError, match="Not a number"):
        decimal(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, None),
        ("  ", None),
        (datetime(2025, 6, 30, 0, 0), date(2025, 6, 30)),
        (datetime(2025, 6, 30, 14, 5), date(2025, 6, 30)),
        (date(2025, 6, 30), date(2025, 6, 30)),
        ("2025-06-30", date(2025, 6, 30)),
        (" 2025-6-3 ", date(2025, 6, 3)),
        ("30.06.2025", date(2025, 6, 30)),
        ("3.6.2025", date(2025, 6, 3)),
        ("30/06/2025", date(2025, 6, 30)),
    ],
)
def test_date_value_reads_date_cells_and_the_three_written_forms(cell, expected):
    assert date_value(cell) == expected


@pytest.mark.parametrize(
    "cell", ["06/13/2025", "2025/06/30", "30-06-2025", "31.02.2025", "June 2025", "30.06.25", 45838]
)
def test_date_value_refuses_other_forms_and_names_the_accepted_ones(cell):
    with pytest.raises(CellError) as refused:
        date_value(cell)
    assert refused.value.message == (
        f"Not a date: {cell}. Write dates as YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY."
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("pcs", "pcs"), (" Szt. ", "pcs"), ("ШТ", "pcs"), ("KG", "kg"), ("кг", "kg"), ("", None)],
)
def test_choice_matches_any_accepted_spelling_whatever_the_case(cell, expected):
    assert choice(cell, UNITS) == expected


def test_choice_compares_spellings_given_unnormalised_too():
    assert choice("box", {" Box ": "box", "Karton": "box"}) == "box"
    assert choice("karton", {" Box ": "box", "Karton": "box"}) == "box"


def test_choice_refuses_an_unknown_spelling_and_lists_the_canonical_values_once():
    with pytest.raises(CellError) as refused:
        choice("litres", UNITS)
    assert refused.value.message == "litres is not one of the allowed values: pcs, kg."


def test_normalise_casefolds_and_collapses_blanks():
    assert normalise("  Nazwa\u00a0 towaru\n") == "nazwa towaru"
    assert normalise("STRASSE") == normalise("straße")
