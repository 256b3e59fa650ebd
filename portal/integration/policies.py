"""Who may do what with an integration record: named predicates over `core.security.can`.

The rules themselves are data, in `workflow.py` (and in the pinned permissions matrix); the roles
a person holds on a record are computed here (`record_roles`, and `record_role_clauses`, the same
in SQL). In short:

- The **member** (Self) reads their own record (all of it, barriers included), asks for
  corrections and exports their data; they never edit it.
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

A disabled account holds no role on a record, whatever it held before.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import g, has_request_context

from portal.accounts.models import Role
from portal.core.db import local_today, utcnow
from portal.core.security import DynamicRole, Permission, allowed_clause, can
from portal.extensions import db
from portal.integration.models import (
    Assignment,
    Pathway,
    ReadOutcome,
    RecordRead,
    TeamRole,
)

BREAK_GLASS_MINUTES = 30

P = Permission
TEAM_ROLES = {
    TeamRole.COUNSELLOR.value: DynamicRole.ASSIGNED_COUNSELLOR.value,
    TeamRole.TRAINER.value: DynamicRole.ASSIGNED_TRAINER.value,
}


def _logged_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def _can(user, permission: Permission, pathway: Pathway | None = None) -> bool:
    """`can`, for active accounts only."""
    return _logged_in(user) and can(user, permission, pathway)


def may_be_assigned_as(user, role: TeamRole | str) -> bool:
    """Can the account be in a follow-up team as `role` (counsellor or trainer)? While it is
    active and holds that global role: an assignment holds only as long (`active_assignments`),
    and a counsellor who opens a pathway follows it (`services.open_pathway`)."""
    return _logged_in(user) and user.has_role(Role(str(role)))


# --- The roles a person holds on a record --------------------------------------------------------


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
        cache[key] = [a for a in rows if may_be_assigned_as(user, a.role)]
    return list(cache[key])


def forget_cached_assignments() -> None:
    if has_request_context():
        g.pop("_pathway_assignments", None)


def is_assigned(user, pathway: Pathway) -> bool:
    return bool(active_assignments(user, pathway))


def record_roles(user, pathway: Pathway) -> set[str]:
    """The dynamic roles `user` holds on `pathway` (see `workflow.py`)."""
    found: set[str] = set()
    if is_self(user, pathway):
        found.add(DynamicRole.SELF.value)
    for assignment in active_assignments(user, pathway):
        found |= {DynamicRole.ASSIGNED.value, TEAM_ROLES[assignment.role]}
        if assignment.personal_data:
            found.add(DynamicRole.ASSIGNED_PERSONAL_DATA.value)
            if assignment.role == TeamRole.COUNSELLOR.value:
                found.add(DynamicRole.COUNSELLOR_PERSONAL_DATA.value)
    return found


def record_role_clauses(user) -> dict[str, sa.ColumnElement[bool]]:
    """`record_roles` in SQL, for `allowed_clause`: one condition on `Pathway` per role."""
    from portal.members.models import Member

    if not _logged_in(user):
        return {}
    today = local_today()
    held = [r.value for r in TeamRole if may_be_assigned_as(user, r)]

    def assigned(roles: list[str], *, personal_data: bool = False) -> sa.ColumnElement[bool]:
        if not roles:
            return sa.false()
        running = sa.select(Assignment.pathway_id).where(
            Assignment.user_id == user.id,
            Assignment.role.in_(roles),
            Assignment.starts_on <= today,
            sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today),
        )
        if personal_data:
            running = running.where(Assignment.personal_data.is_(True))
        return Pathway.id.in_(running)

    def as_(role: TeamRole) -> list[str]:
        return [role.value] if role.value in held else []

    return {
        DynamicRole.SELF.value: Pathway.member_id.in_(
            sa.select(Member.id).where(Member.user_id == user.id)
        ),
        DynamicRole.ASSIGNED.value: assigned(held),
        DynamicRole.ASSIGNED_COUNSELLOR.value: assigned(as_(TeamRole.COUNSELLOR)),
        DynamicRole.ASSIGNED_TRAINER.value: assigned(as_(TeamRole.TRAINER)),
        DynamicRole.ASSIGNED_PERSONAL_DATA.value: assigned(held, personal_data=True),
        DynamicRole.COUNSELLOR_PERSONAL_DATA.value: assigned(
            as_(TeamRole.COUNSELLOR), personal_data=True
        ),
    }


def pathways_clause(user, permission: Permission) -> sa.ColumnElement[bool]:
    """SQL: the pathways on which `user` has `permission` (the twin of the predicates below)."""
    if not _logged_in(user):
        return sa.false()
    return allowed_clause(user, Pathway, permission)


def assigned_pathways_clause(user) -> sa.ColumnElement[bool]:
    """SQL: pathways the user is assigned to today (for their list of people)."""
    return pathways_clause(user, P.FOLLOW)


# --- Named predicates ----------------------------------------------------------------------------


def can_read(user, pathway: Pathway) -> bool:
    """The member, or someone assigned today (administrators: see `break_glass_open`)."""
    return _can(user, P.VIEW, pathway)


def can_read_barriers(user, pathway: Pathway) -> bool:
    """The member, or someone assigned today with access to personal data."""
    return _can(user, P.VIEW_PERSONAL_DATA, pathway)


def can_edit(user, pathway: Pathway) -> bool:
    """Keep the record: details, eligibility, periods, goals, exit, answers to requests."""
    return _can(user, P.EDIT, pathway)


def can_record_action(user, pathway: Pathway) -> bool:
    return _can(user, P.RECORD_SUPPORT, pathway)


def can_assess(user, pathway: Pathway) -> bool:
    return _can(user, P.ASSESS_SKILLS, pathway)


def can_edit_barriers(user, pathway: Pathway) -> bool:
    return _can(user, P.EDIT_PERSONAL_DATA, pathway)


def can_manage_team(user, pathway: Pathway) -> bool:
    """Assign or end assignments: an assigned counsellor, or an administrator."""
    return _can(user, P.MANAGE_TEAM, pathway)


def can_grant_personal_data(user, pathway: Pathway) -> bool:
    """Give a team member access to personal data: an administrator, or a counsellor who holds
    that access on this pathway today (nobody gives more than they have)."""
    return _can(user, P.GRANT_PERSONAL_DATA, pathway)


def can_request_rectification(user, pathway: Pathway) -> bool:
    return _can(user, P.REQUEST_CORRECTION, pathway)


def can_export(user, pathway: Pathway) -> bool:
    """A copy of the member's data holding this record: the member themself, or (with a written
    reason, for the member) a counsellor assigned today with access to personal data."""
    return _can(user, P.EXPORT, pathway)


def can_purge(user, pathway: Pathway) -> bool:
    """Nobody: the daily `flask integration purge` anonymises a record after its retention time."""
    return _can(user, P.PURGE, pathway)


def can_break_glass(user, pathway: Pathway) -> bool:
    """An administrator who is not already allowed to read it."""
    return _can(user, P.BREAK_GLASS, pathway) and not can_read(user, pathway)


def break_glass_open(user, pathway: Pathway) -> RecordRead | None:
    """The administrator's break-glass opening of this record still running, if any."""
    if not _can(user, P.BREAK_GLASS, pathway):
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


def can_open_pathway(user) -> bool:
    return _can(user, P.OPEN_PATHWAYS)


def opens_as_counsellor(user) -> bool:
    """Does the user follow, as counsellor, the pathway they open? (Otherwise, e.g. an
    administrator, they name its first counsellor.)"""
    return may_be_assigned_as(user, TeamRole.COUNSELLOR)


def can_follow_people(user) -> bool:
    """Has a list of the people they follow (counsellors and trainers), even an empty one."""
    return _can(user, P.FOLLOW)


def can_list_all_pathways(user) -> bool:
    """Sees every pathway under way and who follows it, to choose the team (administrators;
    reading one takes a written reason, see `can_break_glass`)."""
    return _can(user, P.MANAGE_TEAM)


def can_export_without_record(user) -> bool:
    """Export, with a written reason, the data of a member who has no record (none, or only
    anonymised ones): the membership data only (administrators, see `export.exporter_for`)."""
    return _can(user, P.EXPORT)


def can_view_reports(user) -> bool:
    return _can(user, P.VIEW_REPORTS)


def can_configure(user) -> bool:
    """The skills referential and the exit outcomes."""
    return _can(user, P.CONFIGURE_PATHWAYS)


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
