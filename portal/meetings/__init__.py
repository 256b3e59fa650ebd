"""Meetings of the bodies: convocation, agenda, attendance and quorum, the session, minutes,
the decisions register and calendar feeds."""

from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/meetings")

from portal.meetings import (  # noqa: E402,F401
    models,
    views,
    views_agenda,
    views_attendance,
    views_decisions,
    views_minutes,
    views_session,
)
