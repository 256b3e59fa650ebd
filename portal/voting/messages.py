"""Translated texts for the tally's error codes (the tally itself is plain Python, in English)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.voting.tally import TallyError

BALLOT_MESSAGES = {
    "weight": _l("The weight of a ballot must be a whole number of at least 1, not %(value)s."),
    "ballot_type": _l("Your vote could not be read. Please choose again."),
    "ballot_key": _l("Your vote could not be read. Please choose again."),
    "shape": _l("Your vote could not be read. Please choose again."),
    "unknown_vote": _l("%(value)s is not a possible answer here: use %(allowed)s."),
    "unknown_option": _l("%(value)s is not one of the choices."),
    "duplicate_option": _l("%(value)s is chosen twice."),
    "empty_ranking": _l("Put at least one choice in order."),
    "too_few_choices": _l("Choose at least %(n)d."),
    "too_many_choices": _l("Choose at most %(n)d."),
    "reason_required": _l("Say why you object."),
    "reason_not_allowed": _l("Only an objection carries a reason."),
}


def message_for(error: TallyError) -> str:
    """The member's language when the code is known, else the tally's English text."""
    text = BALLOT_MESSAGES.get(error.code)
    if text is None:
        return error.text
    try:
        return str(text) % error.params
    except (KeyError, TypeError, ValueError):
        return error.text
