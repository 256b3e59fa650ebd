"""The record's participation section: what the member took part in during a pathway, derived
from the meetings, votes, bodies and proposals tables — never typed in, never stored.

Each kind of participation is a source in `PARTICIPATION_SOURCES` (name, title, function); a
later module adds its own (citizenship sessions, say) with `register_source`. A source function
takes the member and the period and returns a `Fact` with one aggregate statement at most, so
the section costs the same whatever the member did. Votes are counted only: no choice is ever
read (the ballots table is not touched; a named poll's choice column is not selected).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.db import local_today
from portal.extensions import db
from portal.integration.models import Pathway
from portal.integration.sections import page_section


@dataclass(frozen=True)
class Period:
    """From `start` to `end` (both inclusive; `end` None: until today)."""

    start: date
    end: date | None

    @property
    def last_day(self) -> date:
        return self.end or local_today()

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[first instant, instant after the last day) in UTC, days taken where the WISE is."""
        zone = ZoneInfo(
            current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Europe/Paris"
        )
        first = datetime.combine(self.start, time(0), zone).astimezone(UTC)
        after = datetime.combine(self.last_day + timedelta(days=1), time(0), zone).astimezone(UTC)
        return first, after


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


@dataclass(frozen=True)
class Fact:
    """What one source found: how many, and the items to list (may be empty)."""

    count: int
    items: tuple = ()


@dataclass(frozen=True)
class Source:
    name: str
    title: object  # a lazy translated string
    function: Callable[[object, Period], Fact]


@dataclass(frozen=True)
class Entry:
    name: str
    title: object
    fact: Fact

    @property
    def count(self) -> int:
        return self.fact.count

    @property
    def items(self) -> tuple:
        return self.fact.items


@dataclass(frozen=True)
class Participation:
    """The member's participation over a period, one entry per registered source, in order."""

    period: Period
    entries: tuple[Entry, ...]

    def __getitem__(self, name: str) -> Entry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    @property
    def anything(self) -> bool:
        return any(entry.count for entry in self.entries)


# --- The sources ---------------------------------------------------------------------------------


def _attendance_count(member, period: Period, status: str) -> int:
    from portal.meetings.models import Attendance, Meeting

    first, after = period.utc_bounds()
    return db.session.scalar(
        sa.select(sa.func.count(Attendance.id))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Attendance.member_id == member.id,
            Attendance.status == status,
            Meeting.state != "cancelled",
            Meeting.starts_at >= first,
            Meeting.starts_at < after,
        )
    )


def meetings_attended(member, period: Period) -> Fact:
    """Meetings held in the period (not cancelled) where the member was present."""
    return Fact(_attendance_count(member, period, "present"))


def meetings_represented(member, period: Period) -> Fact:
    """Meetings held in the period where someone else held the member's proxy."""
    return Fact(_attendance_count(member, period, "represented"))


def polls_taken_part(member, period: Period) -> Fact:
    """Votes the member took part in during the period (practice and cancelled polls left out).

    Counts participation rows only: never a choice, never the ballots."""
    from portal.voting.models import Participation as PollParticipation
    from portal.voting.models import Poll

    first, after = period.utc_bounds()
    return Fact(
        db.session.scalar(
            sa.select(sa.func.count(PollParticipation.id))
            .join(Poll, Poll.id == PollParticipation.poll_id)
            .where(
                PollParticipation.member_id == member.id,
                Poll.practice.is_(False),
                Poll.state != "cancelled",
                PollParticipation.created_at >= first,
                PollParticipation.created_at < after,
            )
        )
    )


def mandates_held(member, period: Period) -> Fact:
    """Positions held in a body at any day of the period."""
    from portal.members.models import BODY_KIND_TITLES, POSITION_TITLES, Body, Mandate

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


def proposals_authored(member, period: Period) -> Fact:
    """Proposals the member's account wrote in the period and sent on (drafts left out)."""
    from portal.proposals.models import Proposal

    if member.user_id is None:
        return Fact(0)
    first, after = period.utc_bounds()
    return Fact(
        db.session.scalar(
            sa.select(sa.func.count(Proposal.id)).where(
                Proposal.owner_id == member.user_id,
                Proposal.state != "draft",
                Proposal.created_at >= first,
                Proposal.created_at < after,
            )
        )
    )


PARTICIPATION_SOURCES: list[Source] = [
    Source("meetings", _l("Meetings attended"), meetings_attended),
    Source("represented", _l("Meetings where a proxy stood in"), meetings_represented),
    Source("polls", _l("Votes taken part in"), polls_taken_part),
    Source("mandates", _l("Roles held"), mandates_held),
    Source("proposals", _l("Proposals written"), proposals_authored),
]


def register_source(name: str, title, function: Callable[[object, Period], Fact]) -> None:
    """Add (or replace) a kind of participation; it is shown after the others."""
    PARTICIPATION_SOURCES[:] = [s for s in PARTICIPATION_SOURCES if s.name != name]
    PARTICIPATION_SOURCES.append(Source(name, title, function))


def participation(member, start: date, end: date | None = None) -> Participation:
    """What `member` took part in from `start` to `end` (inclusive; None: until today)."""
    period = Period(start, end)
    return Participation(
        period,
        tuple(Entry(s.name, s.title, s.function(member, period)) for s in PARTICIPATION_SOURCES),
    )


def pathway_participation(pathway: Pathway) -> Participation | None:
    """Over the pathway's dates: entry to exit, or to today while it runs."""
    if pathway.member is None:
        return None
    return participation(pathway.member, pathway.entry_on, pathway.exit_on)


def _has_member(user, pathway: Pathway) -> bool:
    return pathway.member is not None


@page_section("participation", "integration/_participation.html", order=80, visible=_has_member)
def participation_section(user, pathway: Pathway) -> dict:
    return {"participation": pathway_participation(pathway)}
