from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from aidtracker.auth.passwords import MAX_LENGTH, MIN_LENGTH
from aidtracker.auth.service import password_rule_messages

NEW_PASSWORD_HELP = _l(
    "At least %(min)d characters. A few unrelated words make a password that is long and easy "
    "to remember; very common passwords are refused.",
    min=MIN_LENGTH,
)


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(message=_l("Enter your e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class AcceptablePassword:
    """The password rules of ``aidtracker.auth.passwords`` as a field validator, so that a form
    names every problem at once; the service checks the same rules again before saving.

    The account's e-mail is the form's ``email`` field, or the form's ``account_email``.
    """

    def __call__(self, form, field) -> None:
        email_field = form._fields.get("email")
        email = (
            email_field.data if email_field is not None else getattr(form, "account_email", None)
        )
        messages = password_rule_messages(field.data or "", email=email)
        if messages:
            raise ValidationError(" ".join(messages))


def new_password_field(label=None) -> PasswordField:
    return PasswordField(
        label or _l("New password"),
        validators=[
            DataRequired(message=_l("Enter the new password.")),
            AcceptablePassword(),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )


def confirmation_field() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(message=_l("Type the new password a second time.")),
            EqualTo("password", message=_l("The two passwords differ. Type them again.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password = new_password_field()
    confirm = confirmation_field()

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email
