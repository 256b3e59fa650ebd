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

Every single-year report is published too, so the report over all years is protected against
the years (see `_across_years`): a figure over all years is hidden whenever the same figure of
any single year inside it is hidden in that year's report (and, for a team, with the team rule
above, year by year); its year-by-year rows follow each year's report and a total is never shown
next to a hidden year. Single-year figures are the finest level published, so they are never
hidden because of the all-years report. Between single years, the pathways running are a stock
moved by the entries and exits: they follow the stock-and-flow rule (`_stock_hidden`,
`_team_stock_hidden`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context

from portal.core.db import local_today
from portal.core.registries import REPORT_RATES
from portal.extensions import db
from portal.integration.models import (
    ExitOutcome,
    Pathway,
    SkillAssessment,
    SupportAction,
)

MIN_GROUP = 5
# The participation rates the report publishes (fields of `Report`), each computed from the rate
# of that name a domain registers with the core (`REPORT_RATES`).
RATE_CELLS = ("meeting_rate", "poll_rate")
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
    # The participation rates (the domains' `REPORT_RATES`: meetings, polls); the report
    # publishes those named in RATE_CELLS.
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


def _skills(first, last, team, group_key=None):
    """Pathways active in the period with a skill assessed at least twice (up to the period's
    end): how many, the share whose latest level is above the first, the average gain. With
    `group_key`, a dict of those three cells per value of the key (see `_grouped`)."""
    partition = (SkillAssessment.pathway_id, SkillAssessment.skill_id)
    order = (SkillAssessment.assessed_on, SkillAssessment.id)
    whole = (None, None)  # the window is the whole partition: one sort gives both ends
    ranked = (
        sa.select(
            SkillAssessment.pathway_id,
            SkillAssessment.skill_id,
            sa.func.first_value(SkillAssessment.level)
            .over(partition_by=partition, order_by=order, rows=whole)
            .label("first_level"),
            sa.func.last_value(SkillAssessment.level)
            .over(partition_by=partition, order_by=order, rows=whole)
            .label("last_level"),
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
            (sa.func.max(ranked.c.last_level) - sa.func.max(ranked.c.first_level)).label("gain"),
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
    query = (
        sa.select(
            sa.func.count(per_pathway.c.pathway_id).label("n"),
            _people().label("p"),
            _people(progressed).label("progressed"),
            sa.func.coalesce(sa.func.sum(per_pathway.c.gains), 0).label("gains"),
            sa.func.coalesce(sa.func.sum(per_pathway.c.skills), 0).label("skills"),
        )
        .select_from(per_pathway)
        .join(Pathway, Pathway.id == per_pathway.c.pathway_id)
    )
    rows = db.session.execute(_grouped(query, group_key)).all()
    if group_key is None:
        return _skill_cells(rows[0])
    return {row.key: _skill_cells(row) for row in rows}


def _skill_cells(row) -> tuple[Cell, Cell, Cell]:
    return (
        count_cell(row.n, row.p),
        rate_cell(row.progressed, row.p),
        ratio_cell(row.gains, row.skills, row.p, kind="levels"),
    )


NO_SKILLS = _skill_cells(
    type("Row", (), {"n": 0, "p": 0, "progressed": 0, "gains": 0, "skills": 0})
)


def _participation(first, last, team) -> tuple[Cell, dict[str, Cell]]:
    """Members of the pathways active in the period (linked ones only), and for each rate the
    domains register with the core (`REPORT_RATES`: present at a meeting, took part in a poll,
    practice polls aside) the share of them who took part during the period."""
    since, until = _moment_bounds(first.year if first else None)
    members = (
        sa.select(Pathway.member_id.label("member_id"))
        .where(Pathway.member_id.is_not(None), _active_clause(first, last), _team_clause(team))
        .distinct()
        .subquery()
    )
    rates = list(REPORT_RATES)
    row = db.session.execute(
        sa.select(
            sa.func.count().label("n"),
            *(
                _sum_if(members.c.member_id.in_(rate.took_part(since, until))).label(f"r{i}")
                for i, rate in enumerate(rates)
            ),
        ).select_from(members)
    ).one()
    return count_cell(row.n, row.n), {
        rate.name: rate_cell(row[i + 1], row.n) for i, rate in enumerate(rates)
    }


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
    return _team_rows_sized(first, last)[0]


def _team_rows_sized(first, last) -> tuple[list[TeamRow], dict[str, int]]:
    """`_team_rows` and the number of pathways of each team active in the period."""
    sizes = db.session.execute(
        sa.select(Pathway.team, sa.func.count())
        .where(_active_clause(first, last))
        .group_by(Pathway.team)
    ).all()
    big = sorted(t for t, n in sizes if n >= MIN_GROUP)
    if not sizes:
        return [], {}
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
    return rows, dict(sizes)


def _yearly_team_rows(span: list[int]) -> list[tuple[list[TeamRow], dict[str, int]]]:
    """The breakdown by team of each year of `span`, as `_team_rows_sized` (three statements
    per year; one statement for all years, folding each year's teams, was slower)."""
    return [_team_rows_sized(*_year_bounds(y)) for y in span]


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
    *RATE_CELLS,
)
TEAM_CELLS = ("active", "entries", "exits", "positive_rate", "support_hours")


def _figures(year: int | None, team: str | Others | None, skills=None) -> Report:
    """The figures with the rule applied to each group on its own (primary suppression; the
    breakdown by team, only for all teams, protected); `_consistent` does the rest. `skills`:
    the three skill cells when already computed."""
    first, last = _year_bounds(year)
    (totals,) = _pathway_figures(first, last, team)
    (support,) = _support_figures(first, last, team)
    hours = support.minutes / 60
    skills_assessed, skills_progress, skills_gain = skills or _skills(first, last, team)
    members, rates = _participation(first, last, team)
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
        **{name: rates.get(name, Cell(0, 0)) for name in RATE_CELLS},
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
        changed.update({name: _hidden(getattr(r, name)) for name in RATE_CELLS})
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


# --- All years next to each year ------------------------------------------------------------------

YEARLY_CELLS = ("entries", "exits", "positive_rate", "average_months", "support_hours")
# Figures of the all-years report whose group is every pathway, i.e. the entrants of all years
# together: they follow the all-years entries (see `_across_years`).
WHOLE_GROUP_CELLS = (
    "active",
    "hours_per_pathway",
    "skills_assessed",
    "skills_progress",
    "skills_gain",
    "members",
    *RATE_CELLS,
)


def _year_report(year: int | None, team: str | Others | None, **cells) -> Report:
    """A report holding only `cells` (the others 0 of nobody, no outcome rows), with the rule of
    a single-year report applied (`_consistent`)."""
    zero = Cell(0, 0)
    base = {name: zero for name in MAIN_CELLS}
    base["outcomes"] = []
    base.update(cells)
    return _consistent(Report(year=year, team=team if isinstance(team, str) else None, **base))


def _yearly_figures(team: str | Others | None, outcomes: list[OutcomeRow]) -> dict[int, Report]:
    """The additive figures of every year at once, grouped by year in four statements (entries
    by entry year, exits by exit year, exits by outcome and exit year, support by action year),
    each with the rule of a single-year report applied (`_consistent`). Only the figures that
    add up across years are filled in; the others are 0 of nobody. `outcomes` gives the rows
    (those of the all-years report)."""
    team_clause = _team_clause(team)
    entry_year = sa.extract("year", Pathway.entry_on)
    entries = {
        int(y): (n, p)
        for y, n, p in db.session.execute(
            sa.select(entry_year, sa.func.count(), _people())
            .where(team_clause)
            .group_by(entry_year)
        )
    }
    exit_year = sa.extract("year", Pathway.exit_on)
    exits = {
        int(r.y): r
        for r in db.session.execute(
            sa.select(
                exit_year.label("y"),
                sa.func.count().label("n"),
                _people().label("p"),
                _people(ExitOutcome.positive.is_(True)).label("positive_p"),
                sa.func.coalesce(
                    sa.func.sum(_days_between(Pathway.entry_on, Pathway.exit_on)), 0
                ).label("days"),
            )
            .select_from(Pathway)
            .outerjoin(ExitOutcome, ExitOutcome.id == Pathway.outcome_id)
            .where(Pathway.exit_on.is_not(None), team_clause)
            .group_by(exit_year)
        )
    }
    by_outcome = {
        (int(y), code): (n, p)
        for y, code, n, p in db.session.execute(
            sa.select(exit_year, ExitOutcome.code, sa.func.count(), _people())
            .select_from(Pathway)
            .join(ExitOutcome, ExitOutcome.id == Pathway.outcome_id)
            .where(Pathway.exit_on.is_not(None), team_clause)
            .group_by(exit_year, ExitOutcome.code)
        )
    }
    action_year = sa.extract("year", SupportAction.happened_on)
    support = {
        int(y): (minutes, p)
        for y, minutes, p in db.session.execute(
            sa.select(
                action_year, sa.func.coalesce(sa.func.sum(SupportAction.minutes), 0), _people()
            )
            .select_from(SupportAction)
            .join(Pathway, Pathway.id == SupportAction.pathway_id)
            .where(team_clause)
            .group_by(action_year)
        )
    }
    years = set(entries) | set(exits) | set(support) | {y for y, _code in by_outcome}
    found = {}
    for y in sorted(years):
        x = exits.get(y)
        exits_n, exits_p = (x.n, x.p) if x else (0, 0)
        minutes, support_p = support.get(y, (0, 0))
        found[y] = _year_report(
            y,
            team,
            entries=count_cell(*entries.get(y, (0, 0))),
            exits=count_cell(exits_n, exits_p),
            outcomes=[
                replace(row, exits=count_cell(*by_outcome.get((y, row.code), (0, 0))))
                for row in outcomes
            ],
            positive_rate=rate_cell(x.positive_p if x else 0, exits_p),
            average_months=ratio_cell(
                float(x.days if x else 0) / DAYS_PER_MONTH, exits_n, exits_p, "months"
            ),
            support_hours=count_cell(minutes / 60, support_p, "hours"),
        )
    return found


def _team_yearly(mine: dict, whole: dict, rest: dict) -> dict[int, Report]:
    """A team's figures of each year with the rule of `report` for a team: against all teams
    and against the rest of the association, year by year."""
    empty = _year_report(None, None)
    guarded = {}
    for y, m in mine.items():
        w, o = whole.get(y, empty), rest.get(y, empty)
        cells = {
            name: _against(getattr(m, name), getattr(w, name), getattr(o, name))
            for name in YEARLY_CELLS
        }
        guarded[y] = _consistent(
            replace(
                m,
                outcomes=_rows_against(m.outcomes, w.outcomes, o.outcomes, "code", ("exits",)),
                **cells,
            )
        )
    return guarded


def _across_years(r: Report, yearly: dict[int, Report]) -> Report:
    """The all-years report next to the report of every single year.

    Every single-year report is published, so a figure for all years minus the figures of the
    other years gives a year's figure back (10 entries last year, "fewer than 5" this year, 12
    over all years: 2). The rule: an all-years figure is hidden whenever the matching figure of
    ANY single year inside it is hidden in that year's report (1 to 4 people behind it, or
    hidden there by a secondary rule: an outcome row, a rate whose part or rest is small, a
    team's figure against the rest of the association). Rates and averages go with it
    (weighted-average differencing: the positive-exit rate times the exits gives the positive
    exits, the average length times the exits the days), so the positive-exit rate, the average
    length and every outcome row follow the years too.

    Active pathways, members, skills and participation over all years are about every pathway,
    i.e. the entrants of all years together (the all-years active pathways are exactly the
    all-years entries): when the entries of some year are hidden, so are they, else the
    all-years group minus a year's group would tell about that year's hidden entrants.

    The year-by-year rows of the page follow each year's report (a year hidden there is hidden
    here, so its total is hidden too); and the page never shows a total with all but one of its
    year cells (see `_consistent`).

    Why single-year figures are safe next to the all-years page: they are the finest level
    published. Every all-years figure is shown only when every year's figure inside it is shown,
    so a hidden all-years figure is hidden only to keep a hidden year figure unknown; a
    single-year figure cannot rebuild a hidden all-years figure that holds a hidden year (that
    year's figure is not published anywhere), and where all years are shown the total tells
    nothing more than the years. The yearly rows on the all-years page are the very cells of
    the single-year reports, never a coarser figure.
    """
    changed: dict = {}
    for name in YEARLY_CELLS:
        if any(getattr(y, name).suppressed for y in yearly.values()):
            changed[name] = _hidden(getattr(r, name))
    hidden_codes = {row.code for y in yearly.values() for row in y.outcomes if row.exits.suppressed}
    changed["outcomes"] = [
        replace(row, exits=_hidden(row.exits)) if row.code in hidden_codes else row
        for row in r.outcomes
    ]
    series = []
    for row in r.series:
        y = yearly.get(row.year)
        if y is not None:
            row = replace(
                row, entries=_hide(row.entries, y.entries), exits=_hide(row.exits, y.exits)
            )
        series.append(row)
    changed["series"] = series
    # A total is never shown next to a hidden year cell (so never with all but one of them).
    for name in ("entries", "exits"):
        if any(getattr(row, name).suppressed for row in series):
            changed[name] = _hidden(getattr(r, name))
    if changed.get("entries", r.entries).suppressed:
        for name in WHOLE_GROUP_CELLS:
            changed[name] = _hidden(getattr(r, name))
    return _consistent(replace(r, **changed))


def _stock_hidden(yearly: dict[int, Report]) -> set[int]:
    """The years whose pathways running are hidden, by the stock-and-flow rule.

    The pathways running in year Y are those of year Y-1, plus the entries of Y, minus the exits
    of Y-1 (an identity of the counts shown). So with the running pathways of two years next to
    each other shown, a hidden entries(Y) or exits(Y-1) is their difference (10 running last
    year, 12 this year, nobody left: 2 entered). Such a pair of years is a broken link; years
    joined by unbroken links form a segment whose running figures are all known from any one of
    them, and before the first year everything is 0 (known). So the running figures of every
    other segment are hidden, starting with the one after the first broken link: each broken
    link then has a hidden segment on one side, and no chain of shown figures crosses it."""
    if not yearly:
        return set()
    segment, hidden = 0, set()
    empty = _year_report(None, None)
    for y in range(min(yearly), max(yearly) + 1):
        if yearly.get(y, empty).entries.suppressed or yearly.get(y - 1, empty).exits.suppressed:
            segment += 1
        if segment % 2:
            hidden.add(y)
    return hidden


def _team_stock_hidden() -> dict[str, set[int]]:
    """For each row of the breakdown by team, the years whose running pathways it hides: the
    stock-and-flow rule of `_stock_hidden` for each row (a team's running pathways of two years
    next to each other tell its entries minus its exits). A row's link between two years is
    broken when its entries of the year or its exits of the year before are 1 to 4 people, or
    when it is the next smallest of a column where only one row is (the breakdown hides it
    too). Teams with fewer than MIN_GROUP pathways over all years are only ever shown folded, so
    they count as one row. Two statements, grouped by team and year."""
    large = (
        sa.select(Pathway.team)
        .group_by(Pathway.team)
        .having(sa.func.count() >= MIN_GROUP)
        .scalar_subquery()
    )
    keyed = sa.select(
        Pathway.id.label("id"),
        sa.case((Pathway.team.in_(large), Pathway.team), else_=OTHER_TEAMS).label("key"),
    ).subquery()
    broken: dict[str, set[int]] = {}
    for column, shift in ((Pathway.entry_on, 0), (Pathway.exit_on, 1)):
        year = sa.extract("year", column)
        by_year: dict[int, dict[str, int]] = {}
        for key, y, people in db.session.execute(
            sa.select(keyed.c.key, year, _people())
            .join(keyed, keyed.c.id == Pathway.id)
            .where(column.is_not(None))
            .group_by(keyed.c.key, year)
        ):
            by_year.setdefault(int(y), {})[key] = people
        for y, cells in by_year.items():
            small = [k for k, n in cells.items() if is_small(n)]
            if len(small) == 1:
                others = [k for k, n in cells.items() if n and not is_small(n)]
                if others:
                    small.append(min(others, key=lambda k: cells[k]))
            for key in small:
                broken.setdefault(key, set()).add(y + shift)
    hidden: dict[str, set[int]] = {}
    for key, years in broken.items():
        segment = 0
        for y in range(min(years), max(years | {local_today().year}) + 1):
            segment += y in years
            if segment % 2:
                hidden.setdefault(key, set()).add(y)
    return hidden


def _stock(r: Report, yearly: dict[int, Report]) -> Report:
    """A single-year report with the stock-and-flow rule (`_stock_hidden`): in a year whose
    running pathways are hidden, the figures about the people running (members followed, skills,
    participation, hours per pathway) are hidden too, as they move with the same entries and
    exits, and so is the column of running pathways of the breakdown by team, which adds up to
    them."""
    if r.year not in _stock_hidden(yearly):
        return r
    hidden = {n: _hidden(getattr(r, n)) for n in WHOLE_GROUP_CELLS}
    # The breakdown by team adds up to the running pathways: its column goes with them.
    hidden["teams"] = [replace(t, active=_hidden(t.active)) for t in r.teams]
    return _consistent(replace(r, **hidden))


def _teams_across(rows: list[TeamRow], years: list[tuple[list[TeamRow], dict[str, int]]]):
    """The breakdown by team over all years next to the breakdown of every single year: a
    team's figure is hidden when it is hidden in any year's breakdown, or when the team was
    folded into "Other teams" in a year (1 to 4 pathways then), and "Other teams" with it (its
    teams are not the same as that year's); over all years a team's running pathways are its
    entries, so they go together; then each column is protected again."""
    big = {row.key for row in rows if not row.other}
    hidden: dict[str, set[str]] = {row.key: set() for row in rows}
    for year_rows, sizes in years:
        by_key = {row.key: row for row in year_rows}
        for key in big:
            if 0 < sizes.get(key, 0) < MIN_GROUP:  # folded that year
                hidden[key].update(TEAM_CELLS)
                if OTHER_TEAMS in hidden:
                    hidden[OTHER_TEAMS].update(TEAM_CELLS)
        for key in hidden:
            row = by_key.get(key)
            if row is not None:
                hidden[key].update(n for n in TEAM_CELLS if getattr(row, n).suppressed)
    for names in hidden.values():
        if "entries" in names:  # over all years, a team's running pathways are its entries
            names.add("active")
    rows = [replace(row, **{n: _hidden(getattr(row, n)) for n in hidden[row.key]}) for row in rows]
    for name in ("active", "entries", "exits", "support_hours"):
        column = protect([getattr(row, name) for row in rows])
        rows = [replace(row, **{name: c}) for row, c in zip(rows, column, strict=True)]
    return rows


def _all_years(team: str | None) -> Report:
    """The all-years report for all teams (team None) or one team: see `_across_years`.

    Statements: those of the all-years figures, four grouped by year for all teams (and for a
    team four more for the team and four for the rest), and three per year for the breakdown by
    team of each year (to keep what each year's breakdown hides)."""
    whole = _consistent(_figures(None, None))
    whole_years = _yearly_figures(None, whole.outcomes)
    span = sorted(whole_years)
    per_year_teams = _yearly_team_rows(span)
    whole = _across_years(whole, whole_years)
    whole = _consistent(replace(whole, teams=_teams_across(whole.teams, per_year_teams)))
    if team is None:
        return whole
    # The team's and the rest's skills in one statement (True: the team's pathways).
    skills = {bool(k): v for k, v in _skills(None, None, None, Pathway.team == team).items()}
    mine = _figures(None, team, skills.get(True, NO_SKILLS))
    rest_figures = _consistent(_figures(None, Others(team), skills.get(False, NO_SKILLS)))
    rest_years = _yearly_figures(Others(team), rest_figures.outcomes)
    rest = _across_years(rest_figures, rest_years)
    mine_years = _team_yearly(_yearly_figures(team, whole.outcomes), whole_years, rest_years)
    return _against_whole(mine, whole, rest, team, mine_years)


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

    Over all years, see `_all_years` and `_across_years`; for one year, each year's entries and
    exits (grouped by year) also decide which running figures are hidden (`_stock`).

    Statements: those of one report for all teams, plus twice those of one team's figures
    (the team and the rest), plus four grouped by year for all teams (and for a team, for the
    team and for the rest) and two for the breakdown's stock rule; over all years, three more
    per year with pathways (each year's breakdown by team). None grows with the number of
    records.
    """
    if year is None:
        return _all_years(team)
    whole = _consistent(_figures(year, None))
    whole_years = _yearly_figures(None, whole.outcomes)
    whole = _stock(whole, whole_years)
    if whole.teams:
        stock = _team_stock_hidden()
        active = protect(
            [_hidden(t.active) if year in stock.get(t.key, ()) else t.active for t in whole.teams]
        )
        whole = replace(
            whole, teams=[replace(t, active=a) for t, a in zip(whole.teams, active, strict=True)]
        )
    if team is None:
        return whole
    mine = _figures(year, team)
    # The rest's figures can be worked out (all teams minus the team), so they follow the rules
    # of a report too: what they hide, the team's report hides.
    rest = _consistent(_figures(year, Others(team)))
    rest_years = _yearly_figures(Others(team), rest.outcomes)
    rest = _stock(rest, rest_years)
    mine_years = _team_yearly(_yearly_figures(team, whole.outcomes), whole_years, rest_years)
    return _stock(_against_whole(mine, whole, rest, team), mine_years)


def _against_whole(
    mine: Report, whole: Report, rest: Report, team: str, yearly: dict | None = None
) -> Report:
    """The team's figures against all teams' and the rest's (see `report`); over all years,
    against the team's figures of each year too (`yearly`, see `_across_years`)."""
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
    if yearly is not None:
        return _across_years(_consistent(guarded), yearly)
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
