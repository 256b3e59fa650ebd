"""Reports for the board and funders: the page with its charts and the CSV. Aggregates only, so
no record is read (nothing journaled); the CSV export is audited."""

from __future__ import annotations

import csv
import io

from flask import abort, make_response, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import audit
from portal.core.db import local_today
from portal.core.htmx import render
from portal.core.lifecycle import write_after
from portal.core.viewhelpers import acting_user, whole_number
from portal.integration import bp, policies
from portal.integration import reports as figures
from portal.integration.charts import bar_chart, display

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.lstrip(" ").startswith(FORMULA_START) else text


def _allowed() -> None:
    if not policies.can_view_reports(current_user):
        abort(404)


def _filters() -> tuple[int | None, str | None, list[int], list[str], bool]:
    """The year ("all": every year) and team asked for; anything unknown gives the default
    (this year, all teams). The teams offered depend on the year (see `report_teams`): a team
    not offered for that year, even written in the address, gives all teams."""
    years = figures.report_years()
    raw_year = request.args.get("year", "")
    year: int | None = local_today().year
    if raw_year == "all":
        year = None
    elif whole_number(raw_year, 9999) in years:
        year = whole_number(raw_year, 9999)
    teams = figures.report_teams(year)
    team = request.args.get("team", "")
    refused = bool(team) and team not in teams
    return year, (team if team in teams else None), years, teams, refused


def _team_label(key: str) -> str:
    if key == figures.OTHER_TEAMS:
        return _("Other teams")
    return key or _("No team")


def _charts(report: figures.Report) -> dict:
    scope = _("all years") if report.year is None else str(report.year)
    charts = {
        "outcomes_chart": bar_chart(
            "chart-outcomes",
            _("Exits by outcome (%(scope)s)", scope=scope),
            _("Number of people who left, for each outcome. Small groups are not shown."),
            [(row.title, [row.exits]) for row in report.outcomes],
            row_header=_("Outcome"),
        ),
        "series_chart": bar_chart(
            "chart-years",
            _("Entries and exits, year by year"),
            _("Number of people who started and who left, for each of the last five years."),
            [(str(row.year), [row.entries, row.exits]) for row in report.series],
            series=[_("Entries"), _("Exits")],
            row_header=_("Year"),
        ),
    }
    if report.teams:
        charts["teams_chart"] = bar_chart(
            "chart-teams",
            _("Pathways by team (%(scope)s)", scope=scope),
            _("Number of pathways running, for each team. Small teams are put together."),
            [(_team_label(row.key), [row.active]) for row in report.teams],
            row_header=_("Team"),
        )
    return charts


@bp.route("/reports")
def reports():
    _allowed()
    year, team, years, teams, refused = _filters()
    report = figures.report(year, team)
    return render(
        "integration/reports.html",
        report=report,
        years=years,
        teams=teams,
        year=year,
        team=team,
        team_refused=refused,
        filter_args={"year": year or "all", **({"team": team} if team is not None else {})},
        display=display,
        team_label=_team_label,
        min_group=figures.MIN_GROUP,
        **_charts(report),
    )


def _csv_rows(report: figures.Report):
    plain = figures.plain
    yield ("year", "", "all" if report.year is None else report.year)
    yield ("team", "", report.team if report.team is not None else "all")
    for name, cell in (
        ("entries", report.entries),
        ("active_pathways", report.active),
        ("exits", report.exits),
        ("positive_exit_rate_percent", report.positive_rate),
        ("average_length_months", report.average_months),
        ("support_hours", report.support_hours),
        ("support_hours_per_active_pathway", report.hours_per_pathway),
        ("pathways_with_skill_assessed_twice", report.skills_assessed),
        ("skills_progress_percent", report.skills_progress),
        ("skills_average_gain_levels", report.skills_gain),
        ("members_followed", report.members),
        ("meeting_participation_percent", report.meeting_rate),
        ("poll_participation_percent", report.poll_rate),
    ):
        yield (name, "", plain(cell))
    for row in report.outcomes:
        yield ("exits_by_outcome", row.title, plain(row.exits))
    for row in report.teams:
        label = "(other teams)" if row.other else (row.key or "(no team)")
        yield ("team_active_pathways", label, plain(row.active))
        yield ("team_entries", label, plain(row.entries))
        yield ("team_exits", label, plain(row.exits))
        yield ("team_positive_exit_rate_percent", label, plain(row.positive_rate))
        yield ("team_support_hours", label, plain(row.support_hours))
    for row in report.series:
        yield ("entries_by_year", row.year, plain(row.entries))
        yield ("exits_by_year", row.year, plain(row.exits))


@bp.route("/reports.csv")
def reports_csv():
    _allowed()
    year, team, _years, _teams, _refused = _filters()
    report = figures.report(year, team)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("figure", "group", "value"))
    for row in _csv_rows(report):
        writer.writerow([_safe(cell) for cell in row])
    user = acting_user()
    # The audit entry is written once the file is ready, in a short write of its own.
    write_after(
        lambda: audit.record(
            user,
            "integration.export_reports",
            "Integration report exported to CSV",
            year=year,
            team_filter=team is not None,
        )
    )
    response = make_response(("\ufeff" + out.getvalue()).encode("utf-8"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"integration-report-{year or 'all'}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
