"""Programme forms: the shape of input only; the services check the rules and say what is wrong."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.accounts.forms import MultiCheckboxField
from portal.meetings.forms import TimeInput
from portal.members.forms import DateInput
from portal.programmes.models import KIND_TITLES
from portal.programmes.services import (
    MATERIAL_TYPES_TEXT,
    MAX_COVERED,
    MAX_FUNDER,
    MAX_MATERIALS,
    MAX_PLACE,
    MAX_REASON,
    MAX_SUMMARY,
    MAX_TEAM,
    MAX_TITLE,
    MAX_TOPIC,
)
from portal.proposals.attachments import ACCEPT, MAX_FILE_BYTES


class HoursInput(DecimalField):
    """Hours as a number; a comma is read as the decimal mark (12,5), and a text that is no
    number gets a plain message (not WTForms' own)."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [str(valuelist[0]).strip().replace(",", ".")]
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(HOURS_MESSAGE) from error


HOURS_MESSAGE = _l("Give the hours as a number, like 12 or 12.5.")


def _too_long(n: int):
    return Length(max=n, message=_l("This is too long (at most %(n)d characters).", n=n))


class ProgrammeForm(FlaskForm):
    kind = RadioField(
        _l("What kind of programme?"),
        choices=[SelectChoice(kind.value, title) for kind, title in KIND_TITLES.items()],
        validate_choice=False,
    )
    title = StringField(_l("Title"), validators=[_too_long(MAX_TITLE)])
    summary = TextAreaField(
        _l("What you will learn"),
        description=_l("In plain words, for the people who take part."),
        validators=[_too_long(MAX_SUMMARY)],
        render_kw={"rows": 4},
    )
    outcome_ids = MultiCheckboxField(_l("Learning outcomes"), coerce=int, choices=[])
    team = StringField(
        _l("For the team"),
        description=_l("Leave empty if it is for a body, or for people chosen one by one."),
        validators=[_too_long(MAX_TEAM)],
        render_kw={"list": "programme-teams", "autocomplete": "off"},
    )
    body_id = SelectField(_l("Or for the body"), choices=[], validate_choice=False)
    planned_hours = HoursInput(
        _l("Planned hours"), places=1, validators=[Optional()], render_kw={"inputmode": "decimal"}
    )
    starts_on = DateInput(_l("Starts on"), validators=[Optional()])
    ends_on = DateInput(_l("Ends on (optional)"), validators=[Optional()])
    funder = StringField(
        _l("Funder (optional)"),
        description=_l("Who pays for it, for the reports."),
        validators=[_too_long(MAX_FUNDER)],
    )
    trainer_ids = MultiCheckboxField(_l("Trainers"), coerce=int, choices=[])


class SessionForm(FlaskForm):
    day = DateInput(_l("Day"), validators=[Optional()])
    morning = BooleanField(_l("Morning"))
    morning_start = TimeInput(_l("Morning: starts at"), validators=[Optional()])
    morning_end = TimeInput(_l("Morning: ends at"), validators=[Optional()])
    afternoon = BooleanField(_l("Afternoon"))
    afternoon_start = TimeInput(_l("Afternoon: starts at"), validators=[Optional()])
    afternoon_end = TimeInput(_l("Afternoon: ends at"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[_too_long(MAX_PLACE)])
    topic = StringField(
        _l("Topic"),
        description=_l("What the session is about (it is printed on the sheet)."),
        validators=[_too_long(MAX_TOPIC)],
    )
    trainer_ids = MultiCheckboxField(_l("Trainers"), coerce=int, choices=[])


class CancelSessionForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it cancelled?"), validators=[_too_long(MAX_REASON)], render_kw={"rows": 2}
    )


class CoveredForm(FlaskForm):
    covered = TextAreaField(
        _l("What was covered"),
        description=_l("A few lines: what you did and what people learned."),
        validators=[_too_long(MAX_COVERED)],
        render_kw={"rows": 5},
    )


class MaterialForm(FlaskForm):
    material = FileField(
        _l("Add a file"),
        description=_l(
            "You can attach: %(types)s. At most %(size)d MB per file, %(n)d files per session.",
            types=MATERIAL_TYPES_TEXT,
            size=MAX_FILE_BYTES // (1024 * 1024),
            n=MAX_MATERIALS,
        ),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ACCEPT},
    )
    paper_sheet = BooleanField(
        _l("This is the signed paper sheet (only those who read sheets can open it)")
    )


class EnrolMemberForm(FlaskForm):
    member_id = HiddenField()


class EnrolTeamForm(FlaskForm):
    team = SelectField(_l("A whole team"), choices=[], validate_choice=False)


class EnrolBodyForm(FlaskForm):
    body_id = SelectField(_l("A whole body"), choices=[], validate_choice=False)


class WithdrawForm(FlaskForm):
    enrolment_id = HiddenField()
