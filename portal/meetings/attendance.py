"""Attendance and quorum of a meeting.

Who is on the list: the body's electorate on the meeting's day (`bodies.electorate`), with
the weights of their colleges. One `Attendance` row per member, made when it is first needed.

Rules:

- The secretary and the board (`Permission.MANAGE_MEETINGS` on the meeting) set each person
  present, excused, absent or represented. Represented: by a proxy holder of the list who is
  present, not oneself, holding at most the body's `proxy_cap` proxies. A person who holds
  proxies is not set to anything but present until those proxies are given to someone else.
- While the meeting is in session, "Arrived now" sets a person present from now (and clears a departure: they came back; only
  the last arrival and departure are kept, each change is audited). "Left now" records the
  departure of a person present.
- Members check themselves in while the meeting is in session (`Permission.CHECK_IN`) with the
  meeting's code; only members of the list.
- The quorum at a moment counts the people present then (a present person without an arrival
  time counts from the start; after their departure they no longer count) and, when the
  body's statutes count proxies (`proxies_count_for_quorum`), the people represented by a
  holder present then. It is reached when what is counted is at least `quorum_percent` % of
  the list. Counts are weights when a college of the list carries a weight other than 1.
- Once the meeting's minutes are approved, the attendance they show is kept: a change of a
  status is a correction with a reason (a new version of the minutes), and arrivals,
  departures and check-ins are refused (`minutes_record`).

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import lazyload

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError, NotAllowed, NotFound
from portal.core.security import Permission, can
from portal.extensions import db
from portal.meetings import minutes_record
from portal.meetings.agenda import meeting_day
from portal.meetings.models import Attendance, AttendanceStatus, Meeting
from portal.members import bodies
from portal.members.models import Member

PRESENT = AttendanceStatus.PRESENT.value
REPRESENTED = AttendanceStatus.REPRESENTED.value
MAX_CODE = 12


# --- Who may do what ------------------------------------------------------------------------------


def can_manage_attendance(user, meeting: Meeting) -> bool:
    return can(user, Permission.MANAGE_MEETINGS, meeting)


def can_check_in(user, meeting: Meeting) -> bool:
    return can(user, Permission.CHECK_IN, meeting)


# --- The list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One person of the list, with their row when there is one."""

    member: Member
    weight: int
    attendance: Attendance | None

    @property
    def status(self) -> str | None:
        return self.attendance.status if self.attendance else None


def weights(meeting: Meeting) -> dict[int, int]:
    """The electorate on the meeting's day: member id → weight."""
    return {v.member_id: v.weight for v in bodies.electorate(meeting.body, meeting_day(meeting))}


def attendances(meeting: Meeting) -> dict[int, Attendance]:
    rows = db.session.scalars(
        sa.select(Attendance)
        .where(Attendance.meeting_id == meeting.id)
        .options(lazyload(Attendance.member))
    )
    return {row.member_id: row for row in rows}


def roll(meeting: Meeting) -> list[Line]:
    """The list of the meeting by name, with each person's row (None: nothing recorded yet)."""
    weight_of = weights(meeting)
    rows = attendances(meeting)
    members = db.session.scalars(
        sa.select(Member)
        .where(Member.id.in_(list(weight_of)))
        .options(lazyload(Member.user), lazyload(Member.category))
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name), Member.id)
    ).all()
    return [Line(m, weight_of[m.id], rows.get(m.id)) for m in members]


# --- Quorum -----------------------------------------------------------------------------------------


def is_present_at(row: Attendance, at: datetime) -> bool:
    """Present at `at`: set present, arrived by then (or no time recorded), not left yet."""
    return (
        row.status == PRESENT
        and (row.arrived_at is None or row.arrived_at <= at)
        and (row.left_at is None or row.left_at > at)
    )


@dataclass(frozen=True)
class QuorumState:
    present: int  # people present
    represented: int  # people represented by a holder present (counted or not)
    counted: int  # weight counted towards the quorum
    total: int  # weight of the whole list
    voters: int  # people on the list
    percent: int  # the body's quorum, in %
    proxies_count: bool
    weighted: bool

    @property
    def reached(self) -> bool:
        return self.total > 0 and self.counted * 100 >= self.percent * self.total

    @property
    def line(self) -> str:
        """ "31 of 45 present or represented — quorum (50 %) reached"."""
        if self.weighted:
            if self.reached:
                text = _l(
                    "%(counted)d of %(total)d votes present or represented — quorum (%(percent)d %%) reached",
                    counted=self.counted,
                    total=self.total,
                    percent=self.percent,
                )
            else:
                text = _l(
                    "%(counted)d of %(total)d votes present or represented — quorum (%(percent)d %%) not reached",
                    counted=self.counted,
                    total=self.total,
                    percent=self.percent,
                )
        elif self.proxies_count:
            if self.reached:
                text = _l(
                    "%(counted)d of %(total)d present or represented — quorum (%(percent)d %%) reached",
                    counted=self.counted,
                    total=self.total,
                    percent=self.percent,
                )
            else:
                text = _l(
                    "%(counted)d of %(total)d present or represented — quorum (%(percent)d %%) not reached",
                    counted=self.counted,
                    total=self.total,
                    percent=self.percent,
                )
        elif self.reached:
            text = _l(
                "%(counted)d of %(total)d present — quorum (%(percent)d %%) reached",
                counted=self.counted,
                total=self.total,
                percent=self.percent,
            )
        else:
            text = _l(
                "%(counted)d of %(total)d present — quorum (%(percent)d %%) not reached",
                counted=self.counted,
                total=self.total,
                percent=self.percent,
            )
        return str(text)


def compute_quorum(
    weight_of: dict[int, int],
    rows: Iterable[Attendance],
    *,
    percent: int,
    proxies_count: bool,
    at: datetime,
) -> QuorumState:
    """The quorum at `at` from the list (member id → weight) and the attendance rows (pure)."""
    rows = [row for row in rows if row.member_id in weight_of]
    present = {row.member_id for row in rows if is_present_at(row, at)}
    represented = {
        row.member_id
        for row in rows
        if row.status == REPRESENTED and row.proxy_holder_id in present
    }
    counted_ids = present | represented if proxies_count else present
    return QuorumState(
        present=len(present),
        represented=len(represented),
        counted=sum(weight_of[m] for m in counted_ids),
        total=sum(weight_of.values()),
        voters=len(weight_of),
        percent=percent,
        proxies_count=proxies_count,
        weighted=any(w != 1 for w in weight_of.values()),
    )


def quorum_state(meeting: Meeting, at: datetime | None = None) -> QuorumState:
    """The meeting's quorum at `at` (now by default), against its body's rule. Reads only."""
    body = meeting.body
    return compute_quorum(
        weights(meeting),
        attendances(meeting).values(),
        percent=body.quorum_percent,
        proxies_count=body.proxies_count_for_quorum,
        at=at or utcnow(),
    )


def votes_in_room(meeting: Meeting, at: datetime | None = None) -> int:
    """People who can raise a hand in the room now: those present and those they represent."""
    state = quorum_state(meeting, at)
    return state.present + state.represented


def present_member_ids(meeting: Meeting, at: datetime | None = None) -> set[int]:
    at = at or utcnow()
    return {m for m, row in attendances(meeting).items() if is_present_at(row, at)}


# --- Recording --------------------------------------------------------------------------------------


def _row(meeting: Meeting, member_id: int) -> Attendance:
    row = db.session.scalar(
        sa.select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.member_id == member_id
        )
    )
    if row is None:
        row = Attendance(meeting_id=meeting.id, member_id=member_id, status="absent")
        db.session.add(row)
        db.session.flush()
    return row


def _check_manager(actor, meeting: Meeting, member_id: int, weight_of: dict[int, int]) -> None:
    if not can_manage_attendance(actor, meeting):
        raise NotAllowed(_l("Only the secretary and the board keep the attendance."))
    if member_id not in weight_of:
        raise NotFound(_l("This person is not on the list of this meeting."))


def _check_in_session(meeting: Meeting) -> None:
    if meeting.state != "in_session":
        raise Conflict(_l("Arrivals and departures are recorded while the meeting is in session."))


def set_status(
    actor,
    meeting: Meeting,
    member_id: int,
    status: str,
    holder_id: int | None = None,
    reason: str = "",
) -> Attendance:
    """Set a person present, excused, absent or represented (by `holder_id`). Once the
    meeting's minutes are approved, this is a correction: it needs `reason` and makes a new
    version of what the minutes show (`minutes_record`).

    Raises NotAllowed; DomainError (field "status" or "holder_id") when the person is not on
    the list, the holder is not present or holds enough proxies, or the person holds proxies
    and would no longer be present; (field "reason") when the minutes are approved and the
    reason is missing.
    """
    weight_of = weights(meeting)
    _check_manager(actor, meeting, member_id, weight_of)
    frozen, reason = minutes_record.check_correction(actor, meeting, reason)
    if status not in set(AttendanceStatus):
        raise DomainError(_l("Choose present, excused, absent or represented."), field="status")
    rows = attendances(meeting)
    if status != PRESENT and any(
        r.status == REPRESENTED and r.proxy_holder_id == member_id for r in rows.values()
    ):
        raise DomainError(
            _l("This person holds proxies. Give them to someone else first."), field="status"
        )
    if status == REPRESENTED:
        if holder_id is None:
            raise DomainError(_l("Choose who holds the proxy."), field="holder_id")
        if holder_id == member_id:
            raise DomainError(_l("Nobody holds their own proxy."), field="holder_id")
        holder = rows.get(holder_id)
        if holder_id not in weight_of or holder is None or not is_present_at(holder, utcnow()):
            raise DomainError(_l("Choose a person who is present."), field="holder_id")
        held = sum(
            1
            for r in rows.values()
            if r.status == REPRESENTED
            and r.proxy_holder_id == holder_id
            and r.member_id != member_id
        )
        if held >= meeting.body.proxy_cap:
            raise DomainError(
                _l(
                    "This person already holds %(n)d proxies: that is the most allowed.",
                    n=meeting.body.proxy_cap,
                ),
                field="holder_id",
            )
    else:
        holder_id = None
    row = _row(meeting, member_id)
    before = (row.status, row.proxy_holder_id)
    row.status = status
    row.proxy_holder_id = holder_id
    row.recorded_by_id = actor.id
    row.self_checked_in = row.self_checked_in and status == PRESENT
    if status != PRESENT:
        row.arrived_at = None
        row.left_at = None
    db.session.flush()
    audit.record(
        actor,
        "meeting.attendance_set",
        f"member {member_id} {status} at meeting {meeting.id}",
        object_key=meeting.object_key,
        member_id=member_id,
        status=status,
        holder_id=holder_id,
        before=list(before),
        **({"correction": reason} if frozen is not None else {}),
    )
    if frozen is not None:
        minutes_record.correct(actor, frozen, reason)
    return row


def record_arrival(actor, meeting: Meeting, member_id: int) -> Attendance:
    """The person is present from now (a departure recorded before is cleared).
    Raises NotAllowed, DomainError."""
    weight_of = weights(meeting)
    _check_manager(actor, meeting, member_id, weight_of)
    _check_in_session(meeting)
    minutes_record.refuse_once_frozen(meeting)
    row = _row(meeting, member_id)
    if row.status == REPRESENTED:
        row.proxy_holder_id = None
    row.status = PRESENT
    row.arrived_at = utcnow()
    row.left_at = None
    row.recorded_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "meeting.arrived",
        f"member {member_id} arrived at meeting {meeting.id}",
        object_key=meeting.object_key,
        member_id=member_id,
    )
    return row


def record_departure(actor, meeting: Meeting, member_id: int) -> Attendance:
    """The person left now. Raises NotAllowed, DomainError (not present)."""
    weight_of = weights(meeting)
    _check_manager(actor, meeting, member_id, weight_of)
    _check_in_session(meeting)
    minutes_record.refuse_once_frozen(meeting)
    row = attendances(meeting).get(member_id)
    now = utcnow()
    if row is None or not is_present_at(row, now):
        raise DomainError(_l("This person is not here: they cannot leave."))
    row.left_at = now
    row.recorded_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "meeting.left",
        f"member {member_id} left meeting {meeting.id}",
        object_key=meeting.object_key,
        member_id=member_id,
    )
    return row


def check_in(actor, meeting: Meeting, member: Member | None, code: str) -> bool:
    """The member says they are here with the meeting's code. True when checked in now, False
    when they already were. Raises NotAllowed (not in session, not on the list), DomainError
    (field "code": the code is wrong)."""
    if not can_check_in(actor, meeting):
        raise NotAllowed(_l("You can check in only while the meeting is in session."))
    if member is None or member.id not in weights(meeting):
        raise NotAllowed(_l("You are not on the list of this meeting."))
    given = "".join((code or "").split()).upper()[:MAX_CODE]
    expected = (meeting.check_in_code or "").upper()
    if not given:
        raise DomainError(_l("Type the meeting's code."), field="code")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise DomainError(
            _l("This is not the meeting's code. Look at the screen or ask the secretary."),
            field="code",
        )
    minutes_record.refuse_once_frozen(meeting)
    row = _row(meeting, member.id)
    now = utcnow()
    if is_present_at(row, now):
        return False
    row.status = PRESENT
    row.proxy_holder_id = None
    row.arrived_at = now
    row.left_at = None
    row.self_checked_in = True
    row.recorded_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "meeting.checked_in",
        f"member {member.id} checked in at meeting {meeting.id}",
        object_key=meeting.object_key,
        member_id=member.id,
    )
    return True
