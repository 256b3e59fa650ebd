"""Programme reports for boards and funders: the figures on a fixed-date story (2026, under
`story_day`), small groups and filters protected, the CSV and PDF, hours per person audited,
who may read them, bad input, and a fixed number of statements."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.programmes import reports
from portal.programmes.reports import Filters
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    make_member,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark

YEAR = 2026


def people(n: int, team: str, given: str = "Person"):
    return [make_member(given=f"{given}{i}", family=f"{team}fam", team=team) for i in range(n)]


def citizenship_and_training(db):
    """A: citizenship, funded by FSE, 12 planned hours, 6 people of Garden: December 2025 (all,
    3 h), March 2026 (all, 3 h), April 2026 (5 of them, 3 h), May 2026 cancelled.
    B: professional training, no funder, no planned hours, 5 people of Kitchen: March 2026,
    a whole day (6 h each)."""
    trainer = trainer_user()
    a = make_programme(
        trainer,
        kind="citizenship",
        title="Citizens",
        funder="FSE",
        planned_hours=Decimal("12"),
        starts_on=date(2025, 12, 1),
        ends_on=date(2026, 6, 30),
    )
    garden = people(6, "Garden", "Gardener")
    for m in garden:
        enrol(a, m)
    for day, present in (
        (date(2025, 12, 9), garden),
        (date(2026, 3, 10), garden),
        (date(2026, 4, 14), garden[:5]),
    ):
        session = make_session(a, day=day)
        for m in garden:
            mark(session.slots[0], m, "present" if m in present else "absent")
    cancelled = make_session(a, day=date(2026, 5, 5))
    for m in garden:
        mark(cancelled.slots[0], m, "present")
    cancelled.cancelled_at = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    b = make_programme(
        trainer,
        kind="training",
        title="Kitchen trade",
        planned_hours=None,
        starts_on=date(2026, 3, 1),
    )
    kitchen = people(5, "Kitchen", "Cook")
    for m in kitchen:
        enrol(b, m)
    day = make_session(b, day=date(2026, 3, 12), slots=[MORNING, AFTERNOON])
    for slot in day.slots:
        for m in kitchen:
            mark(slot, m, "present")
    db.session.flush()
    return a, b, garden, kitchen


def cell_value(cell):
    assert cell.shown, cell
    return cell.value


def test_figures_by_kind_month_team_funder_and_programme(story_day, db):
    a, b, _garden, _kitchen = citizenship_and_training(db)
    r = reports.report(Filters(YEAR))
    kinds = {row.kind: row for row in r.kinds}
    citizenship, training = kinds["citizenship"], kinds["training"]
    assert cell_value(citizenship.months[2]) == 18 and citizenship.months[2].people == 6
    assert cell_value(citizenship.months[3]) == 15 and citizenship.months[3].people == 5
    assert cell_value(citizenship.months[4]) == 0  # May: the session was cancelled
    assert cell_value(citizenship.total) == 33 and citizenship.total.people == 6
    assert cell_value(training.months[2]) == 30 and training.total.people == 5
    assert cell_value(r.month_totals[2]) == 48 and r.month_totals[2].people == 11
    assert cell_value(r.total) == 63 and r.total.people == 11
    assert {row.key: cell_value(row.hours) for row in r.teams} == {"Garden": 33, "Kitchen": 30}
    assert {row.key: cell_value(row.hours) for row in r.funders} == {"FSE": 33, "": 30}
    assert [row.key for row in r.funders] == ["FSE", ""]  # "No funder" last
    programmes = {row.programme_id: row for row in r.programmes}
    # A in 2026: 18 + 15 hours, 6 participants of 12 planned hours (December 2025 is 2025's).
    assert cell_value(programmes[a.id].hours) == 33
    assert cell_value(programmes[a.id].participants) == 6
    assert cell_value(programmes[a.id].completion) == pytest.approx(33 / 72)
    assert cell_value(programmes[b.id].hours) == 30
    assert programmes[b.id].completion.shown and programmes[b.id].completion.value is None


def test_the_previous_year_has_only_december(story_day, db):
    citizenship_and_training(db)
    r = reports.report(Filters(2025))
    citizenship = next(row for row in r.kinds if row.kind == "citizenship")
    assert cell_value(citizenship.months[11]) == 18
    assert cell_value(r.total) == 18
    (a,) = r.programmes  # B starts in 2026
    assert cell_value(a.hours) == 18 and cell_value(a.completion) == pytest.approx(18 / 72)


def test_a_filter_keeps_its_rows(story_day, db):
    citizenship_and_training(db)
    r = reports.report(Filters(YEAR, kind="training"))
    assert cell_value(r.total) == 30
    assert [row.key for row in r.teams] == ["Kitchen"]
    assert [p.title for p in r.programmes] == ["Kitchen trade"]
    r = reports.report(Filters(YEAR, funder=reports.NO_FUNDER))
    assert cell_value(r.total) == 30
    r = reports.report(Filters(YEAR, team="Garden"))
    assert cell_value(r.total) == 33


def test_small_groups_are_hidden_and_cannot_be_subtracted(story_day, db):
    """Two cooks only: their figures say "fewer than 5"; the citizens' March and year are
    hidden too (else March's total, or the year's, minus the citizens' would give the cooks');
    the year's total of everyone stays."""
    trainer = trainer_user()
    a = make_programme(trainer, kind="citizenship", funder="FSE", starts_on=date(2026, 3, 1))
    garden = people(6, "Garden")
    for m in garden:
        enrol(a, m)
    for day, present in ((date(2026, 3, 10), garden), (date(2026, 4, 14), garden[:5])):
        session = make_session(a, day=day)
        for m in present:
            mark(session.slots[0], m, "present")
    b = make_programme(trainer, kind="training", starts_on=date(2026, 3, 1))
    cooks = people(2, "Kitchen")
    for m in cooks:
        enrol(b, m)
    session = make_session(b, day=date(2026, 3, 12))
    for m in cooks:
        mark(session.slots[0], m, "present")
    r = reports.report(Filters(YEAR))
    kinds = {row.kind: row for row in r.kinds}
    assert kinds["training"].months[2].suppressed and kinds["training"].total.suppressed
    assert kinds["citizenship"].months[2].suppressed  # March's total minus it: the cooks
    assert cell_value(kinds["citizenship"].months[3]) == 15  # April: 5 people, alone
    assert kinds["citizenship"].total.suppressed  # the year's total minus it: the cooks
    assert cell_value(r.total) == 15 + 18 + 6
    assert all(row.hours.suppressed for row in r.teams)
    assert all(row.hours.suppressed for row in r.funders)
    # In no sum shown is exactly one figure hidden.
    for row in r.kinds:
        assert sum(c.suppressed for c in [*row.months, row.total]) != 1
    programmes = {row.programme_id: row for row in r.programmes}
    assert programmes[b.id].participants.suppressed and programmes[b.id].hours.suppressed
    assert programmes[b.id].completion.suppressed
    # A's hours in the year are the citizens' year (its only programme): hidden with it.
    assert programmes[a.id].hours.suppressed and programmes[a.id].participants.suppressed


def test_a_team_filter_hides_what_the_rest_would_tell(story_day, db):
    """Six Garden people and two of Repair in the same sessions: the report for Garden would be
    the report for all teams minus the two of Repair, so its figures are hidden."""
    trainer = trainer_user()
    a = make_programme(trainer, kind="citizenship", starts_on=date(2026, 3, 1))
    group = people(6, "Garden") + people(2, "Repair")
    for m in group:
        enrol(a, m)
    session = make_session(a, day=date(2026, 3, 10))
    for m in group:
        mark(session.slots[0], m, "present")
    whole = reports.report(Filters(YEAR))
    assert cell_value(whole.total) == 24
    garden = reports.report(Filters(YEAR, team="Garden"))
    assert garden.total.suppressed
    assert next(r for r in garden.kinds if r.kind == "citizenship").months[2].suppressed
    assert next(p for p in garden.programmes).hours.suppressed


def test_hours_per_person(story_day, db):
    citizenship_and_training(db)
    found = {p.name: p for p in reports.hours_per_person(Filters(YEAR))}
    assert found["Gardener0 Gardenfam"].minutes_by_kind == {"citizenship": 360}
    assert found["Gardener5 Gardenfam"].hours() == 3.0  # absent in April
    assert found["Cook0 Kitchenfam"].hours("training") == 6.0
    assert len(found) == 11


def test_statement_count_does_not_grow(story_day, db):
    trainer = trainer_user()
    a = make_programme(trainer, kind="citizenship", funder="FSE", starts_on=date(2026, 1, 1))
    group = people(6, "Garden")
    for m in group:
        enrol(a, m)

    def grow(days: list[date]) -> None:
        for day in days:
            session = make_session(a, day=day)
            for m in group:
                mark(session.slots[0], m, "present")
        db.session.flush()

    def statements() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
        try:
            reports.report(Filters(YEAR))
            reports.report(Filters(YEAR, kind="citizenship", team="Garden", funder="FSE"))
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
        return len(seen)

    grow([date(2026, 2, 2)])
    small = statements()
    grow([date(2026, m, d) for m in range(3, 12) for d in (3, 17)])
    assert statements() == small
    assert small <= 20


# --- The pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["board", "counsellor", "admin"])
def test_readers_see_the_page(story_day, db, client, login_as, who):
    citizenship_and_training(db)
    login_as({"board": board_user, "counsellor": counsellor_user, "admin": admin_user}[who]())
    response = client.get(f"/programmes/reports?year={YEAR}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Citizens" in html and "Kitchen trade" in html
    assert "Gardener0" not in html  # no names on the aggregated page


@pytest.mark.parametrize("who", ["trainer", "member"])
def test_others_are_refused(story_day, db, client, login_as, who):
    user = trainer_user() if who == "trainer" else member_with_login().user
    login_as(user)
    for path in (
        "/programmes/reports",
        "/programmes/reports.csv?table=kind",
        "/programmes/reports.pdf",
        "/programmes/reports/people",
        "/programmes/reports.csv?table=people",
    ):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize(
    "query",
    ["year=abcd", "year=99999", "year=1850", "kind=cooking", "team=Nowhere", "funder=Nobody"],
)
def test_bad_filters_are_said_not_a_500(story_day, db, client, login_as, query):
    citizenship_and_training(db)
    login_as(board_user())
    for path in ("/programmes/reports", "/programmes/reports.csv", "/programmes/reports.pdf"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, path
        assert 'class="field-error" role="alert"' in response.get_data(as_text=True)


def test_an_unknown_table_is_said(story_day, db, client, login_as):
    login_as(board_user())
    response = client.get("/programmes/reports.csv?table=secrets")
    assert response.status_code == 422
    assert "This table is not known" in response.get_data(as_text=True)


def _csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_tables(story_day, db, client, login_as):
    citizenship_and_training(db)
    login_as(counsellor_user())
    response = client.get(f"/programmes/reports.csv?table=kind&year={YEAR}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0] == ["kind", "month", "hours", "people"]
    assert ["citizenship", "3", "18.0", "6"] in rows
    assert ["all", "year", "63.0", "11"] in rows
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "programmes.export_reports" and "kind" in entry.summary
    rows = _csv(client.get(f"/programmes/reports.csv?table=funder&year={YEAR}"))
    assert ["FSE", "33.0", "6"] in rows and ["(no funder)", "30.0", "5"] in rows
    rows = _csv(client.get(f"/programmes/reports.csv?table=programme&year={YEAR}"))
    assert ["Citizens", "citizenship", "FSE", "running", "12.0", "6", "33.0", "45.8"] in rows
    assert ["Kitchen trade", "training", "", "running", "", "5", "30.0", ""] in rows
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    rows = _csv(client.get(f"/programmes/reports.csv?table=people&year={YEAR}&team=Kitchen"))
    assert rows[0][:3] == ["member_number", "name", "team"]
    assert len(rows) == 6 and rows[1][1].startswith("Cook")
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "programmes.hours_per_person"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before + 1


def test_small_groups_in_the_csv(story_day, db, client, login_as):
    trainer = trainer_user()
    b = make_programme(trainer, kind="training", starts_on=date(2026, 3, 1))
    for m in people(2, "Kitchen"):
        enrol(b, m)
        session = make_session(b, day=date(2026, 3, 12))
        mark(session.slots[0], m, "present")
    login_as(board_user())
    rows = _csv(client.get(f"/programmes/reports.csv?table=kind&year={YEAR}"))
    assert ["training", "3", "<5", "<5"] in rows


def test_hours_per_person_page_is_audited(story_day, db, client, login_as):
    citizenship_and_training(db)
    board = board_user()
    login_as(board)
    response = client.get(f"/programmes/reports/people?year={YEAR}")
    assert response.status_code == 200
    assert "Gardener0 Gardenfam" in response.get_data(as_text=True)
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "programmes.hours_per_person" and entry.actor_id == board.id


def test_pdf(story_day, db, client, login_as):
    from pypdf import PdfReader

    citizenship_and_training(db)
    login_as(board_user())
    response = client.get(f"/programmes/reports.pdf?year={YEAR}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.data.startswith(b"%PDF")
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "programmes.export_reports"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Kitchen trade" in text and "FSE" in text
    assert "Gardener0" not in text


def test_the_integration_reports_link_to_the_programme_reports(story_day, db, client, login_as):
    login_as(board_user())
    html = client.get("/integration/reports").get_data(as_text=True)
    assert "/programmes/reports" in html


def test_the_pages_statements_do_not_grow(story_day, db, client, login_as):
    trainer = trainer_user()
    a = make_programme(trainer, kind="citizenship", funder="FSE", starts_on=date(2026, 1, 1))
    group = people(6, "Garden")
    for m in group:
        enrol(a, m)

    def grow(days: list[date]) -> None:
        for day in days:
            session = make_session(a, day=day)
            for m in group:
                mark(session.slots[0], m, "present")
        db.session.flush()

    def statements(path: str) -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
        return len(seen)

    login_as(board_user())
    paths = [f"/programmes/reports?year={YEAR}", f"/programmes/reports/people?year={YEAR}"]
    grow([date(2026, 2, 2)])
    small = [statements(p) for p in paths]
    grow([date(2026, m, d) for m in range(3, 12) for d in (3, 17)])
    assert [statements(p) for p in paths] == small
