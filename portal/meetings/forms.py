"""Meeting forms: shape of input only; services enforce the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField, TimeField
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
from portal.meetings.models import MEETING_KIND_TITLES, MeetingKind
from portal.meetings.services import (
    MAX_DESCRIPTION,
    MAX_LINK,
    MAX_PLACE,
    MAX_REASON,
    MAX_TITLE,
)
from portal.members.forms import DateInput

TIME_MESSAGE = _l("Write the time like this: 18:30.")


class TimeInput(TimeField):
    """A time picker; a text that is no time gets a plain message (not WTForms' own)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(TIME_MESSAGE) from error


def _too_long(n: int):
    return Length(max=n, message=_l("This is too long (at most %(n)d characters).", n=n))


PERSON = [Regexp(r"^[0-9]{0,10}$", message=CHOOSE_FROM_LIST)]


class MeetingForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the meeting a title.")), _too_long(MAX_TITLE)],
    )
    body_id = SelectField(
        _l("Which body meets"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(CHOOSE_FROM_LIST), NumberRange(min=1, message=CHOOSE_FROM_LIST)],
    )
    kind = SelectField(
        _l("Kind of meeting"),
        choices=[SelectChoice(k.value, MEETING_KIND_TITLES[k]) for k in MeetingKind],
        validate_choice=False,
        validators=[AnyOf([k.value for k in MeetingKind], message=CHOOSE_FROM_LIST)],
        description=_l("A general assembly is ordinary or extraordinary."),
    )
    day = DateInput(_l("Day"), validators=[InputRequired(_l("Choose the day of the meeting."))])
    start = TimeInput(
        _l("Starts at"), validators=[InputRequired(_l("Choose the time the meeting starts."))]
    )
    end = TimeInput(
        _l("Ends at (optional)"),
        validators=[Optional()],
        description=_l("The planned end. It helps people plan their day."),
    )
    place = StringField(
        _l("Place"),
        validators=[_too_long(MAX_PLACE)],
        description=_l("The room and the address, as people will read it."),
    )
    online_link = StringField(
        _l("Online link (optional)"),
        validators=[_too_long(MAX_LINK)],
        description=_l("For people who join from a distance. It starts with https://"),
        render_kw={"inputmode": "url"},
    )
    description = TextAreaField(
        _l("What the meeting is about (optional)"),
        validators=[_too_long(MAX_DESCRIPTION)],
        render_kw={"rows": 4},
    )
    # The choices (active members) are set by the view; "" is nobody yet.
    chair_id = SelectField(
        _l("Chair (optional)"), coerce=str, validate_choice=False, validators=PERSON
    )
    secretary_id = SelectField(
        _l("Secretary, who takes the minutes (optional)"),
        coerce=str,
        validate_choice=False,
        validators=PERSON,
    )


class ConveneForm(FlaskForm):
    override_reason = TextAreaField(
        _l("The board's reason to convene anyway"),
        description=_l("Only needed when the notice period is too short. It is kept."),
        validators=[_too_long(MAX_REASON)],
        render_kw={"rows": 2, "maxlength": MAX_REASON},
    )


class DeleteMeetingForm(FlaskForm):
    """Only the CSRF token: delete a meeting still being planned."""


class CalendarForm(FlaskForm):
    """Only the CSRF token: create, replace or stop the calendar address."""
