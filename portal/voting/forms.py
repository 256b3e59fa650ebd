"""Poll forms: the shape of the input only. The vote itself is read by `ballot_from_form`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.members.models import MAJORITY_TITLES

METHOD_TITLES = {
    "yes_no_abstain": _l("Yes, no or abstain"),
    "consent": _l("Consent: agree, stand aside or object"),
    "single": _l("One choice among several"),
    "approval": _l("Several choices (approval)"),
    "irv": _l("Choices in order (instant runoff)"),
    "schulze": _l("Choices in order (Schulze)"),
}
METHOD_CHOICES = [SelectChoice(k, v) for k, v in METHOD_TITLES.items()]
MAJORITY_CHOICES = [SelectChoice(k.value, v) for k, v in MAJORITY_TITLES.items()]


class PollForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the poll a title.")), Length(max=200)],
    )
    question = TextAreaField(
        _l("The question, in plain words"),
        description=_l("Short sentences. Say what changes if the answer is yes."),
        validators=[Length(max=5000)],
        render_kw={"rows": 4},
    )
    body_id = SelectField(_l("Who votes"), coerce=str, validate_choice=False)
    method = SelectField(
        _l("How people vote"),
        choices=METHOD_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in METHOD_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    options = TextAreaField(
        _l("The choices, one per line"),
        description=_l("Not needed for yes/no and consent."),
        validators=[Length(max=6000)],
        render_kw={"rows": 5},
    )
    secret = BooleanField(_l("Secret vote (nobody sees who chose what)"), default=True)
    practice = BooleanField(_l("Practice vote: not counted, for learning"))
    majority = SelectField(
        _l("Majority needed"),
        choices=MAJORITY_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in MAJORITY_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    abstentions_count = BooleanField(_l("Abstentions count as votes cast"))
    quorum_percent = IntegerField(
        _l("Quorum (%)"),
        description=_l("Leave empty to use the body's rule."),
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message=_l("Give a whole number from 0 to 100.")),
        ],
    )
    seats = IntegerField(
        _l("How many are chosen"),
        default=1,
        validators=[
            Optional(),
            NumberRange(min=1, max=50, message=_l("Give a whole number from 1 to 50.")),
        ],
    )
    min_choices = IntegerField(
        _l("Fewest choices per person (approval)"),
        validators=[Optional(), NumberRange(min=0, max=30)],
    )
    max_choices = IntegerField(
        _l("Most choices per person (approval)"),
        validators=[Optional(), NumberRange(min=0, max=30)],
    )


class StepForm(FlaskForm):
    transition = StringField(validators=[DataRequired()])
    comment = TextAreaField(_l("Reason (to cancel)"), validators=[Length(max=1000)])


class ProxyForm(FlaskForm):
    holder_id = SelectField(_l("Who votes for you"), coerce=str, validate_choice=False)


class ConfirmForm(FlaskForm):
    pass
