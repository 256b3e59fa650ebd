"""Reports for boards and funders: hours of the programmes' sessions, by kind and month, by
team, by funder, per programme (with completion), and hours per person.

Every figure is computed in SQL (GROUP BY, sums), with a fixed number of statements whatever the
number of sessions or people. Minutes attended are `Attendance.minutes`; a cancelled session
counts for nothing; a month is the month of the session's day.

- The team is the member's team in the register today (`Member.team`), not at the session's
  time: the page says so.
- Small groups are protected with integration's rule and threshold (`integration.reports`:
  `MIN_GROUP`, `is_small`, `Cell`): a figure from 1 to 4 people says "fewer than 5"; and as in
  integration's `protect`, in no sum the page shows (months to a kind's year, kinds to a month,
  teams or funders to the year) is exactly one figure hidden: the next smallest is hidden too,
  else it would be found by subtraction (`_no_single_unknown`).
- Filters (kind, team, funder) are protected against differencing: whoever reads the report
  with a filter and without it can subtract them. So each figure of a filtered report is also
  hidden when the people it leaves out for one of its filters (the same figure with that filter
  turned round, the others kept) are 1 to 4. Both come from the same statement: the rows are
  grouped by whether they meet each filter.
- Hours per person names people: a funder checks them trainee by trainee. It is not protected
  (it is a list of names by nature); the views show it only with VIEW_PROGRAMME_REPORTS and
  record each reading in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from portal.extensions import db
from portal.integration.reports import MIN_GROUP, Cell, count_cell, is_small
from portal.members.models import Member
from portal.programmes.models import (
    IN_ROOM,
    Attendance,
    Enrolment,
    Programme,
    ProgrammeKind,
    Session,
    Slot,
)

__all__ = ["MIN_GROUP", "Filters", "ProgrammeReport", "hours_per_person", "report"]

KINDS = tuple(k.value for k in ProgrammeKind)
MONTHS = tuple(range(1, 13))
NO_FUNDER = "-"  # the funder filter's value for programmes without a funder
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Filters:
    """The year and the filters of a report (None: all)."""

    year: int
    kind: str | None = None
    team: str | None = None
    funder: str | None = None  # NO_FUNDER for programmes without a funder

    def active(self) -> list[tuple[str, sa.ColumnElement[bool]]]:
        """The filters in use, each as a condition on the joined rows."""
        found = []
        if self.kind is not None:
            found.append(("kind", Programme.kind == self.kind))
        if self.team is not None:
            found.append(("team", Member.team == self.team))
        if self.funder is not None:
            found.append(
                ("funder", Programme.funder == ("" if self.funder == NO_FUNDER else self.funder))
            )
        return found

    @property
    def first(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last(self) -> date:
        return date(self.year, 12, 31)


# --- The figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Minutes and people of one group, and of what each filter leaves out of it."""

    minutes: int = 0
    people: int = 0
    left_out: tuple[int, ...] = ()  # people left out by each filter (same group, filter turned)

    def cell(self) -> Cell:
        """The hours, hidden when the group or what a filter leaves out is 1 to 4 people."""
        if is_small(self.people) or any(is_small(n) for n in self.left_out):
            return Cell(None, self.people, True, "hours")
        return Cell(self.minutes / 60, self.people, False, "hours")


def _flags(filters: Filters):
    """A column per filter in use (1 when the row meets it), and the condition keeping the rows
    that meet all filters or all but one (those a filter leaves out)."""
    active = filters.active()
    flags = [sa.case((condition, 1), else_=0).label(f"m_{name}") for name, condition in active]
    if not flags:
        return [], sa.true()
    met = sum((sa.case((condition, 1), else_=0) for _name, condition in active), sa.literal(0))
    return flags, met >= len(flags) - 1


def _attended(filters: Filters, year_only: bool = True):
    """The attended minutes, one row per attendance (minutes > 0), with the keys the reports
    group on and the filters' flags, as a subquery (grouping on its columns, not on
    expressions written twice, which PostgreSQL does not match when they carry bound values)."""
    flags, keep = _flags(filters)
    query = (
        sa.select(
            Attendance.member_id.label("member_id"),
            Attendance.minutes.label("minutes"),
            Programme.id.label("programme_id"),
            Programme.kind.label("kind"),
            Programme.funder.label("funder"),
            Member.team.label("team"),
            sa.extract("month", Session.day).label("month"),
            *flags,
        )
        .select_from(Attendance)
        .join(Slot, Slot.id == Attendance.slot_id)
        .join(Session, Session.id == Slot.session_id)
        .join(Programme, Programme.id == Session.programme_id)
        .join(Member, Member.id == Attendance.member_id)
        .where(
            Session.cancelled_at.is_(None),
            Attendance.minutes > 0,
            Attendance.status.in_(sorted(IN_ROOM)),
            keep,
        )
    )
    if year_only:
        query = query.where(Session.day.between(filters.first, filters.last))
    return query.subquery(), len(flags)


def _groups(filters: Filters, keys: tuple[str, ...]) -> dict[tuple, Group]:
    """Minutes and people per value of `keys` (columns of `_attended`): one statement."""
    sub, n_flags = _attended(filters)
    flag_columns = [sub.c[f"m_{name}"] for name, _c in filters.active()]
    rows = db.session.execute(
        sa.select(
            *(sub.c[k] for k in keys),
            *flag_columns,
            sa.func.coalesce(sa.func.sum(sub.c.minutes), 0).label("minutes"),
            sa.func.count(sa.distinct(sub.c.member_id)).label("people"),
        ).group_by(*(sub.c[k] for k in keys), *flag_columns)
    ).all()
    return _fold(rows, len(keys), n_flags)


def _fold(rows, n_keys: int, n_flags: int) -> dict[tuple, Group]:
    """Rows of (keys…, flags…, minutes, people) into one Group per key: the rows meeting every
    filter, and for each filter the people of the row that meets all the others but not it."""
    met: dict[tuple, tuple[int, int]] = {}
    out: dict[tuple, list[int]] = {}
    for row in rows:
        key = tuple(_key(v) for v in row[:n_keys])
        flags = tuple(row[n_keys : n_keys + n_flags])
        minutes, people = int(row[-2]), int(row[-1])
        if all(flags):
            met[key] = (minutes, people)
        else:
            missed = flags.index(0)
            out.setdefault(key, [0] * n_flags)[missed] = people
    return {
        key: Group(*met.get(key, (0, 0)), tuple(out.get(key, [0] * n_flags)))
        for key in set(met) | set(out)
    }


def _key(value):
    if isinstance(value, Decimal | float):
        return int(value)
    return value


# --- The report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindRow:
    kind: str
    months: list[Cell]  # twelve
    total: Cell


@dataclass(frozen=True)
class Row:
    key: str
    hours: Cell


@dataclass(frozen=True)
class ProgrammeRow:
    programme_id: int
    title: str
    kind: str
    funder: str
    state: str
    planned_hours: Decimal | None
    participants: Cell  # a count
    hours: Cell  # hours attended in the year
    completion: Cell  # the year's hours / (planned hours x participants); None: not planned


@dataclass(frozen=True)
class ProgrammeReport:
    filters: Filters
    kinds: list[KindRow]
    month_totals: list[Cell]
    total: Cell
    teams: list[Row]
    funders: list[Row]
    programmes: list[ProgrammeRow] = field(default_factory=list)


def _hide(cell: Cell) -> Cell:
    return Cell(None, cell.people, True, cell.kind)


def _no_single_unknown(cells: dict, relations: list[tuple[list, object]]) -> dict:
    """Secondary suppression over the sums the page shows (a row of months adds up to the
    kind's total, the kinds to the month's, the teams to the year's…): in no sum may exactly one
    figure be hidden, else it is the total minus the others. The next smallest shown part that
    holds people is hidden too (the total when no part is left), until nothing changes. Zeros
    stay shown: hiding a 0 protects nobody."""
    cells = dict(cells)
    changed = True
    while changed:
        changed = False
        for parts, total in relations:
            members = [*parts, total]
            if sum(cells[k].suppressed for k in members) != 1:
                continue
            shown = [k for k in parts if cells[k].shown and cells[k].people > 0]
            if not shown and cells[total].shown and cells[total].people > 0:
                shown = [total]
            if shown:
                smallest = min(shown, key=lambda k: (cells[k].people, cells[k].value or 0))
                cells[smallest] = _hide(cells[smallest])
                changed = True
    return cells


def _sorted_keys(groups: dict[tuple, Group]) -> list[str]:
    """Named groups in alphabetical order, the unnamed one ("No team", "No funder") last."""
    named = (k[0] for k, g in groups.items() if g.people > 0)  # not those only left out
    return sorted(named, key=lambda k: (k == "", str(k).casefold()))


def report(filters: Filters) -> ProgrammeReport:
    """The report for a year and filters. Statements: six for the hours (kind x month, per
    kind, per month, in all, per team, per funder) and three for the programmes, whatever the
    number of sessions and people."""
    by_cell = _groups(filters, ("kind", "month"))
    by_kind = _groups(filters, ("kind",))
    by_month = _groups(filters, ("month",))
    whole = _groups(filters, ()).get((), Group())
    by_team = _groups(filters, ("team",))
    by_funder = _groups(filters, ("funder",))
    teams, funders = _sorted_keys(by_team), _sorted_keys(by_funder)
    empty = Group(0, 0, ())
    cells: dict = {("t",): whole.cell()}
    for k in KINDS:
        cells[("k", k)] = by_kind.get((k,), empty).cell()
        for m in MONTHS:
            cells[("c", k, m)] = by_cell.get((k, m), empty).cell()
    for m in MONTHS:
        cells[("m", m)] = by_month.get((m,), empty).cell()
    for t in teams:
        cells[("team", t)] = by_team[(t,)].cell()
    for f in funders:
        cells[("funder", f)] = by_funder[(f,)].cell()
    relations = [([("c", k, m) for m in MONTHS], ("k", k)) for k in KINDS]
    relations += [([("c", k, m) for k in KINDS], ("m", m)) for m in MONTHS]
    relations += [
        ([("k", k) for k in KINDS], ("t",)),
        ([("m", m) for m in MONTHS], ("t",)),
        ([("team", t) for t in teams], ("t",)),
        ([("funder", f) for f in funders], ("t",)),
    ]
    # A programme's hours in the year add up, with the others of its kind (or funder), to the
    # kind's (or funder's) hours: they are figures of the same sums.
    programmes = programme_rows(filters)
    for row in programmes:
        cells[("p", row.programme_id)] = row.hours
    for k in KINDS:
        parts = [("p", r.programme_id) for r in programmes if r.kind == k]
        if parts:
            relations.append((parts, ("k", k)))
    for f in funders:
        parts = [("p", r.programme_id) for r in programmes if r.funder == f]
        if parts:
            relations.append((parts, ("funder", f)))
    cells = _no_single_unknown(cells, relations)
    return ProgrammeReport(
        filters=filters,
        kinds=[KindRow(k, [cells[("c", k, m)] for m in MONTHS], cells[("k", k)]) for k in KINDS],
        month_totals=[cells[("m", m)] for m in MONTHS],
        total=cells[("t",)],
        teams=[Row(t, cells[("team", t)]) for t in teams],
        funders=[Row(f, cells[("funder", f)]) for f in funders],
        programmes=[_with_hours(r, cells[("p", r.programme_id)]) for r in programmes],
    )


def _running_in(filters: Filters) -> sa.ColumnElement[bool]:
    return sa.and_(
        Programme.starts_on <= filters.last,
        sa.or_(Programme.ends_on.is_(None), Programme.ends_on >= filters.first),
    )


def programme_rows(filters: Filters) -> list[ProgrammeRow]:
    """The programmes running in the year (by their dates) that meet the kind and funder
    filters: the participants (everyone enrolled, those who left included, unless they left on
    the day they were enrolled) and the hours they attended in the year. With a team filter,
    only the team's participants count. Completion is set by `report` (`_with_hours`), once the
    hours are protected. Three statements."""
    active = filters.active()
    flags = [sa.case((condition, 1), else_=0).label(f"m_{name}") for name, condition in active]
    met = sum((sa.case((c, 1), else_=0) for _n, c in active), sa.literal(0))
    keep = met >= len(flags) - 1 if flags else sa.true()
    enrolled = (
        sa.select(
            Programme.id.label("programme_id"),
            Enrolment.member_id.label("member_id"),
            *flags,
        )
        .select_from(Programme)
        .join(Enrolment, Enrolment.programme_id == Programme.id)
        .join(Member, Member.id == Enrolment.member_id)
        .where(
            _running_in(filters),
            sa.or_(
                Enrolment.withdrawn_on.is_(None), Enrolment.withdrawn_on > Enrolment.enrolled_on
            ),
            keep,
        )
        .subquery()
    )
    flag_columns = [enrolled.c[f"m_{name}"] for name, _c in active]
    participants = _fold(
        db.session.execute(
            sa.select(
                enrolled.c.programme_id,
                *flag_columns,
                sa.literal(0).label("minutes"),
                sa.func.count(sa.distinct(enrolled.c.member_id)).label("people"),
            ).group_by(enrolled.c.programme_id, *flag_columns)
        ).all(),
        1,
        len(flags),
    )
    # The minutes attended in the year, with who attended and what each filter leaves out.
    attended = _groups(filters, ("programme_id",))
    programme_filters = [c for name, c in active if name != "team"]
    rows = db.session.execute(
        sa.select(
            Programme.id,
            Programme.title,
            Programme.kind,
            Programme.funder,
            Programme.state,
            Programme.planned_hours,
        )
        .where(_running_in(filters), *programme_filters)
        .order_by(Programme.starts_on, Programme.title, Programme.id)
    ).all()
    result = []
    for row in rows:
        enrolled_group = participants.get((row.id,), Group(0, 0, (0,) * len(flags)))
        came = attended.get((row.id,), Group(0, 0, (0,) * len(flags)))
        hours = came.cell()
        if enrolled_group.cell().suppressed:  # hours of a small group of participants
            hours = _hide(hours)
        hours = Cell(hours.value, enrolled_group.people, hours.suppressed, "hours")
        result.append(
            ProgrammeRow(
                row.id,
                row.title,
                row.kind,
                row.funder,
                row.state,
                row.planned_hours,
                count_cell(enrolled_group.people, enrolled_group.people),
                hours,
                Cell(None, enrolled_group.people, False, "percent"),
            )
        )
    return result


def _with_hours(row: ProgrammeRow, hours: Cell) -> ProgrammeRow:
    """The row with its hours as the page shows them: when they are hidden, so are the
    participants and completion (hours = completion x planned hours x participants)."""
    if hours.suppressed:
        participants = _hide(row.participants)
        completion = Cell(None, row.participants.people, True, "percent")
    else:
        participants = row.participants
        people = row.participants.people
        completion = Cell(None, people, False, "percent")
        if row.planned_hours is not None and people:
            completion = Cell(
                hours.value / (float(row.planned_hours) * people), people, False, "percent"
            )
    return replace(row, participants=participants, hours=hours, completion=completion)


# --- Hours per person (named: for funders, audited by the views) ---------------------------------


@dataclass(frozen=True)
class PersonRow:
    member_id: int
    member_number: str
    name: str
    team: str
    minutes_by_kind: dict[str, int]

    @property
    def minutes(self) -> int:
        return sum(self.minutes_by_kind.values())

    def hours(self, kind: str | None = None) -> float:
        minutes = self.minutes if kind is None else self.minutes_by_kind.get(kind, 0)
        return round(minutes / 60, 2)


def hours_per_person(filters: Filters) -> list[PersonRow]:
    """Each person's hours attended in the year, per kind of programme, by family then given
    name. One statement. Not protected: it names people (see the module's docstring)."""
    query = (
        sa.select(
            Member.id,
            Member.member_number,
            Member.given_name,
            Member.family_name,
            Member.team,
            Programme.kind,
            sa.func.sum(Attendance.minutes).label("minutes"),
        )
        .select_from(Attendance)
        .join(Slot, Slot.id == Attendance.slot_id)
        .join(Session, Session.id == Slot.session_id)
        .join(Programme, Programme.id == Session.programme_id)
        .join(Member, Member.id == Attendance.member_id)
        .where(
            Session.cancelled_at.is_(None),
            Attendance.minutes > 0,
            Attendance.status.in_(sorted(IN_ROOM)),
            Session.day.between(filters.first, filters.last),
            *(c for _n, c in filters.active()),
        )
        .group_by(
            Member.id,
            Member.member_number,
            Member.given_name,
            Member.family_name,
            Member.team,
            Programme.kind,
        )
        .order_by(Member.family_name, Member.given_name, Member.id)
    )
    people: dict[int, PersonRow] = {}
    for row in db.session.execute(query):
        person = people.get(row.id)
        if person is None:
            person = PersonRow(
                row.id,
                row.member_number,
                f"{row.given_name} {row.family_name}".strip(),
                row.team,
                {},
            )
            people[row.id] = person
        person.minutes_by_kind[row.kind] = int(row.minutes)
    return list(people.values())


# --- Lists for the filters -----------------------------------------------------------------------


def report_teams() -> list[str]:
    """The teams of the register (non-empty), for the filter. One statement."""
    return list(
        db.session.scalars(
            sa.select(Member.team).where(Member.team != "").distinct().order_by(Member.team)
        )
    )


def report_funders() -> list[str]:
    """The funders named on programmes, for the filter. One statement."""
    return list(
        db.session.scalars(
            sa.select(Programme.funder)
            .where(Programme.funder != "")
            .distinct()
            .order_by(Programme.funder)
        )
    )


def hours_text(cell_or_minutes) -> str:
    """Hours for a spreadsheet or a terminal: one decimal, no grouping; "<5" when hidden."""
    if isinstance(cell_or_minutes, Cell):
        if cell_or_minutes.suppressed:
            return f"<{MIN_GROUP}"
        if cell_or_minutes.value is None:
            return ""
        return f"{cell_or_minutes.value:.1f}"
    return f"{cell_or_minutes / 60:.1f}"
