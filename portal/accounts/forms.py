"""Account forms: they check the shape of input; services enforce the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.models import Role
from portal.accounts.passwords import MAX_LENGTH, password_problem

ROLE_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.BOARD: _l("Board member"),
    Role.TRAINER: _l("Trainer"),
    Role.COUNSELLOR: _l("Counsellor"),
    Role.ADMIN: _l("Administrator"),
}
LANGUAGE_CHOICES = [
    SelectChoice("", _l("Same as the browser")),
    SelectChoice("en", "English"),
    SelectChoice("fr", "Français"),
]


def acceptable_password(_form, field) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(str(problem))


CHOOSE_FROM_LIST = _l("Choose one of the answers in the list.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        allowed = {str(choice[0]) for choice in self.iter_choices()}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(str(CHOOSE_FROM_LIST))


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Write your username.")),
            Length(max=64, message=_l("This username is too long.")),
        ],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Write your password.")),
            Length(max=MAX_LENGTH, message=_l("This password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Your current password"),
        validators=[
            DataRequired(_l("Write your current password.")),
            Length(max=MAX_LENGTH, message=_l("This password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters. A few words you can remember are best."),
        validators=[DataRequired(_l("Write a new password.")), acceptable_password],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Write the new password again."))],
        render_kw={"autocomplete": "new-password"},
    )


class NewPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters. A few words you can remember are best."),
        validators=[DataRequired(_l("Write a new password.")), acceptable_password],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Write the new password again."))],
        render_kw={"autocomplete": "new-password"},
    )


class SetupCodeForm(NewPasswordForm):
    code = StringField(
        _l("Your setup code"),
        description=_l("It is on the paper you were given, for example ACDE-FGHJ-KMNP."),
        validators=[
            DataRequired(_l("Write the code from your paper.")),
            Length(max=40, message=_l("This code is too long.")),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )


class ForgotPasswordForm(FlaskForm):
    identifier = StringField(
        _l("Your username or e-mail address"),
        validators=[
            DataRequired(_l("Write your username or your e-mail address.")),
            Length(max=254, message=_l("This is too long.")),
        ],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )


class PreferencesForm(FlaskForm):
    locale = SelectField(
        _l("Language"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in LANGUAGE_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    email = EmailField(
        _l("E-mail address (optional)"),
        description=_l("Only used to send you a link if you forget your password."),
        validators=[
            Optional(),
            Length(max=254, message=_l("This e-mail address is too long.")),
        ],
        render_kw={"autocomplete": "email"},
    )


class AccountForm(FlaskForm):
    username = StringField(
        _l("Username"),
        description=_l("3 to 40 letters, digits, dots or dashes. For example: amina.diallo"),
        validators=[
            DataRequired(_l("Write a username.")),
            Length(min=3, max=40, message=_l("A username has 3 to 40 characters.")),
        ],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    display_name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Write the person's name.")),
            Length(max=120, message=_l("A name has at most 120 characters.")),
        ],
    )
    email = EmailField(
        _l("E-mail address (optional)"),
        validators=[
            Optional(),
            Length(max=254, message=_l("This e-mail address is too long.")),
        ],
    )
    locale = SelectField(
        _l("Language"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in LANGUAGE_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[DataRequired(_l("Choose at least one role."))],
    )


class ConfirmForm(FlaskForm):
    """A button with CSRF protection and nothing else."""

    confirm = BooleanField(default=True)
