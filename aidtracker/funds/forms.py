"""The forms of funds and cash donations; the rules themselves are in ``funds.service``."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from aidtracker.formfields import (
    LocalDecimalField,
    member_of,
    optional_id,
    stripped,
    upper_stripped,
)
from aidtracker.funds.models import DonationStatus
from aidtracker.money.service import base_currency
from aidtracker.parties.forms import organisation_choices


def status_choices(statuses) -> list[SelectChoice]:
    return [SelectChoice(status.value, status.label) for status in statuses]


class FundForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[stripped],
        description=_l("e.g. Lublin Residents' Fundraiser 2022"),
    )
    currency = StringField(
        _l("Currency"),
        filters=[upper_stripped],
        default=base_currency,
        description=_l("The fund keeps its accounts in it; it cannot change later."),
        render_kw={"maxlength": 3, "autocapitalize": "characters"},
    )
    owner = SelectField(_l("Held by"), coerce=optional_id)
    purpose = TextAreaField(_l("Purpose"), filters=[stripped])
    is_open = BooleanField(_l("Open: takes donations and pays for purchases"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = organisation_choices("is_sender", _l("Choose…"))


class DonationForm(FlaskForm):
    donor = SelectField(_l("Donor"), coerce=optional_id)
    amount = LocalDecimalField(_l("Amount"), places=None, validators=[Optional()])
    currency = StringField(
        _l("Currency"),
        filters=[upper_stripped],
        render_kw={"maxlength": 3, "autocapitalize": "characters"},
    )
    donated_on = DateField(_l("Date"), validators=[Optional()], default=date.today)
    status = SelectField(
        _l("Status"),
        coerce=member_of(DonationStatus),
        choices=status_choices(DonationStatus),
        default=DonationStatus.PAID,
        description=_l("Only paid money can be spent; pledges and commitments are shown apart."),
    )
    reference = StringField(
        _l("Receipt or bank reference"), filters=[stripped], validators=[Optional()]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.donor.choices = organisation_choices("is_donor", _l("Choose…"))


class AdvanceForm(FlaskForm):
    """Move a pledge or commitment forward."""

    status = SelectField(_l("New status"), coerce=member_of(DonationStatus))
    on = DateField(_l("On"), validators=[Optional()], default=date.today)


class OverdraftForm(FlaskForm):
    limit = LocalDecimalField(
        _l("Allowed overdraft"),
        places=None,
        validators=[InputRequired(message=_l("Enter an amount, 0 for none."))],
    )
    reason = TextAreaField(_l("Reason"), filters=[stripped])


class StatementImportForm(FlaskForm):
    file = FileField(
        _l("Bank statement"),
        validators=[FileRequired(message=_l("Choose the file to import."))],
        description=_l(
            "CSV or .xlsx with the columns date, amount, currency, payer and reference; each "
            "payer must be an organisation as AidTracker lists it."
        ),
    )


class StatementCommitForm(FlaskForm):
    """What the preview posts back: the checked file, kept while the user looks."""

    token = HiddenField(validators=[DataRequired()])
