from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from aidtracker.audit.models import (
    AUDIT_ACTION_LABELS,
    AUDITED_ENTITY_LABELS,
    AuditAction,
    AuditedEntity,
)
from aidtracker.audit.queries import AuditFilters
from aidtracker.formfields import stripped


def _choices(labels: dict, anything) -> list[tuple[str, str]]:
    return [("", anything)] + [(member.value, label) for member, label in labels.items()]


class AuditFilterForm(FlaskForm):
    """The trail's filters, read from the address, so a filtered trail can be bookmarked and
    exported as shown."""

    class Meta:
        csrf = False

    entity = SelectField(
        _l("Record"),
        choices=lambda: _choices(AUDITED_ENTITY_LABELS, _l("Any record")),
        default="",
    )
    action = SelectField(
        _l("Action"), choices=lambda: _choices(AUDIT_ACTION_LABELS, _l("Any action")), default=""
    )
    user = SearchField(
        _l("User's e-mail"), validators=[Optional(), Length(max=254)], filters=[stripped]
    )
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    text = SearchField(
        _l("Reference or name"), validators=[Optional(), Length(max=200)], filters=[stripped]
    )

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The “to” date is before the “from” date."))

    def to_filters(self) -> AuditFilters:
        """The filters the user got right; a wrong one is left out and shows its error."""
        self.validate()

        def valid(field, empty=None):
            return empty if field.errors or not field.data else field.data

        entity, action = valid(self.entity), valid(self.action)
        return AuditFilters(
            entity=AuditedEntity(entity) if entity else None,
            action=AuditAction(action) if action else None,
            user=valid(self.user, ""),
            date_from=valid(self.date_from),
            date_to=valid(self.date_to),
            text=valid(self.text, ""),
        )

    def active_arguments(self) -> dict:
        """The filters in the address, to keep them when paging and exporting."""
        return {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in self.data.items()
            if value not in (None, "")
        }
