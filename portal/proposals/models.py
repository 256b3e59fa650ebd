"""Proposals (plain-words summary, what changes, Markdown text) and the supports they gather."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TimestampMixin, UTCDateTime, utcnow
from portal.core.history import Versioned
from portal.core.security import DynamicRole, Securable, register_content_type
from portal.extensions import db
from portal.proposals.workflow import PROPOSAL_WORKFLOW


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class FollowStatus(StrEnum):
    """How an adopted proposal is carried out."""

    TO_DO = "to_do"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ABANDONED = "abandoned"


FOLLOW_STATUS_TITLES = {
    FollowStatus.TO_DO: _l("To do"),
    FollowStatus.IN_PROGRESS: _l("In progress"),
    FollowStatus.DONE: _l("Done"),
    FollowStatus.ABANDONED: _l("Abandoned"),
}


class AmendmentState(StrEnum):
    PROPOSED = "proposed"  # waiting for the authors (or the board's vote)
    ACCEPTED = "accepted"  # the authors took it into the text
    DECLINED = "declined"  # the authors said no, with a reason
    WITHDRAWN = "withdrawn"  # its author took it back
    VOTE = "vote"  # the board put it to a vote of the body
    ADOPTED = "adopted"  # the vote said yes: it is in the text
    REJECTED = "rejected"  # the vote said no
    OUTDATED = "outdated"  # the proposal left the stage where it could change


AMENDMENT_STATE_TITLES = {
    AmendmentState.PROPOSED: _l("Waiting for an answer"),
    AmendmentState.ACCEPTED: _l("Accepted by the authors"),
    AmendmentState.DECLINED: _l("Declined by the authors"),
    AmendmentState.WITHDRAWN: _l("Taken back"),
    AmendmentState.VOTE: _l("In vote"),
    AmendmentState.ADOPTED: _l("Adopted by vote"),
    AmendmentState.REJECTED: _l("Rejected by vote"),
    AmendmentState.OUTDATED: _l("Too late: the proposal can no longer change"),
}

# The parts of a proposal an amendment may change.
AMENDABLE_FIELDS = ("summary", "what_changes", "body")


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
    # The board's answer (plain words), shown under the proposal.
    board_answer: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    board_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    board_answer_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Once adopted: how it is carried out, by whom, by when.
    follow_status: Mapped[str | None] = mapped_column(sa.String(20))
    follow_responsible_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    follow_due: Mapped[date | None] = mapped_column(sa.Date)
    follow_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    follow_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner = relationship("User", lazy="joined", foreign_keys=[owner_id])
    addressed_to = relationship("Body", lazy="joined")
    poll = relationship("Poll", lazy="select")
    board_answer_by = relationship("User", lazy="select", foreign_keys=[board_answer_by_id])
    follow_responsible = relationship("Member", lazy="select")

    __table_args__ = (
        sa.CheckConstraint(_in("state", PROPOSAL_WORKFLOW.states), name="known_state"),
        sa.CheckConstraint(
            f"follow_status IS NULL OR {_in('follow_status', FollowStatus)}",
            name="known_follow_status",
        ),
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


class ProposalComment(db.Model):
    """A comment on a proposal, or an answer to another comment (one level of threads or more).

    Comments are never deleted: a moderator hides one with a reason (audited); its author and
    the moderators still see it, marked hidden.
    """

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal_comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    author = relationship("User", lazy="joined", foreign_keys=[author_id])
    hidden_by = relationship("User", lazy="select", foreign_keys=[hidden_by_id])

    def __repr__(self) -> str:
        return f"<ProposalComment {self.id} on proposal {self.proposal_id}>"


class ProposalAmendment(db.Model):
    """A proposed change to one part of a proposal's text (the whole new text of that part).

    The authors accept it (a new revision of the proposal) or decline it with a reason; the
    board may instead put it to a vote of the body (a poll whose subject is "amendment:ID").
    """

    __tablename__ = "proposal_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    field: Mapped[str] = mapped_column(sa.String(20))  # one of AMENDABLE_FIELDS
    text: Mapped[str] = mapped_column(sa.Text)  # the whole new text of that field
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    base_version: Mapped[int]  # the proposal's version the change was written against
    state: Mapped[str] = mapped_column(
        sa.String(20), default=AmendmentState.PROPOSED.value, index=True
    )
    poll_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("polls.id", ondelete="SET NULL"), index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author = relationship("User", lazy="joined", foreign_keys=[author_id])
    decided_by = relationship("User", lazy="select", foreign_keys=[decided_by_id])
    poll = relationship("Poll", lazy="select")

    __table_args__ = (
        sa.CheckConstraint(_in("field", AMENDABLE_FIELDS), name="known_field"),
        sa.CheckConstraint(_in("state", AmendmentState), name="known_state"),
    )

    @property
    def object_key(self) -> str:
        return f"amendment:{self.id}"

    def __repr__(self) -> str:
        return f"<ProposalAmendment {self.id} on proposal {self.proposal_id} {self.state}>"


class ProposalAttachment(db.Model):
    """A file attached to a proposal. Served only through an authorised route, as a download."""

    __tablename__ = "proposal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))  # cleaned, shown and offered as name
    content_type: Mapped[str] = mapped_column(sa.String(100))  # from the checked content
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    uploaded_by = relationship("User", lazy="joined")

    __table_args__ = (sa.CheckConstraint("size >= 0", name="size_positive"),)

    def __repr__(self) -> str:
        return f"<ProposalAttachment {self.id} {self.filename!r}>"
