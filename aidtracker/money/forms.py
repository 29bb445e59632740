from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, Form, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from aidtracker.formfields import LocalDecimalField, stripped, upper_stripped


class RateForm(FlaskForm):
    currency = StringField(
        _l("Currency"),
        validators=[DataRequired(message=_l("Enter the currency code, e.g. EUR."))],
        filters=[upper_stripped],
        description=_l("ISO 4217 code, e.g. EUR, UAH, USD."),
        render_kw={"maxlength": 3, "autocapitalize": "characters"},
    )
    rate_date = DateField(
        _l("Date"), validators=[InputRequired(message=_l("Enter the date of the rate."))]
    )
    rate = LocalDecimalField(
        _l("Rate"),
        places=None,
        validators=[InputRequired(message=_l("Enter the rate."))],
        description=_l("Units of the base currency for one unit of the currency."),
    )
    source = StringField(
        _l("Source"),
        validators=[Optional(), Length(max=100)],
        filters=[stripped],
        description=_l("Where the rate comes from, e.g. NBP table A 062/A/NBP/2023."),
    )


class RateImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file to import."))],
        description=_l(
            "Columns date (YYYY-MM-DD), currency and rate, in any order, separated by commas or "
            "semicolons; at most 2 MB."
        ),
    )
    replace = BooleanField(_l("Replace rates that differ from the file"))
    source = StringField(_l("Source"), validators=[Optional(), Length(max=100)], filters=[stripped])


class RateFilterForm(Form):
    currency = StringField(_l("Currency"), filters=[upper_stripped])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
