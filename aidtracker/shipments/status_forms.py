"""Forms of the shipment page's action panel, the receipt form and the customs details.

Forms only read and parse what was typed; whether a move is allowed, and with which details, is
decided by ``aidtracker.shipments.lifecycle`` through the services.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from aidtracker.shipments.forms import LocalDecimalField
from aidtracker.shipments.models import LineCondition


def _stripped(text):
    return text.strip() if isinstance(text, str) else text


def expected_version(form) -> int:
    """The shipment version the form was rendered from; -1 (matches none) when absent."""
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1


class MoveForm(FlaskForm):
    """One move of the lifecycle; rendered once per allowed action, prefixed with its name."""

    version = HiddenField()
    target = SelectField(_l("Back to"), validate_choice=True)
    on = DateField(
        _l("Date"),
        validators=[Optional()],
        description=_l("The day it happened: today, or earlier if you record it late."),
    )
    location = StringField(
        _l("Where"), validators=[Optional(), Length(max=200)], filters=[_stripped]
    )
    declaration_number = StringField(
        _l("Declaration number"), validators=[Optional(), Length(max=60)], filters=[_stripped]
    )
    border_crossing = StringField(
        _l("Border crossing"), validators=[Optional(), Length(max=120)], filters=[_stripped]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)], filters=[_stripped])

    def set_targets(self, targets, labels) -> None:
        self.target.choices = [SelectChoice(value, labels[value]) for value in targets]


class CustomsDetailsForm(FlaskForm):
    version = HiddenField()
    aid_recognition_code = StringField(
        _l("Aid recognition code"),
        validators=[Optional(), Length(max=60)],
        filters=[_stripped],
        description=_l("Issued to the recipient by Ukraine's humanitarian aid system."),
    )
    aid_recognition_code_issued_on = DateField(_l("Code issued on"), validators=[Optional()])
    border_crossing = StringField(
        _l("Border crossing"), validators=[Optional(), Length(max=120)], filters=[_stripped]
    )


class DistributionReportForm(FlaskForm):
    version = HiddenField()
    submitted_on = DateField(_l("Report submitted on"), validators=[Optional()])


class DeleteDraftForm(FlaskForm):
    version = HiddenField()


CONDITION_CHOICES = [SelectChoice(condition.value, condition.label) for condition in LineCondition]


class ReceiptLineForm(Form):
    """What arrived of one line."""

    line_id = HiddenField()
    received_quantity = LocalDecimalField(
        _l("Received quantity"), places=None, validators=[Optional()]
    )
    condition = SelectField(_l("Condition"), choices=CONDITION_CHOICES, validate_choice=True)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)], filters=[_stripped])

    def line_key(self) -> int | None:
        try:
            return int(self.line_id.data)
        except (TypeError, ValueError):
            return None


class ReceiptForm(FlaskForm):
    version = HiddenField()
    received_on = DateField(
        _l("Received on"),
        validators=[Optional()],
        description=_l("The day the goods were counted; today unless you record it late."),
    )
    note = TextAreaField(
        _l("Note on the receipt"), validators=[Optional(), Length(max=2000)], filters=[_stripped]
    )
    lines = FieldList(FormField(ReceiptLineForm), min_entries=0)
