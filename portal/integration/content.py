"""The record's content: goals with their status history, support actions, skill assessments
and barriers — the services that change them and the queries the record page shows.

Services take the acting user explicitly, check the record's policies themselves (a view that
forgot would still be refused), flush but never commit, and raise `DomainError` (a rule said
no, with the field it concerns) or `NotAllowed`. The audit log gets field names and ids only,
never what the record says: it is read by administrators and must hold no personal data.

The queries each run a fixed number of statements whatever the size of the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.integration import policies
from portal.integration.models import (
    ActionKind,
    Barrier,
    BarrierKind,
    BarrierStatus,
    Goal,
    GoalEvent,
    GoalStatus,
    Pathway,
    Skill,
    SkillAssessment,
    SupportAction,
)

MAX_GOAL_TITLE = 200
MAX_GOAL_DETAIL = 2000
MAX_EVENT_NOTE = 500
MAX_ACTION_NOTES = 2000
MAX_MINUTES = 24 * 60
MAX_ASSESSMENT_NOTE = 500
MAX_BARRIER_NOTE = 2000
LEVELS = range(1, 5)

FILL_IN = _l("Please fill this in.")
NOT_ALLOWED = _l("You cannot change this record.")


def too_long(limit: int):
    return _l("This is too long (at most %(n)d characters).", n=limit)


# --- Checks shared by the services ---------------------------------------------------------------


def _text(value, limit: int, field_name: str, required: bool = False) -> str:
    """The text stripped (and without NUL, which PostgreSQL refuses), within `limit`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(FILL_IN, field_name)
    text = value.replace("\x00", "").strip()
    if required and not text:
        raise DomainError(FILL_IN, field_name)
    if len(text) > limit:
        raise DomainError(too_long(limit), field_name)
    return text


def _allowed(predicate, actor, pathway: Pathway) -> None:
    if not predicate(actor, pathway):
        raise NotAllowed(NOT_ALLOWED)


def _day_in_pathway(day, pathway: Pathway, field_name: str) -> date:
    """A day of the pathway so far: not in the future, not before entry, not after exit."""
    if not isinstance(day, date):
        raise DomainError(_l("Please give a date."), field_name)
    if day > local_today():
        raise DomainError(_l("This day is in the future."), field_name)
    if day < pathway.entry_on:
        raise DomainError(_l("This day is before the start of the pathway."), field_name)
    if pathway.exit_on is not None and day > pathway.exit_on:
        raise DomainError(_l("This day is after the end of the pathway."), field_name)
    return day


def _choice(value, allowed, field_name: str) -> str:
    codes = {str(v) for v in allowed}
    if not isinstance(value, str) or value not in codes:
        raise DomainError(_l("Choose one of the answers in the list."), field_name)
    return value


def _whole(value, low: int, high: int, field_name: str, message) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(message, field_name)
    return value


def _key(pathway_id: int) -> str:
    return f"pathway:{pathway_id}"


def _pathway_of(row) -> Pathway:
    pathway = db.session.get(Pathway, row.pathway_id)
    if pathway is None:  # pragma: no cover - the foreign key keeps it
        raise NotAllowed(NOT_ALLOWED)
    return pathway


# --- Goals ---------------------------------------------------------------------------------------


def _target(target_on, pathway: Pathway) -> date | None:
    if target_on is None:
        return None
    if not isinstance(target_on, date):
        raise DomainError(_l("Please give a date."), "target_on")
    if target_on < pathway.entry_on:
        raise DomainError(_l("This day is before the start of the pathway."), "target_on")
    return target_on


def add_goal(actor, pathway: Pathway, title, detail="", target_on=None) -> Goal:
    """A new goal, not started yet, with the first step of its history.

    Raises NotAllowed unless `actor` keeps the record; DomainError on a missing or too long
    title or detail, or a target before the pathway's entry."""
    _allowed(policies.can_edit, actor, pathway)
    goal = Goal(
        pathway_id=pathway.id,
        title=_text(title, MAX_GOAL_TITLE, "title", required=True),
        detail=_text(detail, MAX_GOAL_DETAIL, "detail"),
        target_on=_target(target_on, pathway),
        status=GoalStatus.PLANNED.value,
        created_by_id=actor.id,
    )
    db.session.add(goal)
    db.session.flush()
    db.session.add(
        GoalEvent(goal_id=goal.id, status=GoalStatus.PLANNED.value, changed_by_id=actor.id)
    )
    db.session.flush()
    audit.record(
        actor, "integration.add_goal", "Goal added", object_key=_key(pathway.id), goal_id=goal.id
    )
    return goal


def _change(row, values: dict) -> list[str]:
    """Set the values that differ; their names. DomainError when none does."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        raise DomainError(_l("Nothing was changed."))
    for name in changed:
        setattr(row, name, values[name])
    db.session.flush()
    return changed


def edit_goal(actor, goal: Goal, title, detail="", target_on=None) -> list[str]:
    """Change a goal's words or target day. Returns the names of the fields changed.

    Raises NotAllowed unless `actor` keeps the record; DomainError as `add_goal`, or when
    nothing changed."""
    pathway = _pathway_of(goal)
    _allowed(policies.can_edit, actor, pathway)
    values = {
        "title": _text(title, MAX_GOAL_TITLE, "title", required=True),
        "detail": _text(detail, MAX_GOAL_DETAIL, "detail"),
        "target_on": _target(target_on, pathway),
    }
    changed = _change(goal, values)
    audit.record(
        actor,
        "integration.edit_goal",
        "Goal changed",
        object_key=_key(pathway.id),
        goal_id=goal.id,
        fields=changed,
    )
    return changed


def change_goal_status(actor, goal: Goal, status, note="") -> GoalEvent:
    """Move a goal to another status and add the step to its history.

    Raises NotAllowed unless `actor` keeps the record; DomainError on an unknown status, the
    status it already has, or a too long note."""
    pathway = _pathway_of(goal)
    _allowed(policies.can_edit, actor, pathway)
    status = _choice(status, GoalStatus, "status")
    if status == goal.status:
        raise DomainError(_l("The goal already has this status."), "status")
    note = _text(note, MAX_EVENT_NOTE, "note")
    goal.status = status
    event = GoalEvent(goal_id=goal.id, status=status, note=note, changed_by_id=actor.id)
    db.session.add(event)
    db.session.flush()
    audit.record(
        actor,
        "integration.change_goal_status",
        "Goal status changed",
        object_key=_key(pathway.id),
        goal_id=goal.id,
        event_id=event.id,
        fields=["status"],  # never the statuses themselves: they are the record's content
    )
    return event


# --- Support actions -----------------------------------------------------------------------------


def _action_values(pathway: Pathway, happened_on, kind, minutes, notes) -> dict:
    return {
        "happened_on": _day_in_pathway(happened_on, pathway, "happened_on"),
        "kind": _choice(kind, ActionKind, "kind"),
        "minutes": _whole(
            minutes,
            1,
            MAX_MINUTES,
            "minutes",
            _l("The time must be between 1 minute and 24 hours."),
        ),
        "notes": _text(notes, MAX_ACTION_NOTES, "notes"),
    }


def add_support_action(
    actor, pathway: Pathway, happened_on, kind, minutes, notes=""
) -> SupportAction:
    """Record a support action (date, kind, minutes 1..1440, notes).

    Raises NotAllowed unless `actor` is an assigned counsellor or trainer; DomainError on a day
    in the future or outside the pathway, an unknown kind, a time out of range, too long notes."""
    _allowed(policies.can_record_action, actor, pathway)
    action = SupportAction(
        pathway_id=pathway.id,
        recorded_by_id=actor.id,
        **_action_values(pathway, happened_on, kind, minutes, notes),
    )
    db.session.add(action)
    db.session.flush()
    audit.record(
        actor,
        "integration.add_support_action",
        "Support action recorded",
        object_key=_key(pathway.id),
        action_id=action.id,
    )
    return action


def can_correct_action(user, action: SupportAction, pathway: Pathway) -> bool:
    """Its author, while they are still in the team."""
    return (
        user is not None
        and action.recorded_by_id is not None
        and action.recorded_by_id == getattr(user, "id", None)
        and policies.can_record_action(user, pathway)
    )


def correct_support_action(
    actor, action: SupportAction, happened_on, kind, minutes, notes=""
) -> list[str]:
    """Correct a support action. Returns the names of the fields changed.

    Raises NotAllowed unless `actor` recorded it and is still in the team; DomainError as
    `add_support_action`, or when nothing changed."""
    pathway = _pathway_of(action)
    if not can_correct_action(actor, action, pathway):
        raise NotAllowed(_l("Only the person who wrote this action can correct it."))
    values = _action_values(pathway, happened_on, kind, minutes, notes)
    changed = _change(action, values)
    audit.record(
        actor,
        "integration.correct_support_action",
        "Support action corrected",
        object_key=_key(pathway.id),
        action_id=action.id,
        fields=changed,
    )
    return changed


# --- Skills --------------------------------------------------------------------------------------


def assess_skill(
    actor, pathway: Pathway, skill: Skill, level, assessed_on, note=""
) -> SkillAssessment:
    """A dated level (1..4) of one skill of the referential.

    Raises NotAllowed unless `actor` is an assigned trainer; DomainError on a skill no longer
    in use, a level out of the scale, a day in the future or outside the pathway, a too long
    note."""
    _allowed(policies.can_assess, actor, pathway)
    if skill is None or not skill.active:
        raise DomainError(_l("This skill is no longer used."), "skill")
    assessment = SkillAssessment(
        pathway_id=pathway.id,
        skill_id=skill.id,
        level=_whole(level, 1, 4, "level", _l("Choose one of the answers in the list.")),
        assessed_on=_day_in_pathway(assessed_on, pathway, "assessed_on"),
        note=_text(note, MAX_ASSESSMENT_NOTE, "note"),
        assessed_by_id=actor.id,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        actor,
        "integration.assess_skill",
        "Skill assessed",
        object_key=_key(pathway.id),
        assessment_id=assessment.id,
        skill_id=skill.id,
    )
    return assessment


# --- Barriers ------------------------------------------------------------------------------------


def set_barrier(actor, pathway: Pathway, kind, status, note="") -> Barrier:
    """Record where one kind of difficulty stands (one row per kind: created or updated).

    Raises NotAllowed unless `actor` is assigned with access to personal data; DomainError on
    an unknown kind or status, a too long note, or when nothing changed. The audit entry names
    neither the kind nor the note: the barriers are special-category data."""
    _allowed(policies.can_edit_barriers, actor, pathway)
    kind = _choice(kind, BarrierKind, "kind")
    status = _choice(status, BarrierStatus, "status")
    note = _text(note, MAX_BARRIER_NOTE, "note")
    barrier = db.session.scalar(
        sa.select(Barrier).where(Barrier.pathway_id == pathway.id, Barrier.kind == kind)
    )
    if barrier is None:
        barrier = Barrier(
            pathway_id=pathway.id,
            kind=kind,
            status=status,
            note=note,
            noted_on=local_today(),
            updated_by_id=actor.id,
        )
        db.session.add(barrier)
        changed = ["status", "note"] if note else ["status"]
    else:
        changed = [
            name
            for name, value in (("status", status), ("note", note))
            if getattr(barrier, name) != value
        ]
        if not changed:
            raise DomainError(_l("Nothing was changed."))
        barrier.status, barrier.note = status, note
        barrier.noted_on = local_today()
        barrier.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "integration.set_barrier",
        "Barrier recorded",
        object_key=_key(pathway.id),
        barrier_id=barrier.id,
        fields=changed,
    )
    return barrier


# --- Queries (a fixed number of statements each) -------------------------------------------------


@dataclass
class Step:
    status: str
    note: str
    changed_at: object
    by: str | None


@dataclass
class GoalRow:
    goal: Goal
    steps: list[Step] = field(default_factory=list)


def goals_of(pathway: Pathway) -> list[GoalRow]:
    """The goals (open first, then by creation) with their history, oldest step first.
    Two statements."""
    goals = db.session.scalars(
        sa.select(Goal)
        .where(Goal.pathway_id == pathway.id)
        .order_by(
            sa.case(
                (Goal.status.in_([GoalStatus.REACHED.value, GoalStatus.DROPPED.value]), 1),
                else_=0,
            ),
            Goal.id,
        )
    ).all()
    rows = {goal.id: GoalRow(goal) for goal in goals}
    if rows:
        events = db.session.execute(
            sa.select(GoalEvent, User.display_name)
            .join(Goal, Goal.id == GoalEvent.goal_id)
            .outerjoin(User, User.id == GoalEvent.changed_by_id)
            .where(Goal.pathway_id == pathway.id)
            .order_by(GoalEvent.changed_at, GoalEvent.id)
        ).all()
        for event, name in events:
            rows[event.goal_id].steps.append(Step(event.status, event.note, event.changed_at, name))
    return list(rows.values())


def actions_of(pathway: Pathway) -> tuple[list[SupportAction], int]:
    """The support actions, newest first, and their total minutes. Two statements."""
    actions = db.session.scalars(
        sa.select(SupportAction)
        .where(SupportAction.pathway_id == pathway.id)
        .order_by(SupportAction.happened_on.desc(), SupportAction.id.desc())
    ).all()
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(SupportAction.minutes), 0)).where(
            SupportAction.pathway_id == pathway.id
        )
    )
    return list(actions), int(total or 0)


@dataclass
class Assessed:
    level: int
    assessed_on: date
    note: str
    by: str | None


@dataclass
class SkillRow:
    skill: Skill
    history: list[Assessed] = field(default_factory=list)  # oldest first

    @property
    def first(self) -> Assessed | None:
        return self.history[0] if self.history else None

    @property
    def latest(self) -> Assessed | None:
        return self.history[-1] if self.history else None

    @property
    def progress(self) -> int | None:
        return self.latest.level - self.first.level if self.history else None


def skills_grid(pathway: Pathway) -> list[SkillRow]:
    """Every skill in use, and every skill no longer in use that this pathway was assessed on,
    in the referential's order, with the pathway's dated assessments. Two statements."""
    assessments = db.session.execute(
        sa.select(SkillAssessment, User.display_name)
        .outerjoin(User, User.id == SkillAssessment.assessed_by_id)
        .where(SkillAssessment.pathway_id == pathway.id)
        .order_by(SkillAssessment.assessed_on, SkillAssessment.id)
    ).all()
    assessed_ids = {a.skill_id for a, _ in assessments}
    skills = db.session.scalars(
        sa.select(Skill)
        .where(sa.or_(Skill.active.is_(True), Skill.id.in_(assessed_ids or [0])))
        .order_by(Skill.area, Skill.sort_order, Skill.name, Skill.id)
    ).all()
    rows = {skill.id: SkillRow(skill) for skill in skills}
    for assessment, name in assessments:
        rows[assessment.skill_id].history.append(
            Assessed(assessment.level, assessment.assessed_on, assessment.note, name)
        )
    return list(rows.values())


@dataclass
class BarrierRow:
    kind: BarrierKind
    barrier: Barrier | None
    by: str | None


def barriers_of(pathway: Pathway) -> list[BarrierRow]:
    """One row per kind of difficulty, in the registry's order (None: never recorded).
    One statement."""
    found = {
        barrier.kind: (barrier, name)
        for barrier, name in db.session.execute(
            sa.select(Barrier, User.display_name)
            .outerjoin(User, User.id == Barrier.updated_by_id)
            .where(Barrier.pathway_id == pathway.id)
        ).all()
    }
    return [BarrierRow(kind, *found.get(kind.value, (None, None))) for kind in BarrierKind]
