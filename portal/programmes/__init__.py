"""Programmes and sessions: the trainer's side. Socialization, professional training,
integration at the workplace and citizenship programmes; their sessions in half-day slots;
roll-call, self check-in and the signed attendance sheet; what members see of their sessions;
the hours credited to each worker's pathway, and the reports for boards and funders."""

from flask import Blueprint

bp = Blueprint("programmes", __name__, url_prefix="/programmes")

from portal.programmes import models  # noqa: E402,F401
from portal.programmes.policies import can_run_session  # noqa: E402

# Pages ask the services' predicates instead of restating a rule.
bp.add_app_template_global(can_run_session, "can_run_programme_session")
from portal.programmes import (  # noqa: E402,F401  (their routes join the blueprint)
    views,
    views_mine,
    views_practice,
    views_reports,
    views_room,
    views_sheet,
)
