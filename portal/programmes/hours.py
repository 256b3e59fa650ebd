"""The one place that sums the minutes a member attended, and what "My sessions" shows.

- `minutes_by_kind(member_id, since, until)`: minutes attended per programme kind, one
  aggregate statement (Attendance → Slot → Session → Programme). Only the statuses of someone
  who was in the room count; a cancelled session never counts.
- `attended_by_kind(...)`: the same statement, with the number of sessions attended per kind.
- `member_summary(member_id)`: the member's next sessions, their past sessions with their
  status per slot and minutes, and their hours per kind; a fixed number of statements whatever
  the number of sessions.
- `format_minutes(minutes)`: "12 h 30" in the viewer's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.core.db import local_today, utcnow
from portal.extensions import db
from portal.programmes.common import slot_bounds
from portal.programmes.models import (
    IN_ROOM,
    Apology,
    Attendance,
    Enrolment,
    FeedbackGiven,
    Programme,
    ProgrammeKind,
    Session,
    Slot,
)

# Feedback may be given from the start of the last slot to this many days after.
FEEDBACK_DAYS = 7
PAST_SHOWN = 100  # the most recent past sessions listed on "My sessions"


def format_minutes(minutes: int) -> str:
    """Minutes as hours in words of the viewer's language: "12 h 30", "3 h", "45 min"."""
    minutes = max(int(minutes or 0), 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min", minutes=rest)
    if not rest:
        return _("%(hours)s h", hours=format_decimal(hours))
    return _("%(hours)s h %(minutes)s", hours=format_decimal(hours), minutes=f"{rest:02d}")


def _attended(member_id: int, since: date | None, until: date | None) -> sa.Select:
    query = (
        sa.select(
            Programme.kind,
            sa.func.coalesce(sa.func.sum(Attendance.minutes), 0),
            sa.func.count(sa.distinct(Session.id)),
        )
        .select_from(Attendance)
        .join(Slot, Slot.id == Attendance.slot_id)
        .join(Session, Session.id == Slot.session_id)
        .join(Programme, Programme.id == Session.programme_id)
        .where(
            Attendance.member_id == member_id,
            Attendance.status.in_(sorted(IN_ROOM)),
            Session.cancelled_at.is_(None),
        )
        .group_by(Programme.kind)
    )
    if since is not None:
        query = query.where(Session.day >= since)
    if until is not None:
        query = query.where(Session.day <= until)
    return query


def attended_by_kind(
    member_id: int, since: date | None = None, until: date | None = None
) -> dict[str, tuple[int, int]]:
    """{kind: (minutes, sessions)} attended from `since` to `until` (inclusive; None: no
    bound). One statement."""
    return {
        kind: (int(minutes), int(sessions))
        for kind, minutes, sessions in db.session.execute(_attended(member_id, since, until))
    }


def minutes_by_kind(
    member_id: int, since: date | None = None, until: date | None = None
) -> dict[str, int]:
    """{kind: minutes attended} from `since` to `until` (inclusive). One statement."""
    return {
        kind: minutes
        for kind, (minutes, _sessions) in attended_by_kind(member_id, since, until).items()
    }


def kinds_in_order(found: dict[str, object]) -> list[str]:
    """The kinds present in `found`, in the definition's order."""
    return [kind.value for kind in ProgrammeKind if kind.value in found]


# --- My sessions ---------------------------------------------------------------------------------


@dataclass
class SlotLine:
    slot: Slot
    attendance: Attendance | None

    @property
    def status(self) -> str | None:
        return self.attendance.status if self.attendance is not None else None

    @property
    def minutes(self) -> int:
        if self.attendance is None or self.attendance.status not in IN_ROOM:
            return 0
        return self.attendance.minutes


@dataclass
class SessionLine:
    session: Session
    starts: datetime | None  # aware UTC
    ends: datetime | None
    slots: list[SlotLine] = field(default_factory=list)
    apology: Apology | None = None
    feedback_given: bool = False
    enrolled: bool = True  # enrolled on the session's day (else seen through attendance only)

    @property
    def attended(self) -> bool:
        return any(line.status in IN_ROOM for line in self.slots)

    @property
    def minutes(self) -> int:
        return sum(line.minutes for line in self.slots)

    @property
    def started(self) -> bool:
        return self.starts is not None and utcnow() >= self.starts

    @property
    def may_apologise(self) -> bool:
        return (
            self.enrolled
            and not self.session.cancelled
            and not self.started
            and self.session.programme.state in ("planned", "running")
        )

    @property
    def may_give_feedback(self) -> bool:
        if self.feedback_given or not self.attended or self.session.cancelled:
            return False
        return feedback_open(self.session, utcnow())


@dataclass
class Summary:
    upcoming: list[SessionLine]
    past: list[SessionLine]
    minutes: dict[str, int]  # by kind, every session ever attended

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())


def feedback_window(session: Session) -> tuple[datetime, datetime] | None:
    """From the start of the session's last slot to FEEDBACK_DAYS days after its end."""
    if not session.slots:
        return None
    last = session.slots[-1]
    start, end = slot_bounds(session, last)
    return start, end + timedelta(days=FEEDBACK_DAYS)


def feedback_open(session: Session, now: datetime) -> bool:
    window = feedback_window(session)
    return window is not None and window[0] <= now <= window[1]


def _enrolled_on_day() -> sa.ColumnElement[bool]:
    return sa.and_(
        Enrolment.enrolled_on <= Session.day,
        sa.or_(Enrolment.withdrawn_on.is_(None), Enrolment.withdrawn_on > Session.day),
    )


def member_summary(member_id: int) -> Summary:
    """What "My sessions" shows: a fixed number of statements whatever the number of sessions.

    The sessions are those of the programmes the member was enrolled in on the session's day,
    and those where the member has an attendance row (a roll-call made before a withdrawal)."""
    today = local_today()
    mine = sa.select(Enrolment.id).where(
        Enrolment.programme_id == Session.programme_id,
        Enrolment.member_id == member_id,
        _enrolled_on_day(),
    )
    marked = (
        sa.select(Slot.session_id)
        .join(Attendance, Attendance.slot_id == Slot.id)
        .where(Attendance.member_id == member_id)
    )
    found = db.session.execute(
        sa.select(Session, mine.exists().label("enrolled"))
        .join(Session.programme)
        .where(
            sa.or_(mine.exists(), Session.id.in_(marked)),
            sa.or_(Session.cancelled_at.is_(None), Session.day >= today),
            Programme.state != "cancelled",
        )
        .order_by(Session.day.desc(), Session.id.desc())
        .limit(PAST_SHOWN + 200)
    ).all()
    sessions = [session for session, _enrolled in found]
    enrolled_ids = {session.id for session, enrolled in found if enrolled}
    ids = [s.id for s in sessions]
    rows = (
        db.session.scalars(
            sa.select(Attendance)
            .join(Slot, Slot.id == Attendance.slot_id)
            .where(Attendance.member_id == member_id, Slot.session_id.in_(ids))
        ).all()
        if ids
        else []
    )
    by_slot = {row.slot_id: row for row in rows}
    apologies = (
        {
            a.session_id: a
            for a in db.session.scalars(
                sa.select(Apology).where(
                    Apology.member_id == member_id, Apology.session_id.in_(ids)
                )
            )
        }
        if ids
        else {}
    )
    given = (
        set(
            db.session.scalars(
                sa.select(FeedbackGiven.session_id).where(
                    FeedbackGiven.member_id == member_id, FeedbackGiven.session_id.in_(ids)
                )
            )
        )
        if ids
        else set()
    )
    now = utcnow()
    upcoming: list[SessionLine] = []
    past: list[SessionLine] = []
    for session in sessions:
        slots = session.slots
        starts = slot_bounds(session, slots[0])[0] if slots else None
        ends = slot_bounds(session, slots[-1])[1] if slots else None
        line = SessionLine(
            session=session,
            starts=starts,
            ends=ends,
            slots=[SlotLine(slot, by_slot.get(slot.id)) for slot in slots],
            apology=apologies.get(session.id),
            feedback_given=session.id in given,
            enrolled=session.id in enrolled_ids,
        )
        over = now >= ends if ends is not None else session.day < today
        # Under way and already in the room (checked in, marked or signed): attended, not next.
        here = starts is not None and now >= starts and any(s.status in IN_ROOM for s in line.slots)
        if over or here:
            if not session.cancelled:
                past.append(line)
        elif line.enrolled:
            upcoming.append(line)
    upcoming.reverse()  # soonest first
    return Summary(upcoming=upcoming, past=past[:PAST_SHOWN], minutes=minutes_by_kind(member_id))
