"""The attendance sheet of a session, as data for its page and its PDF: one row per participant,
one cell per slot, the totals, the corrections, the scanned paper sheets and the trainer's
signature. A fixed number of SQL statements, whatever the number of participants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from portal.accounts.models import User
from portal.extensions import db
from portal.members.models import Member
from portal.programmes import common
from portal.programmes.models import (
    IN_ROOM,
    Attendance,
    AttendanceCorrection,
    Session,
    SessionMaterial,
    Slot,
)
from portal.programmes.signatures import data_url


@dataclass
class Cell:
    slot: Slot
    row: Attendance | None
    signature: str | None = None  # a data URL, only for those who read sheets
    corrected: bool = False

    @property
    def status(self) -> str | None:
        return self.row.status if self.row else None

    @property
    def in_room(self) -> bool:
        return self.status in IN_ROOM

    @property
    def struck(self) -> bool:
        """Absent or excused: the cell is struck through."""
        return self.status is not None and not self.in_room

    @property
    def minutes(self) -> int:
        return self.row.minutes if self.row and self.in_room else 0


@dataclass
class Line:
    member: Member
    cells: list[Cell]

    @property
    def minutes(self) -> int:
        return sum(cell.minutes for cell in self.cells)


@dataclass
class Correction:
    member: Member
    slot: Slot
    row: AttendanceCorrection


@dataclass
class Sheet:
    session: Session
    lines: list[Line]
    corrections: list[Correction]
    papers: list[SessionMaterial]
    trainers: list[User]
    trainer_signed_by: User | None
    trainer_signature: str | None
    present: dict[int, int] = field(default_factory=dict)  # by slot id
    slot_minutes: dict[int, int] = field(default_factory=dict)  # by slot id

    @property
    def minutes(self) -> int:
        return sum(self.slot_minutes.values())

    @property
    def signed_by_trainer_at(self) -> datetime | None:
        return self.session.trainer_signed_at


def build_sheet(session: Session, with_signatures: bool) -> Sheet:
    """The sheet of `session`. `with_signatures`: the images too (only for those who may read
    sheets: never shown to other participants)."""
    members = common.participants(session)
    slot_ids = [slot.id for slot in session.slots]
    query = sa.select(Attendance).where(Attendance.slot_id.in_(slot_ids))
    if with_signatures:
        query = query.options(undefer(Attendance.signature))
    rows = {(r.slot_id, r.member_id): r for r in db.session.scalars(query)} if slot_ids else {}
    # Someone withdrawn since (on the session's day) keeps the lines they were marked or signed
    # on: the sheet says what happened, as the hours count it. One statement, only when needed.
    listed = {member.id for member in members}
    gone = {
        member_id
        for (_slot, member_id), row in rows.items()
        if member_id not in listed and (row.status is not None or row.signed)
    }
    if gone:
        members = sorted(
            [*members, *db.session.scalars(sa.select(Member).where(Member.id.in_(gone)))],
            key=lambda m: (m.family_name, m.given_name, m.id),
        )
    by_id = {row.id: row for row in rows.values()}
    corrections_rows = (
        list(
            db.session.scalars(
                sa.select(AttendanceCorrection)
                .where(AttendanceCorrection.attendance_id.in_(list(by_id)))
                .order_by(AttendanceCorrection.changed_at, AttendanceCorrection.id)
            )
        )
        if by_id
        else []
    )
    corrected = {c.attendance_id for c in corrections_rows}
    slots = {slot.id: slot for slot in session.slots}
    lines = []
    for member in members:
        cells = []
        for slot in session.slots:
            row = rows.get((slot.id, member.id))
            cells.append(
                Cell(
                    slot,
                    row,
                    data_url(row.signature) if with_signatures and row is not None else None,
                    row is not None and row.id in corrected,
                )
            )
        lines.append(Line(member, cells))
    names = {m.id: m for m in members}
    corrections = []
    for correction in corrections_rows:
        row = by_id[correction.attendance_id]
        member = names.get(row.member_id)
        if member is not None:
            corrections.append(Correction(member, slots[row.slot_id], correction))
    papers = list(
        db.session.scalars(
            sa.select(SessionMaterial)
            .where(SessionMaterial.session_id == session.id, SessionMaterial.paper_sheet.is_(True))
            .order_by(SessionMaterial.created_at, SessionMaterial.id)
        )
    )
    signed_by = (
        db.session.get(User, session.trainer_signed_by_id) if session.trainer_signed_by_id else None
    )
    trainer_signature = None
    if with_signatures and session.trainer_signed_at is not None:
        trainer_signature = data_url(
            db.session.scalar(sa.select(Session.trainer_signature).where(Session.id == session.id))
        )
    sheet = Sheet(
        session=session,
        lines=lines,
        corrections=corrections,
        papers=papers,
        trainers=[t.user for t in session.trainers],
        trainer_signed_by=signed_by,
        trainer_signature=trainer_signature,
    )
    for index, slot in enumerate(session.slots):
        cells = [line.cells[index] for line in lines]
        sheet.present[slot.id] = sum(1 for cell in cells if cell.in_room)
        sheet.slot_minutes[slot.id] = sum(cell.minutes for cell in cells)
    return sheet


def hours(minutes: int) -> str:
    """Minutes as hours and minutes: 3 h 30."""
    return f"{minutes // 60} h {minutes % 60:02d}"
