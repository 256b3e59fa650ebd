"""Integration records: each worker's pathway, its follow-up team, its content and the journal
of who read it.

- A `Pathway` is one integration pathway of a member (a member may have several over time):
  entry, planned end, contract, weekly hours, team, referring organisation, and — once it ends —
  exit date and outcome. After the retention time `flask integration purge` anonymises it:
  `member_id` becomes NULL, dates are kept as the first day of their month, and every text and
  every special-category row is deleted (see `purge.py`).
- `Eligibility`: the criteria that made the person eligible, each with its expiry.
- `PathwayPeriod`: suspensions (from, to, reason) and extensions (the planned end moved, with the
  end before and after, and the reason).
- `Assignment`: a counsellor or trainer following the pathway from one day to another, with or
  without access to personal data (the barriers). Access holds only while it runs.
- `Goal` with its `GoalEvent`s (status history), `SupportAction`s (date, type, duration, notes),
  `SkillAssessment`s against the configurable `Skill` referential, `Barrier`s (one per kind,
  special-category data), `ExitOutcome` (configurable categories).
- `RecordRead`: the journal. One row per read of a record (page, fragment, PDF, export) and per
  refused attempt. The database refuses UPDATE and DELETE on it (triggers, see the migration).
  Attempts by someone not logged in are counted per record and day (`AnonymousAttempts`).
- `RectificationRequest`: a member asks to correct their record; the follow-up team answers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TimestampMixin, UTCDateTime, utcnow
from portal.core.security import Permission, Securable, register_content_type
from portal.extensions import db
from portal.integration.workflow import ANONYMISED, KEPT, RECORD_WORKFLOW


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


# --- Registries of choices (codes are stored; titles are translated) -----------------------------


class ContractType(StrEnum):
    INTEGRATION = "integration"  # fixed-term integration contract (CDDI and similar)
    FIXED_TERM = "fixed_term"
    PERMANENT = "permanent"
    SUBSIDISED = "subsidised"
    APPRENTICESHIP = "apprenticeship"
    TRAINEESHIP = "traineeship"
    OTHER = "other"


CONTRACT_TITLES = {
    ContractType.INTEGRATION: _l("Integration contract (fixed term)"),
    ContractType.FIXED_TERM: _l("Other fixed-term contract"),
    ContractType.PERMANENT: _l("Permanent contract"),
    ContractType.SUBSIDISED: _l("Subsidised contract"),
    ContractType.APPRENTICESHIP: _l("Apprenticeship"),
    ContractType.TRAINEESHIP: _l("Traineeship or work placement"),
    ContractType.OTHER: _l("Other"),
}


class Criterion(StrEnum):
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    MINIMUM_INCOME = "minimum_income"
    DISABILITY = "disability"
    YOUNG_NO_QUALIFICATION = "young_no_qualification"
    OVER_50 = "over_50"
    REFUGEE = "refugee"
    PRIORITY_AREA = "priority_area"
    JUSTICE = "justice"
    OTHER = "other"


CRITERION_TITLES = {
    Criterion.LONG_TERM_UNEMPLOYED: _l("Out of work for a long time"),
    Criterion.MINIMUM_INCOME: _l("Receives the minimum income"),
    Criterion.DISABILITY: _l("Recognised disability"),
    Criterion.YOUNG_NO_QUALIFICATION: _l("Young person without a qualification"),
    Criterion.OVER_50: _l("Over 50 and looking for work"),
    Criterion.REFUGEE: _l("Refugee or protected person"),
    Criterion.PRIORITY_AREA: _l("Lives in a priority area"),
    Criterion.JUSTICE: _l("Leaving prison or under a court measure"),
    Criterion.OTHER: _l("Other criterion"),
}


class PeriodKind(StrEnum):
    SUSPENSION = "suspension"
    EXTENSION = "extension"
    REOPENING = "reopening"  # an exit recorded by mistake was undone (starts_on: that exit date)


PERIOD_TITLES = {
    PeriodKind.SUSPENSION: _l("Suspension"),
    PeriodKind.EXTENSION: _l("Extension"),
    PeriodKind.REOPENING: _l("Exit undone"),
}


class TeamRole(StrEnum):
    COUNSELLOR = "counsellor"
    TRAINER = "trainer"


TEAM_ROLE_TITLES = {
    TeamRole.COUNSELLOR: _l("Counsellor"),
    TeamRole.TRAINER: _l("Trainer"),
}


class GoalStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    REACHED = "reached"
    DROPPED = "dropped"


GOAL_STATUS_TITLES = {
    GoalStatus.PLANNED: _l("Not started"),
    GoalStatus.IN_PROGRESS: _l("Working on it"),
    GoalStatus.REACHED: _l("Reached"),
    GoalStatus.DROPPED: _l("Dropped"),
}


class ActionKind(StrEnum):
    INTERVIEW = "interview"
    COACHING = "coaching"
    TRAINING = "training"
    PAPERWORK = "paperwork"
    JOB_SEARCH = "job_search"
    REFERRAL = "referral"
    WORKSHOP = "workshop"
    OTHER = "other"


ACTION_TITLES = {
    ActionKind.INTERVIEW: _l("Meeting with the counsellor"),
    ActionKind.COACHING: _l("Coaching at work"),
    ActionKind.TRAINING: _l("Training"),
    ActionKind.PAPERWORK: _l("Help with papers"),
    ActionKind.JOB_SEARCH: _l("Job search"),
    ActionKind.REFERRAL: _l("Sent to another service"),
    ActionKind.WORKSHOP: _l("Group workshop"),
    ActionKind.OTHER: _l("Other"),
}


class BarrierKind(StrEnum):
    HOUSING = "housing"
    MOBILITY = "mobility"
    HEALTH = "health"
    CHILDCARE = "childcare"
    MONEY = "money"
    LANGUAGE = "language"
    DIGITAL = "digital"


BARRIER_TITLES = {
    BarrierKind.HOUSING: _l("Housing"),
    BarrierKind.MOBILITY: _l("Getting around"),
    BarrierKind.HEALTH: _l("Health"),
    BarrierKind.CHILDCARE: _l("Childcare"),
    BarrierKind.MONEY: _l("Money"),
    BarrierKind.LANGUAGE: _l("Language"),
    BarrierKind.DIGITAL: _l("Computers and phones"),
}


class BarrierStatus(StrEnum):
    PRESENT = "present"
    WORKING = "working"
    SOLVED = "solved"


BARRIER_STATUS_TITLES = {
    BarrierStatus.PRESENT: _l("A difficulty"),
    BarrierStatus.WORKING: _l("Being worked on"),
    BarrierStatus.SOLVED: _l("Solved"),
}

# Skill levels: a fixed four-step scale, the same for every skill of the referential.
SKILL_LEVELS = {
    1: _l("Not yet"),
    2: _l("With help"),
    3: _l("On my own"),
    4: _l("Can show others"),
}


class ReadKind(StrEnum):
    PAGE = "page"
    FRAGMENT = "fragment"
    PDF = "pdf"
    EXPORT = "export"


class ReadOutcome(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    BREAK_GLASS = "break_glass"  # an administrator's read with a written reason


class RequestStatus(StrEnum):
    OPEN = "open"
    CORRECTED = "corrected"
    REFUSED = "refused"


REQUEST_STATUS_TITLES = {
    RequestStatus.OPEN: _l("Waiting for an answer"),
    RequestStatus.CORRECTED: _l("Corrected"),
    RequestStatus.REFUSED: _l("Not changed"),
}

# The default exit outcomes, created by the migration (name NULL: the translated default).
DEFAULT_OUTCOMES = {
    "long_term_job": (_l("Long-term job"), True),
    "short_term_job": (_l("Short-term job"), True),
    "training": (_l("Training"), True),
    "other_structure": (_l("Other integration structure"), True),
    "job_seeking": (_l("Looking for a job"), False),
    "inactive": (_l("Not looking for work"), False),
    "unknown": (_l("Not known"), False),
}


# --- Configuration -------------------------------------------------------------------------------


class ExitOutcome(db.Model):
    """A category of exit. `positive` counts towards the positive-exit rate."""

    __tablename__ = "integration_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(80))  # None: the translated default
    positive: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def title(self) -> str:
        if self.name:
            return self.name
        default = DEFAULT_OUTCOMES.get(self.code)
        return str(default[0]) if default else self.code

    def __repr__(self) -> str:
        return f"<ExitOutcome {self.code}>"


class Skill(db.Model):
    """One skill of the referential, assessed on the four-step scale."""

    __tablename__ = "integration_skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(sa.String(80), default="")
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.UniqueConstraint("area", "name"),)

    def __repr__(self) -> str:
        return f"<Skill {self.name!r}>"


# --- The record ----------------------------------------------------------------------------------


@register_content_type
class Pathway(Securable, TimestampMixin, db.Model):
    """One integration pathway of one member. Who may do what: `workflow.py`, `policies.py`."""

    __tablename__ = "pathways"
    content_type = "pathway"
    workflow = RECORD_WORKFLOW
    shareable = False  # the roles come from the record itself: the member, the team
    matrix_by_role = True
    done_by_tasks = {Permission.PURGE: "flask integration purge, after the retention time"}

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL once anonymised: nothing links the figures kept for statistics to a person.
    member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    entry_on: Mapped[date] = mapped_column(sa.Date)
    planned_end_on: Mapped[date | None] = mapped_column(sa.Date)
    contract_type: Mapped[str] = mapped_column(
        sa.String(20), default=ContractType.INTEGRATION.value
    )
    weekly_hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 1))
    team: Mapped[str] = mapped_column(sa.String(80), default="")
    referrer: Mapped[str] = mapped_column(sa.String(200), default="")  # referring organisation
    exit_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    outcome_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("integration_outcomes.id", ondelete="RESTRICT")
    )
    exit_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    purge_warned_on: Mapped[date | None] = mapped_column(sa.Date)
    anonymised_on: Mapped[date | None] = mapped_column(sa.Date)

    member = relationship("Member", lazy="joined")
    outcome: Mapped[ExitOutcome | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(_in("contract_type", ContractType), name="known_contract"),
        sa.CheckConstraint(
            "weekly_hours IS NULL OR (weekly_hours > 0 AND weekly_hours <= 48)",
            name="weekly_hours_range",
        ),
        sa.CheckConstraint(
            "planned_end_on IS NULL OR planned_end_on >= entry_on", name="end_after_entry"
        ),
        sa.CheckConstraint("exit_on IS NULL OR exit_on >= entry_on", name="exit_after_entry"),
        sa.CheckConstraint("(exit_on IS NULL) = (outcome_id IS NULL)", name="exit_with_outcome"),
        sa.CheckConstraint(
            "anonymised_on IS NULL OR member_id IS NULL", name="anonymised_unlinked"
        ),
    )

    @property
    def closed(self) -> bool:
        return self.exit_on is not None

    @property
    def anonymised(self) -> bool:
        return self.anonymised_on is not None

    @hybrid_property
    def state(self) -> str:
        """The record's state in its workflow: follows from the anonymisation."""
        return ANONYMISED if self.anonymised_on is not None else KEPT

    @state.inplace.expression
    @classmethod
    def _state_expression(cls) -> sa.ColumnElement[str]:
        return sa.case((cls.anonymised_on.is_(None), KEPT), else_=ANONYMISED)

    def dynamic_roles(self, user) -> set[str]:
        from portal.integration.policies import record_roles

        return record_roles(user, self)

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        from portal.integration.policies import record_role_clauses

        return record_role_clauses(user)

    def __repr__(self) -> str:
        return f"<Pathway {self.id} of member {self.member_id}>"


class Eligibility(db.Model):
    __tablename__ = "pathway_eligibility"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    criterion: Mapped[str] = mapped_column(sa.String(30))
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    checked_on: Mapped[date] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(_in("criterion", Criterion), name="known_criterion"),
        sa.CheckConstraint(
            "expires_on IS NULL OR expires_on >= checked_on", name="expires_after_check"
        ),
    )


class PathwayPeriod(db.Model):
    """A suspension (starts_on..ends_on, ends_on NULL while it lasts), an extension (the
    planned end moved from `previous_end_on` to `ends_on`, from `starts_on`), or a reopening (the
    exit recorded for `starts_on` was undone, with the reason)."""

    __tablename__ = "pathway_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    previous_end_on: Mapped[date | None] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(_in("kind", PeriodKind), name="known_kind"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        sa.CheckConstraint("kind <> 'extension' OR ends_on IS NOT NULL", name="extension_has_end"),
    )


class Assignment(db.Model):
    """A counsellor or trainer in the pathway's follow-up team, from `starts_on` to `ends_on`
    (inclusive; NULL: until further notice)."""

    __tablename__ = "pathway_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    personal_data: Mapped[bool] = mapped_column(default=False)
    assigned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", lazy="joined", foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint(_in("role", TeamRole), name="known_role"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class Goal(db.Model):
    __tablename__ = "pathway_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=GoalStatus.PLANNED.value)
    target_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.CheckConstraint(_in("status", GoalStatus), name="known_status"),)


class GoalEvent(db.Model):
    """One step of a goal's status history (the first is its creation)."""

    __tablename__ = "pathway_goal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathway_goals.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.CheckConstraint(_in("status", GoalStatus), name="known_status"),)


class SupportAction(db.Model):
    __tablename__ = "support_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    happened_on: Mapped[date] = mapped_column(sa.Date, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    minutes: Mapped[int] = mapped_column()
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recorded_by = relationship("User", lazy="joined", foreign_keys=[recorded_by_id])

    __table_args__ = (
        sa.CheckConstraint(_in("kind", ActionKind), name="known_kind"),
        sa.CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_range"),
    )


class SkillAssessment(db.Model):
    __tablename__ = "skill_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    skill_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integration_skills.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[int] = mapped_column()
    assessed_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    assessed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    skill: Mapped[Skill] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),)


class Barrier(db.Model):
    """A difficulty of one kind (housing, health…) and where it stands. Special-category data:
    shown only to the member and to people assigned with access to personal data."""

    __tablename__ = "pathway_barriers"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default=BarrierStatus.PRESENT.value)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    noted_on: Mapped[date] = mapped_column(sa.Date)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("pathway_id", "kind"),
        sa.CheckConstraint(_in("kind", BarrierKind), name="known_kind"),
        sa.CheckConstraint(_in("status", BarrierStatus), name="known_status"),
    )


class RecordRead(db.Model):
    """The journal: who read which record, when, what, and whether they were let in.

    Append-only: the database refuses UPDATE, and DELETE except of the rows of an anonymised
    record, which the purge deletes with it (triggers in the migration). It holds no content of
    the record. `pathway_id` is a plain number, not a foreign key: refused attempts
    on numbers that do not exist are journaled too.

    The member's own reads are kept with `by_member` and no `user_id`: while the pathway is
    linked to them they are known to be theirs, and once it is anonymised nothing in the journal
    points back to the person. An administrator's written reason for a break-glass read is kept
    beside it (`RecordReadReason`), so that the purge can delete it with the record.
    """

    __tablename__ = "record_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    by_member: Mapped[bool] = mapped_column(default=False)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(20))
    what: Mapped[str] = mapped_column(sa.String(60), default="")  # the page or part read
    outcome: Mapped[str] = mapped_column(sa.String(20))

    user = relationship("User", lazy="joined")
    reason_row: Mapped[RecordReadReason | None] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(_in("kind", ReadKind), name="known_kind"),
        sa.CheckConstraint(_in("outcome", ReadOutcome), name="known_outcome"),
        sa.CheckConstraint("NOT by_member OR user_id IS NULL", name="member_unnamed"),
    )

    @property
    def reason(self) -> str:
        return self.reason_row.reason if self.reason_row is not None else ""


class RecordReadReason(db.Model):
    """The written reason of a break-glass read (deleted by the purge with the record)."""

    __tablename__ = "record_read_reasons"

    read_id: Mapped[int] = mapped_column(
        sa.ForeignKey("record_reads.id", ondelete="CASCADE"), primary_key=True
    )
    pathway_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))

    __table_args__ = (sa.CheckConstraint("length(reason) > 0", name="not_empty"),)


class AnonymousAttempts(db.Model):
    """Attempts to open a record by someone not logged in, counted per record and day.

    Not journaled one by one: anyone can send them, and a flood of rows would push the team's
    real attempts out of the member's view (see `journal.count_anonymous_attempt`)."""

    __tablename__ = "record_anonymous_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(sa.ForeignKey("pathways.id", ondelete="CASCADE"))
    counted_on: Mapped[date]
    attempts: Mapped[int] = mapped_column(default=1)

    __table_args__ = (
        sa.UniqueConstraint("pathway_id", "counted_on"),
        sa.CheckConstraint("attempts > 0", name="positive"),
    )

    def __repr__(self) -> str:
        return f"<AnonymousAttempts pathway={self.pathway_id} {self.counted_on} {self.attempts}>"


class RectificationRequest(db.Model):
    """A member asks for something in their record to be corrected; the team answers."""

    __tablename__ = "rectification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default=RequestStatus.OPEN.value)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    asked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    answered_by = relationship("User", lazy="joined", foreign_keys=[answered_by_id])

    __table_args__ = (
        sa.CheckConstraint(_in("status", RequestStatus), name="known_status"),
        sa.CheckConstraint(
            "(status = 'open') = (answered_at IS NULL)", name="answered_when_closed"
        ),
    )
