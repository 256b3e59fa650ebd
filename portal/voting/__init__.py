"""Voting: polls on a body's frozen electorate, secret or named ballots, proxies, tallies."""

from flask import Blueprint

bp = Blueprint("voting", __name__, url_prefix="/polls")

from portal.voting import models, views  # noqa: E402,F401
