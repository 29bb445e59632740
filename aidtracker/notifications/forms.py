from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField
from wtforms.validators import Length, Optional


class NotificationSettingsForm(FlaskForm):
    enabled = BooleanField(_l("E-mail me when a shipment of my organisation moves"))


OUTBOX_STATES = ("sent", "failed", "kept")


class OutboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    recipient = SearchField(_l("Recipient"), validators=[Optional(), Length(max=254)])
    state = SelectField(
        _l("State"),
        choices=lambda: [
            ("", _l("All messages")),
            ("sent", _l("Sent")),
            ("failed", _l("Failed")),
            ("kept", _l("Kept (no mail server)")),
        ],
        default="",
    )
