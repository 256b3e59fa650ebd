"""Proposal forms: shape of input only; services enforce the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.members.models import MAJORITY_TITLES, Majority
from portal.proposals.services import MAX_BODY, MAX_SUMMARY, MAX_TITLE, MAX_WHAT_CHANGES


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
            NumberRange(min=1, message=_l("Reload the page and try again.")),
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
