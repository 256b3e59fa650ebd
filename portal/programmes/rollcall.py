"""The roll-call: one list for the whole group, per slot, on the trainer's phone.

- `load(session, slot)`: the participants with their row in the slot, their self check-in and
  their apology; a fixed number of statements whatever the number of participants.
- `save(actor, session, slot, entries, seen_version)`: the trainer's changes. Each entry carries
  what the page showed (`was`) and what the trainer chose; only the people the trainer changed
  are written. Saves are serialised on the session row (`roll_version`, bumped by every save);
  a save made on an older page is merged: a person changed meanwhile by someone else (another
  trainer, a self check-in) and differently by this trainer is a conflict, and the save is
  refused as a whole (`RollCallConflict`, 409) naming them. Nothing is ever lost.
- `everyone_present(actor, session, slot)`: every unmarked participant is present for the whole
  slot (one who said "I can't come" is excused).
- Minutes attended: present — the slot, or from the arrival to the departure when given; late —
  from the arrival to the end (or the departure); left early — from the start (or the arrival)
  to the departure; excused and absent — 0. Times must fall within the slot; up to
  `TOLERANCE` before the start counts as the start.
- A signed row (or a slot of a sheet the trainer signed) is never changed here: it is reported
  (`Saved.locked`), and corrected on the sheet with a reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.extensions import db
from portal.members.models import Member
from portal.programmes import common
from portal.programmes.common import _enrolled_on as enrolled_on
from portal.programmes.common import local_zone, locked, participants, slot_bounds
from portal.programmes.models import (
    IN_ROOM,
    STATUS_TITLES,
    Apology,
    Attendance,
    Enrolment,
    Session,
    Slot,
    Status,
)
from portal.programmes.policies import can_run_session

TOLERANCE = timedelta(minutes=15)
STATUSES = tuple(status.value for status in Status)
_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:hH.]([0-5][0-9])$")


# --- Reading -------------------------------------------------------------------------------------


@dataclass
class Line:
    """One participant on the roll-call."""

    member: Member
    status: str | None
    arrived_at: time | None
    left_at: time | None
    minutes: int
    checked_in: bool
    apology: str | None
    locked: bool

    @property
    def name(self) -> str:
        return f"{self.member.family_name} {self.member.given_name}".strip()


@dataclass
class RollCall:
    session: Session
    slot: Slot
    lines: list[Line]
    version: int

    @property
    def counts(self) -> dict[str, int]:
        found = {status: 0 for status in STATUSES}
        for line in self.lines:
            if line.status:
                found[line.status] += 1
        return found

    @property
    def unmarked(self) -> int:
        return sum(1 for line in self.lines if not line.status)


def _members(session: Session) -> list[Member]:
    """`participants(session)` without their accounts and categories: the roll-call shows names
    only (loading 40 accounts would also load their roles)."""
    return list(
        db.session.scalars(
            sa.select(Member)
            .join(Enrolment, Enrolment.member_id == Member.id)
            .where(Enrolment.programme_id == session.programme_id, enrolled_on(session.day))
            .order_by(Member.family_name, Member.given_name, Member.id)
            .options(sa.orm.lazyload(Member.user), sa.orm.lazyload(Member.category))
        )
    )


def load(session: Session, slot: Slot) -> RollCall:
    """The roll-call of a slot: three statements (participants, rows, apologies)."""
    members = _members(session)
    rows = {
        row.member_id: row
        for row in db.session.scalars(sa.select(Attendance).where(Attendance.slot_id == slot.id))
    }
    apologies = dict(
        db.session.execute(
            sa.select(Apology.member_id, Apology.reason).where(Apology.session_id == session.id)
        ).all()
    )
    lines = []
    for member in members:
        row = rows.get(member.id)
        lines.append(
            Line(
                member=member,
                status=row.status if row else None,
                arrived_at=row.arrived_at if row else None,
                left_at=row.left_at if row else None,
                minutes=row.minutes if row else 0,
                checked_in=bool(row and row.checked_in_at),
                apology=apologies.get(member.id),
                locked=bool(row and locked(row, session)) or session.trainer_signed_at is not None,
            )
        )
    return RollCall(session, slot, lines, session.roll_version)


def _plain(text: str) -> str:
    """Without accents and case: 'cleo' finds Cléo."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches_name(line: Line, query: str) -> bool:
    name = _plain(f"{line.member.given_name} {line.member.family_name}")
    return all(word in name for word in _plain(query).split())


# --- Input ---------------------------------------------------------------------------------------


def parse_time(text: str | None) -> time | None:
    """'9:05', '09:05', '9h05' as a time; '' as None; anything else raises ValueError."""
    text = (text or "").strip()
    if not text:
        return None
    match = _TIME.match(text)
    if not match:
        raise ValueError(text)
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Marks:
    status: str | None
    arrived_at: time | None
    left_at: time | None


@dataclass(frozen=True)
class Entry:
    """One row of the submitted form: what the page showed, and what the trainer chose (the
    times as typed)."""

    member_id: int
    was: Marks
    status: str | None
    arrived: str = ""
    left: str = ""


@dataclass
class Saved:
    changed: int = 0
    merged: bool = False
    locked: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Clash:
    name: str
    now: Marks
    chosen: Marks


class RollCallConflict(Conflict):
    """Someone else changed the same people differently since the page was shown."""

    def __init__(self, clashes: list[Clash], version: int):
        names = ", ".join(clash.name for clash in clashes)
        super().__init__(
            _l(
                "Someone else changed these people while you were marking: %(names)s."
                " Nothing was saved. Look at their marks now, then save again.",
                names=names,
            )
        )
        self.clashes = clashes
        self.version = version


def _minutes_of(value: time) -> int:
    return value.hour * 60 + value.minute


def _fit(value: time | None, slot: Slot, name: str, arriving: bool) -> time | None:
    """A time within the slot; a little before the start counts as the start."""
    if value is None:
        return None
    start, end = _minutes_of(slot.starts_at), _minutes_of(slot.ends_at)
    given = _minutes_of(value)
    if start - TOLERANCE.seconds // 60 <= given < start:
        return slot.starts_at
    if not start <= given <= end:
        words = {
            "name": name,
            "time": value.strftime("%H:%M"),
            "start": slot.starts_at.strftime("%H:%M"),
            "end": slot.ends_at.strftime("%H:%M"),
        }
        if arriving:
            message = _l(
                "%(name)s: the arrival time %(time)s is outside this part of the session"
                " (%(start)s to %(end)s).",
                **words,
            )
        else:
            message = _l(
                "%(name)s: the departure time %(time)s is outside this part of the session"
                " (%(start)s to %(end)s).",
                **words,
            )
        raise DomainError(message)
    return value


def minutes_attended(status: str | None, arrived: time | None, left: time | None, slot) -> int:
    if status not in IN_ROOM:
        return 0
    begin = arrived or slot.starts_at
    finish = left or slot.ends_at
    return max(0, _minutes_of(finish) - _minutes_of(begin))


def _now_in(session: Session, slot: Slot, now: datetime) -> time | None:
    """The local time now, when the slot is running (the default of a late arrival)."""
    start, end = slot_bounds(session, slot)
    if start <= now <= end:
        return now.astimezone(local_zone()).time().replace(second=0, microsecond=0)
    return None


def _typed(text: str, name: str) -> time | None:
    try:
        return parse_time(text)
    except ValueError:
        raise DomainError(
            _l(
                "%(name)s: %(time)s is not a time. Write it like 9:05 or 14:30.",
                name=name,
                time=text[:10],
            )
        ) from None


def checked(entry: Entry, session: Session, slot: Slot, name: str, now: datetime) -> Marks:
    """The trainer's choice for one person, checked; raises DomainError with the person's name."""
    status = entry.status
    if status is not None and status not in STATUSES:
        raise DomainError(
            _l("%(name)s: this status is unknown. Choose one of the list.", name=name)
        )
    if status not in IN_ROOM:  # excused, absent, unmarked: no times
        return Marks(status, None, None)
    arrived = _fit(_typed(entry.arrived, name), slot, name, arriving=True)
    left = _fit(_typed(entry.left, name), slot, name, arriving=False)
    if status == Status.LATE.value and arrived is None:
        arrived = _now_in(session, slot, now)
        if arrived is None:
            raise DomainError(_l("%(name)s is late: give the arrival time.", name=name))
    if status == Status.LEFT_EARLY.value and left is None:
        left = _now_in(session, slot, now)
        if left is None:
            raise DomainError(_l("%(name)s left early: give the departure time.", name=name))
    if arrived is not None and left is not None and left < arrived:
        raise DomainError(_l("%(name)s: the departure is before the arrival.", name=name))
    return Marks(status, arrived, left)


# --- Writing -------------------------------------------------------------------------------------


def _guard(actor, session: Session) -> None:
    if session.cancelled:
        raise DomainError(_l("This session was cancelled."))
    if not can_run_session(actor, session):
        raise NotAllowed(_l("Only the trainers of this programme take the roll-call."))


def _lock_session(session: Session) -> int:
    """Serialise roll-call saves on the session row; its roll_version as stored now (and the
    trainer's signature of the sheet, so `locked` sees one given meanwhile)."""
    common.sheet_signed_now(session, exclusive=True)
    return db.session.scalars(
        sa.select(Session.roll_version)
        .where(Session.id == session.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _bump(session: Session, version: int) -> None:
    db.session.execute(
        sa.update(Session)
        .where(Session.id == session.id)
        .values(roll_version=version + 1)
        .execution_options(synchronize_session=False)
    )
    session.roll_version = version + 1


def _ensure_rows(slot: Slot, member_ids) -> None:
    if not member_ids:
        return
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    db.session.execute(
        insert(Attendance)
        .values([{"slot_id": slot.id, "member_id": mid, "minutes": 0} for mid in member_ids])
        .on_conflict_do_nothing(index_elements=["slot_id", "member_id"])
    )


def _rows_for_update(slot: Slot, member_ids) -> dict[int, Attendance]:
    if not member_ids:
        return {}
    return {
        row.member_id: row
        for row in db.session.scalars(
            sa.select(Attendance)
            .where(Attendance.slot_id == slot.id, Attendance.member_id.in_(member_ids))
            .with_for_update(of=Attendance)
            .execution_options(populate_existing=True)
        )
    }


def _marks(row: Attendance | None) -> Marks:
    if row is None:
        return Marks(None, None, None)
    return Marks(row.status, row.arrived_at, row.left_at)


def save(
    actor,
    session: Session,
    slot: Slot,
    entries: list[Entry],
    seen_version: int,
    now: datetime | None = None,
) -> Saved:
    """Save the trainer's changes (see the module). Raises NotAllowed (not a trainer of the
    programme), DomainError (cancelled session, a bad status or time, named), RollCallConflict
    (409: the same people changed differently by someone else since the page was shown)."""
    _guard(actor, session)
    now = now or utcnow()
    members = {member.id: member for member in participants(session)}
    names = {mid: f"{m.given_name} {m.family_name}".strip() for mid, m in members.items()}
    wanted: dict[int, tuple[Entry, Marks]] = {}
    for entry in entries:
        if entry.member_id not in members:
            continue  # not (or no longer) on the list: nothing to write
        if entry.status is None:
            continue  # left unmarked: nothing to write
        marks = checked(entry, session, slot, names[entry.member_id], now)
        if marks != entry.was:
            wanted[entry.member_id] = (entry, marks)
    version = _lock_session(session)
    _ensure_rows(slot, list(wanted))
    rows = _rows_for_update(slot, list(wanted))
    result = Saved(merged=version != seen_version)
    clashes: list[Clash] = []
    writes: list[tuple[Attendance, Marks]] = []
    for member_id, (entry, marks) in wanted.items():
        row = rows[member_id]
        current = _marks(row)
        if current == marks:
            continue  # already so (the same change made by someone else)
        if current != entry.was:
            clashes.append(Clash(names[member_id], current, marks))
            continue
        if locked(row, session):
            result.locked.append(names[member_id])
            continue
        writes.append((row, marks))
    if clashes:
        raise RollCallConflict(clashes, version)
    for row, marks in writes:
        row.status = marks.status
        row.arrived_at = marks.arrived_at
        row.left_at = marks.left_at
        row.minutes = minutes_attended(marks.status, marks.arrived_at, marks.left_at, slot)
        row.recorded_by_id = actor.id
    result.changed = len(writes)
    _bump(session, version)
    db.session.flush()
    audit.record(
        actor,
        "programmes.roll_call",
        f"roll-call of session {session.id} ({slot.half}): {result.changed} changed",
        object_key=f"programme:{session.programme_id}",
        session_id=session.id,
        slot_id=slot.id,
        changed=result.changed,
        merged=result.merged,
        locked=len(result.locked),
    )
    return result


def everyone_present(actor, session: Session, slot: Slot) -> int:
    """Mark every unmarked participant of the slot present for the whole slot (excused when they
    said "I can't come"). Returns how many were marked. Raises NotAllowed, DomainError."""
    _guard(actor, session)
    version = _lock_session(session)
    if session.trainer_signed_at is not None:
        raise DomainError(_l("The sheet is signed: change it on the sheet, with a reason."))
    members = [member.id for member in participants(session)]
    apologised = set(
        db.session.scalars(sa.select(Apology.member_id).where(Apology.session_id == session.id))
    )
    _ensure_rows(slot, members)
    rows = _rows_for_update(slot, members)
    marked = 0
    for member_id in members:
        row = rows[member_id]
        if row.status is not None or locked(row, session):
            continue
        if member_id in apologised:
            row.status, row.minutes = Status.EXCUSED.value, 0
        else:
            row.status, row.minutes = Status.PRESENT.value, slot.minutes
        row.arrived_at = row.left_at = None
        row.recorded_by_id = actor.id
        marked += 1
    _bump(session, version)
    db.session.flush()
    audit.record(
        actor,
        "programmes.roll_call",
        f"everyone present in session {session.id} ({slot.half}): {marked} marked",
        object_key=f"programme:{session.programme_id}",
        session_id=session.id,
        slot_id=slot.id,
        changed=marked,
        everyone_present=True,
    )
    return marked


def status_title(status: str | None) -> str:
    return str(STATUS_TITLES[Status(status)]) if status in STATUSES else _("Not marked")
