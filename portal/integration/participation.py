"""The record's participation section: what the member took part in during a pathway, derived
from the meetings, votes, bodies and proposals tables — never typed in, never stored.

Each kind of participation is a source in the core's `PARTICIPATION_SOURCES` (name, title,
function, order), registered by the domain that holds it (`portal/<domain>/contributions.py`);
a later module adds its own (citizenship sessions, say) the same way, or here with
`register_source`. Integration imports none of those domains. A source function
takes the member and the period and returns a `Fact` with one aggregate statement at most, so
the section costs the same whatever the member did. Votes are counted only: no choice is ever
read (the ballots table is not touched; a named poll's choice column is not selected).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from portal.core import registries
from portal.core.registries import (
    Fact,
    ParticipationSource,
    Period,
    add_sorted,
    next_order,
)
from portal.integration.models import Pathway
from portal.integration.sections import page_section

Source = ParticipationSource


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
# Each domain registers its own with the core (its `contributions.py`): meetings attended and
# represented at (meetings), votes taken part in (voting), roles held (members), proposals
# written (proposals). This is the core's list itself.
PARTICIPATION_SOURCES: list[ParticipationSource] = registries.PARTICIPATION_SOURCES


def register_source(name: str, title, function: Callable[[object, Period], Fact]) -> None:
    """Add (or replace) a kind of participation; it is shown after the others."""
    sources = PARTICIPATION_SOURCES
    add_sorted(sources, ParticipationSource(name, title, function, next_order(sources)))


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
