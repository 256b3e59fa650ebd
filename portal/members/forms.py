"""Register forms: the shape of the input only; the services enforce the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from portal.accounts.forms import CHOOSE_FROM_LIST, MultiCheckboxField
from portal.members.models import (
    BODY_KIND_TITLES,
    MAJORITY_TITLES,
    POSITION_TITLES,
)

DATE_MESSAGE = _l("Give a date, for example 31/03/2026.")
LANGUAGE_TITLES = {"en": "English", "fr": "Français"}


def language_choices(languages) -> list[SelectChoice]:
    return [SelectChoice(code, LANGUAGE_TITLES.get(code, code)) for code in languages]


class DateInput(DateField):
    """A date picker; a text that is no date gets a plain message (not WTForms' own)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(DATE_MESSAGE) from error


class MemberForm(FlaskForm):
    given_name = StringField(
        _l("First name"),
        validators=[DataRequired(_l("Please fill this in.")), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    family_name = StringField(
        _l("Family name"),
        validators=[DataRequired(_l("Please fill this in.")), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    member_number = StringField(
        _l("Member number"),
        description=_l("Leave empty to get the next number."),
        validators=[Length(max=20)],
    )
    category_id = SelectField(_l("College"), coerce=str, validate_choice=False)
    team = StringField(_l("Team or workplace"), validators=[Length(max=80)])
    preferred_language = SelectField(_l("Language"), validate_choice=False)
    email = EmailField(_l("E-mail (optional)"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Phone (optional)"), validators=[Optional(), Length(max=40)])
    contact_consent = BooleanField(_l("Other members may see this e-mail and phone number"))
    applied_on = DateInput(
        _l("Asked to become a member on"),
        validators=[Optional()],
        description=_l("Leave empty for today."),
    )


class TransitionForm(FlaskForm):
    transition = StringField(validators=[DataRequired()])
    effective_on = DateInput(
        _l("From"),
        validators=[InputRequired(DATE_MESSAGE)],
        description=_l("The day the decision takes effect (for example the board meeting)."),
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Length(max=1000, message=_l("The reason is too long."))],
        render_kw={"rows": 2, "maxlength": 1000},
    )


class CategoryChangeForm(FlaskForm):
    # Own ids: the member's page also shows the lifecycle form, with fields of the same names.
    category_id = SelectField(
        _l("New college"), coerce=str, validate_choice=False, id="college-category"
    )
    effective_on = DateInput(
        _l("From"), validators=[InputRequired(DATE_MESSAGE)], id="college-effective-on"
    )
    reason = StringField(_l("Reason"), validators=[Length(max=1000)], id="college-reason")


class PreferencesForm(FlaskForm):
    preferred_language = SelectField(_l("My language"), validate_choice=False)
    email = EmailField(_l("My e-mail (optional)"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("My phone (optional)"), validators=[Optional(), Length(max=40)])
    contact_consent = BooleanField(_l("Other members may see my e-mail and phone number"))


class LinkAccountForm(FlaskForm):
    username = StringField(
        _l("Username of the account"), validators=[DataRequired(_l("Please fill this in."))]
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token (and a confirmation box where the template shows one)."""

    confirm = BooleanField(_l("Yes, I am sure"))


class CategoryForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please fill this in.")), Length(max=80)]
    )
    description = StringField(_l("In a few words (optional)"), validators=[Length(max=300)])
    vote_weight = IntegerField(
        _l("Vote weight"),
        description=_l(
            "1 for one vote per person. 2 means each vote of this college counts twice."
        ),
        validators=[
            InputRequired(_l("Give a whole number from 1 to 100.")),
            NumberRange(min=1, max=100, message=_l("Give a whole number from 1 to 100.")),
        ],
    )
    body_ids = MultiCheckboxField(_l("Votes in"), coerce=str)


MAJORITY_CHOICES = [SelectChoice(k.value, v) for k, v in MAJORITY_TITLES.items()]
KIND_CHOICES = [SelectChoice(k.value, v) for k, v in BODY_KIND_TITLES.items()]
POSITION_CHOICES = [SelectChoice(k.value, v) for k, v in POSITION_TITLES.items()]


class BodyForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=KIND_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in KIND_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    name = StringField(_l("Name"), validators=[Length(max=120)])
    description = TextAreaField(
        _l("What it does, in plain words"),
        validators=[Length(max=2000)],
        render_kw={"rows": 3},
    )
    quorum_percent = IntegerField(
        _l("Quorum (%)"),
        description=_l("Share of the members who must be present or represented to decide."),
        validators=[
            InputRequired(_l("Give a whole number from 0 to 100.")),
            NumberRange(min=0, max=100, message=_l("Give a whole number from 0 to 100.")),
        ],
    )
    notice_days = IntegerField(
        _l("Notice (days)"),
        description=_l("How many days before a meeting the invitation must be sent."),
        validators=[
            InputRequired(_l("Give a whole number from 0 to 365.")),
            NumberRange(min=0, max=365, message=_l("Give a whole number from 0 to 365.")),
        ],
    )
    default_majority = SelectField(
        _l("Usual majority"),
        choices=MAJORITY_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in MAJORITY_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    proxy_cap = IntegerField(
        _l("Proxies one person may hold"),
        validators=[
            InputRequired(_l("Give a whole number from 0 to 20.")),
            NumberRange(min=0, max=20, message=_l("Give a whole number from 0 to 20.")),
        ],
    )
    support_percent = IntegerField(
        _l("Supports for a proposal (%)"),
        description=_l("Share of the members who must support a proposal before it is voted on."),
        validators=[
            InputRequired(_l("Give a whole number from 0 to 100.")),
            NumberRange(min=0, max=100, message=_l("Give a whole number from 0 to 100.")),
        ],
    )
    support_minimum = IntegerField(
        _l("Supports for a proposal: at least"),
        description=_l("Even in a small body, a proposal needs at least this many supports."),
        validators=[
            InputRequired(_l("Give a whole number from 1 to 10000.")),
            NumberRange(min=1, max=10_000, message=_l("Give a whole number from 1 to 10000.")),
        ],
    )
    active = BooleanField(_l("In use"), default=True)


class MandateForm(FlaskForm):
    member_id = SelectField(_l("Person"), coerce=str, validate_choice=False)
    position = SelectField(
        _l("Position"),
        choices=POSITION_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in POSITION_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    starts_on = DateInput(_l("First day"), validators=[InputRequired(DATE_MESSAGE)])
    ends_on = DateInput(
        _l("Last day (optional)"),
        validators=[Optional()],
        description=_l("Leave empty when the end is not known yet."),
    )
    note = StringField(_l("Note (optional)"), validators=[Length(max=200)])


class EndMandateForm(FlaskForm):
    ends_on = DateInput(_l("Last day"), validators=[InputRequired(DATE_MESSAGE)])


class RemoveMandateForm(FlaskForm):
    reason = StringField(
        _l("Why remove it?"),
        validators=[DataRequired(_l("Please say why, in a few words.")), Length(max=200)],
    )
