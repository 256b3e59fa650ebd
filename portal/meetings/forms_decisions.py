"""Form of a decision's follow-up. Shape only: the service checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, Optional, Regexp

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.meetings.decisions import FOLLOW_TITLES, MAX_NOTE
from portal.members.forms import DateInput

STATUS_CHOICES = [SelectChoice(k.value, v) for k, v in FOLLOW_TITLES.items()]


class DecisionFollowUpForm(FlaskForm):
    status = SelectField(
        _l("Where it stands"),
        choices=STATUS_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in STATUS_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    # The choices (active members) are set by the view; "" is nobody.
    responsible = SelectField(
        _l("Who is responsible"),
        coerce=str,
        validate_choice=False,
        validators=[Regexp(r"^[0-9]{0,10}$", message=CHOOSE_FROM_LIST)],
    )
    due = DateInput(
        _l("To be done by (optional)"),
        validators=[Optional()],
        description=_l("Today or a later day."),
    )
    note = TextAreaField(
        _l("Note (optional)"),
        description=_l("What has been done, what is left."),
        validators=[
            Length(
                max=MAX_NOTE, message=_l("This is too long (at most %(n)d characters).", n=MAX_NOTE)
            )
        ],
        render_kw={"rows": 3, "maxlength": MAX_NOTE},
    )
