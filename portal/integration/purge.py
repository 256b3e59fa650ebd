"""The anonymisation of integration records a set time after the pathway ended.

`purge(today)` (run daily by `flask integration purge`) does two things:

- a pathway whose exit was INTEGRATION_RETENTION_MONTHS ago (default 24) or more, and not yet
  anonymised, is anonymised: its link to the member is cut, its dates become the first day of
  their month, its texts are emptied, and every row that describes the person (eligibility,
  pauses, the team, goals and their history, difficulties, requests for corrections) is deleted.
  What is kept is what the statistics need: the team (a workshop's name), the contract, the
  weekly hours, the outcome, the support actions as type and minutes in their month, the skill
  levels in their month; the day of the anonymisation is kept as the first of its month too,
  and the warning's day is cleared. The record's read journal goes with it (with the
  administrators' written break-glass reasons kept beside it): while the record lived the
  journal was append-only, but once the record is nobody's its rows — times, order and kinds of
  reads — could still tie it to the person (next to the same person's other record, or to an
  export in the audit log). The database lets the journal's rows be deleted only once their
  record is anonymised (see the migration's triggers).
- a pathway whose anonymisation falls within `warn_days` is announced once (by e-mail to its
  assigned counsellors who have an address and to the administrators), without any content.

Both are audited with ids and dates only. Running it twice changes nothing more.

Then the other domains' purge steps run (`core.registries.PURGE_STEPS`, e.g. the signatures of
attendance sheets), with the same day and dry-run; their lines are in `PurgeReport.steps`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from portal.accounts.models import Role, User, UserRole
from portal.core import audit
from portal.core.outbox import queue_mail
from portal.core.registries import PURGE_STEPS
from portal.extensions import db
from portal.integration.models import (
    AnonymousAttempts,
    Assignment,
    Barrier,
    Eligibility,
    Goal,
    GoalEvent,
    Pathway,
    PathwayPeriod,
    RecordRead,
    RecordReadReason,
    RectificationRequest,
    SkillAssessment,
    SupportAction,
    TeamRole,
)

DEFAULT_RETENTION_MONTHS = 24
DEFAULT_WARN_DAYS = 30

# Rows that describe the person: deleted when the pathway is anonymised (with the counts of
# attempts by people not logged in, part of the journal).
DELETED_PARTS = (
    Eligibility,
    PathwayPeriod,
    Assignment,
    Barrier,
    RectificationRequest,
    AnonymousAttempts,
)


@dataclass
class PurgeReport:
    today: date
    months: int
    dry_run: bool = False
    anonymised: list[int] = field(default_factory=list)
    warned: list[int] = field(default_factory=list)
    steps: dict[str, str] = field(default_factory=dict)  # the other domains' lines, by step

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{len(self.anonymised)} pathway(s) {verb} anonymised, "
            f"{len(self.warned)} warning(s) {verb} sent "
            f"(retention {self.months} months, today {self.today.isoformat()})."
        )


def retention_months() -> int:
    value = current_app.config.get("INTEGRATION_RETENTION_MONTHS", DEFAULT_RETENTION_MONTHS)
    return int(value)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def first_of_month(day: date | None) -> date | None:
    return None if day is None else day.replace(day=1)


def _month_start(moment: datetime | date | None) -> datetime | None:
    if moment is None:
        return None
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def purge_date(pathway: Pathway, months: int | None = None) -> date | None:
    """The day the pathway will be (or was due to be) anonymised; None while it runs."""
    if pathway.exit_on is None:
        return None
    return add_months(pathway.exit_on, retention_months() if months is None else months)


def _exit_cutoff(today: date, months: int) -> date:
    """The latest exit day whose pathway is due: exit_on + months <= today."""
    cutoff = add_months(today, -months)
    # add_months clamps (31 March - 1 month = 28/29 Feb): step forward while still due.
    while add_months(cutoff + timedelta(days=1), months) <= today:
        cutoff += timedelta(days=1)
    return cutoff


def anonymise_pathway(pathway: Pathway, today: date) -> None:
    """Cut the link to the person and keep only the year-month figures (see the module doc)."""
    pid = pathway.id
    goal_ids = sa.select(Goal.id).where(Goal.pathway_id == pid)
    db.session.execute(
        sa.delete(GoalEvent).where(GoalEvent.goal_id.in_(goal_ids)),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        sa.delete(Goal).where(Goal.pathway_id == pid),
        execution_options={"synchronize_session": False},
    )
    for model in DELETED_PARTS:
        db.session.execute(
            sa.delete(model).where(model.pathway_id == pid),
            execution_options={"synchronize_session": False},
        )
    for action in db.session.scalars(
        sa.select(SupportAction).where(SupportAction.pathway_id == pid)
    ):
        action.happened_on = first_of_month(action.happened_on)
        action.recorded_at = _month_start(action.happened_on)
        action.notes = ""
        action.recorded_by_id = None
    for assessment in db.session.scalars(
        sa.select(SkillAssessment).where(SkillAssessment.pathway_id == pid)
    ):
        assessment.assessed_on = first_of_month(assessment.assessed_on)
        assessment.created_at = _month_start(assessment.assessed_on)
        assessment.note = ""
        assessment.assessed_by_id = None
    pathway.member_id = None
    pathway.anonymised_on = first_of_month(today)  # the exact day would tell the exit day
    pathway.purge_warned_on = None
    pathway.entry_on = first_of_month(pathway.entry_on)
    pathway.exit_on = first_of_month(pathway.exit_on)
    pathway.planned_end_on = first_of_month(pathway.planned_end_on)
    pathway.referrer = ""
    pathway.exit_note = ""
    pathway.created_by_id = None
    pathway.created_at = _month_start(pathway.entry_on)
    db.session.flush()
    # Now that the record is anonymised, the database lets its journal go (reasons cascade).
    db.session.execute(
        sa.delete(RecordReadReason).where(RecordReadReason.pathway_id == pid),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        sa.delete(RecordRead).where(RecordRead.pathway_id == pid),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    db.session.expire_all()  # the deleted rows are gone from every loaded collection too


def _warn_addresses(pathway: Pathway, today: date) -> list[str]:
    """The assigned counsellors (today) and the administrators, with an e-mail address."""
    counsellors = sa.select(Assignment.user_id).where(
        Assignment.pathway_id == pathway.id,
        Assignment.role == TeamRole.COUNSELLOR.value,
        Assignment.starts_on <= today,
        sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today),
    )
    admins = sa.select(UserRole.user_id).where(UserRole.role == Role.ADMIN.value)
    rows = db.session.scalars(
        sa.select(User.email)
        .where(
            User.active.is_(True),
            User.email.is_not(None),
            User.email != "",
            sa.or_(User.id.in_(counsellors), User.id.in_(admins)),
        )
        .order_by(User.id)
    )
    seen: list[str] = []
    for address in rows:
        if address.lower() not in (a.lower() for a in seen):
            seen.append(address)
    return seen


def warn_pathway(pathway: Pathway, due: date, today: date) -> int:
    """E-mail the team and the administrators (no content), once; the number of messages."""
    pathway.purge_warned_on = today
    subject = f"Integration record #{pathway.id}: anonymised on {due.isoformat()}"
    body = (
        f"The integration record of pathway #{pathway.id} will be anonymised on "
        f"{due.isoformat()}, {(due - today).days} day(s) from now.\n\n"
        "After that day only figures for statistics are kept. If the person needs a copy of "
        "their data, they can download it from the portal before then.\n"
    )
    addresses = _warn_addresses(pathway, today)
    for address in addresses:
        queue_mail(address, subject, body)
    db.session.flush()
    return len(addresses)


def purge(
    today: date,
    months: int | None = None,
    warn_days: int = DEFAULT_WARN_DAYS,
    dry_run: bool = False,
    actor=None,
) -> PurgeReport:
    """Anonymise the pathways that are due and warn about those due within `warn_days`.

    Flushes, never commits (the command commits). `dry_run` lists without changing."""
    months = retention_months() if months is None else months
    report = PurgeReport(today=today, months=months, dry_run=dry_run)
    cutoff = _exit_cutoff(today, months)
    due = db.session.scalars(
        sa.select(Pathway)
        .where(
            Pathway.anonymised_on.is_(None),
            Pathway.exit_on.is_not(None),
            Pathway.exit_on <= cutoff,
        )
        .order_by(Pathway.id)
    ).all()
    for pathway in due:
        report.anonymised.append(pathway.id)
        if dry_run:
            continue
        exit_month = first_of_month(pathway.exit_on)
        anonymise_pathway(pathway, today)
        audit.record(
            actor,
            "integration.anonymise",
            f"Pathway #{pathway.id} anonymised ({months} months after its exit)",
            object_key=f"pathway:{pathway.id}",
            exit_month=exit_month.isoformat()[:7],
            anonymised_month=today.isoformat()[:7],
        )
    warn_cutoff = _exit_cutoff(today + timedelta(days=warn_days), months)
    soon = db.session.scalars(
        sa.select(Pathway)
        .where(
            Pathway.anonymised_on.is_(None),
            Pathway.purge_warned_on.is_(None),
            Pathway.exit_on.is_not(None),
            Pathway.exit_on > cutoff,
            Pathway.exit_on <= warn_cutoff,
        )
        .order_by(Pathway.id)
    ).all()
    for pathway in soon:
        report.warned.append(pathway.id)
        if dry_run:
            continue
        due_on = purge_date(pathway, months)
        sent = warn_pathway(pathway, due_on, today)
        audit.record(
            actor,
            "integration.purge_warning",
            f"Pathway #{pathway.id} will be anonymised on {due_on.isoformat()}",
            object_key=f"pathway:{pathway.id}",
            purge_on=due_on.isoformat(),
            messages=sent,
        )
    for step in PURGE_STEPS:
        report.steps[step.name] = step.function(today, dry_run=dry_run, actor=actor)
    return report
