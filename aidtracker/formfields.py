"""Form fields and filters that several forms share."""

from decimal import Decimal, InvalidOperation

from wtforms import DecimalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from aidtracker.input_guard import LARGEST_ID


def stripped(text):
    """Drop blanks around typed text (a WTForms filter)."""
    return text.strip() if isinstance(text, str) else text


def upper_stripped(text):
    return text.strip().upper() if isinstance(text, str) else text


def options(labels: dict, empty_label=None) -> list[SelectChoice]:
    """Choices for a select: the keys of `labels` as values, optionally after an empty choice."""
    first = [] if empty_label is None else [SelectChoice("", empty_label)]
    return first + [SelectChoice(str(value), label) for value, label in labels.items()]


def member_of(enum_class):
    """Coerce a posted value to `enum_class`; empty is None.

    An unknown value stays as it is, matches no choice, and the select says "Not a valid choice"
    instead of a coercion error.
    """

    def coerce(value):
        if value in (None, ""):
            return None
        try:
            return enum_class(value)
        except ValueError:
            return value

    return coerce


def service_rule(rule, error_type: type[Exception]):
    """A WTForms validator that runs a service rule on the field's data.

    The rule's `error_type` refusal becomes the field's error message.
    """

    def validate(form, field):
        try:
            rule(field.data)
        except error_type as error:
            raise ValidationError(str(error)) from None

    return validate


def optional_id(value) -> int | None:
    """Coerce a select's value to a row id; empty means none chosen.

    Anything else, including a number too large for an id column, becomes -1: it matches no
    choice (WTForms reports "Not a valid choice") and is safe in a query, where 10**30 would make
    PostgreSQL fail ("integer out of range").
    """
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if abs(number) <= LARGEST_ID else -1


class LocalDecimalField(DecimalField):
    """A number as people type it: "1 234,50" and "1234.50" both mean 1234.50.

    With ``places=None`` a saved value is shown without trailing zeros (250, not 250.000).
    """

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip().replace("\u00a0", "").replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            self.data = Decimal(text)
            if not self.data.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value.")) from None

    def _value(self):
        if self.places is None and isinstance(self.data, Decimal) and not self.raw_data:
            return format(self.data.normalize(), "f")
        return super()._value()
