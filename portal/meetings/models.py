"""Meetings of a body, their agenda, attendance and speaking queue; minutes; the decisions
register; members' calendar feeds.

- A `Meeting` (content type "meeting") belongs to a body and follows MEETING_WORKFLOW. Its
  convocation is recorded on it (when, by whom, and the reason when the board overrode the
  body's notice period). Members check themselves in with its `check_in_code`.
- `AgendaItem`s are ordered by `position` (then id); an item may concern a proposal; polls opened
  from an item carry `subject_key = "agenda_item:<id>"`.
- `Attendance` is one row per member and meeting (the database refuses a second), with the
  proxy holder when represented, and arrival and departure times.
- `SpeakingRequest`: the queue of people asking to speak, per meeting (and item).
- `Minutes` (content type "minutes", one per meeting) follow MINUTES_WORKFLOW; their general
  notes are versioned on them, and each agenda item has a `MinutesSection` (discussion summary,
  decision text), versioned on its own so that two people editing two sections never conflict.
  Once approved, what they show is kept in a `MinutesRecord` (a new version per correction).
- `Decision`: the decisions register, numbered per body and year ("GA-2026-03"); the database
  refuses two decisions with the same number.
- `CalendarToken`: the secret of a member's calendar feed URL (only its hash is kept);
  revocable.
"""

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
from portal.meetings.workflow import MEETING_WORKFLOW, MINUTES_WORKFLOW


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class MeetingKind(StrEnum):
    ORDINARY_GA = "ordinary_ga"
    EXTRAORDINARY_GA = "extraordinary_ga"
    BOARD = "board"
    WORKERS_COUNCIL = "workers_council"
    COMMITTEE = "committee"


MEETING_KIND_TITLES = {
    MeetingKind.ORDINARY_GA: _l("Ordinary general assembly"),
    MeetingKind.EXTRAORDINARY_GA: _l("Extraordinary general assembly"),
    MeetingKind.BOARD: _l("Board meeting"),
    MeetingKind.WORKERS_COUNCIL: _l("Workers' council"),
    MeetingKind.COMMITTEE: _l("Committee meeting"),
}


class ItemKind(StrEnum):
    INFORMATION = "information"
    DISCUSSION = "discussion"
    DECISION = "decision"


ITEM_KIND_TITLES = {
    ItemKind.INFORMATION: _l("Information"),
    ItemKind.DISCUSSION: _l("Discussion"),
    ItemKind.DECISION: _l("Decision"),
}


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"
    REPRESENTED = "represented"  # by a proxy holder who is present


ATTENDANCE_TITLES = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.EXCUSED: _l("Excused"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.REPRESENTED: _l("Represented"),
}


class FollowStatus(StrEnum):
    TO_DO = "to_do"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ABANDONED = "abandoned"


class _OwnedContent(Securable):
    """Owner dynamic role, as for pages, proposals and polls."""

    def dynamic_roles(self, user) -> set[str]:
        if getattr(user, "is_authenticated", False) and self.owner_id == user.id:
            return {DynamicRole.OWNER.value}
        return set()

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        if getattr(user, "is_authenticated", False):
            return {DynamicRole.OWNER.value: cls.owner_id == user.id}
        return {}


@register_content_type
class Meeting(_OwnedContent, TimestampMixin, db.Model):
    __tablename__ = "meetings"
    content_type = "meeting"
    workflow = MEETING_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bodies.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # planned end
    place: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    online_link: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    state: Mapped[str] = mapped_column(sa.String(20), default=MEETING_WORKFLOW.initial, index=True)
    security_path: Mapped[str] = mapped_column(sa.String(80), default="")
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    secretary_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    # The convocation: when, by whom, and why the notice period was overridden (if it was).
    convened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    convened_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    notice_override_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    check_in_code: Mapped[str | None] = mapped_column(sa.String(12))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "agenda_items.id", ondelete="SET NULL", use_alter=True, name="fk_meetings_current_item"
        )
    )

    body = relationship("Body", lazy="joined")
    chair = relationship("Member", foreign_keys=[chair_id], lazy="select")
    secretary = relationship("Member", foreign_keys=[secretary_id], lazy="select")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        foreign_keys="AgendaItem.meeting_id",
        order_by="(AgendaItem.position, AgendaItem.id)",
        cascade="all, delete-orphan",
        lazy="select",
    )

    __table_args__ = (
        sa.CheckConstraint(_in("state", MEETING_WORKFLOW.states), name="known_state"),
        sa.CheckConstraint(_in("kind", MeetingKind), name="known_kind"),
        sa.CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="ends_after_start"),
    )

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.kind} {self.state}>"


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default=ItemKind.DISCUSSION.value)
    presenter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    planned_minutes: Mapped[int | None] = mapped_column()
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when in session

    meeting: Mapped[Meeting] = relationship(back_populates="items", foreign_keys=[meeting_id])
    presenter = relationship("Member", lazy="select")
    proposal = relationship("Proposal", lazy="select")

    __table_args__ = (
        sa.CheckConstraint(_in("kind", ItemKind), name="known_kind"),
        sa.CheckConstraint(
            "planned_minutes IS NULL OR planned_minutes BETWEEN 1 AND 600",
            name="planned_minutes_range",
        ),
    )

    @property
    def object_key(self) -> str:
        return f"agenda_item:{self.id}"

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} of meeting {self.meeting_id} at {self.position}>"


class Attendance(db.Model):
    __tablename__ = "attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), default=AttendanceStatus.ABSENT.value)
    proxy_holder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    self_checked_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    member = relationship("Member", foreign_keys=[member_id], lazy="joined")
    proxy_holder = relationship("Member", foreign_keys=[proxy_holder_id], lazy="select")

    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "member_id"),
        sa.CheckConstraint(_in("status", AttendanceStatus), name="known_status"),
        sa.CheckConstraint(
            "(status = 'represented') = (proxy_holder_id IS NOT NULL)",
            name="holder_when_represented",
        ),
        sa.CheckConstraint(
            "proxy_holder_id IS NULL OR proxy_holder_id <> member_id", name="not_to_oneself"
        ),
        sa.CheckConstraint(
            "left_at IS NULL OR arrived_at IS NULL OR left_at >= arrived_at",
            name="leaves_after_arriving",
        ),
    )


class SpeakingRequest(db.Model):
    __tablename__ = "speaking_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # given the floor
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # finished or withdrawn
    withdrawn: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    member = relationship("Member", lazy="joined")


@register_content_type
class Minutes(_OwnedContent, Versioned, TimestampMixin, db.Model):
    __tablename__ = "minutes"
    content_type = "minutes"
    workflow = MINUTES_WORKFLOW
    versioned_fields = ("notes",)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="RESTRICT"), unique=True
    )
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # Markdown
    state: Mapped[str] = mapped_column(sa.String(20), default=MINUTES_WORKFLOW.initial, index=True)
    security_path: Mapped[str] = mapped_column(sa.String(80), default="")
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The decision that approved them: a board poll, or an agenda item of a later meeting.
    approval_poll_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("polls.id", ondelete="SET NULL")
    )
    approval_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    meeting = relationship("Meeting", lazy="joined")
    sections: Mapped[list[MinutesSection]] = relationship(
        back_populates="minutes", cascade="all, delete-orphan", lazy="select"
    )

    __table_args__ = (
        sa.CheckConstraint(_in("state", MINUTES_WORKFLOW.states), name="known_state"),
    )

    def dynamic_roles(self, user) -> set[str]:
        found = super().dynamic_roles(user)
        if self.is_public:
            found.add(DynamicRole.PUBLIC.value)
        return found

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        return {
            DynamicRole.PUBLIC.value: cls.is_public.is_(True),
            **super().dynamic_role_clauses(user),
        }

    def __repr__(self) -> str:
        return f"<Minutes {self.id} of meeting {self.meeting_id} {self.state}>"


class MinutesSection(Versioned, db.Model):
    """What the minutes say about one agenda item (versioned on its own)."""

    __tablename__ = "minutes_sections"
    versioned_fields = ("discussion", "decision_text")

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="RESTRICT"), index=True
    )
    discussion: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    decision_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    minutes: Mapped[Minutes] = relationship(back_populates="sections")
    agenda_item = relationship("AgendaItem", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("minutes_id", "agenda_item_id"),)

    @property
    def object_key(self) -> str:
        return f"minutes_section:{self.id}"


class MinutesRecord(db.Model):
    """What approved minutes show, kept as it was (attendance, quorum, results of the votes,
    decisions, names): version 1 at the approval, one more for each correction (with its
    reason). The minutes' page and PDF show the newest; live data never changes them."""

    __tablename__ = "minutes_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(sa.ForeignKey("minutes.id", ondelete="CASCADE"))
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(sa.JSON)  # see `minutes_record.take`
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # "" at approval
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recorded_by = relationship("User", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("minutes_id", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    def __repr__(self) -> str:
        return f"<MinutesRecord v{self.version} of minutes {self.minutes_id}>"


class Decision(TimestampMixin, db.Model):
    """One entry of the decisions register: an adopted verdict or a minuted decision."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bodies.id", ondelete="RESTRICT"), index=True
    )
    year: Mapped[int]
    number: Mapped[int]  # per body and year, from 1, never reused
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)  # e.g. "GA-2026-03"
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    decided_on: Mapped[date] = mapped_column(sa.Date, index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agenda_items.id", ondelete="SET NULL")
    )
    minutes_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("minutes.id", ondelete="SET NULL"), index=True
    )
    poll_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("polls.id", ondelete="SET NULL"), unique=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"), index=True
    )
    follow_status: Mapped[str] = mapped_column(
        sa.String(20), default=FollowStatus.TO_DO.value, server_default=FollowStatus.TO_DO.value
    )
    follow_responsible_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    follow_due: Mapped[date | None] = mapped_column(sa.Date)
    follow_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    body = relationship("Body", lazy="joined")
    follow_responsible = relationship("Member", lazy="select")

    __table_args__ = (
        sa.UniqueConstraint("body_id", "year", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint(_in("follow_status", FollowStatus), name="known_follow_status"),
    )

    def __repr__(self) -> str:
        return f"<Decision {self.reference}>"


class CalendarToken(db.Model):
    """The secret of a member's calendar feed: only its sha-256 is kept; revoked, it stops."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
