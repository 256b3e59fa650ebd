"""Reports for the board and funders: each figure on a small known dataset, the suppression of
small groups, no individual data in the page or the CSV, access, and a constant query count."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.extensions import db as _db
from portal.integration import reports
from portal.integration.models import Skill, SkillAssessment, SupportAction
from portal.integration.reports import OTHER_TEAMS, Cell, count_cell, protect, rate_cell
from portal.meetings.models import Attendance
from portal.voting.models import Participation
from tests.factories_integration import make_pathway
from tests.factories_meetings import make_meeting
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    make_member,
    member_with_login,
    trainer_user,
)
from tests.factories_voting import make_poll

YEAR = 2025
CANARY_GIVEN = "Zorglubette"
CANARY_FAMILY = "Quetzalcanary"


def person(i: int = 0):
    return make_member(given=f"{CANARY_GIVEN}{i}", family=CANARY_FAMILY, member_number=None)


def pathways(n: int, entry_on: date, **fields):
    return [make_pathway(person(), entry_on, **fields) for _ in range(n)]


def anonymised(n: int, entry_on: date, **fields):
    return [
        make_pathway(None, entry_on, anonymised_on=date(2026, 1, 1), **fields) for _ in range(n)
    ]


def action(pathway, on: date, minutes: int) -> None:
    _db.session.add(
        SupportAction(pathway_id=pathway.id, happened_on=on, kind="interview", minutes=minutes)
    )


def assess(pathway, skill, on: date, level: int) -> None:
    _db.session.add(
        SkillAssessment(pathway_id=pathway.id, skill_id=skill.id, level=level, assessed_on=on)
    )


# --- The rule -------------------------------------------------------------------------------------


def test_small_groups_are_hidden_and_zero_stays():
    assert count_cell(7, 4).suppressed and count_cell(7, 4).value is None
    assert count_cell(5, 5) == Cell(5, 5)
    assert count_cell(0, 0) == Cell(0, 0)
    assert count_cell(1, 1).suppressed


def test_rate_hidden_when_the_group_the_part_or_the_rest_is_small():
    assert rate_cell(2, 4).suppressed  # the group
    assert rate_cell(3, 20).suppressed  # the part
    assert rate_cell(17, 20).suppressed  # the rest: 3 people
    assert rate_cell(5, 5).value == 1.0
    assert rate_cell(0, 10).value == 0.0
    assert rate_cell(10, 20).value == 0.5


def test_secondary_suppression_hides_the_next_smallest():
    cells = [count_cell(10, 10), count_cell(3, 3), count_cell(6, 6), count_cell(0, 0)]
    result = protect(cells)
    assert [c.suppressed for c in result] == [False, True, True, False]
    assert result[2].value is None and result[3].value == 0


def test_secondary_suppression_not_needed_with_two_hidden_or_none():
    two = [count_cell(10, 10), count_cell(3, 3), count_cell(2, 2)]
    assert protect(two) == two
    none = [count_cell(10, 10), count_cell(6, 6)]
    assert protect(none) == none


# --- The figures ----------------------------------------------------------------------------------


@pytest.fixture()
def dataset(db):
    """Active in 2025: A (6, left 2025-07-01 with a long-term job after 365 days), B (5 who
    started in 2025, 2 of them anonymised, still there), C (5, left 2025-01-01 looking for a job
    after 366 days). D (2) left in 2024; E (1) starts in 2026."""
    a = pathways(6, date(2024, 7, 1), outcome_code="long_term_job", exit_on=date(2025, 7, 1))
    b = pathways(3, date(2025, 2, 1)) + anonymised(2, date(2025, 2, 1))
    c = pathways(5, date(2024, 1, 1), outcome_code="job_seeking", exit_on=date(2025, 1, 1))
    d = pathways(2, date(2023, 1, 1), outcome_code="training", exit_on=date(2024, 6, 1))
    e = pathways(1, date(2026, 1, 1))
    for p in a[:5]:
        action(p, date(2025, 3, 3), 90)
        action(p, date(2024, 12, 31), 600)  # another year
    skill = Skill(area="Work", name="Safety rules")
    db.session.add(skill)
    db.session.flush()
    for p in a[:5]:
        assess(p, skill, date(2024, 8, 1), 1)
        assess(p, skill, date(2025, 3, 1), 3)
    assess(a[0], skill, date(2026, 2, 1), 4)  # after the year: not counted for 2025
    for p in c:
        assess(p, skill, date(2024, 2, 1), 2)
        assess(p, skill, date(2024, 9, 1), 2)
    assess(b[0], skill, date(2025, 3, 1), 2)  # once only
    meeting = make_meeting(starts_at=datetime(2025, 5, 6, 16, 0, tzinfo=UTC))
    earlier = make_meeting(starts_at=datetime(2024, 5, 6, 16, 0, tzinfo=UTC))
    for p in a[:5]:
        db.session.add(Attendance(meeting_id=meeting.id, member_id=p.member_id, status="present"))
    db.session.add(Attendance(meeting_id=meeting.id, member_id=a[5].member_id, status="absent"))
    db.session.add(Attendance(meeting_id=earlier.id, member_id=c[0].member_id, status="present"))
    poll = make_poll()
    for p in a + c[:1]:
        db.session.add(
            Participation(
                poll_id=poll.id, member_id=p.member_id, created_at=datetime(2025, 5, 1, tzinfo=UTC)
            )
        )
    db.session.flush()
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_each_figure_on_a_known_dataset(dataset):
    r = reports.report(YEAR, None)
    assert r.entries == Cell(5, 5)
    assert r.active == Cell(16, 16)
    assert r.exits == Cell(11, 11)
    outcomes = {row.code: row.exits for row in r.outcomes}
    assert outcomes["long_term_job"] == Cell(6, 6)
    assert outcomes["job_seeking"] == Cell(5, 5)
    assert outcomes["training"] == Cell(0, 0)  # D left in 2024
    assert r.positive_rate.value == pytest.approx(6 / 11)
    assert r.average_months.value == pytest.approx((6 * 365 + 5 * 366) / 11 / (365.25 / 12))
    assert r.support_hours.value == pytest.approx(7.5)
    assert r.hours_per_pathway.value == pytest.approx(7.5 / 16)
    assert r.skills_assessed == Cell(10, 10)
    assert r.skills_progress.value == pytest.approx(0.5)
    assert r.skills_gain.value == pytest.approx(1.0)
    assert r.members == Cell(14, 14)  # the 2 anonymised pathways have nobody to follow
    assert r.meeting_rate.value == pytest.approx(5 / 14)
    assert r.poll_rate.value == pytest.approx(7 / 14)
    series = {row.year: row for row in r.series}
    assert sorted(series) == [2021, 2022, 2023, 2024, 2025]
    assert series[2024].entries == Cell(11, 11) and series[2025].entries == Cell(5, 5)
    assert series[2023].entries.suppressed and series[2024].exits.suppressed  # D: 2 people
    assert series[2025].exits == Cell(11, 11) and series[2022].exits == Cell(0, 0)


def test_all_years(dataset):
    r = reports.report(None, None)
    # D's 2 entries (2023), E's 1 (2026) and D's 2 exits (2024) are hidden in their years' reports,
    # so the totals over all years are hidden (else total - other years = them); the active
    # pathways over all years are the same group as the entries.
    assert r.entries.suppressed and r.active.suppressed and r.exits.suppressed
    assert r.positive_rate.suppressed and r.average_months.suppressed
    assert r.support_hours.value == pytest.approx(7.5 + 50)  # 5 people in 2024 and in 2025


def test_all_years_shown_when_every_year_is(db):
    pathways(6, date(2024, 3, 1), outcome_code="long_term_job", exit_on=date(2025, 6, 1))
    pathways(5, date(2025, 3, 1))
    r = reports.report(None, None)
    assert r.active == Cell(11, 11) and r.entries == Cell(11, 11) and r.exits == Cell(6, 6)
    assert r.positive_rate.value == 1.0


def test_a_team_alone(dataset):
    for p in dataset["a"][:5]:
        p.team = "Garden"
    _db.session.flush()
    r = reports.report(YEAR, "Garden")
    assert r.active == Cell(5, 5) and r.exits == Cell(5, 5) and r.entries == Cell(0, 0)
    assert r.support_hours.value == pytest.approx(7.5)
    assert r.teams == []


@pytest.mark.parametrize(("n", "hidden"), [(4, True), (5, False)])
def test_four_people_hidden_five_shown(db, n, hidden):
    entered = pathways(n, date(2025, 3, 1), outcome_code="training", exit_on=date(2025, 9, 1))
    for p in entered:
        action(p, date(2025, 4, 1), 60)
    db.session.flush()
    r = reports.report(YEAR, None)
    for cell in (r.entries, r.active, r.exits, r.positive_rate, r.average_months, r.support_hours):
        assert cell.suppressed is hidden, cell
        assert (cell.value is None) is hidden
    assert r.hours_per_pathway.suppressed is hidden


def test_one_person_counts_once(db):
    """Two pathways of the same person are one person: 4 people with 5 pathways stay hidden."""
    people = [person() for _ in range(4)]
    for m in people:
        make_pathway(m, date(2025, 3, 1))
    make_pathway(people[0], date(2025, 6, 1))
    r = reports.report(YEAR, None)
    assert r.entries.suppressed and r.entries.people == 4


def test_outcomes_secondary_suppression(db):
    pathways(6, date(2024, 3, 1), outcome_code="long_term_job", exit_on=date(2025, 3, 1))
    pathways(3, date(2024, 3, 1), outcome_code="training", exit_on=date(2025, 3, 1))
    pathways(5, date(2024, 3, 1), outcome_code="job_seeking", exit_on=date(2025, 3, 1))
    r = reports.report(YEAR, None)
    outcomes = {row.code: row.exits for row in r.outcomes}
    assert r.exits == Cell(14, 14)
    assert outcomes["training"].suppressed
    # The positive-exit rate is shown (9 of 14): long-term jobs hidden too, else 9 - 6 = 3.
    assert r.positive_rate.value == pytest.approx(9 / 14)
    assert outcomes["long_term_job"].suppressed
    assert outcomes["job_seeking"] == Cell(5, 5)  # the 5 others: known from the rate anyway
    assert outcomes["unknown"] == Cell(0, 0)


def test_small_teams_are_folded(db):
    pathways(6, date(2025, 3, 1), team="Garden")
    pathways(7, date(2025, 3, 1), team="Kitchen")
    pathways(3, date(2025, 3, 1), team="Repair")
    pathways(2, date(2025, 3, 1), team="Shop")
    rows = {row.key: row for row in reports.report(YEAR, None).teams}
    assert set(rows) == {"Garden", "Kitchen", OTHER_TEAMS}
    assert rows[OTHER_TEAMS].active == Cell(5, 5)  # Repair and Shop together
    assert rows["Garden"].active == Cell(6, 6)


def test_folded_row_still_small_is_hidden_with_the_next_smallest(db):
    pathways(6, date(2025, 3, 1), team="Garden")
    pathways(9, date(2025, 3, 1), team="Kitchen")
    pathways(3, date(2025, 3, 1), team="Repair")
    rows = {row.key: row for row in reports.report(YEAR, None).teams}
    assert rows[OTHER_TEAMS].active.suppressed
    assert rows["Garden"].active.suppressed  # else 18 - 9 - 6 = 3
    assert rows["Kitchen"].active == Cell(9, 9)


def test_teams_to_choose_are_the_large_ones(db):
    pathways(5, date(2025, 3, 1), team="Garden")
    pathways(4, date(2025, 3, 1), team="Repair")
    pathways(5, date(2025, 3, 1), team="Kitchen")
    assert reports.report_teams() == ["Garden", "Kitchen"]
    assert reports.report_teams(YEAR) == ["Garden", "Kitchen"]


def test_a_team_whose_rest_is_small_is_not_offered(db):
    """Garden alone with 4 others: all teams minus Garden would be those 4 people."""
    pathways(5, date(2025, 3, 1), team="Garden")
    pathways(4, date(2025, 3, 1), team="Repair")
    assert reports.report_teams(YEAR) == []
    assert reports.report_teams() == []
    pathways(1, date(2024, 3, 1), team="Repair", outcome_code="training", exit_on=date(2024, 6, 1))
    # Over all years Repair has 5 pathways and the rest of Garden is 5 people; in 2025 the
    # rest of Garden is still 4 people (the rest of Repair is Garden's 5).
    assert reports.report_teams() == ["Garden", "Repair"]
    assert reports.report_teams(YEAR) == ["Repair"]


def test_statement_count_does_not_grow(db):
    skill = Skill(area="Work", name="Tools")
    db.session.add(skill)
    db.session.flush()

    def grow(n: int) -> None:
        made = pathways(n // 2, date(2025, 1, 6), team="Garden")
        made += anonymised(n - n // 2, date(2024, 1, 6), team="Kitchen")
        for i, p in enumerate(made):
            action(p, date(2025, 2, 1), 30 + i % 60)
            assess(p, skill, date(2025, 2, 1), 1)
            assess(p, skill, date(2025, 6, 1), 2 + i % 3)
        db.session.flush()

    def statements() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
        try:
            reports.report(YEAR, None)
            reports.report(None, "Garden")
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
        return len(seen)

    grow(10)
    small = statements()
    grow(90)
    assert statements() == small
    # A team's report also computes all teams' and the rest's figures, each year's figures
    # (grouped by year) and, over all years, each year's breakdown by team (3 per year: 2 here).
    assert small <= 60


# --- The pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "member", "trainer"])
def test_others_get_not_found(db, client, login_as, who):
    if who == "member":
        login_as(member_with_login().user)
    elif who == "trainer":
        login_as(trainer_user())
    assert client.get("/integration/reports").status_code == 404
    assert client.get("/integration/reports.csv").status_code == 404


@pytest.mark.parametrize("make", [board_user, admin_user, counsellor_user])
def test_board_admin_counsellor_see_the_page(db, client, login_as, make):
    login_as(make())
    response = client.get("/integration/reports")
    assert response.status_code == 200
    assert 'role="img"' in response.get_data(as_text=True)


def test_page_and_csv_hold_no_individual_data(dataset, client, login_as):
    for p in dataset["a"] + dataset["c"]:
        p.team = "Garden"
        p.referrer = "Canary referrer"
        p.exit_note = "Canary exit note"
    pathways(2, date(2025, 3, 1), team="Repair")
    _db.session.flush()
    login_as(board_user())
    html = client.get(f"/integration/reports?year={YEAR}").get_data(as_text=True)
    body = client.get(f"/integration/reports.csv?year={YEAR}").get_data(as_text=True)
    for text in (html, body):
        assert CANARY_GIVEN not in text and CANARY_FAMILY not in text
        assert "Canary" not in text
        assert not re.search(r"/members/\d", text)  # no link to anybody's profile
    # The known figures are on the page, the small ones are not.
    assert "fewer than 5" in html
    assert "<title" in html and "<caption>" in html and 'scope="row"' in html
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["figure", "group", "value"]
    values = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert values[("entries", "")] == "7"
    assert values[("active_pathways", "")] == "18"
    assert values[("exits_by_outcome", "Long-term job")] == "6"
    assert values[("team_active_pathways", "Garden")] == "11"
    assert values[("team_active_pathways", "(other teams)")] == "<5"  # Repair (2)
    assert values[("team_active_pathways", "(no team)")] == "<5"  # B (5), else 18 - 11 - 5
    assert values[("entries_by_year", "2023")] == "<5"


def test_csv_is_formula_safe_and_audited(db, client, login_as):
    pathways(5, date(2025, 3, 1), team="=HYPERLINK(1)")
    login_as(board_user())
    before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    response = client.get(f"/integration/reports.csv?year={YEAR}&team=%3DHYPERLINK(1)")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "integration.export_reports")
    ).all()
    assert len(entries) == 1
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == before + 1


@pytest.mark.parametrize(
    "query",
    [
        "year=abc",
        "year=99999",
        "year=1800",
        "year=%C2%B2",
        "team=Nowhere",
        "year=&team=",
        "year=all",
    ],
)
def test_bad_filters_give_the_default(db, client, login_as, query):
    pathways(5, date(2025, 3, 1), team="Garden")
    login_as(counsellor_user())
    assert client.get(f"/integration/reports?{query}").status_code == 200
    assert client.get(f"/integration/reports.csv?{query}").status_code == 200


def test_page_for_one_team_links_its_csv(db, client, login_as):
    pathways(5, date(2025, 3, 1), team="Garden")
    pathways(5, date(2025, 3, 1), team="Kitchen")
    login_as(board_user())
    response = client.get(f"/integration/reports?year={YEAR}&team=Garden")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"/integration/reports.csv?year={YEAR}&amp;team=Garden" in html
    assert '<option value="Garden" selected>' in html
    assert "Figures by team" not in html  # one team: no breakdown


def test_a_team_hides_what_the_breakdown_hides(db):
    """Garden's own report cannot give away the small "Other teams" by subtraction."""
    pathways(6, date(2025, 3, 1), team="Garden")
    pathways(9, date(2025, 3, 1), team="Kitchen")
    pathways(3, date(2025, 3, 1), team="Repair")
    garden = reports.report(YEAR, "Garden")
    assert garden.active.suppressed and garden.entries.suppressed  # 18 - 9 - 6 = 3
    assert reports.report(YEAR, "Kitchen").active == Cell(9, 9)


# --- Differencing: a team's report next to the report for all teams --------------------------------


@pytest.fixture()
def garden_and_bakery(db):
    """The reviewer's case: in 2025 Garden has 5 exits and Bakery 1, all with a long-term job;
    the Bakery person stayed about 3 months, the Garden people about 10."""
    garden = pathways(
        5, date(2024, 9, 1), team="Garden", outcome_code="long_term_job", exit_on=date(2025, 7, 1)
    )
    bakery = pathways(
        1, date(2025, 1, 2), team="Bakery", outcome_code="long_term_job", exit_on=date(2025, 4, 1)
    )
    for p in garden + bakery:
        action(p, date(2025, 3, 3), 60)
    skill = Skill(area="Work", name="Kneading")
    db.session.add(skill)
    db.session.flush()
    for p in garden + bakery:
        assess(p, skill, date(2025, 1, 10), 1)
        assess(p, skill, date(2025, 3, 10), 2)
    meeting = make_meeting(starts_at=datetime(2025, 5, 6, 16, 0, tzinfo=UTC))
    for p in garden + bakery:
        db.session.add(Attendance(meeting_id=meeting.id, member_id=p.member_id, status="present"))
    db.session.flush()
    return garden, bakery


def _every_cell(r: reports.Report) -> list[tuple[str, Cell]]:
    cells = [(name, getattr(r, name)) for name in reports.MAIN_CELLS]
    cells += [(f"outcome {row.code}", row.exits) for row in r.outcomes]
    for row in r.series:
        cells += [(f"entries {row.year}", row.entries), (f"exits {row.year}", row.exits)]
    return cells


def test_a_team_cannot_be_subtracted_from_all_teams(garden_and_bakery):
    everyone = reports.report(YEAR, None)
    garden = reports.report(YEAR, "Garden")
    # All teams: 6 people, shown (the reviewer's figures).
    assert everyone.exits == Cell(6, 6)
    assert {row.code: row.exits for row in everyone.outcomes}["long_term_job"] == Cell(6, 6)
    assert everyone.average_months.shown
    # Garden: nothing that, taken from all teams' figure, leaves the Bakery person.
    outcomes = {row.code: row.exits for row in garden.outcomes}
    assert outcomes["long_term_job"].suppressed and outcomes["long_term_job"].value is None
    assert garden.average_months.suppressed and garden.average_months.value is None
    assert garden.positive_rate.suppressed and garden.positive_rate.value is None
    assert garden.exits.suppressed
    for name, cell in _every_cell(garden):
        whole = dict(_every_cell(everyone))[name]
        if cell.shown and whole.shown:  # only where the Bakery person is not in the figure
            assert (cell.value, cell.people) == (whole.value, whole.people), name
    # Bakery alone: one person, all hidden or zero.
    for name, cell in _every_cell(reports.report(YEAR, "Bakery")):
        assert cell.suppressed or not cell.value, name


def test_garden_and_bakery_are_not_offered(garden_and_bakery, client, login_as):
    assert reports.report_teams(YEAR) == []  # Garden: the rest is 1 person; Bakery: too small
    assert reports.report_teams() == []
    login_as(board_user())
    for team in ("Garden", "Bakery"):
        html = client.get(f"/integration/reports?year={YEAR}&team={team}").get_data(as_text=True)
        assert f'<option value="{team}"' not in html
        assert "Figures by team" in html  # refused: the report for all teams
        assert "cannot be shown for this period without revealing a small group" in html
        body = client.get(f"/integration/reports.csv?year={YEAR}&team={team}").get_data(
            as_text=True
        )
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        values = {(r[0], r[1]): r[2] for r in rows[1:]}
        assert values[("team", "")] == "all"
        assert values[("exits", "")] == "6"


def test_a_team_is_offered_and_shown_when_the_rest_is_large(garden_and_bakery, client, login_as):
    pathways(
        4, date(2025, 1, 2), team="Bakery", outcome_code="long_term_job", exit_on=date(2025, 4, 1)
    )
    assert reports.report_teams(YEAR) == ["Bakery", "Garden"]
    garden = reports.report(YEAR, "Garden")
    assert garden.exits == Cell(5, 5)
    assert {row.code: row.exits for row in garden.outcomes}["long_term_job"] == Cell(5, 5)
    assert garden.average_months.shown and garden.positive_rate.value == 1.0
    login_as(board_user())
    html = client.get(f"/integration/reports?year={YEAR}&team=Garden").get_data(as_text=True)
    assert '<option value="Garden" selected>' in html
    assert "without revealing a small group" not in html


def test_hidden_exits_hide_what_adds_up_to_them(db):
    """Garden's exits hidden by the breakdown by team: its outcome rows (which add up to them),
    positive-exit rate and average length are hidden too."""
    pathways(
        5, date(2024, 9, 1), team="Garden", outcome_code="long_term_job", exit_on=date(2025, 7, 1)
    )
    pathways(
        9, date(2024, 9, 1), team="Kitchen", outcome_code="job_seeking", exit_on=date(2025, 7, 1)
    )
    pathways(3, date(2024, 9, 1), team="Repair", outcome_code="training", exit_on=date(2025, 7, 1))
    everyone = reports.report(YEAR, None)
    rows = {row.key: row for row in everyone.teams}
    assert rows["Garden"].exits.suppressed  # else 17 - 9 - 3 = 5
    assert rows["Garden"].positive_rate.suppressed
    garden = reports.report(YEAR, "Garden")
    assert garden.exits.suppressed
    assert all(row.exits.suppressed for row in garden.outcomes)  # zeros too
    assert garden.positive_rate.suppressed and garden.average_months.suppressed
    this_year = {row.year: row for row in garden.series}[YEAR]
    assert this_year.exits.suppressed
    for t in everyone.teams:
        assert t.exits.shown or t.positive_rate.suppressed


def test_consistency_rule():
    def made(**cells):
        base = {name: Cell(10, 10) for name in reports.MAIN_CELLS}
        base["positive_rate"] = Cell(0.5, 10, kind="percent")
        base["outcomes"] = [
            reports.OutcomeRow("long_term_job", "Long-term job", True, Cell(5, 5)),
            reports.OutcomeRow("job_seeking", "Looking for a job", False, Cell(5, 5)),
            reports.OutcomeRow("training", "Training", True, Cell(0, 0)),
        ]
        base["series"] = [reports.YearRow(YEAR, Cell(10, 10), Cell(10, 10))]
        base.update(cells)
        return reports.Report(year=YEAR, team="Garden", **base)

    hidden = Cell(None, 10, True)
    r = reports._consistent(made(exits=hidden))
    assert all(row.exits.suppressed for row in r.outcomes)
    assert r.positive_rate.suppressed and r.average_months.suppressed
    assert r.series[0].exits.suppressed
    r = reports._consistent(made(positive_rate=Cell(None, 10, True, "percent")))
    assert [row.exits.suppressed for row in r.outcomes] == [True, True, False]
    two_jobs = [
        reports.OutcomeRow("long_term_job", "Long-term job", True, Cell(6, 6)),
        reports.OutcomeRow("training", "Training", True, Cell(None, 3, True)),
        reports.OutcomeRow("job_seeking", "Looking for a job", False, Cell(None, 2, True)),
        reports.OutcomeRow("unknown", "Unknown", False, Cell(9, 9)),
    ]
    r = reports._consistent(made(exits=Cell(20, 20), outcomes=two_jobs))
    # The rate tells the positive exits (9): training is not 9 - 6, job seeking not 11 - 9.
    assert [row.exits.suppressed for row in r.outcomes] == [True, True, True, True]
    r = reports._consistent(made(series=[reports.YearRow(YEAR, hidden, Cell(10, 10))]))
    assert r.entries.suppressed
    r = reports._consistent(made(skills_assessed=hidden, members=hidden, support_hours=hidden))
    assert r.skills_progress.suppressed and r.skills_gain.suppressed
    assert r.meeting_rate.suppressed and r.poll_rate.suppressed
    assert r.hours_per_pathway.suppressed
    assert reports._consistent(made()) == made()


# --- Differencing across years ---------------------------------------------------------------------


THIS_YEAR = reports.local_today().year


def _numbers(r: reports.Report) -> list[float]:
    """Every number shown on a report (its page and CSV), the year-by-year rows included."""
    cells = [cell for _name, cell in _every_cell(r)]
    for t in r.teams:
        cells += [getattr(t, name) for name in reports.TEAM_CELLS]
    return [c.value for c in cells if c.shown and c.value is not None]


def _reveals(target: float, *reports_: reports.Report) -> bool:
    """Whether `target` is a difference of two shown numbers of these reports, or is shown.

    Crude on purpose (any two figures, related or not): the datasets are chosen so that no
    unrelated figures differ by the target."""
    shown = [v for r in reports_ for v in _numbers(r)] + [0]
    return any(a - b == pytest.approx(target) for a in shown for b in shown)


def test_the_reviewers_case_across_years(db):
    """10 entries last year, 2 this year: no report gives the 2 back."""
    pathways(10, date(THIS_YEAR - 1, 3, 1))
    pathways(2, date(THIS_YEAR, 3, 1))
    this, last, every = (
        reports.report(THIS_YEAR, None),
        reports.report(THIS_YEAR - 1, None),
        reports.report(None, None),
    )
    assert this.entries.suppressed
    assert last.entries == Cell(10, 10)
    assert every.entries.suppressed and every.active.suppressed  # 12 - 10 = 2
    series = {row.year: row.entries for row in every.series}
    assert series[THIS_YEAR].suppressed and series[THIS_YEAR - 1] == Cell(10, 10)
    # Running pathways: 10 last year, 12 this year, nobody left, so 12 - 10 = 2 entered.
    assert this.active.suppressed or last.active.suppressed
    assert not _reveals(2, this, last, every)
    assert not _reveals(12, this, last, every)  # 12 - 10 = 2


def test_rates_and_averages_across_years(db):
    """Last year 10 left with a job; this year 2 left, not with a job (10 others are still
    there). The all-years positive-exit rate (10 of 12) and average length would give the 2
    away next to last year's."""
    entry = date(THIS_YEAR - 2, 9, 1)
    pathways(10, entry, outcome_code="long_term_job", exit_on=date(THIS_YEAR - 1, 3, 1))
    pathways(2, entry, outcome_code="job_seeking", exit_on=date(THIS_YEAR, 1, 2))
    pathways(10, date(THIS_YEAR - 1, 3, 1))
    last, this, every = (
        reports.report(THIS_YEAR - 1, None),
        reports.report(THIS_YEAR, None),
        reports.report(None, None),
    )
    assert last.positive_rate.value == 1.0 and last.average_months.shown
    assert this.exits.suppressed
    for cell in (every.exits, every.positive_rate, every.average_months):
        assert cell.suppressed and cell.value is None
    assert all(row.exits.suppressed or row.exits.value == 0 for row in every.outcomes)
    # Nothing about exits over all years that, next to last year's, leaves this year's 2.
    for name in ("exits", "positive_rate", "average_months"):
        assert getattr(every, name).value is None


def test_support_hours_across_years(db):
    made = pathways(6, date(THIS_YEAR - 1, 3, 1))
    for p in made:
        action(p, date(THIS_YEAR - 1, 4, 1), 60)
    action(made[0], date(THIS_YEAR, 4, 1), 600)  # one person this year
    _db.session.flush()
    every = reports.report(None, None)
    assert reports.report(THIS_YEAR - 1, None).support_hours.value == pytest.approx(6)
    assert every.support_hours.suppressed and every.hours_per_pathway.suppressed


def test_a_team_over_all_years(db):
    """Garden (10) and Kitchen (16) over two years; this year Garden had 2 entries. Garden's
    all-years figures, the all-teams breakdown over all years and each year's reports give
    nothing back about those 2."""
    pathways(8, date(THIS_YEAR - 1, 3, 1), team="Garden")
    pathways(2, date(THIS_YEAR, 3, 1), team="Garden")
    pathways(9, date(THIS_YEAR - 1, 3, 1), team="Kitchen")  # numbers chosen so that no two
    pathways(7, date(THIS_YEAR, 3, 1), team="Kitchen")  # unrelated figures differ by 2
    assert "Garden" in reports.report_teams(None)
    garden = reports.report(None, "Garden")
    every = reports.report(None, None)
    assert garden.entries.suppressed and garden.active.suppressed
    rows = {row.key: row for row in every.teams}
    assert rows["Garden"].entries.suppressed and rows["Garden"].active.suppressed
    this_garden_entries = {row.year: row.entries for row in garden.series}[THIS_YEAR]
    assert this_garden_entries.suppressed
    year_reports = [reports.report(y, None) for y in (THIS_YEAR, THIS_YEAR - 1)]
    year_reports += [
        reports.report(y, t) for y in (THIS_YEAR, THIS_YEAR - 1) for t in reports.report_teams(y)
    ]
    assert not _reveals(2, garden, every, *year_reports)


def test_all_years_page_never_shows_a_total_with_a_hidden_year(db, client, login_as):
    pathways(10, date(THIS_YEAR - 1, 3, 1))
    pathways(2, date(THIS_YEAR, 3, 1))
    login_as(board_user())
    body = client.get("/integration/reports.csv?year=all").get_data(as_text=True)
    values = {(r[0], r[1]): r[2] for r in csv.reader(io.StringIO(body.lstrip("\ufeff")))}
    assert values[("entries_by_year", str(THIS_YEAR))] == "<5"
    assert values[("entries_by_year", str(THIS_YEAR - 1))] == "10"
    assert values[("entries", "")] == "<5" and values[("active_pathways", "")] == "<5"
    assert "12" not in {v for (_f, _g), v in values.items()}


def test_all_years_consistency(db):
    """Every all-years figure is shown only when the same figure is shown for every year."""
    pathways(
        7,
        date(THIS_YEAR - 2, 3, 1),
        outcome_code="long_term_job",
        exit_on=date(THIS_YEAR - 1, 5, 1),
    )
    pathways(3, date(THIS_YEAR - 1, 3, 1), outcome_code="training", exit_on=date(THIS_YEAR, 5, 1))
    pathways(6, date(THIS_YEAR, 3, 1))
    every = reports.report(None, None)
    years = {y: reports.report(y, None) for y in range(THIS_YEAR - 2, THIS_YEAR + 1)}
    for name in reports.YEARLY_CELLS:
        if getattr(every, name).shown:
            assert all(getattr(r, name).shown for r in years.values()), name
    for row in every.outcomes:
        if row.exits.shown and row.exits.value:
            for r in years.values():
                assert {o.code: o.exits for o in r.outcomes}[row.code].shown, row.code
    assert every.exits.suppressed  # 3 training exits this year
    for row in every.series:
        if row.year in years:
            assert row.entries.suppressed == years[row.year].entries.suppressed
            assert row.exits.suppressed == years[row.year].exits.suppressed
