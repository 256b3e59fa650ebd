"""Reports for the board and funders: aggregate figures only, small groups suppressed.

Every figure is computed in SQL (GROUP BY, conditional sums), with the same number of
statements whatever the number of records; no pathway is ever loaded.

People, not rows, decide suppression: a group's size is the number of distinct members plus the
number of anonymised pathways (each is someone we can no longer name). `Cell` carries a figure
with the size of the group it comes from, and `protect` applies the rule:

- a figure from a group of 1 to 4 people is shown as "fewer than 5" (never the number, nor a rate
  or average computed from it); zero stays 0;
- a rate is also hidden when the part or the rest is 1 to 4 people (18 positive exits out of 20
  would tell that 2 people left without a job);
- in a breakdown with a total, if exactly one cell is hidden, the next smallest is hidden too, so
  the first cannot be found by subtraction;
- teams with fewer than 5 pathways in the year are folded into "Other teams";
- no figure may reveal a hidden one: when a count is hidden, what is computed from it or adds
  up to it is hidden too (see `_consistent`).

A team's own report is also protected against differencing (see `report`): whoever can read
the report for all teams and the one for a team can subtract them, so each figure of the team is
also hidden when the rest of the association (all teams but this one) behind it is 1 to 4 people.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context

from portal.core.db import local_today
from portal.extensions import db
from portal.integration.models import (
    ExitOutcome,
    Pathway,
    SkillAssessment,
    SupportAction,
)

MIN_GROUP = 5
SERIES_YEARS = 5
OTHER_TEAMS = "\u2063other"  # the folded row's key ("Other teams"): starts with an invisible mark
DAYS_PER_MONTH = 365.25 / 12


# --- The suppression rule -------------------------------------------------------------------------


def is_small(people: int) -> bool:
    """A group of 1 to 4 people: its figures are not shown. No people (0) is not small."""
    return 0 < people < MIN_GROUP


@dataclass(frozen=True)
class Cell:
    """One figure and the number of people it comes from. `value` is None when suppressed."""

    value: float | int | None
    people: int
    suppressed: bool = False
    kind: str = "count"  # count, percent (0..1), hours, months, levels

    @property
    def shown(self) -> bool:
        return not self.suppressed


def count_cell(value: float | int, people: int, kind: str = "count") -> Cell:
    if is_small(people):
        return Cell(None, people, True, kind)
    return Cell(value, people, False, kind)


def ratio_cell(part: float, whole: float, people: int, kind: str = "percent") -> Cell:
    """`part / whole` from a group of `people`; hidden when the group is small, None if empty."""
    if is_small(people):
        return Cell(None, people, True, kind)
    return Cell(part / whole if whole else None, people, False, kind)


def rate_cell(part_people: int, whole_people: int) -> Cell:
    """The share of a group: hidden if the group, the part or the rest is 1 to 4 people."""
    if any(is_small(n) for n in (whole_people, part_people, whole_people - part_people)):
        return Cell(None, whole_people, True, "percent")
    return Cell(
        part_people / whole_people if whole_people else None, whole_people, False, "percent"
    )


def protect(cells: list[Cell]) -> list[Cell]:
    """Secondary suppression for a breakdown shown with its total.

    The cells must already carry the primary rule (`count_cell`). If exactly one is hidden, the
    next smallest shown cell that holds people is hidden too, so the first cannot be worked out
    as the total minus the others. Zeros stay shown: hiding a 0 protects nobody's number.
    """
    hidden = [c for c in cells if c.suppressed]
    if len(hidden) != 1:
        return list(cells)
    candidates = [i for i, c in enumerate(cells) if c.shown and c.people > 0]
    if not candidates:
        return list(cells)
    smallest = min(candidates, key=lambda i: (cells[i].people, cells[i].value or 0))
    return [
        replace(c, value=None, suppressed=True) if i == smallest else c for i, c in enumerate(cells)
    ]


# --- The report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRow:
    code: str
    title: str
    positive: bool
    exits: Cell


@dataclass(frozen=True)
class TeamRow:
    key: str  # the team's name, "" for pathways without a team, OTHER_TEAMS for the folded row
    active: Cell
    entries: Cell
    exits: Cell
    positive_rate: Cell
    support_hours: Cell

    @property
    def other(self) -> bool:
        return self.key == OTHER_TEAMS


@dataclass(frozen=True)
class YearRow:
    year: int
    entries: Cell
    exits: Cell


@dataclass(frozen=True)
class Report:
    year: int | None
    team: str | None
    entries: Cell
    active: Cell
    exits: Cell
    outcomes: list[OutcomeRow]
    positive_rate: Cell
    average_months: Cell
    support_hours: Cell
    hours_per_pathway: Cell
    skills_assessed: Cell  # pathways with a skill assessed at least twice
    skills_progress: Cell  # the share of those whose latest level is above the first
    skills_gain: Cell  # the average gain in levels (per skill assessed at least twice)
    members: Cell  # linked members of the active pathways (participation's group)
    meeting_rate: Cell
    poll_rate: Cell
    teams: list[TeamRow] = field(default_factory=list)
    series: list[YearRow] = field(default_factory=list)


# --- SQL helpers ----------------------------------------------------------------------------------


def _people(condition=None) -> sa.ColumnElement[int]:
    """Distinct members plus anonymised pathways, among the rows meeting `condition`."""
    if condition is None:
        member = Pathway.member_id
        unlinked = Pathway.member_id.is_(None)
    else:
        member = sa.case((condition, Pathway.member_id))
        unlinked = sa.and_(condition, Pathway.member_id.is_(None))
    # Anonymised pathways by id: the rows may be actions or assessments, several per pathway.
    return sa.func.count(sa.distinct(member)) + sa.func.count(
        sa.distinct(sa.case((unlinked, Pathway.id)))
    )


def _sum_if(condition, value=1) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def _days_between(start, end) -> sa.ColumnElement:
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.julianday(end) - sa.func.julianday(start)
    return end - start  # PostgreSQL: date - date is a number of days


def _between(column, first: date | None, last: date | None) -> sa.ColumnElement[bool]:
    if first is None:
        return sa.true()
    return column.between(first, last)


def _year_bounds(year: int | None) -> tuple[date | None, date | None]:
    return (date(year, 1, 1), date(year, 12, 31)) if year else (None, None)


def _moment_bounds(year: int | None) -> tuple[datetime | None, datetime | None]:
    """The year as UTC instants, its days counted in the association's time zone."""
    if not year:
        return None, None
    zone = ZoneInfo(
        current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Europe/Paris"
    )

    def start(y: int) -> datetime:
        return datetime.combine(date(y, 1, 1), time(), zone).astimezone(UTC)

    return start(year), start(year + 1)


def _active_clause(first: date | None, last: date | None) -> sa.ColumnElement[bool]:
    """Active at some day of the period: entered by its end, not left before its start."""
    if first is None:
        return sa.true()
    return sa.and_(
        Pathway.entry_on <= last, sa.or_(Pathway.exit_on.is_(None), Pathway.exit_on >= first)
    )


@dataclass(frozen=True)
class Others:
    """The complement of a team filter: every pathway but the team's (pathways without a team
    included). Only used inside this module, to protect a team's report."""

    team: str


def _team_clause(team: str | Others | None) -> sa.ColumnElement[bool]:
    if team is None:
        return sa.true()
    if isinstance(team, Others):
        return Pathway.team != team.team
    return Pathway.team == team


def outcome_title(code: str, name: str | None) -> str:
    return ExitOutcome(code=code, name=name).title


# --- Lists for the filters ------------------------------------------------------------------------


def report_teams(year: int | None = None) -> list[str]:
    """Teams one may choose for `year` (None: all years).

    A team is offered when it has at least MIN_GROUP pathways over all years (a smaller team
    only shows in "Other teams") and when the rest of the association — the people of the
    pathways active in the year minus the team's — is none or at least MIN_GROUP people: else the
    report for all teams minus the team's would describe those 1 to 4 people. Two statements.
    """
    first, last = _year_bounds(year)
    active = _active_clause(first, last)
    total = db.session.scalar(sa.select(_people()).select_from(Pathway).where(active)) or 0
    rows = db.session.execute(
        sa.select(Pathway.team, _people(None if first is None else active).label("people"))
        .where(Pathway.team != "")
        .group_by(Pathway.team)
        .having(sa.func.count() >= MIN_GROUP)
        .order_by(Pathway.team)
    ).all()
    return [team for team, people in rows if not is_small(total - people)]


def report_years() -> list[int]:
    """From the first entry's year to this year, newest first."""
    this_year = local_today().year
    first = db.session.scalar(sa.select(sa.func.min(Pathway.entry_on)))
    start = max(min(first.year, this_year), this_year - 50) if first else this_year
    return list(range(this_year, start - 1, -1))


# --- The figures ----------------------------------------------------------------------------------


def _grouped(query, group_key):
    """`query` per value of `group_key` (an expression of the pathway), else as it is.

    The key is computed once per pathway in a subquery and grouped on by its column: the
    expression written twice (in SELECT and GROUP BY) carries bound values that PostgreSQL does
    not recognise as the same expression.
    """
    if group_key is None:
        return query
    keyed = sa.select(Pathway.id.label("id"), group_key.label("key")).subquery()
    return (
        query.join(keyed, keyed.c.id == Pathway.id).add_columns(keyed.c.key).group_by(keyed.c.key)
    )


def _pathway_figures(first, last, team, group_key=None):
    """Active, entries, exits, positive exits and days in pathway of exits: totals, or per
    `group_key` (the folded team) when given."""
    entered = _between(Pathway.entry_on, first, last)
    left = sa.and_(Pathway.exit_on.is_not(None), _between(Pathway.exit_on, first, last))
    positive = sa.and_(left, ExitOutcome.positive.is_(True))
    columns = [
        sa.func.count(Pathway.id).label("active_n"),
        _people().label("active_p"),
        _sum_if(entered).label("entries_n"),
        _people(entered).label("entries_p"),
        _sum_if(left).label("exits_n"),
        _people(left).label("exits_p"),
        _people(positive).label("positive_p"),
        _sum_if(left, _days_between(Pathway.entry_on, Pathway.exit_on)).label("days"),
    ]
    query = (
        sa.select(*columns)
        .select_from(Pathway)
        .outerjoin(ExitOutcome, ExitOutcome.id == Pathway.outcome_id)
        .where(_active_clause(first, last), _team_clause(team))
    )
    return db.session.execute(_grouped(query, group_key)).all()


def _support_figures(first, last, team, group_key=None):
    done = _between(SupportAction.happened_on, first, last)
    query = (
        sa.select(
            sa.func.coalesce(sa.func.sum(SupportAction.minutes), 0).label("minutes"),
            _people().label("people"),
        )
        .select_from(SupportAction)
        .join(Pathway, Pathway.id == SupportAction.pathway_id)
        .where(done, _team_clause(team))
    )
    return db.session.execute(_grouped(query, group_key)).all()


def _outcome_rows(first, last, team) -> list[OutcomeRow]:
    joined = sa.and_(
        Pathway.outcome_id == ExitOutcome.id,
        _between(Pathway.exit_on, first, last),
        _team_clause(team),
    )
    rows = db.session.execute(
        sa.select(
            ExitOutcome.code,
            ExitOutcome.name,
            ExitOutcome.positive,
            ExitOutcome.active,
            sa.func.count(Pathway.id).label("n"),
            _people(Pathway.id.is_not(None)).label("p"),
        )
        .select_from(ExitOutcome)
        .outerjoin(Pathway, joined)
        .group_by(
            ExitOutcome.id,
            ExitOutcome.code,
            ExitOutcome.name,
            ExitOutcome.positive,
            ExitOutcome.active,
            ExitOutcome.sort_order,
        )
        .order_by(ExitOutcome.sort_order, ExitOutcome.id)
    ).all()
    rows = [r for r in rows if r.active or r.n]  # a retired category shows while it has exits
    # The secondary suppression is applied by `_consistent`, which knows the rate shown.
    return [
        OutcomeRow(r.code, outcome_title(r.code, r.name), r.positive, count_cell(r.n, r.p))
        for r in rows
    ]


def _skills(first, last, team) -> tuple[Cell, Cell, Cell]:
    """Pathways active in the period with a skill assessed at least twice (up to the period's
    end): how many, the share whose latest level is above the first, the average gain."""
    partition = (SkillAssessment.pathway_id, SkillAssessment.skill_id)
    ranked = (
        sa.select(
            SkillAssessment.pathway_id,
            SkillAssessment.skill_id,
            SkillAssessment.level,
            sa.func.row_number()
            .over(
                partition_by=partition,
                order_by=(SkillAssessment.assessed_on, SkillAssessment.id),
            )
            .label("from_first"),
            sa.func.row_number()
            .over(
                partition_by=partition,
                order_by=(SkillAssessment.assessed_on.desc(), SkillAssessment.id.desc()),
            )
            .label("from_last"),
        )
        .join(Pathway, Pathway.id == SkillAssessment.pathway_id)
        .where(
            _active_clause(first, last),
            _team_clause(team),
            sa.true() if last is None else SkillAssessment.assessed_on <= last,
        )
        .subquery()
    )
    pairs = (
        sa.select(
            ranked.c.pathway_id,
            (
                sa.func.max(sa.case((ranked.c.from_last == 1, ranked.c.level)))
                - sa.func.max(sa.case((ranked.c.from_first == 1, ranked.c.level)))
            ).label("gain"),
        )
        .group_by(ranked.c.pathway_id, ranked.c.skill_id)
        .having(sa.func.count() >= 2)
        .subquery()
    )
    per_pathway = (
        sa.select(
            pairs.c.pathway_id,
            sa.func.max(pairs.c.gain).label("best"),
            sa.func.sum(pairs.c.gain).label("gains"),
            sa.func.count().label("skills"),
        )
        .group_by(pairs.c.pathway_id)
        .subquery()
    )
    progressed = per_pathway.c.best > 0
    row = db.session.execute(
        sa.select(
            sa.func.count(per_pathway.c.pathway_id).label("n"),
            _people().label("p"),
            _people(progressed).label("progressed"),
            sa.func.coalesce(sa.func.sum(per_pathway.c.gains), 0).label("gains"),
            sa.func.coalesce(sa.func.sum(per_pathway.c.skills), 0).label("skills"),
        )
        .select_from(per_pathway)
        .join(Pathway, Pathway.id == per_pathway.c.pathway_id)
    ).one()
    return (
        count_cell(row.n, row.p),
        rate_cell(row.progressed, row.p),
        ratio_cell(row.gains, row.skills, row.p, kind="levels"),
    )


def _participation(first, last, team) -> tuple[Cell, Cell, Cell]:
    """Members of the pathways active in the period (linked ones only) who were present at a
    meeting, and who took part in a poll (practice polls aside), during the period."""
    from portal.meetings.models import Attendance, AttendanceStatus, Meeting
    from portal.voting.models import Participation, Poll

    since, until = _moment_bounds(first.year if first else None)
    attended = (
        sa.select(Attendance.member_id)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.status == AttendanceStatus.PRESENT.value)
    )
    voted = (
        sa.select(Participation.member_id)
        .join(Poll, Poll.id == Participation.poll_id)
        .where(Poll.practice.is_(False))
    )
    if since is not None:
        attended = attended.where(Meeting.starts_at >= since, Meeting.starts_at < until)
        voted = voted.where(Participation.created_at >= since, Participation.created_at < until)
    members = (
        sa.select(Pathway.member_id.label("member_id"))
        .where(Pathway.member_id.is_not(None), _active_clause(first, last), _team_clause(team))
        .distinct()
        .subquery()
    )
    row = db.session.execute(
        sa.select(
            sa.func.count().label("n"),
            _sum_if(members.c.member_id.in_(attended)).label("met"),
            _sum_if(members.c.member_id.in_(voted)).label("voted"),
        ).select_from(members)
    ).one()
    return count_cell(row.n, row.n), rate_cell(row.met, row.n), rate_cell(row.voted, row.n)


def _series(end_year: int, team: str | None) -> list[YearRow]:
    first_year = end_year - SERIES_YEARS + 1
    first, last = date(first_year, 1, 1), date(end_year, 12, 31)
    found: dict[tuple[str, int], tuple[int, int]] = {}
    for name, column in (("entries", Pathway.entry_on), ("exits", Pathway.exit_on)):
        year = sa.extract("year", column)
        for y, n, p in db.session.execute(
            sa.select(year, sa.func.count(), _people())
            .where(column.between(first, last), _team_clause(team))
            .group_by(year)
        ):
            found[(name, int(y))] = (n, p)
    return [
        YearRow(
            y,
            count_cell(*found.get(("entries", y), (0, 0))),
            count_cell(*found.get(("exits", y), (0, 0))),
        )
        for y in range(first_year, end_year + 1)
    ]


def _team_rows(first, last) -> list[TeamRow]:
    """One row per team with at least MIN_GROUP pathways active in the period, the others
    folded into one row; each column protected against subtraction from the total."""
    sizes = db.session.execute(
        sa.select(Pathway.team, sa.func.count())
        .where(_active_clause(first, last))
        .group_by(Pathway.team)
    ).all()
    big = sorted(t for t, n in sizes if n >= MIN_GROUP)
    if not sizes:
        return []
    key = (
        sa.case((Pathway.team.in_(big), Pathway.team), else_=OTHER_TEAMS)
        if big
        else sa.literal(OTHER_TEAMS)
    )
    figures = {r.key: r for r in _pathway_figures(first, last, None, key)}
    support = {r.key: r for r in _support_figures(first, last, None, key)}
    keys = [t for t in big if t in figures] + ([OTHER_TEAMS] if OTHER_TEAMS in figures else [])
    columns = {}
    for name in ("active", "entries", "exits"):
        columns[name] = protect(
            [
                count_cell(getattr(figures[k], f"{name}_n"), getattr(figures[k], f"{name}_p"))
                for k in keys
            ]
        )
    hours = protect(
        [
            count_cell(support[k].minutes / 60, support[k].people, "hours")
            if k in support
            else Cell(0, 0, False, "hours")
            for k in keys
        ]
    )
    rows = []
    for i, k in enumerate(keys):
        f = figures[k]
        rows.append(
            TeamRow(
                k,
                columns["active"][i],
                columns["entries"][i],
                columns["exits"][i],
                rate_cell(f.positive_p, f.exits_p),
                hours[i],
            )
        )
    return rows


def _hidden(cell: Cell) -> Cell:
    return cell if cell.suppressed else replace(cell, value=None, suppressed=True)


def _hide(cell: Cell, like: Cell) -> Cell:
    return _hidden(cell) if like.suppressed else cell


MAIN_CELLS = (
    "entries",
    "active",
    "exits",
    "positive_rate",
    "average_months",
    "support_hours",
    "hours_per_pathway",
    "skills_assessed",
    "skills_progress",
    "skills_gain",
    "members",
    "meeting_rate",
    "poll_rate",
)
TEAM_CELLS = ("active", "entries", "exits", "positive_rate", "support_hours")


def _figures(year: int | None, team: str | Others | None) -> Report:
    """The figures with the rule applied to each group on its own (primary suppression; the
    breakdown by team, only for all teams, protected); `_consistent` does the rest."""
    first, last = _year_bounds(year)
    (totals,) = _pathway_figures(first, last, team)
    (support,) = _support_figures(first, last, team)
    hours = support.minutes / 60
    skills_assessed, skills_progress, skills_gain = _skills(first, last, team)
    members, meeting_rate, poll_rate = _participation(first, last, team)
    support_hours = count_cell(hours, support.people, "hours")
    return Report(
        year=year,
        team=team if isinstance(team, str) else None,
        entries=count_cell(totals.entries_n, totals.entries_p),
        active=count_cell(totals.active_n, totals.active_p),
        exits=count_cell(totals.exits_n, totals.exits_p),
        outcomes=_outcome_rows(first, last, team),
        positive_rate=rate_cell(totals.positive_p, totals.exits_p),
        average_months=ratio_cell(
            float(totals.days) / DAYS_PER_MONTH, totals.exits_n, totals.exits_p, "months"
        ),
        support_hours=support_hours,
        hours_per_pathway=ratio_cell(hours, totals.active_n, totals.active_p, "hours"),
        skills_assessed=skills_assessed,
        skills_progress=skills_progress,
        skills_gain=skills_gain,
        members=members,
        meeting_rate=meeting_rate,
        poll_rate=poll_rate,
        teams=_team_rows(first, last) if team is None else [],
        series=_series(year or local_today().year, team),
    )


def _hide_one_per_side(outcomes: list[OutcomeRow]) -> list[OutcomeRow]:
    """When the positive-exit rate is hidden, neither the positive exits nor the others may be
    worked out from the outcome rows: on each side holding people, one row at least is hidden
    (the smallest), so its sum is unknown."""
    rows = list(outcomes)
    for positive in (True, False):
        side = [i for i, r in enumerate(rows) if r.positive is positive and r.exits.people > 0]
        if side and all(rows[i].exits.shown for i in side):
            i = min(side, key=lambda i: (rows[i].exits.people, rows[i].exits.value or 0))
            rows[i] = replace(rows[i], exits=_hidden(rows[i].exits))
    return rows


def _reprotect(outcomes: list[OutcomeRow], by_side: bool) -> list[OutcomeRow]:
    """`protect` on the outcome rows, which add up to the exits; with `by_side` (the positive-exit
    rate shown, so the positive exits and the others are known too) on each side as well."""
    rows = list(outcomes)
    groups = [[i for i, r in enumerate(rows) if r.positive is side] for side in (True, False)]
    groups = [*groups, range(len(rows))] if by_side else [range(len(rows))]
    while True:  # each round hides one more row at least, or ends
        before = rows[:]
        for group in groups:
            cells = protect([rows[i].exits for i in group])
            for i, cell in zip(group, cells, strict=True):
                rows[i] = replace(rows[i], exits=cell)
        if rows == before:
            return rows


def _consistent(r: Report) -> Report:
    """No figure may reveal a hidden one.

    - exits hidden: the positive-exit rate, the average length and every outcome row (zeros
      too: "all of them left with a job" is a disclosure about the group) are hidden;
    - exits shown: the outcome rows add up to them, so one hidden row hides the next smallest;
      a shown positive-exit rate tells the positive exits and the others too, so the same holds
      on each side; a hidden one hides a row on each side (positive, other);
    - a hidden count hides the rates and averages computed on it (hours per pathway, skills
      progress and gain, participation rates), and a team row's hidden exits its rate;
    - the year-by-year row of the report's year counts the same people as the main entries and
      exits: if one of them is hidden, so is the other.
    """
    exits_hidden = r.exits.suppressed
    outcomes = list(r.outcomes)
    if exits_hidden:
        outcomes = [replace(row, exits=_hidden(row.exits)) for row in outcomes]
    else:
        if r.positive_rate.suppressed:
            outcomes = _hide_one_per_side(outcomes)
        outcomes = _reprotect(outcomes, by_side=r.positive_rate.shown)
    hours_hidden = r.support_hours.suppressed or r.active.suppressed
    entries, exits = r.entries, r.exits
    series = []
    for row in r.series:
        if row.year == r.year:
            entries = _hide(entries, row.entries)
            exits = _hide(exits, row.exits)
            row = replace(row, entries=_hide(row.entries, entries), exits=_hide(row.exits, exits))
        series.append(row)
    changed = {
        "entries": entries,
        "exits": exits,
        "outcomes": outcomes,
        "series": series,
        "teams": [
            replace(t, positive_rate=_hide(t.positive_rate, t.exits)) if t.exits.suppressed else t
            for t in r.teams
        ],
    }
    if exits.suppressed:
        changed["positive_rate"] = _hidden(r.positive_rate)
        changed["average_months"] = _hidden(r.average_months)
        if not exits_hidden:  # hidden just now, through the year-by-year row
            changed["outcomes"] = [replace(row, exits=_hidden(row.exits)) for row in outcomes]
    if hours_hidden:
        changed["hours_per_pathway"] = _hidden(r.hours_per_pathway)
    if r.skills_assessed.suppressed:
        changed["skills_progress"] = _hidden(r.skills_progress)
        changed["skills_gain"] = _hidden(r.skills_gain)
    if r.members.suppressed:
        changed["meeting_rate"] = _hidden(r.meeting_rate)
        changed["poll_rate"] = _hidden(r.poll_rate)
    return replace(r, **changed)


def _against(mine: Cell, whole: Cell, rest: Cell) -> Cell:
    """A team's figure, hidden when subtracting it from the figure for all teams would show
    1 to 4 people: the rest's own figure is hidden (its group, or for a rate its part or the
    rest, is 1 to 4 people, or a breakdown hid it), or the people of all teams minus the team's
    are 1 to 4 (someone in two teams counts once in the total), or the figure for all teams is
    itself hidden (with no one else, the team's figure would be it). A figure of nobody stays:
    a 0 tells nothing about the rest."""
    if mine.people == 0:
        return mine
    if whole.suppressed or rest.suppressed or is_small(whole.people - mine.people):
        return _hidden(mine)
    return mine


def _rows_against(mine: list, whole: list, rest: list, key: str, names: tuple[str, ...]) -> list:
    empty = Cell(0, 0)
    by_whole = {getattr(row, key): row for row in whole}
    by_rest = {getattr(row, key): row for row in rest}
    guarded = []
    for row in mine:
        w, o = by_whole.get(getattr(row, key)), by_rest.get(getattr(row, key))
        changes = {
            name: _against(
                getattr(row, name),
                getattr(w, name) if w is not None else empty,
                getattr(o, name) if o is not None else empty,
            )
            for name in names
        }
        guarded.append(replace(row, **changes))
    return guarded


def report(year: int | None, team: str | None) -> Report:
    """The figures for one year (None: all years) and one team (None: all teams).

    A team's report is read next to the report for all teams, so it is protected against
    differencing, the usual second rule of statistical disclosure control after the threshold:
    the figures for all teams and for the rest of the association (every team but this one) are
    computed too, and each figure of the team — counts, rates, averages, outcome rows, skills,
    participation, support hours, the year-by-year rows — is hidden when the matching figure of
    the rest is hidden (1 to 4 people behind it), when all teams minus the team is 1 to 4
    people, or when the figure for all teams is hidden. So is any figure of the team that the
    breakdown by team hides (else a small team folded into "Other teams" would be the total
    minus the teams shown). Then `_consistent` hides whatever would give a hidden figure back.

    Statements: those of one report for all teams, plus twice those of one team's figures
    (the team and the rest), whatever the number of records.
    """
    whole = _consistent(_figures(year, None))
    if team is None:
        return whole
    mine = _figures(year, team)
    # The rest's figures can be worked out (all teams minus the team), so they follow the rules
    # of a report too: what they hide, the team's report hides.
    rest = _consistent(_figures(year, Others(team)))
    cells = {
        name: _against(getattr(mine, name), getattr(whole, name), getattr(rest, name))
        for name in MAIN_CELLS
    }
    row = next((r for r in whole.teams if r.key == team), None)
    if row is not None:
        for name in TEAM_CELLS:
            cells[name] = _hide(cells[name], getattr(row, name))
    guarded = replace(
        mine,
        outcomes=_rows_against(mine.outcomes, whole.outcomes, rest.outcomes, "code", ("exits",)),
        series=_rows_against(mine.series, whole.series, rest.series, "year", ("entries", "exits")),
        **cells,
    )
    return _consistent(guarded)


# --- Output ---------------------------------------------------------------------------------------


def plain(cell: Cell) -> str:
    """The cell for a spreadsheet: "<5" when suppressed, numbers without grouping."""
    if cell.suppressed:
        return "<5"
    if cell.value is None:
        return ""
    if cell.kind == "percent":
        return f"{cell.value * 100:.1f}"
    if cell.kind == "count":
        return str(int(cell.value))
    return f"{cell.value:.1f}"
