"""Forms of the record itself. Shape of input only: `integration.services` enforces the rules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.integration import services
from portal.integration.models import CONTRACT_TITLES, CRITERION_TITLES, TEAM_ROLE_TITLES
from portal.members.forms import DateInput

ID_PATTERN = Regexp(r"^[0-9]{0,10}$", message=CHOOSE_FROM_LIST)


def _length(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(n)d characters.", n=limit))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


HOURS_MESSAGE = _l("Write a number of hours, for example 26 or 17.5.")


class HoursField(DecimalField):
    """A number of hours: "17.5" or "17,5". "NaN", "sNaN", "Infinity" and the like, which
    Decimal reads as numbers (a signalling NaN cannot even be compared), are refused."""

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            return
        try:
            value = Decimal(valuelist[0].strip().replace(",", "."))
        except (InvalidOperation, ValueError, TypeError) as error:
            self.data = None
            raise ValueError(str(HOURS_MESSAGE)) from error
        if not value.is_finite():
            self.data = None
            raise ValueError(str(HOURS_MESSAGE))
        self.data = value


def _readable(form, field) -> None:
    """Input that is not a number has its message already: no other check runs."""
    if field.process_errors:
        raise StopValidation()


class _Form(FlaskForm):
    """Input ids carry the form's name: the record page holds several sections' forms at once."""

    id_prefix = "record"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if field.name != "csrf_token":
                field.id = f"{self.id_prefix}-{field.name}"
                field.label.field_id = field.id


class DetailsForm(_Form):
    id_prefix = "details"
    entry_on = DateInput(_l("Entry date"), validators=[DataRequired(_l("Give a date."))])
    planned_end_on = DateInput(_l("Planned end (optional)"), validators=[Optional()])
    contract_type = SelectField(
        _l("Contract"),
        choices=[SelectChoice(k.value, v) for k, v in CONTRACT_TITLES.items()],
        validate_choice=False,  # the service names a wrong choice next to the field
    )
    weekly_hours = HoursField(
        _l("Hours a week (optional)"),
        places=1,
        validators=[
            Optional(),
            _readable,  # before NumberRange, which cannot compare what is not a number
            NumberRange(0.5, 48, message=_l("Give a number of hours from 1 to 48.")),
        ],
    )
    team = StringField(
        _l("Team (optional)"), filters=[_strip], validators=[_length(services.MAX_TEAM)]
    )
    referrer = StringField(
        _l("Who sent the person (optional)"),
        description=_l("The organisation that sent them to us."),
        filters=[_strip],
        validators=[_length(services.MAX_REFERRER)],
    )

    def data_for(self, counsellor=None) -> services.PathwayData:
        return services.PathwayData(
            entry_on=self.entry_on.data,
            planned_end_on=self.planned_end_on.data,
            contract_type=self.contract_type.data or "",
            weekly_hours=self.weekly_hours.data,
            team=self.team.data or "",
            referrer=self.referrer.data or "",
            counsellor=counsellor,
        )


class NewPathwayForm(DetailsForm):
    id_prefix = "new"
    member = SelectField(
        _l("The person"),
        coerce=str,
        validate_choice=False,
        validators=[DataRequired(CHOOSE_FROM_LIST), ID_PATTERN],
    )
    counsellor = SelectField(
        _l("Counsellor who follows the person"),
        coerce=str,
        validate_choice=False,
        validators=[ID_PATTERN],
    )


class EligibilityForm(_Form):
    id_prefix = "eligibility"
    criterion = SelectField(
        _l("Criterion"),
        choices=[SelectChoice(k.value, v) for k, v in CRITERION_TITLES.items()],
        validate_choice=False,
    )
    detail = StringField(
        _l("Detail (optional)"), filters=[_strip], validators=[_length(services.MAX_DETAIL)]
    )
    checked_on = DateInput(_l("Checked on"), validators=[DataRequired(_l("Give a date."))])
    expires_on = DateInput(_l("Ends on (optional)"), validators=[Optional()])


class SuspendForm(_Form):
    id_prefix = "suspend"
    starts_on = DateInput(
        _l("First day of the pause"), validators=[DataRequired(_l("Give a date."))]
    )
    ends_on = DateInput(
        _l("Last day of the pause (optional)"),
        description=_l("Leave empty if you do not know yet."),
        validators=[Optional()],
    )
    reason = TextAreaField(
        _l("Why"),
        validators=[DataRequired(_l("Say why.")), _length(services.MAX_REASON)],
    )


class EndSuspensionForm(_Form):
    id_prefix = "end-pause"
    ends_on = DateInput(_l("Last day of the pause"), validators=[DataRequired(_l("Give a date."))])


class ExtendForm(_Form):
    id_prefix = "extend"
    new_end = DateInput(_l("New planned end"), validators=[DataRequired(_l("Give a date."))])
    reason = TextAreaField(
        _l("Why"),
        validators=[DataRequired(_l("Say why.")), _length(services.MAX_REASON)],
    )


class AssignForm(_Form):
    id_prefix = "assign"
    user = SelectField(
        _l("Person"),
        coerce=str,
        validate_choice=False,
        validators=[DataRequired(CHOOSE_FROM_LIST), ID_PATTERN],
    )
    role = SelectField(
        _l("As"),
        choices=[SelectChoice(k.value, v) for k, v in TEAM_ROLE_TITLES.items()],
        validate_choice=False,
    )
    starts_on = DateInput(_l("First day"), validators=[DataRequired(_l("Give a date."))])
    ends_on = DateInput(_l("Last day (optional)"), validators=[Optional()])
    personal_data = BooleanField(
        _l("Can see personal difficulties"),
        description=_l("Housing, health, money and the like."),
    )


class EndAssignmentForm(_Form):
    id_prefix = "end-assignment"
    ends_on = DateInput(_l("Last day"), validators=[DataRequired(_l("Give a date."))])


class ExitForm(_Form):
    id_prefix = "exit"
    exit_on = DateInput(_l("Exit date"), validators=[DataRequired(_l("Give a date."))])
    outcome = SelectField(
        _l("What happens next"),
        coerce=str,
        validate_choice=False,
        validators=[DataRequired(CHOOSE_FROM_LIST), ID_PATTERN],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[_length(services.MAX_NOTE)])


class ReopenForm(_Form):
    id_prefix = "reopen"
    reason = TextAreaField(
        _l("Why undo the exit"),
        validators=[DataRequired(_l("Say why.")), _length(services.MAX_REASON)],
    )


class BreakGlassForm(_Form):
    id_prefix = "break-glass"
    reason = TextAreaField(
        _l("Why you need to read this record"),
        description=_l("The person will see this text."),
        validators=[
            DataRequired(_l("Say why.")),
            Length(
                min=services.MIN_GLASS_REASON,
                max=services.MAX_GLASS_REASON,
                message=_l(
                    "From %(low)d to %(high)d characters.",
                    low=services.MIN_GLASS_REASON,
                    high=services.MAX_GLASS_REASON,
                ),
            ),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
