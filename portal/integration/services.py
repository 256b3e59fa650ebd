"""The record itself: opening a pathway, its details, eligibility, suspensions and extensions,
the follow-up team, the exit, and an administrator's break-glass reading.

Services take the acting user explicitly, flush but never commit, and raise `DomainError`
(naming the field at fault) or `NotAllowed`. Audit entries name fields and ids only: never the
record's content (notes, reasons, referrer, criteria details).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.accounts.models import Role, User
from portal.core import audit
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.integration import journal, policies
from portal.integration.models import (
    Assignment,
    ContractType,
    Criterion,
    Eligibility,
    ExitOutcome,
    Pathway,
    PathwayPeriod,
    PeriodKind,
    ReadKind,
    ReadOutcome,
    TeamRole,
)
from portal.members.models import Member

MAX_TEAM, MAX_REFERRER, MAX_DETAIL, MAX_REASON, MAX_NOTE = 80, 200, 300, 2000, 2000
MIN_GLASS_REASON, MAX_GLASS_REASON = 10, 500
MAX_HOURS = Decimal(48)
EARLIEST = date(2000, 1, 1)
FAR_AHEAD_DAYS = 366 * 5  # dates further ahead are typing mistakes
EXPIRY_WARNING_DAYS = 30

STATUS_TITLES = {
    "active": _l("Under way"),
    "suspended": _l("Paused"),
    "ended": _l("Ended"),
    "not_started": _l("Not started yet"),
}


def _no(message, field_name: str | None = None):
    raise DomainError(message, field=field_name)


def _text(value, limit: int, field_name: str, *, required=None) -> str:
    text = (value or "").strip()
    if required is not None and not text:
        _no(required, field_name)
    if len(text) > limit:
        _no(_l("At most %(n)d characters.", n=limit), field_name)
    return text


def _day(value, field_name: str, *, required=True) -> date | None:
    if value is None:
        if required:
            _no(_l("Give a date."), field_name)
        return None
    if not isinstance(value, date):
        _no(_l("Give a date."), field_name)
    if value < EARLIEST or value > local_today() + timedelta(days=FAR_AHEAD_DAYS):
        _no(_l("This date is too far away. Check the year."), field_name)
    return value


def _audit(actor, pathway: Pathway, verb: str, summary: str, **details) -> None:
    audit.record(
        actor, f"integration.{verb}", summary, object_key=f"pathway:{pathway.id}", **details
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed(_l("You cannot change this record."))


def _not_closed(pathway: Pathway) -> None:
    if pathway.closed:
        _no(_l("This pathway has ended. Reopen it first."))


# --- Opening and details -------------------------------------------------------------------------


@dataclass
class PathwayData:
    entry_on: date | None
    planned_end_on: date | None = None
    contract_type: str = ContractType.INTEGRATION.value
    weekly_hours: Decimal | None = None
    team: str = ""
    referrer: str = ""
    counsellor: User | None = field(default=None)  # the first counsellor (when an admin opens)

    DETAIL_FIELDS = (
        "entry_on",
        "planned_end_on",
        "contract_type",
        "weekly_hours",
        "team",
        "referrer",
    )


def _checked_details(data: PathwayData) -> dict:
    entry_on = _day(data.entry_on, "entry_on")
    planned = _day(data.planned_end_on, "planned_end_on", required=False)
    if planned is not None and planned < entry_on:
        _no(_l("The planned end must be on or after the entry date."), "planned_end_on")
    if data.contract_type not in {c.value for c in ContractType}:
        _no(_l("Choose one of the answers in the list."), "contract_type")
    hours = data.weekly_hours
    if hours is not None:
        if not isinstance(hours, Decimal | int) or not (0 < hours <= MAX_HOURS):
            _no(_l("Give a number of hours from 1 to 48."), "weekly_hours")
        hours = Decimal(hours).quantize(Decimal("0.1"))
        if hours <= 0:
            _no(_l("Give a number of hours from 1 to 48."), "weekly_hours")
    return {
        "entry_on": entry_on,
        "planned_end_on": planned,
        "contract_type": data.contract_type,
        "weekly_hours": hours,
        "team": _text(data.team, MAX_TEAM, "team"),
        "referrer": _text(data.referrer, MAX_REFERRER, "referrer"),
    }


def open_pathway_of(member_id: int) -> Pathway | None:
    return db.session.scalar(
        sa.select(Pathway).where(
            Pathway.member_id == member_id,
            Pathway.exit_on.is_(None),
            Pathway.anonymised_on.is_(None),
        )
    )


OWN_RECORD = _l("Nobody follows their own pathway. Choose someone else.")


def _check_team_user(user: User | None, role: TeamRole, field_name: str) -> User:
    if user is None or not user.active or not user.has_role(Role(role.value)):
        if role == TeamRole.COUNSELLOR:
            _no(_l("Choose a counsellor from the list."), field_name)
        _no(_l("Choose a trainer from the list."), field_name)
    return user


def open_pathway(actor, member: Member | None, data: PathwayData) -> Pathway:
    """Open a pathway for `member`. A counsellor who opens it follows it (with access to personal
    data) from the entry date; an administrator names the first counsellor.

    Raises NotAllowed (not a counsellor or administrator) and DomainError (no such member, the
    member already has an open pathway, bad details, no counsellor named)."""
    if not policies.can_open_pathway(actor):
        raise NotAllowed(_l("You cannot open a pathway."))
    if member is None or member.state == "ended":
        _no(_l("Choose a person from the list."), "member")
    if open_pathway_of(member.id) is not None:
        _no(_l("This person already has a pathway under way. End it first."), "member")
    values = _checked_details(data)
    if actor.has_role(Role.COUNSELLOR):
        counsellor = actor if data.counsellor is None else data.counsellor
    else:
        counsellor = data.counsellor
    counsellor = _check_team_user(counsellor, TeamRole.COUNSELLOR, "counsellor")
    if member.user_id is not None and counsellor.id == member.user_id:
        _no(OWN_RECORD, "member" if counsellor.id == actor.id else "counsellor")
    return add_pathway(actor, member, values, counsellor)


def add_pathway(actor, member: Member, values: dict, counsellor: User) -> Pathway:
    """The rows of a new pathway (with its first counsellor, who sees personal data) and the
    audit entry, without `open_pathway`'s checks: for `open_pathway` itself and for recording
    the past pathway of someone whose membership has ended (the demo)."""
    pathway = Pathway(member_id=member.id, created_by_id=actor.id, **values)
    db.session.add(pathway)
    db.session.flush()
    db.session.add(
        Assignment(
            pathway_id=pathway.id,
            user_id=counsellor.id,
            role=TeamRole.COUNSELLOR.value,
            starts_on=pathway.entry_on,
            personal_data=True,
            assigned_by_id=actor.id,
        )
    )
    db.session.flush()
    policies.forget_cached_assignments()
    _audit(
        actor,
        pathway,
        "open",
        "Opened an integration pathway",
        counsellor_id=counsellor.id,
    )
    return pathway


def update_details(actor, pathway: Pathway, data: PathwayData) -> list[str]:
    """Change the details; returns the names of the fields that changed.

    Raises NotAllowed (not a counsellor following it) and DomainError (bad values)."""
    _require(policies.can_edit(actor, pathway))
    values = _checked_details(data)
    if pathway.exit_on is not None and values["entry_on"] > pathway.exit_on:
        _no(_l("The entry date must be on or before the exit date."), "entry_on")
    changed = [name for name, value in values.items() if getattr(pathway, name) != value]
    for name in changed:
        setattr(pathway, name, values[name])
    if changed:
        db.session.flush()
        _audit(actor, pathway, "update", "Changed the pathway's details", fields=changed)
    return changed


# --- Eligibility ---------------------------------------------------------------------------------


def may_keep_eligibility(actor, pathway: Pathway) -> bool:
    """Keep the eligibility criteria: keep the record, and see personal difficulties."""
    return policies.can_edit(actor, pathway) and policies.can_read_barriers(actor, pathway)


def add_eligibility(
    actor,
    pathway: Pathway,
    criterion: str,
    detail: str,
    checked_on: date | None,
    expires_on: date | None,
) -> Eligibility:
    """Raises NotAllowed (also without access to personal data: criteria tell of disability,
    justice...) and DomainError (unknown criterion, bad dates, detail too long)."""
    _require(may_keep_eligibility(actor, pathway))
    if criterion not in {c.value for c in Criterion}:
        _no(_l("Choose one of the answers in the list."), "criterion")
    detail = _text(detail, MAX_DETAIL, "detail")
    checked_on = _day(checked_on, "checked_on")
    if checked_on > local_today():
        _no(_l("This date is in the future."), "checked_on")
    expires_on = _day(expires_on, "expires_on", required=False)
    if expires_on is not None and expires_on < checked_on:
        _no(_l("It cannot end before the day it was checked."), "expires_on")
    row = Eligibility(
        pathway_id=pathway.id,
        criterion=criterion,
        detail=detail,
        checked_on=checked_on,
        expires_on=expires_on,
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    _audit(
        actor,
        pathway,
        "add_eligibility",
        "Added an eligibility criterion",
        eligibility_id=row.id,
    )
    return row


def remove_eligibility(actor, pathway: Pathway, eligibility: Eligibility | None) -> None:
    """Raises NotAllowed (as `add_eligibility`) and DomainError (not a criterion of this
    pathway)."""
    _require(may_keep_eligibility(actor, pathway))
    if eligibility is None or eligibility.pathway_id != pathway.id:
        _no(_l("This criterion is not in this record."))
    eligibility_id = eligibility.id
    db.session.delete(eligibility)
    db.session.flush()
    _audit(
        actor,
        pathway,
        "remove_eligibility",
        "Removed an eligibility criterion",
        eligibility_id=eligibility_id,
    )


def expiring_eligibility(
    pathway: Pathway, within_days: int = EXPIRY_WARNING_DAYS
) -> list[Eligibility]:
    """Criteria that expire within `within_days` (or have expired), soonest first."""
    limit = local_today() + timedelta(days=within_days)
    return list(
        db.session.scalars(
            sa.select(Eligibility)
            .where(
                Eligibility.pathway_id == pathway.id,
                Eligibility.expires_on.is_not(None),
                Eligibility.expires_on <= limit,
            )
            .order_by(Eligibility.expires_on, Eligibility.id)
        )
    )


# --- Suspensions and extensions ------------------------------------------------------------------


def _open_suspension(pathway: Pathway) -> PathwayPeriod | None:
    return db.session.scalar(
        sa.select(PathwayPeriod).where(
            PathwayPeriod.pathway_id == pathway.id,
            PathwayPeriod.kind == PeriodKind.SUSPENSION.value,
            PathwayPeriod.ends_on.is_(None),
        )
    )


def suspend(
    actor, pathway: Pathway, starts_on: date | None, ends_on: date | None, reason: str
) -> PathwayPeriod:
    """Pause the pathway from `starts_on` to `ends_on` (None: until further notice).

    Raises NotAllowed and DomainError (ended pathway, bad dates, overlap, no reason)."""
    _require(policies.can_edit(actor, pathway))
    _not_closed(pathway)
    starts_on = _day(starts_on, "starts_on")
    if starts_on < pathway.entry_on:
        _no(_l("The pause cannot start before the entry date."), "starts_on")
    ends_on = _day(ends_on, "ends_on", required=False)
    if ends_on is not None and ends_on < starts_on:
        _no(_l("The pause cannot end before it starts."), "ends_on")
    reason = _text(reason, MAX_REASON, "reason", required=_l("Say why."))
    overlapping = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PathwayPeriod)
        .where(
            PathwayPeriod.pathway_id == pathway.id,
            PathwayPeriod.kind == PeriodKind.SUSPENSION.value,
            sa.or_(PathwayPeriod.ends_on.is_(None), PathwayPeriod.ends_on >= starts_on),
            sa.true() if ends_on is None else PathwayPeriod.starts_on <= ends_on,
        )
    )
    if overlapping:
        _no(_l("The pathway is already paused on some of these days."), "starts_on")
    period = PathwayPeriod(
        pathway_id=pathway.id,
        kind=PeriodKind.SUSPENSION.value,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        recorded_by_id=actor.id,
    )
    db.session.add(period)
    db.session.flush()
    _audit(actor, pathway, "suspend", "Paused the pathway", period_id=period.id)
    return period


def end_suspension(
    actor, pathway: Pathway, period: PathwayPeriod | None, ends_on: date | None
) -> PathwayPeriod:
    """Set the last day of a pause that had none. Raises NotAllowed and DomainError."""
    _require(policies.can_edit(actor, pathway))
    if (
        period is None
        or period.pathway_id != pathway.id
        or period.kind != PeriodKind.SUSPENSION.value
        or period.ends_on is not None
    ):
        _no(_l("This pause is not under way."))
    ends_on = _day(ends_on, "ends_on")
    if ends_on < period.starts_on:
        _no(_l("The pause cannot end before it starts."), "ends_on")
    period.ends_on = ends_on
    db.session.flush()
    _audit(actor, pathway, "end_suspension", "Ended a pause", period_id=period.id)
    return period


def extend(actor, pathway: Pathway, new_end: date | None, reason: str) -> PathwayPeriod:
    """Move the planned end later, keeping the end before. Raises NotAllowed and DomainError."""
    _require(policies.can_edit(actor, pathway))
    _not_closed(pathway)
    new_end = _day(new_end, "new_end")
    previous = pathway.planned_end_on
    if previous is None:
        _no(_l("There is no planned end yet. Set it in the details."), "new_end")
    if new_end <= previous:
        _no(_l("The new end must be after the planned end."), "new_end")
    reason = _text(reason, MAX_REASON, "reason", required=_l("Say why."))
    period = PathwayPeriod(
        pathway_id=pathway.id,
        kind=PeriodKind.EXTENSION.value,
        starts_on=previous + timedelta(days=1),
        ends_on=new_end,
        previous_end_on=previous,
        reason=reason,
        recorded_by_id=actor.id,
    )
    pathway.planned_end_on = new_end
    db.session.add(period)
    db.session.flush()
    _audit(actor, pathway, "extend", "Extended the pathway", period_id=period.id)
    return period


# --- Follow-up team ------------------------------------------------------------------------------


def may_grant_personal_data(actor, pathway: Pathway) -> bool:
    """An administrator, or a counsellor who holds the personal-data access on this pathway
    today: nobody gives more than they have (`policies.can_grant_personal_data`)."""
    return policies.can_grant_personal_data(actor, pathway)


def assign(
    actor,
    pathway: Pathway,
    user: User | None,
    role: str,
    starts_on: date | None,
    ends_on: date | None,
    personal_data: bool,
) -> Assignment:
    """Add a counsellor or trainer to the team. Raises NotAllowed and DomainError (unknown
    role, the person does not hold that role, the actor themself, the personal-data access
    given by someone who may not give it, bad dates, already assigned on those days)."""
    _require(policies.can_manage_team(actor, pathway))
    if role not in {r.value for r in TeamRole}:
        _no(_l("Choose one of the answers in the list."), "role")
    user = _check_team_user(user, TeamRole(role), "user")
    if pathway.member is not None and pathway.member.user_id == user.id:
        _no(OWN_RECORD, "user")
    if user.id == actor.id:
        # Nobody grants themself access (an administrator who is also a counsellor included).
        _no(_l("You cannot add yourself to the team. Ask a colleague."), "user")
    if personal_data and not may_grant_personal_data(actor, pathway):
        _no(
            _l("Only an administrator or a counsellor who sees them can give this access."),
            "personal_data",
        )
    starts_on = _day(starts_on, "starts_on")
    ends_on = _day(ends_on, "ends_on", required=False)
    if ends_on is not None and ends_on < starts_on:
        _no(_l("The last day cannot be before the first day."), "ends_on")
    overlapping = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Assignment)
        .where(
            Assignment.pathway_id == pathway.id,
            Assignment.user_id == user.id,
            Assignment.role == role,
            sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= starts_on),
            sa.true() if ends_on is None else Assignment.starts_on <= ends_on,
        )
    )
    if overlapping:
        _no(_l("This person is already in the team on some of these days."), "user")
    assignment = Assignment(
        pathway_id=pathway.id,
        user_id=user.id,
        role=role,
        starts_on=starts_on,
        ends_on=ends_on,
        personal_data=bool(personal_data),
        assigned_by_id=actor.id,
    )
    db.session.add(assignment)
    db.session.flush()
    policies.forget_cached_assignments()
    _audit(
        actor,
        pathway,
        "assign",
        "Added someone to the follow-up team",
        assignment_id=assignment.id,
        user_id=user.id,
        role=role,
        personal_data=bool(personal_data),
    )
    return assignment


def end_assignment(
    actor, pathway: Pathway, assignment: Assignment | None, ends_on: date | None
) -> Assignment:
    """Set the last day of an assignment (never deleted: the history stays).

    Raises NotAllowed and DomainError (not this pathway's, bad date)."""
    _require(policies.can_manage_team(actor, pathway))
    if assignment is None or assignment.pathway_id != pathway.id:
        _no(_l("This person is not in this team."))
    ends_on = _day(ends_on, "ends_on")
    if ends_on < assignment.starts_on:
        _no(_l("The last day cannot be before the first day."), "ends_on")
    if assignment.ends_on is not None and ends_on >= assignment.ends_on:
        _no(_l("This assignment already ends on or before that day."), "ends_on")
    assignment.ends_on = ends_on
    db.session.flush()
    policies.forget_cached_assignments()
    _audit(
        actor,
        pathway,
        "end_assignment",
        "Ended an assignment to the follow-up team",
        assignment_id=assignment.id,
    )
    return assignment


# --- Exit ----------------------------------------------------------------------------------------


def active_outcomes() -> list[ExitOutcome]:
    return list(
        db.session.scalars(
            sa.select(ExitOutcome)
            .where(ExitOutcome.active.is_(True))
            .order_by(ExitOutcome.sort_order, ExitOutcome.id)
        )
    )


def record_exit(
    actor, pathway: Pathway, exit_on: date | None, outcome: ExitOutcome | None, note: str
) -> Pathway:
    """Close the pathway. Raises NotAllowed and DomainError (already ended, bad date, unknown
    or inactive outcome, note too long)."""
    _require(policies.can_edit(actor, pathway))
    _not_closed(pathway)
    exit_on = _day(exit_on, "exit_on")
    if exit_on < pathway.entry_on:
        _no(_l("The exit date must be on or after the entry date."), "exit_on")
    if exit_on > local_today():
        _no(_l("This date is in the future."), "exit_on")
    if outcome is None or not outcome.active:
        _no(_l("Choose one of the answers in the list."), "outcome")
    note = _text(note, MAX_NOTE, "note")
    pathway.exit_on = exit_on
    pathway.outcome_id = outcome.id
    pathway.exit_note = note
    pathway.purge_warned_on = None  # a warning sent for an earlier exit does not stand
    db.session.flush()
    db.session.refresh(pathway, ["outcome"])
    _audit(actor, pathway, "exit", "Recorded the exit", fields=["exit_on", "outcome", "note"])
    return pathway


def reopen(actor, pathway: Pathway, reason: str) -> Pathway:
    """Undo an exit recorded by mistake. Raises NotAllowed and DomainError (not ended, no
    reason, the member has another pathway under way)."""
    _require(policies.can_edit(actor, pathway))
    if not pathway.closed:
        _no(_l("This pathway has not ended."))
    reason = _text(reason, MAX_REASON, "reason", required=_l("Say why."))
    if pathway.member_id is not None:
        other = open_pathway_of(pathway.member_id)
        if other is not None and other.id != pathway.id:
            _no(_l("This person has another pathway under way."))
    # The reason is kept beside the pauses and extensions (never in the audit log).
    db.session.add(
        PathwayPeriod(
            pathway_id=pathway.id,
            kind=PeriodKind.REOPENING.value,
            starts_on=pathway.exit_on,
            reason=reason.strip(),
            recorded_by_id=actor.id,
        )
    )
    pathway.exit_on = None
    pathway.outcome_id = None
    pathway.exit_note = ""
    pathway.purge_warned_on = None  # the next exit gets its own warning
    db.session.flush()
    db.session.refresh(pathway, ["outcome"])
    _audit(actor, pathway, "reopen", "Undid the exit", fields=["exit_on", "outcome", "note"])
    return pathway


# --- Break-glass ---------------------------------------------------------------------------------


def break_glass(actor, pathway: Pathway, reason: str):
    """An administrator opens the record read-only for a while, with a written reason that the
    journal keeps and the member sees. Raises NotAllowed and DomainError (reason)."""
    if not policies.can_break_glass(actor, pathway):
        raise NotAllowed(_l("You cannot open this record this way."))
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_GLASS_REASON:
        _no(_l("Write at least %(n)d characters.", n=MIN_GLASS_REASON), "reason")
    if len(reason) > MAX_GLASS_REASON:
        _no(_l("At most %(n)d characters.", n=MAX_GLASS_REASON), "reason")
    row = journal.record_read(
        actor, pathway.id, ReadKind.PAGE, "break-glass", ReadOutcome.BREAK_GLASS, reason
    )
    _audit(actor, pathway, "break_glass", "Opened a record with a written reason", read_id=row.id)
    return row


# --- Status --------------------------------------------------------------------------------------


def suspended_on_clause(day: date) -> sa.ColumnElement[bool]:
    """SQL: the pathway has a pause running on `day`."""
    return sa.exists().where(
        PathwayPeriod.pathway_id == Pathway.id,
        PathwayPeriod.kind == PeriodKind.SUSPENSION.value,
        PathwayPeriod.starts_on <= day,
        sa.or_(PathwayPeriod.ends_on.is_(None), PathwayPeriod.ends_on >= day),
    )


def expiring_count_clause(day: date, within_days: int = EXPIRY_WARNING_DAYS):
    """SQL: how many of the pathway's criteria expire within `within_days` of `day`."""
    return (
        sa.select(sa.func.count(Eligibility.id))
        .where(
            Eligibility.pathway_id == Pathway.id,
            Eligibility.expires_on.is_not(None),
            Eligibility.expires_on <= day + timedelta(days=within_days),
        )
        .correlate(Pathway)
        .scalar_subquery()
    )


def status_code(pathway: Pathway, suspended: bool, today: date | None = None) -> str:
    today = today or local_today()
    if pathway.exit_on is not None and pathway.exit_on <= today:
        return "ended"
    if pathway.entry_on > today:
        return "not_started"
    return "suspended" if suspended else "active"


def pathway_status(pathway: Pathway, today: date | None = None) -> str:
    """ "active", "suspended" (a pause runs today), "ended" or "not_started"."""
    today = today or local_today()
    suspended = db.session.scalar(
        sa.select(
            sa.exists().where(
                PathwayPeriod.pathway_id == pathway.id,
                PathwayPeriod.kind == PeriodKind.SUSPENSION.value,
                PathwayPeriod.starts_on <= today,
                sa.or_(PathwayPeriod.ends_on.is_(None), PathwayPeriod.ends_on >= today),
            )
        )
    )
    return status_code(pathway, bool(suspended), today)
