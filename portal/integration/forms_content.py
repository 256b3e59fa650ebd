"""Forms of the record's content (goals, actions, skills, barriers) and of the settings
(skills referential, exit outcomes). Shape only: the services check the rules.

Forms shown once per row (a goal's status, an action's correction) take a `prefix` with the
row's id, so that every field on the record page has its own id and name.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
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

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.integration import content, settings
from portal.integration.models import (
    ACTION_TITLES,
    BARRIER_STATUS_TITLES,
    BARRIER_TITLES,
    GOAL_STATUS_TITLES,
    SKILL_LEVELS,
)
from portal.members.forms import DATE_MESSAGE, DateInput

FILL_IN = _l("Please fill this in.")


def _too_long(n: int):
    return Length(max=n, message=_l("This is too long (at most %(n)d characters).", n=n))


def _choices(titles: dict) -> list[SelectChoice]:
    return [SelectChoice(str(k.value if hasattr(k, "value") else k), v) for k, v in titles.items()]


def _select(label, titles: dict, **kwargs) -> SelectField:
    choices = _choices(titles)
    return SelectField(
        label,
        choices=choices,
        validate_choice=False,
        validators=[AnyOf([c.value for c in choices], message=CHOOSE_FROM_LIST)],
        **kwargs,
    )


class WholeNumber(IntegerField):
    """A whole number; anything else gets a plain message (not WTForms' own)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_l("Give a whole number, for example 30."))) from error


def _text_area(label, limit: int, rows: int = 3, **kwargs) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[_too_long(limit)],
        render_kw={"rows": rows, "maxlength": limit},
        **kwargs,
    )


# --- Goals ---------------------------------------------------------------------------------------


class GoalForm(FlaskForm):
    title = StringField(
        _l("The goal"),
        validators=[DataRequired(FILL_IN), _too_long(content.MAX_GOAL_TITLE)],
        description=_l("In a few words. For example: get a driving licence."),
        render_kw={"maxlength": content.MAX_GOAL_TITLE},
    )
    detail = _text_area(_l("More about it (optional)"), content.MAX_GOAL_DETAIL)
    target_on = DateInput(_l("To reach by (optional)"), validators=[Optional()])


class GoalStatusForm(FlaskForm):
    status = _select(_l("Where it stands now"), GOAL_STATUS_TITLES)
    note = _text_area(_l("Note (optional)"), content.MAX_EVENT_NOTE, rows=2)


# --- Support actions -----------------------------------------------------------------------------


class ActionForm(FlaskForm):
    happened_on = DateInput(_l("Day"), validators=[InputRequired(DATE_MESSAGE)])
    kind = _select(_l("What kind of help"), ACTION_TITLES)
    hours = WholeNumber(
        _l("Hours"),
        validators=[
            Optional(),
            NumberRange(0, 24, message=_l("Give a number of hours from 0 to 24.")),
        ],
        render_kw={"min": 0, "max": 24, "inputmode": "numeric"},
    )
    # The minutes alone may hold the whole time ("90"): up to 24 hours of them.
    minutes = WholeNumber(
        _l("Minutes"),
        validators=[
            Optional(),
            NumberRange(
                0,
                content.MAX_MINUTES,
                message=_l("Give a number of minutes from 0 to %(n)d.", n=content.MAX_MINUTES),
            ),
        ],
        description=_l("How long it took: hours and minutes. At most 24 hours."),
        render_kw={"min": 0, "max": content.MAX_MINUTES, "inputmode": "numeric"},
    )
    notes = _text_area(_l("Notes (optional)"), content.MAX_ACTION_NOTES)

    def total_minutes(self) -> int | None:
        """Hours and minutes together (None when both are empty)."""
        if self.hours.data is None and self.minutes.data is None:
            return None
        return (self.hours.data or 0) * 60 + (self.minutes.data or 0)


# --- Skills --------------------------------------------------------------------------------------


class AssessmentForm(FlaskForm):
    # The choices (skills in use) are set by the view.
    skill = SelectField(
        _l("Skill"),
        coerce=str,
        validate_choice=False,
        validators=[
            DataRequired(CHOOSE_FROM_LIST),
            Regexp(r"^[0-9]{1,10}$", message=CHOOSE_FROM_LIST),
        ],
    )
    level = _select(_l("Level"), {str(k): f"{k} – {v}" for k, v in SKILL_LEVELS.items()})
    assessed_on = DateInput(_l("Day of the assessment"), validators=[InputRequired(DATE_MESSAGE)])
    note = _text_area(_l("Note (optional)"), content.MAX_ASSESSMENT_NOTE, rows=2)


# --- Barriers ------------------------------------------------------------------------------------


class BarrierForm(FlaskForm):
    kind = _select(_l("Kind of difficulty"), BARRIER_TITLES)
    status = _select(_l("Where it stands"), BARRIER_STATUS_TITLES)
    note = _text_area(_l("Note (optional)"), content.MAX_BARRIER_NOTE)


# --- Settings ------------------------------------------------------------------------------------


class SkillForm(FlaskForm):
    area = StringField(
        _l("Area (optional)"),
        validators=[_too_long(settings.MAX_AREA)],
        description=_l("Skills of the same area are shown together."),
        render_kw={"maxlength": settings.MAX_AREA},
    )
    name = StringField(
        _l("Skill"),
        validators=[DataRequired(FILL_IN), _too_long(settings.MAX_SKILL)],
        render_kw={"maxlength": settings.MAX_SKILL},
    )
    description = StringField(
        _l("What it means (optional)"),
        validators=[_too_long(settings.MAX_DESCRIPTION)],
        render_kw={"maxlength": settings.MAX_DESCRIPTION},
    )


class OutcomeForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[_too_long(settings.MAX_OUTCOME)],
        render_kw={"maxlength": settings.MAX_OUTCOME},
    )
    positive = BooleanField(_l("Counts as a good exit"))


class NewOutcomeForm(OutcomeForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(FILL_IN), _too_long(settings.MAX_OUTCOME)],
        render_kw={"maxlength": settings.MAX_OUTCOME},
    )
