"""The registries through which each domain contributes to what is shared between domains.

Integration shows, exports and counts what the other domains hold about a person, without
importing them: each domain registers its own entries here (in its `contributions.py`, imported
when the app registers its blueprints) and integration reads these registries.

- `PARTICIPATION_SOURCES`: what a member took part in over a period (a record's participation
  section): `register_participation_source`. A source returns a `Fact`, one aggregate at most.
- `EXPORT_PARTS`: a domain's part of a person's data export (JSON and PDF):
  `register_export_part`. A part returns JSON-able data under its own keys, names the sections
  the PDF prints from them, and the titles of its codes.
- `REPORT_RATES`: the share of the members of the active pathways who took part in something
  during a year (the reports' participation rates): `register_report_rate`.
- `PURGE_STEPS`: what a domain removes once its retention time is over, run by integration's
  daily purge (`flask integration purge`): `register_purge_step`.

Each entry has a name (registering the same name again replaces it) and an order: entries are
kept sorted by order (then by registration), whatever the order in which domains are imported,
so the page, the export and the report keep their shape. The core imports no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context

from portal.core.db import local_today

T = TypeVar("T")


def add_sorted(registry: list[T], entry: T) -> T:
    """Put `entry` in `registry` (a list of entries with `name` and `order`): an entry of the
    same name is replaced; the list stays sorted by order, a new entry after those of its order."""
    registry[:] = [e for e in registry if e.name != entry.name]  # type: ignore[attr-defined]
    position = len(registry)
    for index, other in enumerate(registry):
        if other.order > entry.order:  # type: ignore[attr-defined]
            position = index
            break
    registry.insert(position, entry)
    return entry


def next_order(registry: list) -> int:
    """An order after every entry of `registry`."""
    return max((e.order for e in registry), default=0) + 10


# --- Participation -------------------------------------------------------------------------------


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
class Fact:
    """What one source found: how many, and the items to list (may be empty)."""

    count: int
    items: tuple = ()


@dataclass(frozen=True)
class ParticipationSource:
    name: str
    title: object  # a lazy translated string
    function: Callable[[Any, Period], Fact]  # (member, period) -> Fact
    order: int = 0


PARTICIPATION_SOURCES: list[ParticipationSource] = []


def register_participation_source(
    name: str, title, function: Callable[[Any, Period], Fact], order: int | None = None
) -> ParticipationSource:
    """Add (or replace) a kind of participation; without an order it comes after the others."""
    order = next_order(PARTICIPATION_SOURCES) if order is None else order
    return add_sorted(PARTICIPATION_SOURCES, ParticipationSource(name, title, function, order))


# --- A person's data export ----------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A column value as JSON data: dates and times in ISO 8601, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class ExportSection:
    """A list of the export printed in the PDF: the rows under `key`, under `heading`."""

    key: str
    heading: object  # a lazy translated string
    order: int


@dataclass(frozen=True)
class ExportPart:
    """A domain's part of a person's data export.

    `build(member)` returns JSON-able data under the part's own keys (merged into the export in
    the parts' order); never a secret and never a vote's choice. `sections`: the lists the PDF
    prints, each with its own order among all parts' sections. `titles`: codes shown by their
    title in the PDF, by key (e.g. {"mode": {"self": "By yourself"}}). `labels`: plain-word
    labels of the part's keys."""

    name: str
    build: Callable[[Any], dict[str, Any]]
    order: int = 0
    sections: tuple[ExportSection, ...] = ()
    titles: Mapping[str, Mapping] | Callable[[], Mapping[str, Mapping]] = field(
        default_factory=dict
    )
    labels: Mapping[str, object] = field(default_factory=dict)

    def code_titles(self) -> Mapping[str, Mapping]:
        return self.titles() if callable(self.titles) else self.titles


EXPORT_PARTS: list[ExportPart] = []


def register_export_part(part: ExportPart) -> ExportPart:
    return add_sorted(EXPORT_PARTS, part)


def export_sections() -> list[ExportSection]:
    """Every part's printed sections, in their order."""
    return sorted(
        (section for part in EXPORT_PARTS for section in part.sections), key=lambda s: s.order
    )


# --- Report figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRate:
    """A participation rate of the reports: among the linked members of the active pathways,
    the share found by `took_part(since, until)`, a SELECT of member ids (since/until: the
    year's UTC bounds, both None for all years). `name` is the report's figure it fills."""

    name: str
    took_part: Callable[[datetime | None, datetime | None], sa.Select]
    order: int = 0


REPORT_RATES: list[ReportRate] = []


def register_report_rate(
    name: str,
    took_part: Callable[[datetime | None, datetime | None], sa.Select],
    order: int | None = None,
) -> ReportRate:
    order = next_order(REPORT_RATES) if order is None else order
    return add_sorted(REPORT_RATES, ReportRate(name, took_part, order))


# --- Retention: the daily purge ------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeStep:
    """A domain's part of the daily purge: `function(today, dry_run=..., actor=...)` removes (or,
    in a dry run, only counts) what is past its retention time, flushes without committing, and
    returns one English line for the command's output."""

    name: str
    function: Callable[..., str]
    order: int = 0


PURGE_STEPS: list[PurgeStep] = []


def register_purge_step(
    name: str, function: Callable[..., str], order: int | None = None
) -> PurgeStep:
    order = next_order(PURGE_STEPS) if order is None else order
    return add_sorted(PURGE_STEPS, PurgeStep(name, function, order))
