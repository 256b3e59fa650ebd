"""Poll forms: the shape of the input only. The vote itself is read by `ballot_from_form`,
the count of an in-room poll by `read_room_count`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
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
        description=_l("Not needed for yes/no and consent. To elect people: one name per line."),
        validators=[Length(max=6000)],
        render_kw={"rows": 5},
    )
    candidates = SelectMultipleField(
        _l("Add members as candidates"),
        description=_l(
            "Choose people from the register: their names are added to the choices. "
            "Hold Ctrl (or Cmd) to choose several on a computer."
        ),
        coerce=str,
        validate_choice=False,
        render_kw={"size": 8},
    )
    seats = IntegerField(
        _l("How many people to elect"),
        description=_l(
            "1 to choose one person or one thing. To elect 3 people to the board, put 3. "
            "Not for yes/no or consent."
        ),
        default=1,
        validators=[
            Optional(),
            NumberRange(min=1, max=50, message=_l("Give a whole number from 1 to 50.")),
        ],
    )
    secret = BooleanField(_l("Secret vote (nobody sees who chose what)"), default=True)
    practice = BooleanField(_l("Practice vote: not counted, for learning"))
    in_room = BooleanField(
        _l("In the room (show of hands or paper)"),
        description=_l(
            "People vote in the meeting room. The secretary enters how many are present and "
            "the count for each answer. Not for choices in order."
        ),
    )
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


# --- The count of an in-room poll ---------------------------------------------------------------

_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass
class RoomCountInput:
    """What the count form sent: the texts as typed (to show them again), the numbers read,
    and the problems of shape, by field ("present", "count:<answer>")."""

    present_text: str = ""
    count_texts: dict[str, str] = field(default_factory=dict)
    present: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _read_number(text: str) -> tuple[int | None, str | None]:
    if not text:
        return None, str(_l("Give a number (0 if nobody)."))
    if _NUMBER.fullmatch(text):
        return int(text), None
    if text.isascii() and text.isdigit():
        return None, str(_l("This number is too big."))
    return None, str(_l("Give a whole number, 0 or more."))


def read_room_count(answers: list[str], form) -> RoomCountInput:
    """Read "present" and "count-<i>" (the i-th of `answers`) from a posted form."""
    result = RoomCountInput(present_text=(form.get("present") or "").strip()[:20])
    result.present, problem = _read_number(result.present_text)
    if problem:
        result.errors["present"] = problem
    for index, answer in enumerate(answers):
        text = (form.get(f"count-{index}") or "").strip()[:20]
        result.count_texts[answer] = text
        value, problem = _read_number(text)
        if problem:
            result.errors[f"count:{answer}"] = problem
        else:
            result.counts[answer] = value
    return result
