"""Forms of the minutes: notes, a section, the steps, the approval, publishing. Shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Regexp
from wtforms.widgets import HiddenInput

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.core.viewhelpers import MAX_ID
from portal.meetings.minutes import MAX_DECISION, MAX_DISCUSSION, MAX_NOTES

RELOAD = _l("Reload the page and try again.")


def _version():
    return IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(RELOAD), NumberRange(min=1, max=MAX_ID, message=RELOAD)],
    )


def _too_long(n: int):
    return Length(max=n, message=_l("This is too long (at most %(n)d characters).", n=n))


class NotesForm(FlaskForm):
    version = _version()
    notes = TextAreaField(
        _l("General notes"),
        description=_l("Who opened the meeting, what was said outside the agenda. Markdown."),
        validators=[_too_long(MAX_NOTES)],
        render_kw={"rows": 8},
    )


class SectionForm(FlaskForm):
    version = _version()
    discussion = TextAreaField(
        _l("What was said"),
        description=_l("A short summary of the discussion."),
        validators=[_too_long(MAX_DISCUSSION)],
        render_kw={"rows": 6},
    )
    decision_text = TextAreaField(
        _l("What was decided (optional)"),
        description=_l(
            "Leave it empty if nothing was decided. Each decision goes to the register."
        ),
        validators=[_too_long(MAX_DECISION)],
        render_kw={"rows": 3},
    )


class ApproveForm(FlaskForm):
    # Choices are set by the view; "" is none. The service checks the choice.
    poll_id = SelectField(
        _l("The board vote that approved them"),
        coerce=str,
        validate_choice=False,
        validators=[Regexp(r"^[0-9]{0,10}$", message=CHOOSE_FROM_LIST)],
    )
    item_id = SelectField(
        _l("Or: the item of a later meeting that approved them"),
        coerce=str,
        validate_choice=False,
        validators=[Regexp(r"^[0-9]{0,10}$", message=CHOOSE_FROM_LIST)],
    )


class PublishForm(FlaskForm):
    public = BooleanField(
        _l("Also public: anyone can read them, without logging in"),
        default=False,
    )
