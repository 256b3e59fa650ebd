"""Agenda forms: shape of input only; `meetings.agenda` enforces the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.viewhelpers import whole_number
from portal.meetings.agenda import MAX_DESCRIPTION, MAX_MINUTES, MAX_TITLE, MIN_MINUTES
from portal.meetings.models import ITEM_KIND_TITLES


def optional_id(value) -> int | None:
    """ "" (nobody, no proposal) as None; an id as a number; anything else as 0 (not a choice)."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    found = whole_number(value)
    return found if found is not None else 0


class ItemForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[lambda value: " ".join((value or "").split())],
        validators=[
            DataRequired(_l("Give the item a title.")),
            Length(max=MAX_TITLE, message=_l("At most %(n)d characters.", n=MAX_TITLE)),
        ],
    )
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, title) for kind, title in ITEM_KIND_TITLES.items()],
        default="discussion",
        validate_choice=False,  # the service names a wrong choice next to the field
    )
    description = TextAreaField(
        _l("What it is about (optional)"),
        validators=[
            Length(max=MAX_DESCRIPTION, message=_l("At most %(n)d characters.", n=MAX_DESCRIPTION))
        ],
    )
    presenter_id = SelectField(
        _l("Who presents it (optional)"), coerce=optional_id, validate_choice=False
    )
    planned_minutes = IntegerField(
        _l("Planned time, in minutes (optional)"),
        validators=[
            Optional(),
            NumberRange(
                MIN_MINUTES,
                MAX_MINUTES,
                message=_l(
                    "A whole number from %(low)d to %(high)d.", low=MIN_MINUTES, high=MAX_MINUTES
                ),
            ),
        ],
    )
    proposal_id = SelectField(
        _l("Proposal it concerns (optional)"), coerce=optional_id, validate_choice=False
    )

    def set_choices(self, presenters, proposals) -> None:
        self.presenter_id.choices = [
            SelectChoice("", _l("Nobody in particular")),
            *(SelectChoice(*choice) for choice in presenters),
        ]
        self.proposal_id.choices = [
            SelectChoice("", _l("No proposal")),
            *(SelectChoice(*choice) for choice in proposals),
        ]
