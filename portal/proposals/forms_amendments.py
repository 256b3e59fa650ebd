"""Amendment forms: shape of input only; the services enforce the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from portal.core.viewhelpers import MAX_ID
from portal.proposals.amendments import MAX_REASON
from portal.proposals.forms import StartVoteForm
from portal.proposals.models import AMENDABLE_FIELDS
from portal.proposals.services import MAX_BODY

RELOAD = _l("Reload the page and try again.")


class AmendmentForm(FlaskForm):
    field = HiddenField(validators=[AnyOf(AMENDABLE_FIELDS, message=RELOAD)])
    # The version the text in the box was taken from (a change made since is shown, not lost).
    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(RELOAD), NumberRange(min=1, max=MAX_ID, message=RELOAD)],
    )
    # Each part has its own limit: the service checks it and names it.
    text = TextAreaField(
        _l("What would you change?"),
        description=_l("Change the text in the box. It replaces the whole part."),
        validators=[Length(max=MAX_BODY, message=_l("The text is too long."))],
    )
    reason = TextAreaField(
        _l("Why? (optional, but it helps)"),
        description=_l("Say in a few words why this change is better."),
        validators=[Length(max=MAX_REASON, message=_l("This is too long."))],
        render_kw={"rows": 3, "maxlength": MAX_REASON},
    )


class DeclineAmendmentForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you say no?"),
        validators=[
            DataRequired(_l("Please say why, in a few words.")),
            Length(max=MAX_REASON, message=_l("This is too long.")),
        ],
    )


class AmendmentVoteForm(StartVoteForm):
    """Majority and secrecy, as for the proposal's own vote."""
