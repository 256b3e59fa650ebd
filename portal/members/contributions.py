"""What the register contributes to the core's registries: the positions a member held (a
record's participation), and the register's part of a person's data export (the register row,
the account, its logins, the member's own logged actions, membership events and positions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import LoginAttempt, User
from portal.core.audit import AuditEntry
from portal.core.registries import (
    ExportPart,
    ExportSection,
    Fact,
    Period,
    jsonable,
    register_export_part,
    register_participation_source,
)
from portal.extensions import db
from portal.members.forms import LANGUAGE_TITLES
from portal.members.models import (
    BODY_KIND_TITLES,
    POSITION_TITLES,
    Body,
    Mandate,
    Member,
    MembershipEvent,
)
from portal.members.workflow import MEMBERSHIP_WORKFLOW

# --- Participation: positions held -----------------------------------------------------------------


@dataclass(frozen=True)
class MandateHeld:
    body: str
    position: str
    starts_on: date
    ends_on: date | None

    def __str__(self) -> str:
        if self.ends_on is None:
            return _(
                "%(position)s, %(body)s, since %(start)s",
                position=self.position,
                body=self.body,
                start=format_date(self.starts_on, "long"),
            )
        return _(
            "%(position)s, %(body)s, from %(start)s to %(end)s",
            position=self.position,
            body=self.body,
            start=format_date(self.starts_on, "long"),
            end=format_date(self.ends_on, "long"),
        )


def mandates_held(member, period: Period) -> Fact:
    """Positions held in a body at any day of the period."""
    rows = db.session.execute(
        sa.select(Body.name, Body.kind, Mandate.position, Mandate.starts_on, Mandate.ends_on)
        .join(Body, Body.id == Mandate.body_id)
        .where(
            Mandate.member_id == member.id,
            Mandate.starts_on <= period.last_day,
            sa.or_(Mandate.ends_on.is_(None), Mandate.ends_on >= period.start),
        )
        .order_by(Mandate.starts_on, Mandate.id)
    ).all()
    items = tuple(
        MandateHeld(
            body=name or str(BODY_KIND_TITLES.get(kind, kind)),
            position=str(POSITION_TITLES.get(position, position)),
            starts_on=starts_on,
            ends_on=ends_on,
        )
        for name, kind, position, starts_on, ends_on in rows
    )
    return Fact(len(items), items)


register_participation_source("mandates", _l("Roles held"), mandates_held, order=40)


# --- The data export: the register and the account ------------------------------------------------

# Register columns that are the portal's own machinery, not data about the person.
MEMBER_INTERNAL = {"security_path", "user_id", "category_id"}


def _member_part(member: Member) -> dict[str, Any]:
    out = {
        c.name: jsonable(getattr(member, c.key))
        for c in Member.__table__.columns
        if c.name not in MEMBER_INTERNAL
    }
    out["college"] = member.category.title if member.category else None
    return out


def _account_part(member: Member) -> dict[str, Any] | None:
    user = db.session.get(User, member.user_id) if member.user_id else None
    if user is None:
        return None
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "language": user.locale,
        "active": user.active,
        "roles": sorted(str(role.value) for role in user.roles),
        "created_at": jsonable(user.created_at),
        "password_changed_at": jsonable(user.password_changed_at),
        "last_login_at": jsonable(user.last_login_at),
    }


def _login_attempts(member: Member) -> list[dict[str, Any]]:
    """The tries to log in to the member's account (attempts are kept by username)."""
    user = db.session.get(User, member.user_id) if member.user_id else None
    if user is None:
        return []
    rows = db.session.scalars(
        sa.select(LoginAttempt)
        .where(LoginAttempt.username == user.username)
        .order_by(LoginAttempt.created_at, LoginAttempt.id)
    ).all()
    return [
        {
            "attempted_at": jsonable(row.created_at),
            "succeeded": row.succeeded,
            "ip_address": row.ip_address,
        }
        for row in rows
    ]


def _logged_actions(member: Member) -> list[dict[str, Any]]:
    """What the audit log kept of the member's own actions: when, which action, from where.

    Not the summaries and details (they may name other people), nor other people's actions."""
    if member.user_id is None:
        return []
    rows = db.session.execute(
        sa.select(AuditEntry.created_at, AuditEntry.action, AuditEntry.ip_address)
        .where(AuditEntry.actor_id == member.user_id)
        .order_by(AuditEntry.id)
    ).all()
    return [
        {"done_at": jsonable(at), "action": action, "ip_address": ip} for at, action, ip in rows
    ]


def _membership_events(member: Member) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(MembershipEvent)
        .where(MembershipEvent.member_id == member.id)
        .order_by(MembershipEvent.effective_on, MembershipEvent.id)
    ).all()
    return [
        {
            "kind": event.kind,
            "transition": event.transition,
            "effective_on": jsonable(event.effective_on),
            "state": event.state,
            "college": event.category.title if event.category else None,
            "reason": event.reason,
            "recorded_at": jsonable(event.recorded_at),
        }
        for event in rows
    ]


def _mandates(member: Member) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(Mandate)
        .join(Body, Body.id == Mandate.body_id)
        .where(Mandate.member_id == member.id)
        .order_by(Mandate.starts_on, Mandate.id)
    ).all()
    return [
        {
            "body": mandate.body.title,
            "position": mandate.position,
            "starts_on": jsonable(mandate.starts_on),
            "ends_on": jsonable(mandate.ends_on),
            "note": mandate.note,
        }
        for mandate in rows
    ]


def register_export(member: Member) -> dict[str, Any]:
    return {
        "member": _member_part(member),
        "account": _account_part(member),
        "login_attempts": _login_attempts(member),
        "logged_actions": _logged_actions(member),
        "membership_events": _membership_events(member),
        "mandates": _mandates(member),
    }


def _register_titles() -> dict[str, dict]:
    states = {name: state.title for name, state in MEMBERSHIP_WORKFLOW.states.items()}
    steps = {name: t.title for name, t in MEMBERSHIP_WORKFLOW.transitions.items()}
    return {
        "state": states,
        "transition": steps,
        "position": POSITION_TITLES,
        "preferred_language": LANGUAGE_TITLES,
        "language": LANGUAGE_TITLES,
    }


register_export_part(
    ExportPart(
        "register",
        register_export,
        order=10,
        sections=(
            ExportSection("membership_events", _l("Your membership"), 10),
            ExportSection("mandates", _l("Your positions"), 20),
            ExportSection("login_attempts", _l("Times you tried to log in"), 50),
            ExportSection("logged_actions", _l("What you did on the portal"), 60),
        ),
        titles=_register_titles,
    )
)
