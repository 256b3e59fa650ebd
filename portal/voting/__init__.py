"""Voting: polls on a body's frozen electorate, secret or named ballots, proxies, tallies."""

from flask import Blueprint

bp = Blueprint("voting", __name__, url_prefix="/polls")

from portal.voting import policies  # noqa: E402

# The predicates are template globals: the page offers a step exactly when the service takes it.
bp.add_app_template_global(policies.can_record_room_count, "can_record_room_count")

from portal.voting import models, views  # noqa: E402,F401
