"""Programmes and sessions: the trainer's side.

- A `Programme` has a kind (the four of ENSIE's definition), a plain-words summary, learning
  outcomes (`ProgrammeOutcome`, skills of integration's referential), trainers
  (`ProgrammeTrainer`), the team or body it is for, planned hours, dates, a funder, and a state
  (planned → running → finished, or cancelled: `workflow.py`).
- `Enrolment`: a member in a programme (one by one, by team or by body), withdrawn or not.
- A `Session` of a programme takes place on one day, in one or two half-day `Slot`s (a morning,
  an afternoon), with its trainers (`SessionTrainer`), place, topic, what was covered, materials
  (`SessionMaterial`), and the trainer's signature of the sheet once it is over.
- `Attendance`: one participant in one slot: status, arrival and departure, minutes attended,
  and the signature (an image with its time, or "signed on paper" with the scanned sheet in the
  materials). A change to a signed slot is a `AttendanceCorrection` with a reason.
- `Apology`: a participant says in advance "I can't come", with a reason from a short list.
- `FeedbackGiven` (who answered) and `FeedbackAnswer` (what was answered, with no link to a
  person): the totals are anonymous.
- `Evidence`: a learning outcome of a session, for one participant, that the trainer confirms
  on the four-step scale (or says "not yet"); a confirmation is written to the pathway's skills.
- `PracticeRole`: who took which role (chair, secretary, teller) in the session's practice
  meeting, in turn. A practice poll is a `Poll` of the voting domain (`Session.practice_poll_id`).
- `AbsenceAlert`: a counsellor was told that a member missed several sessions in a row.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TimestampMixin, UTCDateTime, utcnow
from portal.core.security import Securable, register_content_type
from portal.extensions import db
from portal.programmes.workflow import PROGRAMME_WORKFLOW


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class ProgrammeKind(StrEnum):
    SOCIALIZATION = "socialization"
    TRAINING = "training"
    WORKPLACE = "workplace"
    CITIZENSHIP = "citizenship"


KIND_TITLES = {
    ProgrammeKind.SOCIALIZATION: _l("Socialization"),
    ProgrammeKind.TRAINING: _l("Professional training"),
    ProgrammeKind.WORKPLACE: _l("Integration at the workplace"),
    ProgrammeKind.CITIZENSHIP: _l("Citizenship"),
}

# In plain words, for the people who take part.
KIND_DESCRIPTIONS = {
    ProgrammeKind.SOCIALIZATION: _l(
        "Your rights and duties at work, and the enterprise as a group of people."
    ),
    ProgrammeKind.TRAINING: _l("Learning a trade inside real work."),
    ProgrammeKind.WORKPLACE: _l("Dealing with problems at work as they come."),
    ProgrammeKind.CITIZENSHIP: _l(
        "Your part in running the enterprise: meetings, votes, decisions."
    ),
}


class Half(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"


HALF_TITLES = {Half.MORNING: _l("Morning"), Half.AFTERNOON: _l("Afternoon")}


class Status(StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    EXCUSED = "excused"
    ABSENT = "absent"


STATUS_TITLES = {
    Status.PRESENT: _l("Present"),
    Status.LATE: _l("Late"),
    Status.LEFT_EARLY: _l("Left early"),
    Status.EXCUSED: _l("Excused"),
    Status.ABSENT: _l("Absent"),
}

# The statuses of someone who was in the room (minutes attended count).
IN_ROOM = frozenset({Status.PRESENT.value, Status.LATE.value, Status.LEFT_EARLY.value})


class ApologyReason(StrEnum):
    ILLNESS = "illness"
    CHILDCARE = "childcare"
    APPOINTMENT = "appointment"
    TRANSPORT = "transport"
    WORK = "work"
    OTHER = "other"


APOLOGY_TITLES = {
    ApologyReason.ILLNESS: _l("I am ill"),
    ApologyReason.CHILDCARE: _l("I look after a child or a relative"),
    ApologyReason.APPOINTMENT: _l("I have an appointment"),
    ApologyReason.TRANSPORT: _l("I have no transport"),
    ApologyReason.WORK: _l("I am needed at work"),
    ApologyReason.OTHER: _l("Another reason"),
}


class Mood(StrEnum):
    GOOD = "good"
    SO_SO = "so_so"
    NOT_GOOD = "not_good"


MOOD_TITLES = {Mood.GOOD: _l("Good"), Mood.SO_SO: _l("So-so"), Mood.NOT_GOOD: _l("Not good")}


class PracticeRoleKind(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    TELLER = "teller"


PRACTICE_ROLE_TITLES = {
    PracticeRoleKind.CHAIR: _l("Chair"),
    PracticeRoleKind.SECRETARY: _l("Secretary"),
    PracticeRoleKind.TELLER: _l("Teller"),
}


class EnrolmentSource(StrEnum):
    PERSON = "person"
    TEAM = "team"
    BODY = "body"


# --- The programme -------------------------------------------------------------------------------


@register_content_type
class Programme(Securable, TimestampMixin, db.Model):
    """A programme of sessions. Who may do what: `workflow.py`, `policies.py`."""

    __tablename__ = "programmes"
    content_type = "programme"
    workflow = PROGRAMME_WORKFLOW
    shareable = False  # the roles come from the programme itself: its trainers, its participants
    matrix_by_role = True

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")  # "what you will learn"
    team: Mapped[str] = mapped_column(sa.String(80), default="")  # the team it is for
    body_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bodies.id", ondelete="SET NULL")
    )  # or the body it is for
    planned_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 1))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    funder: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[str] = mapped_column(
        sa.String(20), default=PROGRAMME_WORKFLOW.initial, index=True
    )
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    body = relationship("Body", lazy="joined")
    trainers: Mapped[list[ProgrammeTrainer]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", lazy="selectin"
    )
    outcomes: Mapped[list[ProgrammeOutcome]] = relationship(
        back_populates="programme",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ProgrammeOutcome.id",
    )

    __table_args__ = (
        sa.CheckConstraint(_in("kind", ProgrammeKind), name="known_kind"),
        sa.CheckConstraint(_in("state", PROGRAMME_WORKFLOW.states), name="known_state"),
        sa.CheckConstraint(
            "planned_hours IS NULL OR (planned_hours > 0 AND planned_hours <= 5000)",
            name="planned_hours_range",
        ),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="end_after_start"),
    )

    @property
    def trainer_ids(self) -> set[int]:
        return {t.user_id for t in self.trainers}

    def dynamic_roles(self, user) -> set[str]:
        from portal.programmes.policies import programme_roles

        return programme_roles(user, self)

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        from portal.programmes.policies import programme_role_clauses

        return programme_role_clauses(user)

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.kind} {self.state}>"


class ProgrammeTrainer(db.Model):
    __tablename__ = "programme_trainers"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    programme: Mapped[Programme] = relationship(back_populates="trainers")
    user = relationship("User", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("programme_id", "user_id"),)


class ProgrammeOutcome(db.Model):
    """A learning outcome: a skill of integration's referential, with the programme's words."""

    __tablename__ = "programme_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    skill_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integration_skills.id", ondelete="RESTRICT")
    )
    wording: Mapped[str] = mapped_column(sa.String(300), default="")

    programme: Mapped[Programme] = relationship(back_populates="outcomes")
    skill = relationship("Skill", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("programme_id", "skill_id"),)


class Enrolment(db.Model):
    __tablename__ = "programme_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    source: Mapped[str] = mapped_column(sa.String(10), default=EnrolmentSource.PERSON.value)
    enrolled_on: Mapped[date] = mapped_column(sa.Date)
    enrolled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # e-mail queued
    withdrawn_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member = relationship("Member", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("programme_id", "member_id"),
        sa.CheckConstraint(_in("source", EnrolmentSource), name="known_source"),
        sa.CheckConstraint(
            "withdrawn_on IS NULL OR withdrawn_on >= enrolled_on", name="withdrawn_after"
        ),
    )


# --- Sessions ------------------------------------------------------------------------------------


class Session(db.Model):
    """One day of a programme, in one or two half-day slots."""

    __tablename__ = "programme_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    topic: Mapped[str] = mapped_column(sa.String(200))  # the module, on the sheet
    covered: Mapped[str] = mapped_column(sa.Text, default="")  # what was covered, afterwards
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # The trainer's signature of the whole sheet, once the session is over.
    trainer_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trainer_signed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    trainer_signature: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    # Self check-in: a secret per session, from which the rotating codes are derived.
    code_secret: Mapped[str] = mapped_column(sa.String(64))
    practice_poll_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("polls.id", ondelete="SET NULL")
    )
    # Bumped by every roll-call save: a save made on an older page is refused (409) or merged.
    roll_version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship(lazy="joined")
    slots: Mapped[list[Slot]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Slot.starts_at",
    )
    trainers: Mapped[list[SessionTrainer]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def starts_at(self) -> time | None:
        return self.slots[0].starts_at if self.slots else None

    @property
    def ends_at(self) -> time | None:
        return self.slots[-1].ends_at if self.slots else None

    @property
    def trainer_ids(self) -> set[int]:
        return {t.user_id for t in self.trainers}

    def __repr__(self) -> str:
        return f"<Session {self.id} of programme {self.programme_id} on {self.day}>"


class Slot(db.Model):
    """A half-day of a session: each participant signs for each slot."""

    __tablename__ = "session_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    half: Mapped[str] = mapped_column(sa.String(10))
    starts_at: Mapped[time] = mapped_column(sa.Time)
    ends_at: Mapped[time] = mapped_column(sa.Time)

    session: Mapped[Session] = relationship(back_populates="slots")

    __table_args__ = (
        sa.UniqueConstraint("session_id", "half"),
        sa.CheckConstraint(_in("half", Half), name="known_half"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    @property
    def minutes(self) -> int:
        return (self.ends_at.hour * 60 + self.ends_at.minute) - (
            self.starts_at.hour * 60 + self.starts_at.minute
        )


class SessionTrainer(db.Model):
    __tablename__ = "session_trainers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    session: Mapped[Session] = relationship(back_populates="trainers")
    user = relationship("User", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("session_id", "user_id"),)


class SessionMaterial(db.Model):
    """A file of a session (handout, slides, the scanned paper sheet). Served only through an
    authorised route, as a download, with the proposals' checks on kind and size."""

    __tablename__ = "session_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    # A scanned paper sheet is personal data (signatures): only those who read sheets get it.
    paper_sheet: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.CheckConstraint("size >= 0", name="size_positive"),)


# --- Attendance ----------------------------------------------------------------------------------


class Attendance(db.Model):
    """One participant in one slot. No row: not marked yet."""

    __tablename__ = "session_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("session_slots.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str | None] = mapped_column(sa.String(12))
    arrived_at: Mapped[time | None] = mapped_column(sa.Time)
    left_at: Mapped[time | None] = mapped_column(sa.Time)
    minutes: Mapped[int] = mapped_column(default=0)  # minutes attended
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # self check-in
    # The signature: a PNG of the finger's strokes, with the time it was given.
    signature: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_on_paper: Mapped[bool] = mapped_column(default=False)
    signature_removed_on: Mapped[date | None] = mapped_column(sa.Date)  # after the retention
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    slot: Mapped[Slot] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("slot_id", "member_id"),
        sa.CheckConstraint(f"status IS NULL OR {_in('status', Status)}", name="known_status"),
        sa.CheckConstraint("minutes >= 0 AND minutes <= 720", name="minutes_range"),
        sa.CheckConstraint(
            "arrived_at IS NULL OR left_at IS NULL OR left_at >= arrived_at",
            name="left_after_arrival",
        ),
    )

    @property
    def signed(self) -> bool:
        return self.signed_at is not None or self.signed_on_paper


class AttendanceCorrection(db.Model):
    """A change to a signed slot, or to a sheet the trainer signed: who, when, why, what."""

    __tablename__ = "attendance_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("session_attendance.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(500))
    before: Mapped[dict] = mapped_column(sa.JSON)
    after: Mapped[dict] = mapped_column(sa.JSON)
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by = relationship("User", lazy="joined")


class Apology(db.Model):
    """ "I can't come": said by the participant before the session."""

    __tablename__ = "session_apologies"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("session_id", "member_id"),
        sa.CheckConstraint(_in("reason", ApologyReason), name="known_reason"),
    )


class FeedbackGiven(db.Model):
    """Who gave feedback on a session (once each); what they said is in `FeedbackAnswer`."""

    __tablename__ = "session_feedback_given"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))

    __table_args__ = (sa.UniqueConstraint("session_id", "member_id"),)


class FeedbackAnswer(db.Model):
    """What was answered, with no link to who answered (nor a time that would give it away)."""

    __tablename__ = "session_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    mood: Mapped[str] = mapped_column(sa.String(10))
    sentence: Mapped[str] = mapped_column(sa.String(280), default="")

    __table_args__ = (sa.CheckConstraint(_in("mood", Mood), name="known_mood"),)


class Evidence(db.Model):
    """A learning outcome of a session for one participant, as the trainer decided it: a level
    on the four-step scale (confirmed) or "not yet" (level NULL). Nothing is assessed
    automatically; a confirmation is also written to the member's pathway's skills."""

    __tablename__ = "programme_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    skill_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integration_skills.id", ondelete="RESTRICT")
    )
    level: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    assessment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("skill_assessments.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    skill = relationship("Skill", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("session_id", "member_id", "skill_id"),
        sa.CheckConstraint("level IS NULL OR level BETWEEN 1 AND 4", name="level_range"),
    )


class PracticeRole(db.Model):
    """Who held a role in the session's practice meeting, turn by turn."""

    __tablename__ = "session_practice_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    turn: Mapped[int] = mapped_column(default=1)
    role: Mapped[str] = mapped_column(sa.String(12))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="RESTRICT"))

    member = relationship("Member", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("session_id", "turn", "role"),
        sa.CheckConstraint(_in("role", PracticeRoleKind), name="known_role"),
        sa.CheckConstraint("turn BETWEEN 1 AND 20", name="turn_range"),
    )


class AbsenceAlert(db.Model):
    """A counsellor was told that a member missed `missed` sessions in a row of a programme,
    the last being `session_id` (told once per run of absences)."""

    __tablename__ = "programme_absence_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE")
    )
    missed: Mapped[int] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("programme_id", "member_id", "session_id"),)
