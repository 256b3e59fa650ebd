"""Workflows as data, and the one function that changes a state.

A workflow is states (each mapping permissions to roles) and transitions (from states, to a
state, the permission needed, an optional guard). `apply_transition` is the only writer of an
item's state: it checks the permission and the guard, records the history and the audit entry,
and sends the `transition_applied` signal (search re-indexes on it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from portal.core import audit
from portal.core.db import UTCDateTime, utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, Securable, can
from portal.extensions import db

signals = Namespace()
transition_applied = signals.signal("transition-applied")
item_saved = signals.signal("item-saved")

MAX_COMMENT = 1000


@dataclass(frozen=True)
class State:
    name: str
    title: object  # a lazy translated string
    permissions: Mapping[Permission, frozenset[str]]
    description: object = ""


Guard = Callable[[Securable, object], object | None]  # returns a refusal message, or None


@dataclass(frozen=True)
class Transition:
    name: str
    title: object
    sources: frozenset[str]
    target: str
    permission: Permission
    guard: Guard | None = None
    comment_required: bool = False


@dataclass(frozen=True)
class Workflow:
    name: str
    initial: str
    states: dict[str, State]
    transitions: dict[str, Transition] = field(default_factory=dict)

    def __post_init__(self):
        assert self.initial in self.states, f"{self.name}: unknown initial state"
        for transition in self.transitions.values():
            assert transition.target in self.states, f"{self.name}: {transition.name} target"
            assert transition.sources <= set(self.states), f"{self.name}: {transition.name} sources"

    def roles_with(self, state: str, permission: Permission) -> frozenset[str]:
        found = self.states.get(state)
        return found.permissions.get(permission, frozenset()) if found else frozenset()

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]


class WorkflowHistory(db.Model):
    """Every state change: who, when, from, to, and why."""

    __tablename__ = "workflow_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_key: Mapped[str] = mapped_column(sa.String(80), index=True)
    transition: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[str] = mapped_column(sa.String(40))
    to_state: Mapped[str] = mapped_column(sa.String(40))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor = sa.orm.relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<WorkflowHistory {self.object_key} {self.from_state}->{self.to_state}>"


def available_transitions(obj: Securable, user) -> list[Transition]:
    """The transitions `user` may take now (guards included): exactly what the page offers."""
    return [
        t
        for t in obj.workflow.from_state(obj.state)  # type: ignore[attr-defined]
        if can(user, t.permission, obj) and (t.guard is None or t.guard(obj, user) is None)
    ]


def blocked_transitions(obj: Securable, user) -> list[tuple[Transition, str]]:
    """The transitions `user` has the permission for now but whose guard refuses, each with the
    guard's reason (what the page says instead of offering the step)."""
    blocked = []
    for t in obj.workflow.from_state(obj.state):  # type: ignore[attr-defined]
        if t.guard is not None and can(user, t.permission, obj):
            reason = t.guard(obj, user)
            if reason is not None:
                blocked.append((t, str(reason)))
    return blocked


def apply_transition(
    obj: Securable, name: str, actor, comment: str = "", **audit_details
) -> WorkflowHistory:
    """Move `obj` along transition `name`. The only code that changes a state.

    `audit_details` are added to the audit entry (e.g. the date a step takes effect).

    Raises DomainError when the transition does not exist from this state, when a comment is
    required and missing, or when the guard refuses; NotAllowed without the permission.
    """
    workflow = obj.workflow
    transition = workflow.transitions.get(name)
    if transition is None or obj.state not in transition.sources:  # type: ignore[attr-defined]
        raise DomainError(
            _l("This step is not possible now. Reload the page to see the current state.")
        )
    if not can(actor, transition.permission, obj):
        raise NotAllowed(_l("You cannot do this step."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(
            _l("The comment is too long (at most %(n)d characters).", n=MAX_COMMENT),
            field="comment",
        )
    if transition.comment_required and not comment:
        raise DomainError(_l("Please say why, in a few words."), field="comment")
    if transition.guard is not None:
        refusal = transition.guard(obj, actor)
        if refusal is not None:
            raise DomainError(refusal)
    before = obj.state  # type: ignore[attr-defined]
    obj.state = transition.target  # type: ignore[attr-defined]
    entry = WorkflowHistory(
        object_key=obj.object_key,
        transition=name,
        from_state=before,
        to_state=transition.target,
        actor_id=getattr(actor, "id", None),
        comment=comment,
    )
    db.session.add(entry)
    audit.record(
        actor,
        "workflow.transition",
        f"{obj.object_key}: {name} ({before} -> {transition.target})"
        + "".join(f", {key} {value}" for key, value in sorted(audit_details.items())),
        object_key=obj.object_key,
        transition=name,
        from_state=before,
        to_state=transition.target,
        **audit_details,
    )
    db.session.flush()
    transition_applied.send(obj, transition=transition, actor=actor)
    return entry


def history_of(obj: Securable) -> list[WorkflowHistory]:
    return db.session.scalars(
        sa.select(WorkflowHistory)
        .where(WorkflowHistory.object_key == obj.object_key)
        .order_by(WorkflowHistory.id)
    ).all()
