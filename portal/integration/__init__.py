"""Integration records: each worker's pathway beside their participation — the follow-up team,
goals, support actions, skills, barriers, exit — with the read journal, the member's own view,
their data export, the anonymisation after exit and aggregate reports."""

from flask import Blueprint

bp = Blueprint("integration", __name__, url_prefix="/integration")

from portal.integration import models  # noqa: E402,F401
