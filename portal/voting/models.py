"""Polls, their frozen electorate, participations, ballots and proxies.

Secrecy by construction (DESIGN.md §4): a vote writes two rows in one transaction.
- `Participation` says *who* took part (poll, member, who pressed the button: the member, a
  proxy holder, or with an assistant). One per poll and member: the database refuses a second.
- `Ballot` says *what* was chosen (poll, choice, weight) under a random key. It has no member,
  user, session, address or time column, no sequence (no rowid on SQLite) and no key that joins
  it to a participation. For a named poll the choice is also kept on the participation, so the
  list of who voted what can be shown after the close.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TimestampMixin, UTCDateTime, utcnow
from portal.core.security import DynamicRole, Securable, register_content_type
from portal.extensions import db
from portal.voting.workflow import POLL_WORKFLOW


class CastMode(StrEnum):
    SELF = "self"
    PROXY = "proxy"  # by the holder of the member's proxy
    ASSISTED = "assisted"  # by the member, with a trainer or secretary beside them


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


@register_content_type
class Poll(Securable, TimestampMixin, db.Model):
    __tablename__ = "polls"
    content_type = "poll"
    workflow = POLL_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    question: Mapped[str] = mapped_column(sa.Text, default="")  # in plain words
    # What the poll decides: "proposal:12", "agenda_item:3", or nothing (e.g. an election).
    subject_key: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("bodies.id", ondelete="RESTRICT"))
    method: Mapped[str] = mapped_column(sa.String(30))
    secret: Mapped[bool] = mapped_column(default=True)
    practice: Mapped[bool] = mapped_column(default=False)  # "practice — not counted"
    # In-room: people vote by show of hands or on paper; the secretary enters the counts (kept
    # as one weighted ballot per answer), which cannot exceed the people present.
    in_room: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    present_count: Mapped[int | None] = mapped_column()  # in-room: people present
    majority: Mapped[str] = mapped_column(sa.String(20), default="simple")
    abstentions_count: Mapped[bool] = mapped_column(default=False)
    quorum_percent: Mapped[int | None] = mapped_column()  # None: no quorum
    seats: Mapped[int] = mapped_column(default=1)
    min_choices: Mapped[int | None] = mapped_column()
    max_choices: Mapped[int | None] = mapped_column()
    proxy_cap: Mapped[int] = mapped_column(default=1)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # announced, not automatic
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # "closes soon" sent
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The electorate frozen at the opening: how many people, and their total weight.
    electorate_count: Mapped[int] = mapped_column(default=0)
    electorate_weight: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict | None] = mapped_column(sa.JSON)  # the tally, computed at the close
    state: Mapped[str] = mapped_column(sa.String(20), default=POLL_WORKFLOW.initial, index=True)
    security_path: Mapped[str] = mapped_column(sa.String(80), default="")
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    body = relationship("Body", lazy="joined")
    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll",
        order_by="PollOption.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (
        sa.CheckConstraint(_in("state", POLL_WORKFLOW.states), name="known_state"),
        sa.CheckConstraint("seats BETWEEN 1 AND 50", name="seats_range"),
        sa.CheckConstraint(
            "quorum_percent IS NULL OR quorum_percent BETWEEN 0 AND 100", name="quorum_range"
        ),
        sa.CheckConstraint("proxy_cap BETWEEN 0 AND 20", name="proxy_cap_range"),
        sa.CheckConstraint(
            "present_count IS NULL OR present_count >= 0", name="present_count_positive"
        ),
    )

    def __repr__(self) -> str:
        return f"<Poll {self.id} {self.method} {self.state}>"

    @property
    def option_labels(self) -> list[str]:
        return [option.label for option in self.options]

    def dynamic_roles(self, user) -> set[str]:
        if getattr(user, "is_authenticated", False) and self.owner_id == user.id:
            return {DynamicRole.OWNER.value}
        return set()

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        if getattr(user, "is_authenticated", False):
            return {DynamicRole.OWNER.value: cls.owner_id == user.id}
        return {}


class PollOption(db.Model):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(200))

    poll: Mapped[Poll] = relationship(back_populates="options")

    __table_args__ = (
        sa.UniqueConstraint("poll_id", "position"),
        sa.UniqueConstraint("poll_id", "label"),
    )


class PollElector(db.Model):
    """One member of the electorate, frozen when the poll opened, with their weight."""

    __tablename__ = "poll_electors"

    poll_id: Mapped[int] = mapped_column(
        sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    weight: Mapped[int] = mapped_column(default=1)


class Participation(db.Model):
    """Who took part in a poll. Unique per poll and member: no double vote, ever."""

    __tablename__ = "participations"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    mode: Mapped[str] = mapped_column(sa.String(20), default=CastMode.SELF.value)
    cast_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assisted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Named polls only: the choice, to list who voted what after the close. Never for secret.
    named_choice: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member = relationship("Member", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("poll_id", "member_id"),
        sa.CheckConstraint(_in("mode", CastMode), name="known_mode"),
    )


def new_ballot_key() -> str:
    return uuid.uuid4().hex


class Ballot(db.Model):
    """What was chosen. Nothing here says who, when, or in which order (see the module doc)."""

    __tablename__ = "ballots"

    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_ballot_key)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    content: Mapped[dict] = mapped_column(sa.JSON)  # {"vote": …} / {"choice": …} / …
    weight: Mapped[int] = mapped_column(default=1)
    # sha-256 of the voter's receipt code, listed (without choices) after the close.
    receipt_fingerprint: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = ({"sqlite_with_rowid": False},)


class Proxy(db.Model):
    """A member (principal) lets another member (holder) vote for them in one poll."""

    __tablename__ = "proxies"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"))
    principal_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="RESTRICT"))
    holder_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    principal = relationship("Member", foreign_keys=[principal_id], lazy="joined")
    holder = relationship("Member", foreign_keys=[holder_id], lazy="joined")

    __table_args__ = (
        # One proxy in force per principal and poll (a revoked one no longer counts).
        sa.Index(
            "uq_proxies_poll_id_principal_id_in_force",
            "poll_id",
            "principal_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
        sa.CheckConstraint("principal_id <> holder_id", name="not_to_oneself"),
    )
