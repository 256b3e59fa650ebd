"""Who may do what with a programme: named predicates over `core.security.can`.

The rules are data, in `workflow.py` (and in the pinned permissions matrix); the roles a person
holds on a programme are computed here (`programme_roles`, and `programme_role_clauses`, the
same in SQL):

- Programme trainer: named on the programme, while the account is active and keeps the trainer
  role (a trainer who lost the role runs nothing any more);
- Participant: the member's account, while the enrolment is not withdrawn.

A disabled account holds no role on a programme.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context

from portal.accounts.models import Role
from portal.core.security import DynamicRole, Permission, allowed_clause, can
from portal.extensions import db
from portal.programmes.models import Enrolment, Programme, ProgrammeTrainer, Session

P = Permission


def _logged_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def is_trainer_account(user) -> bool:
    """Does the account hold the trainer role (and is it active)?"""
    return _logged_in(user) and user.has_role(Role.TRAINER)


def member_id_of(user) -> int | None:
    """The register's member of the account (cached for the request), or None."""
    if not _logged_in(user):
        return None
    cache = g.setdefault("_programme_member_of", {}) if has_request_context() else {}
    if user.id not in cache:
        from portal.members.models import Member

        cache[user.id] = db.session.scalar(sa.select(Member.id).where(Member.user_id == user.id))
    return cache[user.id]


def is_participant(user, programme: Programme) -> bool:
    member_id = member_id_of(user)
    if member_id is None:
        return False
    cache = g.setdefault("_programme_enrolled", {}) if has_request_context() else {}
    key = (member_id, programme.id)
    if key not in cache:
        cache[key] = (
            db.session.scalar(
                sa.select(Enrolment.id).where(
                    Enrolment.programme_id == programme.id,
                    Enrolment.member_id == member_id,
                    Enrolment.withdrawn_on.is_(None),
                )
            )
            is not None
        )
    return cache[key]


def forget_cached_roles() -> None:
    if has_request_context():
        g.pop("_programme_enrolled", None)
        g.pop("_programme_member_of", None)


def programme_roles(user, programme: Programme) -> set[str]:
    found: set[str] = set()
    if is_trainer_account(user) and user.id in programme.trainer_ids:
        found.add(DynamicRole.PROGRAMME_TRAINER.value)
    if is_participant(user, programme):
        found.add(DynamicRole.PARTICIPANT.value)
    return found


def programme_role_clauses(user) -> dict[str, sa.ColumnElement[bool]]:
    if not _logged_in(user):
        return {}
    clauses: dict[str, sa.ColumnElement[bool]] = {}
    if is_trainer_account(user):
        clauses[DynamicRole.PROGRAMME_TRAINER.value] = Programme.id.in_(
            sa.select(ProgrammeTrainer.programme_id).where(ProgrammeTrainer.user_id == user.id)
        )
    member_id = member_id_of(user)
    if member_id is not None:
        clauses[DynamicRole.PARTICIPANT.value] = Programme.id.in_(
            sa.select(Enrolment.programme_id).where(
                Enrolment.member_id == member_id, Enrolment.withdrawn_on.is_(None)
            )
        )
    return clauses


def _can(user, permission: Permission, programme: Programme | None = None) -> bool:
    return _logged_in(user) and can(user, permission, programme)


# --- Named predicates ----------------------------------------------------------------------------


def can_create_programme(user) -> bool:
    return _can(user, P.MANAGE_PROGRAMMES)


def can_view_programme(user, programme: Programme) -> bool:
    return _can(user, P.VIEW, programme)


def can_edit_programme(user, programme: Programme) -> bool:
    return _can(user, P.EDIT, programme)


def can_name_trainers(user, programme: Programme) -> bool:
    return _can(user, P.MANAGE_TRAINERS, programme)


def can_enrol(user, programme: Programme) -> bool:
    return _can(user, P.ENROL, programme)


def can_run(user, programme: Programme) -> bool:
    """Run the programme's sessions: roll-call, codes, signatures, sheet, practice."""
    return _can(user, P.RUN_SESSIONS, programme)


def can_run_session(user, session: Session) -> bool:
    """A session is run by the programme's trainers (a cancelled one by nobody)."""
    return session.cancelled_at is None and can_run(user, session.programme)


def can_read_sheets(user, programme: Programme) -> bool:
    return _can(user, P.READ_SHEETS, programme)


def can_attend(user, programme: Programme) -> bool:
    return _can(user, P.ATTEND, programme)


def can_confirm_evidence(user, programme: Programme) -> bool:
    return _can(user, P.CONFIRM_EVIDENCE, programme)


def can_view_reports(user) -> bool:
    return _can(user, P.VIEW_PROGRAMME_REPORTS)


def visible_programmes(user) -> sa.ColumnElement[bool]:
    """The programmes `user` may see, as a condition on `Programme`."""
    if not _logged_in(user):
        return sa.false()
    return allowed_clause(user, Programme, P.VIEW)
