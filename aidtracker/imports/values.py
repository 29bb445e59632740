"""Turning one spreadsheet cell into a value, as people type it in Poland, Ukraine and elsewhere.

A cell comes from openpyxl as ``None``, ``str``, ``int``, ``float``, ``bool``, ``datetime`` or
``Decimal``; the same quantity may arrive as the number 12.5, the text "12,5" or " 12.5 " with a
non-breaking space copied from a web page. Each function here takes any of them and returns one
Python type, or raises ``CellError`` with a translated message that quotes the cell, so an import
can put the message in its table of row problems. Nothing here touches Flask but gettext.
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from aidtracker.i18n import Multilingual

# No-break space, narrow no-break space, figure space, thin space: what web pages and French or
# Polish number formats put between thousands.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " "})
_BLANKS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_GROUPED = {sep: re.compile(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3})+") for sep in " ,."}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})([./])(\d{1,2})\2(\d{4})")


class CellError(ValueError):
    """A cell cannot be read as the value its column holds; ``message`` says why, translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalise(value: str) -> str:
    """The form in which spellings are compared: casefolded, blanks collapsed, stripped."""
    # \s matches the no-break and other Unicode spaces too.
    return _BLANKS.sub(" ", value).strip().casefold()


def spellings_of(typed: str) -> list[str]:
    """The text, then each half of a bilingual one: AidTracker's packing lists for Ukraine write
    "Medical / Медичне", and either half names the same thing."""
    halves = [half.strip() for half in typed.split(Multilingual.SEPARATOR)]
    return [typed, *(half for half in halves if half)] if len(halves) > 1 else [typed]


def text(value) -> str | None:
    """The cell as text, stripped (non-breaking spaces too); empty is None.

    A number is written without a trailing ".0": an HS code typed as 1604 arrives from Excel as
    the float 1604.0 and must read "1604". A date cell becomes YYYY-MM-DD.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        result = str(int(value)) if value.is_integer() else format(value, ".15g")
    elif isinstance(value, Decimal):
        result = format(value.normalize(), "f") if value.is_finite() else ""
    elif isinstance(value, datetime):
        result = value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    elif isinstance(value, date):
        result = value.isoformat()
    else:
        result = str(value)
    if not result.isascii():
        result = result.translate(_SPACES)
    return result.strip() or None


def decimal(value) -> Decimal | None:
    """The cell as a Decimal; empty is None; raises ``CellError`` for anything else.

    Numbers may be written "1 234,50" (Polish, Ukrainian), "1,234.50" or "1.234,50" (thousands
    separators, the last separator being the decimal one), "1234,5" or "12.5". A single comma
    is always a decimal comma: "1,250" is one and a quarter, as in Poland and Ukraine. A number
    cell is taken with the 15 significant digits Excel shows, so 0.1 stays 0.1 (not
    0.1000000000000000055...) and a saved =0.1+0.2 is 0.3 (not 0.30000000000000004).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(_("Not a number: %(value)s", value=text(value)))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(_("Not a number: %(value)s", value=value))
        return Decimal(str(int(value)) if value.is_integer() else format(value, ".15g"))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellError(_("Not a number: %(value)s", value=value))
        return value
    typed = text(value)
    if typed is None:
        return None
    number = _parse_number(typed)
    if number is None:
        raise CellError(_("Not a number: %(value)s", value=typed))
    return number


def _parse_number(typed: str) -> Decimal | None:
    cleaned = _BLANKS.sub(" ", typed)
    sign = ""
    if cleaned[:1] in "+-\u2212":
        sign = "-" if cleaned[0] != "+" else ""
        cleaned = cleaned[1:].lstrip()
    commas, points = cleaned.count(","), cleaned.count(".")
    if commas and points:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
    elif commas == 1:
        decimal_mark = ","
    elif points == 1:
        decimal_mark = "."
    else:
        decimal_mark = None  # no separator, or several of one kind: thousands only
    whole, fraction = cleaned, ""
    if decimal_mark is not None:
        whole, _mark, fraction = cleaned.rpartition(decimal_mark)
        if not _DIGITS.fullmatch(fraction):
            return None
        if not whole:
            whole = "0"
    if not _DIGITS.fullmatch(whole):
        separators = {sep for sep in " ,." if sep in whole and sep != decimal_mark}
        if len(separators) != 1 or not _GROUPED[separators.pop()].fullmatch(whole):
            return None
        whole = re.sub(r"\D", "", whole)
    try:
        return Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")
    except InvalidOperation:  # pragma: no cover - the patterns above admit only digits
        return None


def date_value(value) -> date | None:
    """The cell as a date; empty is None; raises ``CellError`` naming the accepted forms.

    Date cells (datetime or date) keep their day. Text may be YYYY-MM-DD, DD.MM.YYYY or
    DD/MM/YYYY, day first as in Poland and Ukraine (an American 05/13/2024 is refused, not turned
    into the 5th of the 13th month). A bare number is refused too: it is a date cell that lost
    its format, and guessing Excel's day count would be wrong on a Mac workbook.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    typed = text(value)
    if typed is None:
        return None
    parsed = None
    if match := _ISO_DATE.fullmatch(typed):
        parsed = _day(int(match[1]), int(match[2]), int(match[3]))
    elif match := _DAY_FIRST.fullmatch(typed):
        parsed = _day(int(match[4]), int(match[3]), int(match[1]))
    if parsed is None:
        raise CellError(
            _(
                "Not a date: %(value)s. Write dates as YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY.",
                value=typed,
            )
        )
    return parsed


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def choice(value, options: dict[str, str]) -> str | None:
    """The canonical value of the cell's spelling in `options`; empty is None.

    `options` maps every accepted spelling to its canonical value, e.g. ``{"pcs": "pcs",
    "szt.": "pcs", "шт": "pcs"}``; spellings are compared normalised (casefolded, blanks
    collapsed), so "Szt." and " SZT. " match. Raises ``CellError`` listing the canonical values.
    """
    typed = text(value)
    if typed is None:
        return None
    if (canonical := options.get(typed.casefold())) is not None:
        return canonical
    key = normalise(typed)
    if key in options:
        return options[key]
    for spelling, canonical in options.items():
        if normalise(spelling) == key:
            return canonical
    allowed = ", ".join(dict.fromkeys(options.values()))
    raise CellError(
        _("%(value)s is not one of the allowed values: %(allowed)s.", value=typed, allowed=allowed)
    )
