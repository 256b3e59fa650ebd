"""Session forms: shape of input only; `meetings.session` enforces the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from portal.meetings.forms_agenda import optional_id


class CurrentItemForm(FlaskForm):
    item_id = SelectField(_l("Item to take up now"), coerce=optional_id, validate_choice=False)


class OpenPollForm(FlaskForm):
    where = RadioField(
        _l("How people vote"),
        choices=[
            SelectChoice("room", _l("In the room: hands or paper, the secretary enters the count")),
            SelectChoice("portal", _l("On the portal: each person votes on their phone")),
        ],
        default="room",
        validate_choice=False,  # the view names a wrong choice next to the field
    )
