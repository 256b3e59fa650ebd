"""The membership register: members, colleges (categories), lifecycle events, bodies, mandates.

A member is a person in the register, not a login: `user_id` links an account when there is one.
Only what the portal needs is kept (names, number, language, optional contact details, team,
college, dates). Nothing here comes from, or leads to, integration records.

Dates that matter for votes (admission, suspension, end, change of college, mandates) are
calendar dates in the enterprise's time zone. The state and college of a member on any date are
those of their latest `MembershipEvent` on or before it, so an electorate can be computed for
any day, past or present.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import TimestampMixin, UTCDateTime, utcnow
from portal.core.security import DynamicRole, Securable, register_content_type
from portal.extensions import db
from portal.members.workflow import MEMBERSHIP_WORKFLOW

MEMBER_STATES = tuple(MEMBERSHIP_WORKFLOW.states)


class BodyKind(StrEnum):
    GENERAL_ASSEMBLY = "general_assembly"  # members come from the colleges that vote there
    BOARD = "board"
    WORKERS_COUNCIL = "workers_council"
    COMMITTEE = "committee"


BODY_KIND_TITLES = {
    BodyKind.GENERAL_ASSEMBLY: _l("General assembly"),
    BodyKind.BOARD: _l("Board"),
    BodyKind.WORKERS_COUNCIL: _l("Workers' council"),
    BodyKind.COMMITTEE: _l("Committee"),
}


class Position(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    SECRETARY = "secretary"
    TREASURER = "treasurer"
    MEMBER = "member"


POSITION_TITLES = {
    Position.CHAIR: _l("Chair"),
    Position.VICE_CHAIR: _l("Vice-chair"),
    Position.SECRETARY: _l("Secretary"),
    Position.TREASURER: _l("Treasurer"),
    Position.MEMBER: _l("Member"),
}
# Positions one person at a time holds in a body; anyone may hold "member" alongside others.
SINGLE_HOLDER = frozenset(
    {Position.CHAIR, Position.VICE_CHAIR, Position.SECRETARY, Position.TREASURER}
)


class Majority(StrEnum):
    SIMPLE = "simple"
    ABSOLUTE = "absolute"
    TWO_THIRDS = "two_thirds"
    THREE_QUARTERS = "three_quarters"
    UNANIMITY = "unanimity"


MAJORITY_TITLES = {
    Majority.SIMPLE: _l("Simple majority (more yes than no)"),
    Majority.ABSOLUTE: _l("Absolute majority (more than half of the votes cast)"),
    Majority.TWO_THIRDS: _l("Two thirds"),
    Majority.THREE_QUARTERS: _l("Three quarters"),
    Majority.UNANIMITY: _l("Everyone agrees (unanimity)"),
}

# The colleges a new register starts with; their names are translated until an admin renames them.
DEFAULT_CATEGORY_TITLES = {
    "worker": _l("Worker-participant"),
    "staff": _l("Permanent staff"),
    "volunteer": _l("Volunteer"),
    "supporter": _l("Supporting member"),
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


category_bodies = sa.Table(
    "category_bodies",
    db.metadata,
    sa.Column(
        "category_id",
        sa.ForeignKey("member_categories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("body_id", sa.ForeignKey("bodies.id", ondelete="CASCADE"), primary_key=True),
)


class MemberCategory(db.Model):
    """A college: worker-participants, permanent staff, volunteers, supporting members…"""

    __tablename__ = "member_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(80))  # None: the translated default
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    vote_weight: Mapped[int] = mapped_column(default=1)
    sort_order: Mapped[int] = mapped_column(default=0)

    # Loaded when asked for (lists ask with selectinload): every member and poll loads its
    # college or body, and most pages never look at these.
    voting_bodies: Mapped[list[Body]] = relationship(
        secondary=category_bodies, back_populates="voting_categories", lazy="select"
    )

    __table_args__ = (sa.CheckConstraint("vote_weight BETWEEN 1 AND 100", name="weight_range"),)

    def __repr__(self) -> str:
        return f"<MemberCategory {self.code} weight={self.vote_weight}>"

    @property
    def title(self) -> str:
        if self.name:
            return self.name
        return str(DEFAULT_CATEGORY_TITLES.get(self.code, self.code))


class Body(TimestampMixin, db.Model):
    """A governing body: the general assembly, the board, a workers' council, committees."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str | None] = mapped_column(sa.String(120))  # None: the translated kind
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Share of the electorate that must be present or represented for a valid decision.
    quorum_percent: Mapped[int] = mapped_column(default=50)
    notice_days: Mapped[int] = mapped_column(default=15)  # days between convocation and meeting
    default_majority: Mapped[str] = mapped_column(sa.String(20), default=Majority.SIMPLE.value)
    proxy_cap: Mapped[int] = mapped_column(default=1)  # proxies one member may hold
    # Supports a proposal addressed to this body needs: this share of its electorate (rounded
    # up), and never fewer than the minimum. Frozen on the proposal when it opens for support.
    support_percent: Mapped[int] = mapped_column(default=10, server_default="10")
    support_minimum: Mapped[int] = mapped_column(default=3, server_default="3")
    # Meetings: the prefix of the decisions register's numbers ("GA" → GA-2026-03; None: from
    # the kind), whether represented members count for the quorum, and whether votes taken in a
    # meeting are for those present (and represented) only.
    code: Mapped[str | None] = mapped_column(sa.String(12))
    proxies_count_for_quorum: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    meeting_votes_present_only: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    active: Mapped[bool] = mapped_column(default=True)

    voting_categories: Mapped[list[MemberCategory]] = relationship(
        secondary=category_bodies, back_populates="voting_bodies", lazy="select"
    )

    __table_args__ = (
        sa.CheckConstraint(_in("kind", BodyKind), name="known_kind"),
        sa.CheckConstraint(_in("default_majority", Majority), name="known_majority"),
        sa.CheckConstraint("quorum_percent BETWEEN 0 AND 100", name="quorum_range"),
        sa.CheckConstraint("notice_days BETWEEN 0 AND 365", name="notice_range"),
        sa.CheckConstraint("proxy_cap BETWEEN 0 AND 20", name="proxy_cap_range"),
        sa.CheckConstraint("support_percent BETWEEN 0 AND 100", name="support_percent_range"),
        sa.CheckConstraint("support_minimum BETWEEN 1 AND 10000", name="support_minimum_range"),
    )

    def __repr__(self) -> str:
        return f"<Body {self.id} {self.kind} {self.name!r}>"

    @property
    def title(self) -> str:
        return self.name or str(BODY_KIND_TITLES.get(self.kind, self.kind))

    @property
    def is_computed(self) -> bool:
        """The general assembly's members are computed from colleges, not appointed."""
        return self.kind == BodyKind.GENERAL_ASSEMBLY


@register_content_type
class Member(Securable, TimestampMixin, db.Model):
    """A person in the membership register."""

    __tablename__ = "members"
    content_type = "member"
    workflow = MEMBERSHIP_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    member_number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    given_name: Mapped[str] = mapped_column(sa.String(80))
    family_name: Mapped[str] = mapped_column(sa.String(80))
    preferred_language: Mapped[str] = mapped_column(sa.String(8), default="fr")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # The member agrees that other members see their e-mail and phone in the directory.
    contact_consent: Mapped[bool] = mapped_column(default=False)
    team: Mapped[str] = mapped_column(sa.String(80), default="")
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member_categories.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[str] = mapped_column(
        sa.String(20), default=MEMBERSHIP_WORKFLOW.initial, index=True
    )
    security_path: Mapped[str] = mapped_column(sa.String(80), default="")
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    applied_on: Mapped[date] = mapped_column(sa.Date)
    admitted_on: Mapped[date | None] = mapped_column(sa.Date)  # the latest admission
    ended_on: Mapped[date | None] = mapped_column(sa.Date)

    category: Mapped[MemberCategory | None] = relationship(lazy="joined")
    user = relationship("User", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(_in("state", MEMBER_STATES), name="known_state"),
        sa.Index("ix_members_family_name_given_name", "family_name", "given_name"),
    )

    def __repr__(self) -> str:
        return f"<Member {self.member_number} {self.full_name!r} {self.state}>"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def dynamic_roles(self, user) -> set[str]:
        if getattr(user, "is_authenticated", False) and self.user_id == user.id:
            return {DynamicRole.SELF.value}
        return set()

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        if getattr(user, "is_authenticated", False):
            return {DynamicRole.SELF.value: cls.user_id == user.id}
        return {}


class EventKind(StrEnum):
    APPLIED = "applied"  # entered in the register (as an applicant, or imported as a member)
    TRANSITION = "transition"  # a lifecycle step: admit, suspend, end…
    CATEGORY = "category"  # moved to another college


class MembershipEvent(db.Model):
    """One dated change of a member's state or college, with its reason.

    `state` and `category_id` are the member's state and college *after* the event, so the
    latest event on or before a date says both for that date.
    """

    __tablename__ = "membership_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    transition: Mapped[str | None] = mapped_column(sa.String(40))
    effective_on: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(20))
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member_categories.id", ondelete="RESTRICT")
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    category: Mapped[MemberCategory | None] = relationship(lazy="joined")
    recorded_by = relationship("User", lazy="joined")

    __table_args__ = (
        sa.Index("ix_membership_events_member_id_effective_on", "member_id", "effective_on"),
        sa.CheckConstraint(_in("kind", EventKind), name="known_kind"),
        sa.CheckConstraint(_in("state", MEMBER_STATES), name="known_state"),
    )

    def __repr__(self) -> str:
        return f"<MembershipEvent member={self.member_id} {self.effective_on} -> {self.state}>"


class Mandate(db.Model):
    """A position held in a body, from a start date to an end date (inclusive; open-ended)."""

    __tablename__ = "mandates"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("bodies.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[str] = mapped_column(sa.String(20), default=Position.MEMBER.value)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    body: Mapped[Body] = relationship(lazy="joined")
    member: Mapped[Member] = relationship(lazy="joined")

    __table_args__ = (
        sa.Index("ix_mandates_body_id_starts_on", "body_id", "starts_on"),
        sa.CheckConstraint(_in("position", Position), name="known_position"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    def __repr__(self) -> str:
        return f"<Mandate {self.position} body={self.body_id} member={self.member_id}>"

    @property
    def position_title(self) -> str:
        return str(POSITION_TITLES.get(self.position, self.position))

    def holds_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
