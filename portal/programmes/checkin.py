"""Self check-in in the room: a short code that changes every minute, and the member's check-in.

- The code of a slot is HMAC(SECRET_KEY + the session's `code_secret`, "<slot id>:<window>"), for
  windows of `WINDOW_SECONDS`, written as `CODE_LENGTH` letters of an alphabet without look-alikes
  (no 0/O, 1/I/L, 2/Z, 5/S, 8/B). It is bound to the slot: a code of another session, of the
  morning in the afternoon, or of an earlier window never works. The current and the previous
  window are accepted, so someone typing while the screen changes still gets in.
- A code is shown and accepted from `OPEN_BEFORE` before the slot's start to its end.
- `check_in(actor, code)` finds the slot among today's sessions, then marks the member present
  (late when more than `LATE_AFTER` after the start). It never downgrades a trainer's mark: only
  an unmarked, absent or excused row changes (an atomic UPDATE … WHERE, so a roll-call saved at
  the same moment is never overwritten), and a second check-in changes nothing.
- Wrong codes are throttled per account: `MAX_WRONG` wrong codes within `THROTTLE_SECONDS`
  answer 429. The count is the audit log's `programmes.checkin_refused` entries of the account in
  the window (`record_wrong_code`, written even though the request is refused): every wrong code
  is audited anyway, so the throttle costs no table and no row of its own, and all workers see
  the same count. Attempts of one account are serialised (PostgreSQL: an advisory lock on the
  account; SQLite: the POST's `BEGIN IMMEDIATE`); the wrong code's entry is written just after
  the refusal's rollback, so a burst of simultaneous wrong codes from one account may pass the
  limit by the number of requests in flight at that moment — a few guesses of a code among
  25^6 (244 million) that changes every minute.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.audit import AuditEntry
from portal.core.db import local_today, utcnow
from portal.core.errors import DomainError, NotAllowed, TooManyAttempts
from portal.extensions import db
from portal.programmes.common import attendance_row, is_participant_on, local_zone, slot_bounds
from portal.programmes.models import Attendance, Session, Slot, Status
from portal.programmes.policies import can_attend, member_id_of

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
MAX_TYPED = 20
WINDOW_SECONDS = 60
OPEN_BEFORE = timedelta(minutes=30)
LATE_AFTER = timedelta(minutes=10)
MAX_WRONG = 5
THROTTLE_SECONDS = 600
REFUSED_ACTION = "programmes.checkin_refused"
UPGRADABLE = (Status.ABSENT.value, Status.EXCUSED.value)


class WrongCode(DomainError):
    """The code matches no slot running now (mistyped, expired, of another session)."""


def _key(session: Session) -> bytes:
    return (current_app.config["SECRET_KEY"] + session.code_secret).encode()


def window_of(now: datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def seconds_left(now: datetime | None = None) -> int:
    """Seconds until the code shown now changes."""
    now = now or utcnow()
    return WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS


def code_for(session: Session, slot: Slot, window: int) -> str:
    digest = hmac.new(_key(session), f"{slot.id}:{window}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    letters = []
    for _ in range(CODE_LENGTH):
        number, rest = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[rest])
    return "".join(letters)


def is_open(session: Session, slot: Slot, now: datetime) -> bool:
    """Is the slot's check-in open: from OPEN_BEFORE its start to its end?"""
    start, end = slot_bounds(session, slot)
    return start - OPEN_BEFORE <= now <= end


def open_slot(session: Session, now: datetime | None = None) -> Slot | None:
    """The slot whose check-in is open now (the later one when two overlap), or None."""
    now = now or utcnow()
    found = [slot for slot in session.slots if is_open(session, slot, now)]
    return found[-1] if found else None


def current_code(session: Session, slot: Slot, now: datetime | None = None) -> str:
    return code_for(session, slot, window_of(now or utcnow()))


def normalise(code: str | None) -> str:
    """What was typed, without spaces, in capitals (small letters work too)."""
    return "".join((code or "").split()).upper()[:MAX_TYPED]


def matches(session: Session, slot: Slot, given: str, now: datetime) -> bool:
    window = window_of(now)
    return any(
        hmac.compare_digest(given.encode(), code_for(session, slot, w).encode())
        for w in (window, window - 1)
    )


# --- The throttle --------------------------------------------------------------------------------


def _serialise(user_id: int) -> None:
    """One check-in of an account at a time (SQLite: the POST's BEGIN IMMEDIATE already)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"checkin:{user_id}"}
        )


def check_throttle(actor, now: datetime | None = None) -> None:
    """Raise TooManyAttempts when the account typed MAX_WRONG wrong codes within the window."""
    now = now or utcnow()
    since = now - timedelta(seconds=THROTTLE_SECONDS)
    wrong, oldest = db.session.execute(
        sa.select(sa.func.count(AuditEntry.id), sa.func.min(AuditEntry.created_at)).where(
            AuditEntry.actor_id == actor.id,
            AuditEntry.action == REFUSED_ACTION,
            AuditEntry.created_at >= since,
        )
    ).one()
    if wrong >= MAX_WRONG:
        if oldest is not None and oldest.tzinfo is None:  # SQLite gives it back naive (UTC)
            oldest = oldest.replace(tzinfo=UTC)
        wait = THROTTLE_SECONDS - int((now - oldest).total_seconds()) if oldest else 60
        wait = max(wait, 1)
        minutes = max((wait + 59) // 60, 1)
        raise TooManyAttempts(
            _l(
                "Too many wrong codes. Wait %(minutes)d minutes, then try again,"
                " or ask the trainer.",
                minutes=minutes,
            ),
            retry_after=wait,
        )


def record_wrong_code(actor, given: str) -> None:
    """Audit a wrong code (run after the refusal's rollback): the throttle counts these."""
    audit.record(
        actor,
        REFUSED_ACTION,
        f"wrong check-in code typed by user {actor.id}",
        object_key=f"user:{actor.id}",
        length=len(given),
    )


# --- Checking in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedIn:
    session: Session
    slot: Slot
    status: str
    already: bool  # True: nothing changed (already checked in, or marked present by the trainer)


def find_slot(given: str, now: datetime) -> tuple[Session, Slot] | None:
    """The session and slot of today whose open code is `given`, or None."""
    sessions = db.session.scalars(sa.select(Session).where(Session.day == local_today())).all()
    for session in sessions:
        for slot in session.slots:
            if is_open(session, slot, now) and matches(session, slot, given, now):
                return session, slot
    return None


def _minutes(start, end) -> int:
    return max(0, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


def check_in(actor, code: str | None, now: datetime | None = None) -> CheckedIn:
    """The member checks themselves in with the code shown in the room.

    Raises TooManyAttempts (429: too many wrong codes lately), WrongCode (field "code": the code
    is wrong or expired; the caller records it with `record_wrong_code`), DomainError (field
    "code": the session was cancelled, the member is not on its list, the slot is signed).
    """
    if actor is None:
        raise NotAllowed(_l("Log in to check in."))
    now = now or utcnow()
    _serialise(actor.id)
    check_throttle(actor, now)
    given = normalise(code)
    if not given:
        raise DomainError(_l("Type the code shown in the room."), field="code")
    found = find_slot(given, now) if len(given) == CODE_LENGTH else None
    if found is None:
        raise WrongCode(
            _l(
                "This code is not right, or it has changed. Look at the screen and type the"
                " code shown now."
            ),
            field="code",
        )
    session, slot = found
    if session.cancelled or session.programme.state == "cancelled":
        raise DomainError(_l("This session was cancelled."), field="code")
    member_id = member_id_of(actor)
    if not is_participant_on(session, member_id) or not can_attend(actor, session.programme):
        raise DomainError(
            _l("You are not on the list of this session. Ask the trainer."), field="code"
        )
    if session.trainer_signed_at is not None:
        raise DomainError(
            _l("The sheet of this session is already signed. Ask the trainer."), field="code"
        )
    row = attendance_row(slot, member_id)
    start, _end = slot_bounds(session, slot)
    local_now = now.astimezone(local_zone()).time().replace(second=0, microsecond=0)
    arrived = max(local_now, slot.starts_at)
    arrived = min(arrived, slot.ends_at)
    status = Status.LATE.value if now > start + LATE_AFTER else Status.PRESENT.value
    changed = db.session.execute(
        sa.update(Attendance)
        .where(
            Attendance.id == row.id,
            sa.or_(Attendance.status.is_(None), Attendance.status.in_(UPGRADABLE)),
            Attendance.signed_at.is_(None),
            Attendance.signed_on_paper.is_(False),
        )
        .values(
            status=status,
            arrived_at=arrived,
            left_at=None,
            minutes=_minutes(arrived, slot.ends_at),
            checked_in_at=now,
            recorded_by_id=actor.id,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        audit.record(
            actor,
            "programmes.checked_in",
            f"member {member_id} checked in to session {session.id} ({slot.half})",
            object_key=f"programme:{session.programme_id}",
            session_id=session.id,
            slot_id=slot.id,
            status=status,
        )
        return CheckedIn(session, slot, status, already=False)
    row = db.session.scalars(
        sa.select(Attendance)
        .where(Attendance.id == row.id)
        .execution_options(populate_existing=True)
    ).one()
    if row.status in UPGRADABLE or row.status is None:  # signed as absent: only the sheet
        raise DomainError(
            _l("Your attendance for this part is already signed. Ask the trainer."), field="code"
        )
    if row.checked_in_at is None:  # marked by the trainer: remember the self check-in too
        db.session.execute(
            sa.update(Attendance)
            .where(Attendance.id == row.id, Attendance.checked_in_at.is_(None))
            .values(checked_in_at=now)
            .execution_options(synchronize_session=False)
        )
    return CheckedIn(session, slot, row.status, already=True)
