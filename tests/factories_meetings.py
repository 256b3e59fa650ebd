"""Readable meeting test data, written straight to the models (the services of each part of
the meetings module are tested with their own tests).

    meeting = make_meeting()                                   # a planned board meeting
    meeting = make_meeting(general_assembly(), state="in_session", days_ahead=0)
    item = add_item(meeting, "Accounts 2026", kind="decision")

Nothing is committed: the `db` fixture rolls everything back after the test.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.core.db import local_today, utcnow
from portal.extensions import db
from portal.meetings.models import AgendaItem, Meeting, MeetingKind
from portal.members.models import Body, BodyKind
from tests.factories_members import board_body, factory_board

KIND_OF_BODY = {
    BodyKind.GENERAL_ASSEMBLY.value: MeetingKind.ORDINARY_GA.value,
    BodyKind.BOARD.value: MeetingKind.BOARD.value,
    BodyKind.WORKERS_COUNCIL.value: MeetingKind.WORKERS_COUNCIL.value,
    BodyKind.COMMITTEE.value: MeetingKind.COMMITTEE.value,
}


def make_meeting(
    body: Body | None = None,
    *,
    state: str = "planned",
    days_ahead: int = 30,
    title: str | None = None,
    owner=None,
    **fields,
) -> Meeting:
    """A meeting of `body` (default: the board) at 18:00 in Paris, `days_ahead` days ahead, in
    `state` (the timestamps of the states it went through are filled in)."""
    body = body or board_body()
    owner = owner or factory_board()
    local = datetime.combine(local_today() + timedelta(days=days_ahead), time(18, 0))
    starts = local.replace(tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
    meeting = Meeting(
        body_id=body.id,
        kind=fields.pop("kind", KIND_OF_BODY[body.kind]),
        title=title or f"{body.title} meeting",
        starts_at=fields.pop("starts_at", starts),
        place=fields.pop("place", "The workshop, 12 rue des Ateliers"),
        owner_id=owner.id,
        state=state,
        **fields,
    )
    if state in ("convened", "in_session", "closed"):
        meeting.convened_at = utcnow() - timedelta(days=20)
        meeting.convened_by_id = owner.id
    if state in ("in_session", "closed"):
        meeting.opened_at = utcnow()
        meeting.check_in_code = meeting.check_in_code or "KM4P7Q"
    if state == "closed":
        meeting.closed_at = utcnow()
    db.session.add(meeting)
    db.session.flush()
    meeting.security_path = f"/{meeting.object_key}/"
    db.session.flush()
    return meeting


def add_item(meeting: Meeting, title: str, *, kind: str = "discussion", **fields) -> AgendaItem:
    position = fields.pop("position", len(meeting.items) + 1)
    item = AgendaItem(meeting=meeting, title=title, kind=kind, position=position, **fields)
    db.session.add(item)
    db.session.flush()
    return item
