"""Proposal forms: shape of input only; services enforce the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import HiddenInput

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.core.viewhelpers import MAX_ID
from portal.members.forms import DateInput
from portal.members.models import MAJORITY_TITLES, Majority
from portal.proposals.models import FOLLOW_STATUS_TITLES
from portal.proposals.services import (
    MAX_ANSWER,
    MAX_BODY,
    MAX_FOLLOW_NOTE,
    MAX_SUMMARY,
    MAX_TITLE,
    MAX_WHAT_CHANGES,
)


class ProposalForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Give the proposal a title.")),
            Length(max=MAX_TITLE, message=_l("The title is too long.")),
        ],
    )
    summary = TextAreaField(
        _l("What do you propose? In plain words"),
        description=_l("One or two short sentences, at most %(n)d characters.", n=MAX_SUMMARY),
        validators=[
            DataRequired(_l("Say in a few plain words what you propose.")),
            Length(max=MAX_SUMMARY, message=_l("The summary is too long.")),
        ],
        render_kw={"rows": 3, "maxlength": MAX_SUMMARY},
    )
    what_changes = TextAreaField(
        _l("What changes for me? (optional)"),
        description=_l("What a worker will notice in their day if it is adopted."),
        validators=[Length(max=MAX_WHAT_CHANGES, message=_l("This is too long."))],
        render_kw={"rows": 4, "maxlength": MAX_WHAT_CHANGES},
    )
    body = TextAreaField(
        _l("Full text (optional)"),
        description=_l("You can use Markdown: **bold**, *italic*, lists with -, titles with ##."),
        validators=[Length(max=MAX_BODY, message=_l("The text is too long."))],
        render_kw={"rows": 12},
    )
    body_id = SelectField(
        _l("Who decides"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(CHOOSE_FROM_LIST), NumberRange(min=1, message=CHOOSE_FROM_LIST)],
    )
    version = HiddenField()


class EditProposalForm(ProposalForm):
    version = IntegerField(
        widget=HiddenInput(),
        validators=[
            InputRequired(_l("Reload the page and try again.")),
            NumberRange(min=1, max=MAX_ID, message=_l("Reload the page and try again.")),
        ],
    )


class StartVoteForm(FlaskForm):
    majority = SelectField(
        _l("Majority needed"),
        choices=[SelectChoice(m.value, MAJORITY_TITLES.get(m, m.value)) for m in Majority],
        validate_choice=False,
        validators=[AnyOf([m.value for m in Majority], message=CHOOSE_FROM_LIST)],
    )
    secret = BooleanField(_l("Secret vote"), default=True)


class AnswerForm(FlaskForm):
    # Field names are unique on the proposal page (other sections have their own forms).
    answer = TextAreaField(
        _l("The board's answer"),
        description=_l("Plain words. Leave it empty and save to remove the answer."),
        validators=[
            Length(
                max=MAX_ANSWER,
                message=_l("This is too long (at most %(n)d characters).", n=MAX_ANSWER),
            )
        ],
        render_kw={"rows": 5, "maxlength": MAX_ANSWER},
    )


FOLLOW_STATUS_CHOICES = [SelectChoice(k.value, v) for k, v in FOLLOW_STATUS_TITLES.items()]


class FollowUpForm(FlaskForm):
    follow_status = SelectField(
        _l("Where it stands"),
        choices=FOLLOW_STATUS_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in FOLLOW_STATUS_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    # The choices (active members) are set by the view; "" is nobody.
    follow_responsible = SelectField(
        _l("Who is responsible"),
        coerce=str,
        validate_choice=False,
        validators=[Regexp(r"^[0-9]{0,10}$", message=CHOOSE_FROM_LIST)],
    )
    follow_due = DateInput(
        _l("To be done by (optional)"),
        validators=[Optional()],
        description=_l("Today or a later day."),
    )
    follow_note = TextAreaField(
        _l("Note (optional)"),
        description=_l("What has been done, what is left."),
        validators=[
            Length(
                max=MAX_FOLLOW_NOTE,
                message=_l("This is too long (at most %(n)d characters).", n=MAX_FOLLOW_NOTE),
            )
        ],
        render_kw={"rows": 3, "maxlength": MAX_FOLLOW_NOTE},
    )
