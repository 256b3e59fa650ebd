"""Attendance forms: shape of input only; `meetings.attendance` enforces the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.meetings.attendance import MAX_CODE
from portal.meetings.forms_agenda import optional_id
from portal.meetings.minutes_record import MAX_REASON
from portal.meetings.models import ATTENDANCE_TITLES


class StatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(status.value, title) for status, title in ATTENDANCE_TITLES.items()],
        validate_choice=False,  # the service names a wrong choice next to the field
    )
    holder_id = SelectField(
        _l("Proxy holder (when represented)"), coerce=optional_id, validate_choice=False
    )
    # Shown once the minutes are approved: the service then requires it (a correction).
    reason = TextAreaField(
        _l("Why you correct it"),
        description=_l("The minutes are approved: your reason is kept with their new version."),
        validators=[
            Length(
                max=MAX_REASON,
                message=_l("This is too long (at most %(n)d characters).", n=MAX_REASON),
            )
        ],
        render_kw={"rows": 2, "maxlength": MAX_REASON},
    )


class CheckInForm(FlaskForm):
    code = StringField(
        _l("The meeting's code"),
        filters=[lambda value: "".join((value or "").split())],
        validators=[
            DataRequired(_l("Type the meeting's code.")),
            Length(max=MAX_CODE, message=_l("At most %(n)d characters.", n=MAX_CODE)),
        ],
        description=_l("It is shown in the room. Capital or small letters: both work."),
    )
