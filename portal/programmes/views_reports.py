"""Reports for boards and funders (the page, its CSV and PDF), hours per person (named, audited)
and the attestation of attendance of one participant.

- The reports are for those with VIEW_PROGRAMME_REPORTS (board, admin, counsellor); anyone else
  gets 403. Filters that cannot be used (a year that is not a year, an unknown kind, team or
  funder) are said on the page (422) and left out; never a 500.
- The aggregated tables protect small groups (`reports.py`): reading the page is not
  recorded; their CSV and PDF exports are audited, as integration's CSV. Hours per person names
  people: its page and its CSV are audited (one audit entry per reading). Audit entries are
  written after the answer is ready (`write_after`).
- The attestation: see `attestation.py` for who may get it.
"""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from flask import abort, make_response, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.core import audit
from portal.core.db import MAX_ID, local_today
from portal.core.htmx import render
from portal.core.lifecycle import write_after
from portal.core.urls import public_base_url
from portal.core.viewhelpers import acting_user
from portal.extensions import db
from portal.integration.charts import display
from portal.integration.reports import Cell, count_cell
from portal.programmes import attestation, bp, reports
from portal.programmes.models import KIND_TITLES, Programme, ProgrammeKind, Session
from portal.programmes.policies import can_view_reports
from portal.programmes.workflow import PROGRAMME_WORKFLOW

# Pages ask the reports' predicate instead of restating the rule.
bp.add_app_template_global(can_view_reports, "can_view_programme_reports")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TABLES = ("kind", "team", "funder", "programme", "people")


def _allowed() -> None:
    if not can_view_reports(current_user):
        abort(403)


# --- Filters -------------------------------------------------------------------------------------


def report_years() -> list[int]:
    """From the first session's year to this year, newest first (one statement)."""
    this_year = local_today().year
    first = db.session.scalar(sa.select(sa.func.min(Session.day)))
    start = max(min(first.year, this_year), this_year - 30) if first else this_year
    return list(range(this_year, start - 1, -1))


def _filters() -> tuple[reports.Filters, list[str]]:
    """The year and filters asked for. What cannot be used is said in `problems` and left out
    (the year: this year)."""
    problems: list[str] = []
    year = local_today().year
    raw = request.args.get("year", "").strip()
    if raw:
        if re.fullmatch(r"\d{4}", raw) and reports.FIRST_YEAR <= int(raw) <= reports.LAST_YEAR:
            year = int(raw)
        else:
            problems.append(
                _(
                    "“%(value)s” is not a year. Choose a year between %(first)d and %(last)d:"
                    " here are the figures of %(year)d.",
                    value=raw[:20],
                    first=reports.FIRST_YEAR,
                    last=reports.LAST_YEAR,
                    year=year,
                )
            )
    kind = request.args.get("kind", "").strip() or None
    if kind is not None and kind not in reports.KINDS:
        problems.append(_("This kind of programme is not known, so it is not used."))
        kind = None
    team = request.args.get("team", "").strip() or None
    if team is not None and team not in reports.report_teams():
        problems.append(_("This team is not known, so it is not used."))
        team = None
    funder = request.args.get("funder", "").strip() or None
    if (
        funder is not None
        and funder != reports.NO_FUNDER
        and funder not in reports.report_funders()
    ):
        problems.append(_("This funder is not known, so it is not used."))
        funder = None
    return reports.Filters(year, kind, team, funder), problems


def _args(filters: reports.Filters) -> dict:
    """The query arguments of a report's links (the filters in use only)."""
    found = {"year": filters.year}
    for name in ("kind", "team", "funder"):
        value = getattr(filters, name)
        if value is not None:
            found[name] = value
    return found


def kind_label(kind: str) -> str:
    try:
        return str(KIND_TITLES[ProgrammeKind(kind)])
    except ValueError:
        return kind


def team_label(team: str) -> str:
    return team or _("No team")


def funder_label(funder: str) -> str:
    return funder if funder and funder != reports.NO_FUNDER else _("No funder")


def state_label(state: str) -> str:
    found = PROGRAMME_WORKFLOW.states.get(state)
    return str(found.title) if found else state


def people_text(cell: Cell) -> str:
    """The number of people behind a figure, or "fewer than 5" with the figure."""
    if cell.suppressed:
        return display(cell)
    return display(count_cell(cell.people, cell.people))


def planned_text(value) -> str:
    return "—" if value is None else display(Cell(float(value), 0, False, "hours"))


def month_label(month: int) -> str:
    from flask_babel import format_date

    return format_date(local_today().replace(month=month, day=1), "MMM")


def _helpers() -> dict:
    return {
        "display": display,
        "people_text": people_text,
        "kind_label": kind_label,
        "team_label": team_label,
        "funder_label": funder_label,
        "state_label": state_label,
        "month_label": month_label,
        "planned_text": planned_text,
        "min_group": reports.MIN_GROUP,
        "months": reports.MONTHS,
    }


def _page(filters, problems, status: int = 200):
    return render(
        "programmes/reports.html",
        status=status,
        report=reports.report(filters),
        filters=filters,
        problems=problems,
        years=report_years(),
        kinds=reports.KINDS,
        teams=reports.report_teams(),
        funders=reports.report_funders(),
        no_funder=reports.NO_FUNDER,
        filter_args=_args(filters),
        tables=TABLES,
        **_helpers(),
    )


@bp.route("/reports", endpoint="reports")
@login_required
def reports_page():
    _allowed()
    filters, problems = _filters()
    return _page(filters, problems, 422 if problems else 200)


# --- Hours per person (named: audited) -----------------------------------------------------------


def _audit_people(filters: reports.Filters, how: str) -> None:
    user = acting_user()
    write_after(
        lambda: audit.record(
            user,
            "programmes.hours_per_person",
            f"Hours per person read ({how})",
            year=filters.year,
            kind=filters.kind,
            team=filters.team,
            funder=filters.funder,
        )
    )


def _audit_export(filters: reports.Filters, how: str) -> None:
    """An export of the aggregated figures is recorded, as integration's CSV export is."""
    user = acting_user()
    write_after(
        lambda: audit.record(
            user,
            "programmes.export_reports",
            f"Programme report exported ({how})",
            year=filters.year,
            kind=filters.kind,
            team=filters.team,
            funder=filters.funder,
        )
    )


@bp.route("/reports/people")
@login_required
def reports_people():
    _allowed()
    filters, problems = _filters()
    if problems:
        return _page(filters, problems, 422)
    people = reports.hours_per_person(filters)
    _audit_people(filters, "page")
    return render(
        "programmes/reports_people.html",
        filters=filters,
        people=people,
        kinds=reports.KINDS,
        filter_args=_args(filters),
        hours=reports.hours_text,
        **_helpers(),
    )


# --- CSV -----------------------------------------------------------------------------------------


def _safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.lstrip(" ").startswith(FORMULA_START) else text


def csv_rows(table: str, filters: reports.Filters):
    """The rows of one table for a spreadsheet, with its header; "<5" for a hidden figure."""
    hours = reports.hours_text
    if table == "people":
        yield ("member_number", "name", "team", *reports.KINDS, "total_hours")
        for person in reports.hours_per_person(filters):
            yield (
                person.member_number,
                person.name,
                person.team,
                *(f"{person.hours(k):.1f}" for k in reports.KINDS),
                f"{person.hours():.1f}",
            )
        return
    report = reports.report(filters)
    small = f"<{reports.MIN_GROUP}"

    def people(cell: Cell) -> str:
        return small if cell.suppressed else str(cell.people)

    if table == "kind":
        yield ("kind", "month", "hours", "people")
        for row in report.kinds:
            for month, cell in zip(reports.MONTHS, row.months, strict=True):
                yield (row.kind, month, hours(cell), people(cell))
            yield (row.kind, "year", hours(row.total), people(row.total))
        for month, cell in zip(reports.MONTHS, report.month_totals, strict=True):
            yield ("all", month, hours(cell), people(cell))
        yield ("all", "year", hours(report.total), people(report.total))
    elif table in ("team", "funder"):
        yield (table, "hours", "people")
        for row in report.teams if table == "team" else report.funders:
            label = row.key or ("(no team)" if table == "team" else "(no funder)")
            yield (label, hours(row.hours), people(row.hours))
        yield ("all", hours(report.total), people(report.total))
    else:
        yield (
            "programme",
            "kind",
            "funder",
            "state",
            "planned_hours",
            "participants",
            "hours_attended",
            "completion_percent",
        )
        for row in report.programmes:
            completion = row.completion
            yield (
                row.title,
                row.kind,
                row.funder,
                row.state,
                "" if row.planned_hours is None else f"{row.planned_hours:.1f}",
                small if row.participants.suppressed else str(row.participants.value),
                hours(row.hours),
                small
                if completion.suppressed
                else ("" if completion.value is None else f"{completion.value * 100:.1f}"),
            )


@bp.route("/reports.csv")
@login_required
def reports_csv():
    _allowed()
    filters, problems = _filters()
    table = request.args.get("table", "kind")
    if table not in TABLES:
        problems.append(_("This table is not known. Choose one of the links below."))
    if problems:
        return _page(filters, problems, 422)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv_rows(table, filters):
        writer.writerow([_safe(cell) for cell in row])
    if table == "people":
        _audit_people(filters, "CSV")
    else:
        _audit_export(filters, f"CSV, {table}")
    response = make_response(("\ufeff" + out.getvalue()).encode("utf-8"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"programmes-{table}-{filters.year}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- PDF -----------------------------------------------------------------------------------------


@bp.route("/reports.pdf")
@login_required
def reports_pdf():
    from portal.programmes.reports_pdf import report_pdf

    _allowed()
    filters, problems = _filters()
    if problems:
        return _page(filters, problems, 422)
    pdf = report_pdf(reports.report(filters), public_base_url() + "/", **_helpers())
    _audit_export(filters, "PDF")
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="programmes-report-{filters.year}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The attestation -----------------------------------------------------------------------------


@bp.route("/<int:programme_id>/attestation/<int:member_id>.pdf", endpoint="attestation")
@login_required
def attestation_pdf(programme_id: int, member_id: int):
    user = acting_user()
    programme = db.session.get(Programme, programme_id) if 0 < programme_id <= MAX_ID else None
    if programme is None:
        abort(404)
    member = attestation.member_or_404(user, programme, member_id)
    pdf = attestation.attestation_pdf(programme, member, public_base_url() + "/")
    write_after(
        lambda: audit.record(
            user,
            "programmes.attestation",
            "Attestation of attendance printed",
            object_key=f"programme:{programme.id}",
            member_id=member.id,
        )
    )
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="attestation-{programme.id}-{member.id}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
