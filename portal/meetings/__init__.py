"""Meetings of the bodies: convocation, agenda, attendance and quorum, the session, minutes,
the decisions register and calendar feeds."""

from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/meetings")

from portal.meetings import models  # noqa: E402,F401
from portal.meetings import views  # noqa: E402,F401
from portal.meetings import views_agenda, views_attendance, views_session  # noqa: E402,F401
from portal.meetings import views_decisions, views_minutes  # noqa: E402,F401
