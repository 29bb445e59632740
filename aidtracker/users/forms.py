"""Forms of the user administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from aidtracker.auth.forms import confirmation_field, new_password_field
from aidtracker.auth.models import LANGUAGE_NAMES, LANGUAGES, Role, SecurityEventKind
from aidtracker.formfields import stripped

ROLE_HELP = _l(
    "Administrators manage users; city staff enter and move shipments; accountants read "
    "everything and export the books; partners see their organisation's shipments."
)


def _optional_id(value) -> int | None:
    """An organisation's id from a select, or None for its empty choice."""
    if value in (None, "", "None"):
        return None
    return int(value)


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, role.label) for role in Role]


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


class UserProfileForm(FlaskForm):
    """Name, role, organisation and language: what an administrator can change later."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter the user's name.")), Length(max=200)],
        filters=[stripped],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(
        _l("Role"),
        choices=role_choices,
        default=Role.STAFF.value,
        invalid_choice_message=_l("Choose one of the roles in the list."),
    )
    organisation = SelectField(
        _l("Organisation"),
        coerce=_optional_id,
        choices=[],
        invalid_value_message=_l("Choose an organisation in the list."),
        invalid_choice_message=_l("Choose an organisation in the list."),
    )
    language = SelectField(
        _l("Language"),
        choices=language_choices,
        default="en",
        invalid_choice_message=_l("Choose one of the languages in the list."),
    )

    def set_organisations(self, organisations) -> None:
        self.organisation.choices = [SelectChoice("", _l("— none —"))] + [
            SelectChoice(organisation.id, organisation.name) for organisation in organisations
        ]


class CreateUserForm(UserProfileForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter the user's e-mail address.")),
            Email(message=_l("Enter an e-mail address such as name@city.example.")),
            Length(max=254),
        ],
        filters=[stripped],
        render_kw={"autocomplete": "off"},
    )
    password = new_password_field(_l("Initial password"))
    confirm = confirmation_field()


class ResetPasswordForm(FlaskForm):
    password = new_password_field()
    confirm = confirmation_field()

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class AccountActionForm(FlaskForm):
    """Deactivate or reactivate: nothing to fill in, but the CSRF token."""


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing; its address can be bookmarked

    q = SearchField(_l("Name or e-mail"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"), choices=lambda: [SelectChoice("", _l("All roles")), *role_choices()], default=""
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("all", _l("Active and deactivated")),
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Deactivated")),
        ],
        default="all",
    )


class SecurityLogFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(
        _l("Event"),
        choices=lambda: (
            [SelectChoice("", _l("All events"))]
            + [SelectChoice(kind.value, kind.label) for kind in SecurityEventKind]
        ),
        default="",
    )
    email = SearchField(_l("E-mail"), validators=[Optional(), Length(max=254)])
