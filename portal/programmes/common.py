"""What the programme's services share: loading a session for a viewer, who takes part in it,
when its slots run, and the one attendance row per participant and slot.

- `session_or_404(session_id, permission)`: the session of a programme the viewer may see
  (else 404), with `permission` on its programme (else 403).
- `participants(session)`: the members enrolled in the programme on the session's day (not
  withdrawn by then), by name; `is_participant_on(session, member_id)`.
- `slot_bounds(session, slot)`: when a slot starts and ends, as aware UTC datetimes (the day and
  times are the WISE's local ones).
- `attendance_row(slot, member_id)`: the row of that participant in that slot, created when
  missing; two requests creating it at once make one row (INSERT … ON CONFLICT DO NOTHING).
- `locked(row)`: a signed slot, or a slot of a sheet the trainer signed, changes only as a
  correction with a reason (`needs_correction`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, current_app, has_app_context
from flask_login import current_user
from sqlalchemy.dialects import postgresql, sqlite

from portal.core.db import MAX_ID
from portal.core.security import Permission, can, require
from portal.extensions import db
from portal.members.models import Member
from portal.programmes.models import Attendance, Enrolment, Session, Slot


def local_zone() -> ZoneInfo:
    name = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Europe/Paris"
    return ZoneInfo(name)


def session_or_404(
    session_id: int, permission: Permission = Permission.VIEW, *, user=None
) -> Session:
    """The session, if the viewer may see its programme (404 otherwise, as if it did not
    exist); then `permission` on the programme is required (403)."""
    user = current_user if user is None else user
    session = db.session.get(Session, session_id) if 0 < session_id <= MAX_ID else None
    if session is None or not can(user, Permission.VIEW, session.programme):
        abort(404)
    if permission is not Permission.VIEW:
        require(user, permission, session.programme)
    return session


def _enrolled_on(day) -> sa.ColumnElement[bool]:
    return sa.and_(
        Enrolment.enrolled_on <= day,
        sa.or_(Enrolment.withdrawn_on.is_(None), Enrolment.withdrawn_on > day),
    )


def participants(session: Session) -> list[Member]:
    """The members enrolled in the programme on the session's day, by family then given name.
    One statement, whatever their number."""
    return list(
        db.session.scalars(
            sa.select(Member)
            .join(Enrolment, Enrolment.member_id == Member.id)
            .where(Enrolment.programme_id == session.programme_id, _enrolled_on(session.day))
            .order_by(Member.family_name, Member.given_name, Member.id)
        )
    )


def is_participant_on(session: Session, member_id: int | None) -> bool:
    if member_id is None:
        return False
    return (
        db.session.scalar(
            sa.select(Enrolment.id).where(
                Enrolment.programme_id == session.programme_id,
                Enrolment.member_id == member_id,
                _enrolled_on(session.day),
            )
        )
        is not None
    )


def slot_bounds(session: Session, slot: Slot) -> tuple[datetime, datetime]:
    """The slot's start and end as aware UTC datetimes."""
    zone = local_zone()
    start = datetime.combine(session.day, slot.starts_at, zone).astimezone(UTC)
    end = datetime.combine(session.day, slot.ends_at, zone).astimezone(UTC)
    return start, end


def attendance_row(slot: Slot, member_id: int, *, lock: bool = False) -> Attendance:
    """The participant's row for the slot, created (unmarked) when missing. Race-safe: a row
    created at the same moment by another request is the one returned. `lock`: the row is read
    FOR UPDATE (PostgreSQL), so a service that checks it then writes it (sign, paper,
    correction) sees what a concurrent one wrote, never overwrites it."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(Attendance)
        .values(slot_id=slot.id, member_id=member_id, minutes=0)
        .on_conflict_do_nothing(index_elements=["slot_id", "member_id"])
    )
    query = sa.select(Attendance).where(
        Attendance.slot_id == slot.id, Attendance.member_id == member_id
    )
    if lock:
        query = query.with_for_update(of=Attendance)
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def sheet_signed_now(session: Session, *, exclusive: bool = False) -> bool:
    """Has the trainer signed the sheet, as stored now? Re-reads the session's signature time
    with a row lock (shared by default: many participants sign at once; `exclusive` for the
    trainer's own signature and the roll-call's serialised saves), so a check made while the
    trainer signs waits for it instead of trusting the value loaded earlier in the request."""
    db.session.refresh(
        session, ["trainer_signed_at"], with_for_update=True if exclusive else {"read": True}
    )
    return session.trainer_signed_at is not None


def locked(row: Attendance, session: Session) -> bool:
    """Has the slot been signed (by the participant, or on paper), or the whole sheet by the
    trainer? Then it changes only as a correction with a reason."""
    return row.signed or session.trainer_signed_at is not None


def snapshot(row: Attendance) -> dict:
    """What a correction shows as before and after."""
    return {
        "status": row.status,
        "arrived_at": row.arrived_at.strftime("%H:%M") if row.arrived_at else None,
        "left_at": row.left_at.strftime("%H:%M") if row.left_at else None,
        "minutes": row.minutes,
        "signed": row.signed,
        "signed_on_paper": row.signed_on_paper,
    }
