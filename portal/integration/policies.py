"""Who may do what with an integration record. One place, named predicates.

- The **member** reads their own record (all of it, barriers included) and asks for corrections;
  they never edit it.
- The **follow-up team**: people assigned to the pathway, only from the assignment's first day to
  its last (inclusive), and only while their account is active and still holds the role they were
  assigned as (counsellor or trainer). Assigned counsellors keep the record; assigned trainers
  record support actions and assess skills; the barriers (special-category data) are shown and
  kept only by people assigned *with access to personal data*.
- **Administrators** open pathways and choose their team without reading them; to read one they
  must give a written reason ("break-glass"), which opens it read-only for BREAK_GLASS_MINUTES
  and is shown to the member.
- Everyone else: the record does not exist (404), and the attempt is journaled.
- An anonymised pathway is nobody's record any more: only the statistics read it.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import g, has_request_context

from portal.accounts.models import Role
from portal.core.db import local_today, utcnow
from portal.extensions import db
from portal.integration.models import (
    Assignment,
    Pathway,
    ReadOutcome,
    RecordRead,
    TeamRole,
)

BREAK_GLASS_MINUTES = 30


def _logged_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def is_self(user, pathway: Pathway) -> bool:
    return (
        _logged_in(user)
        and pathway.member is not None
        and pathway.member.user_id is not None
        and pathway.member.user_id == user.id
    )


def active_assignments(user, pathway: Pathway) -> list[Assignment]:
    """The user's assignments to the pathway that run today (cached for the request)."""
    if not _logged_in(user) or pathway.anonymised:
        return []
    cache = g.setdefault("_pathway_assignments", {}) if has_request_context() else {}
    key = (user.id, pathway.id)
    if key not in cache:
        today = local_today()
        rows = db.session.scalars(
            sa.select(Assignment).where(
                Assignment.pathway_id == pathway.id,
                Assignment.user_id == user.id,
                Assignment.starts_on <= today,
                sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today),
            )
        ).all()
        # The assignment holds only while the account keeps the role it was given for.
        cache[key] = [a for a in rows if user.has_role(Role(a.role))]
    return list(cache[key])


def forget_cached_assignments() -> None:
    if has_request_context():
        g.pop("_pathway_assignments", None)


def _assigned_as(user, pathway: Pathway, *roles: TeamRole) -> bool:
    return any(a.role in roles for a in active_assignments(user, pathway))


def is_assigned(user, pathway: Pathway) -> bool:
    return bool(active_assignments(user, pathway))


def break_glass_open(user, pathway: Pathway) -> RecordRead | None:
    """The administrator's break-glass opening of this record still running, if any."""
    if not _logged_in(user) or not user.has_role(Role.ADMIN) or pathway.anonymised:
        return None
    since = utcnow() - timedelta(minutes=BREAK_GLASS_MINUTES)
    return db.session.scalar(
        sa.select(RecordRead)
        .where(
            RecordRead.pathway_id == pathway.id,
            RecordRead.user_id == user.id,
            RecordRead.outcome == ReadOutcome.BREAK_GLASS.value,
            RecordRead.what == "break-glass",
            RecordRead.read_at >= since,
        )
        .order_by(RecordRead.id.desc())
        .limit(1)
    )


def can_read(user, pathway: Pathway) -> bool:
    """The member, or someone assigned today (administrators: see `break_glass_open`)."""
    if pathway.anonymised:
        return False
    return is_self(user, pathway) or is_assigned(user, pathway)


def can_read_barriers(user, pathway: Pathway) -> bool:
    if pathway.anonymised:
        return False
    return is_self(user, pathway) or any(a.personal_data for a in active_assignments(user, pathway))


def can_edit(user, pathway: Pathway) -> bool:
    """Keep the record: details, eligibility, periods, goals, exit, answers to requests."""
    return not pathway.anonymised and _assigned_as(user, pathway, TeamRole.COUNSELLOR)


def can_record_action(user, pathway: Pathway) -> bool:
    return not pathway.anonymised and _assigned_as(
        user, pathway, TeamRole.COUNSELLOR, TeamRole.TRAINER
    )


def can_assess(user, pathway: Pathway) -> bool:
    return not pathway.anonymised and _assigned_as(user, pathway, TeamRole.TRAINER)


def can_edit_barriers(user, pathway: Pathway) -> bool:
    return not pathway.anonymised and any(
        a.personal_data for a in active_assignments(user, pathway)
    )


def can_manage_team(user, pathway: Pathway) -> bool:
    """Assign or end assignments: an assigned counsellor, or an administrator."""
    if pathway.anonymised or not _logged_in(user):
        return False
    return user.has_role(Role.ADMIN) or _assigned_as(user, pathway, TeamRole.COUNSELLOR)


def can_open_pathway(user) -> bool:
    return _logged_in(user) and user.has_role(Role.COUNSELLOR, Role.ADMIN)


def can_request_rectification(user, pathway: Pathway) -> bool:
    return not pathway.anonymised and is_self(user, pathway)


def can_break_glass(user, pathway: Pathway) -> bool:
    """An administrator who is not already allowed to read it."""
    return (
        _logged_in(user)
        and user.has_role(Role.ADMIN)
        and not pathway.anonymised
        and not can_read(user, pathway)
    )


def can_view_reports(user) -> bool:
    return _logged_in(user) and user.has_role(Role.BOARD, Role.ADMIN, Role.COUNSELLOR)


def can_configure(user) -> bool:
    """The skills referential and the exit outcomes."""
    return _logged_in(user) and user.has_role(Role.ADMIN, Role.COUNSELLOR)


def can_export_member(user, member) -> bool:
    """A member's full personal-data export: the member themself (administrators: with a
    written reason, see `export.py`)."""
    return _logged_in(user) and member.user_id is not None and member.user_id == user.id


def has_own_pathway(user) -> bool:
    """Does the user have a record of their own (not anonymised)? For the menu."""
    from portal.members.models import Member

    if not _logged_in(user):
        return False
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists()
                .where(Pathway.member_id == Member.id, Member.user_id == user.id)
                .where(Pathway.anonymised_on.is_(None))
            )
        )
    )


def assigned_pathways_clause(user) -> sa.ColumnElement[bool]:
    """SQL: pathways the user is assigned to today (for their list of people)."""
    if not _logged_in(user):
        return sa.false()
    today = local_today()
    roles = [r.value for r in TeamRole if user.has_role(Role(r.value))]
    if not roles:
        return sa.false()
    return Pathway.id.in_(
        sa.select(Assignment.pathway_id).where(
            Assignment.user_id == user.id,
            Assignment.role.in_(roles),
            Assignment.starts_on <= today,
            sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today),
        )
    ) & Pathway.anonymised_on.is_(None)
