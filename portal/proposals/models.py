"""Proposals (plain-words summary, what changes, Markdown text) and the supports they gather."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TimestampMixin, UTCDateTime, utcnow
from portal.core.history import Versioned
from portal.core.security import DynamicRole, Securable, register_content_type
from portal.extensions import db
from portal.proposals.workflow import PROPOSAL_WORKFLOW


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


@register_content_type
class Proposal(Securable, Versioned, TimestampMixin, db.Model):
    """A proposal addressed to a body (its electorate supports it and votes on it)."""

    __tablename__ = "proposals"
    content_type = "proposal"
    workflow = PROPOSAL_WORKFLOW
    versioned_fields = ("title", "summary", "what_changes", "body")

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(300))  # plain words, required, shown first
    what_changes: Mapped[str] = mapped_column(sa.Text, default="")  # "what changes for me"
    body: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown, sanitised when shown
    body_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bodies.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[str] = mapped_column(sa.String(30), default=PROPOSAL_WORKFLOW.initial, index=True)
    security_path: Mapped[str] = mapped_column(sa.String(80), default="")
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Frozen when the proposal opens for support (the body's electorate changes later).
    support_threshold: Mapped[int | None] = mapped_column()
    poll_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("polls.id", ondelete="SET NULL"), index=True
    )

    owner = relationship("User", lazy="joined")
    addressed_to = relationship("Body", lazy="joined")
    poll = relationship("Poll", lazy="select")

    __table_args__ = (
        sa.CheckConstraint(_in("state", PROPOSAL_WORKFLOW.states), name="known_state"),
        sa.CheckConstraint(
            "support_threshold IS NULL OR support_threshold >= 1", name="threshold_positive"
        ),
    )

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.title!r} {self.state}>"

    def dynamic_roles(self, user) -> set[str]:
        if getattr(user, "is_authenticated", False) and self.owner_id == user.id:
            return {DynamicRole.OWNER.value}
        return set()

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        if getattr(user, "is_authenticated", False):
            return {DynamicRole.OWNER.value: cls.owner_id == user.id}
        return {}


class ProposalSupport(db.Model):
    """One member supports one proposal, once (the database refuses a second row)."""

    __tablename__ = "proposal_supports"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint (proposal_id first).
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("proposal_id", "member_id"),)

    def __repr__(self) -> str:
        return f"<ProposalSupport proposal {self.proposal_id} member {self.member_id}>"
