"""Meetings of the bodies: convocation, agenda, attendance and quorum, the session, minutes,
the decisions register and calendar feeds."""

from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/meetings")

from portal.meetings.session import can_run_session  # noqa: E402

# Pages ask the services' predicates instead of restating a rule.
bp.add_app_template_global(can_run_session, "can_run_session")

from portal.meetings import (  # noqa: E402,F401
    models,
    views,
    views_agenda,
    views_attendance,
    views_decisions,
    views_minutes,
    views_session,
)
