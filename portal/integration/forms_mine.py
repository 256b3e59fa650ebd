"""Forms of the member's own pages and of the answer to a correction request. Shape only: the
services (`rectification.py`) check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf

from portal.accounts.forms import CHOOSE_FROM_LIST
from portal.integration.models import RequestStatus
from portal.integration.rectification import ANSWER_MAX, TEXT_MAX

# Lengths are checked by the service (one message, whatever the way in); maxlength helps typing.
ANSWER_CHOICES = [
    SelectChoice(RequestStatus.CORRECTED.value, _l("Corrected: the record now says it right")),
    SelectChoice(RequestStatus.REFUSED.value, _l("Not changed: say why below")),
]


def answer_prefix(request_id: int) -> str:
    """Each open request has its own form on the record page: field names and ids differ."""
    return f"request-{request_id}"


class CorrectionForm(FlaskForm):
    text = TextAreaField(
        _l("What is wrong, and what should it say?"),
        description=_l("Write it in your own words. Your counsellor will answer you."),
        render_kw={"rows": 6, "maxlength": TEXT_MAX},
    )


class AnswerForm(FlaskForm):
    request_id: int | None = None  # set by the view: which request this form answers

    status = SelectField(
        _l("Your answer"),
        choices=ANSWER_CHOICES,
        validate_choice=False,
        validators=[AnyOf([c.value for c in ANSWER_CHOICES], message=CHOOSE_FROM_LIST)],
    )
    answer = TextAreaField(
        _l("What you tell the person"),
        description=_l("Needed when the record is not changed: say why, in plain words."),
        render_kw={"rows": 3, "maxlength": ANSWER_MAX},
    )
