"""What meetings contributes to the core's registries: the meetings a member attended or was
represented at (a record's participation), the meetings' part of a person's data export
(attendance and requests to speak) and the reports' rate of members who came to a meeting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from portal.core.registries import (
    ExportPart,
    ExportSection,
    Fact,
    Period,
    jsonable,
    register_export_part,
    register_participation_source,
    register_report_rate,
)
from portal.extensions import db
from portal.meetings.models import Attendance, AttendanceStatus, Meeting, SpeakingRequest
from portal.members.models import Member

# --- Participation ---------------------------------------------------------------------------------


def _attendance_count(member, period: Period, status: str) -> int:
    first, after = period.utc_bounds()
    return db.session.scalar(
        sa.select(sa.func.count(Attendance.id))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Attendance.member_id == member.id,
            Attendance.status == status,
            Meeting.state != "cancelled",
            Meeting.starts_at >= first,
            Meeting.starts_at < after,
        )
    )


def meetings_attended(member, period: Period) -> Fact:
    """Meetings held in the period (not cancelled) where the member was present."""
    return Fact(_attendance_count(member, period, "present"))


def meetings_represented(member, period: Period) -> Fact:
    """Meetings held in the period where someone else held the member's proxy."""
    return Fact(_attendance_count(member, period, "represented"))


register_participation_source("meetings", _l("Meetings attended"), meetings_attended, order=10)
register_participation_source(
    "represented", _l("Meetings where a proxy stood in"), meetings_represented, order=20
)


# --- The data export ---------------------------------------------------------------------------------


def meetings_export(member: Member) -> dict[str, Any]:
    """The member's attendance (with who represented them) and their requests to speak."""
    holder = aliased(Member)
    rows = db.session.execute(
        sa.select(
            Attendance, Meeting.title, Meeting.starts_at, holder.given_name, holder.family_name
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .outerjoin(holder, holder.id == Attendance.proxy_holder_id)
        .where(Attendance.member_id == member.id)
        .order_by(Meeting.starts_at, Attendance.id)
    ).all()
    attendance = [
        {
            "meeting": title,
            "starts_at": jsonable(starts_at),
            "status": row.status,
            "represented_by": f"{given} {family}".strip() if given is not None else None,
            "arrived_at": jsonable(row.arrived_at),
            "left_at": jsonable(row.left_at),
            "self_checked_in": row.self_checked_in,
        }
        for row, title, starts_at, given, family in rows
    ]
    speaking = [
        {"meeting": title, "requested_at": jsonable(requested_at), "withdrawn": withdrawn}
        for title, requested_at, withdrawn in db.session.execute(
            sa.select(Meeting.title, SpeakingRequest.requested_at, SpeakingRequest.withdrawn)
            .join(Meeting, Meeting.id == SpeakingRequest.meeting_id)
            .where(SpeakingRequest.member_id == member.id)
            .order_by(SpeakingRequest.requested_at)
        )
    ]
    return {"meetings": attendance, "speaking_requests": speaking}


register_export_part(
    ExportPart(
        "meetings",
        meetings_export,
        order=20,
        sections=(
            ExportSection("meetings", _l("Meetings"), 30),
            ExportSection("speaking_requests", _l("Asking to speak in meetings"), 40),
        ),
    )
)


# --- Report figures ----------------------------------------------------------------------------------


def came_to_a_meeting(since: datetime | None, until: datetime | None) -> sa.Select:
    """Members present at a meeting held in [since, until) (any time without bounds)."""
    attended = (
        sa.select(Attendance.member_id)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.status == AttendanceStatus.PRESENT.value)
    )
    if since is not None:
        attended = attended.where(Meeting.starts_at >= since, Meeting.starts_at < until)
    return attended


register_report_rate("meeting_rate", came_to_a_meeting, order=10)
