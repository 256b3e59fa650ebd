"""The decisions register: numbers per body and year with their prefix, concurrent recordings
(both databases), the list's filters, the CSV export, and who may record the follow-up."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.meetings import decisions as services
from portal.meetings.models import Decision
from portal.members.models import Body
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import (
    board_body,
    board_user,
    factory_board,
    general_assembly,
    member_user,
    member_with_login,
)
from tests.live import live_database
from tests.voting.test_concurrency import run_threads


def login(client, user):
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    return client


def record(body, title="Buy a second van", day=date(2026, 3, 14), **kwargs):
    return services.record_decision(
        factory_board(), body, title, kwargs.pop("text", ""), day, **kwargs
    )


def committee() -> Body:
    body = Body(kind="committee", name="Garden committee")
    db.session.add(body)
    db.session.flush()
    return body


# --- Numbers ----------------------------------------------------------------------------------


def test_numbers_follow_each_other_per_body_and_year(db):
    ga, board = general_assembly(), board_body()
    ga.code = board.code = None
    refs = [record(ga).reference for _ in range(3)]
    assert refs == ["GA-2026-01", "GA-2026-02", "GA-2026-03"]
    assert record(board).reference == "BD-2026-01"
    assert record(ga, day=date(2027, 1, 5)).reference == "GA-2027-01"
    assert record(ga).reference == "GA-2026-04"


def test_the_prefix_comes_from_the_body_code_or_its_kind(db):
    body = committee()
    assert record(body).reference == f"C{body.id}-2026-01"
    body.code = "gc"
    assert record(body).reference == "GC-2026-02"
    wc = Body(kind="workers_council")
    db.session.add(wc)
    db.session.flush()
    assert services.prefix_of(wc) == "WC"


def test_the_database_refuses_a_second_decision_with_the_same_number(db):
    first = record(board_body())
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(
            Decision(
                body_id=first.body_id,
                year=first.year,
                number=first.number,
                reference="X-1",
                title="Twin",
                decided_on=first.decided_on,
            )
        )
        db.session.flush()


def test_a_number_taken_meanwhile_is_skipped_in_a_savepoint(db, monkeypatch):
    """The first attempt collides (as when another recording committed the number first); the
    retry takes the next one and the transaction goes on."""
    body = board_body()
    taken = record(body)
    real = services._next_number
    calls = []

    def stale(body_, year):
        calls.append(year)
        return taken.number if len(calls) == 1 else real(body_, year)

    monkeypatch.setattr(services, "_next_number", stale)
    again = record(body, title="Second")
    assert len(calls) == 2
    assert again.number == taken.number + 1
    assert db.session.get(Decision, taken.id).title == "Buy a second van"


def test_a_poll_is_registered_once_and_a_title_is_needed(db):
    from tests.factories_voting import make_poll

    poll = make_poll(board_body())
    record(board_body(), poll=poll)
    with pytest.raises(DomainError):
        record(board_body(), title="Again", poll=poll)
    with pytest.raises(DomainError):
        record(board_body(), title="  ")


def _record_in_own_session(app, body_id: int, index: int):
    with app.app_context():
        try:
            body = db.session.get(Body, body_id)
            decision = services.record_decision(
                None, body, f"Decision {index}", "", date(2026, 6, 1)
            )
            db.session.commit()
            return decision.number
        finally:
            db.session.remove()


def test_ten_concurrent_recordings_get_ten_consecutive_numbers(tmp_path):
    with live_database("decision_race", tmp_path) as (_url, app):
        with app.app_context():
            body_id = board_body().id
            db.session.remove()
        outcome = run_threads(lambda i: _record_in_own_session(app, body_id, i), 10)
        assert sorted(outcome.values()) == list(range(1, 11)), outcome
        with app.app_context():
            refs = db.session.scalars(sa.select(Decision.reference).order_by(Decision.number)).all()
            db.session.remove()
        assert len(set(refs)) == 10 and refs[-1].endswith("-2026-10")


# --- The register over HTTP -------------------------------------------------------------------


def test_the_register_is_for_logged_in_members(app, client, db):
    decision = record(board_body())
    assert client.get("/meetings/decisions/").status_code == 302
    assert client.get(f"/meetings/decisions/{decision.id}").status_code == 302
    login(client, member_user())
    page = client.get(f"/meetings/decisions/{decision.id}").get_data(as_text=True)
    assert decision.reference in page
    assert "Change the follow-up" not in page
    assert client.get("/meetings/decisions/999999").status_code == 404


def test_filters_by_body_year_status_and_text(app, client, db):
    ga, board = general_assembly(), board_body()
    van = record(ga, "Buy a second van", text="For the cleaning team")
    bikes = record(board, "Cargo bikes", day=date(2025, 5, 2))
    done = record(board, "Paint the workshop 100% green")
    done.follow_status = "done"
    db.session.flush()
    login(client, member_user())

    def titles(**args):
        html = client.get("/meetings/decisions/", query_string=args).get_data(as_text=True)
        return [d.title for d in (van, bikes, done) if d.reference in html]

    assert titles() == ["Buy a second van", "Cargo bikes", "Paint the workshop 100% green"]
    assert titles(body=ga.id) == ["Buy a second van"]
    assert titles(year=2025) == ["Cargo bikes"]
    assert titles(status="done") == ["Paint the workshop 100% green"]
    assert titles(q="CLEANING") == ["Buy a second van"]
    assert titles(q="100%") == ["Paint the workshop 100% green"]
    assert titles(q="%") == ["Paint the workshop 100% green"]  # a literal %, not "anything"
    assert titles(body="x", year="²", status="nonsense") == titles()
    html = client.get("/meetings/decisions/").get_data(as_text=True)
    assert html.index(done.reference) < html.index(bikes.reference)  # newest first


def test_csv_export_is_formula_safe_and_filtered(app, client, db):
    record(board_body(), '=HYPERLINK("http://evil")', text="+1 more")
    record(general_assembly(), "Plain title")
    login(client, member_user())
    response = client.get("/meetings/decisions/export.csv", query_string={"body": board_body().id})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "reference"
    assert len(rows) == 2
    assert rows[1][3] == '\'=HYPERLINK("http://evil")' and rows[1][4] == "'+1 more"


def test_only_the_board_records_the_follow_up_and_it_is_audited(app, client, db):
    decision = record(board_body())
    responsible = member_with_login(given="Rosa")
    url = f"/meetings/decisions/{decision.id}/follow-up"
    due = (local_today() + timedelta(days=10)).isoformat()
    data = {
        "status": "in_progress",
        "responsible": str(responsible.id),
        "due": due,
        "note": "Quotes asked.",
    }

    login(client, member_user())
    response = client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})
    assert response.status_code == 403
    with pytest.raises(NotAllowed):
        services.update_follow_up(member_user(), decision, "done", None, None)

    board_client = login(app.test_client(), board_user())
    page = board_client.get(f"/meetings/decisions/{decision.id}").get_data(as_text=True)
    assert "Change the follow-up" in page
    past = {**data, "due": "2000-01-01"}
    response = board_client.post(url, data={"csrf_token": csrf_token(board_client, "/"), **past})
    assert response.status_code == 422
    assert "The due date cannot be in the past." in response.get_data(as_text=True)
    response = board_client.post(url, data={"csrf_token": csrf_token(board_client, "/"), **data})
    assert response.status_code == 303
    db.session.expire_all()
    decision = db.session.get(Decision, decision.id)
    assert (decision.follow_status, decision.follow_responsible_id) == (
        "in_progress",
        responsible.id,
    )
    assert decision.follow_note == "Quotes asked."
    entry = db.session.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "decision.follow_up")
        .order_by(AuditEntry.id.desc())
    )
    assert entry is not None and entry.object_key == f"decision:{decision.id}"


def test_decisions_of_unpublished_minutes_are_for_the_board_only(app, client, db):
    from portal.meetings import minutes as minutes_services
    from tests.meetings.test_minutes import closed_poll, held_meeting

    board = factory_board()
    minutes = minutes_services.start_minutes(board, held_meeting())
    section = minutes_services.sections_in_order(minutes)[0]
    minutes_services.save_section(board, section, 1, "", "Sell the old van quietly")
    minutes_services.submit_minutes(board, minutes)
    minutes_services.approve_minutes(board, minutes, poll=closed_poll(f"minutes:{minutes.id}"))
    minuted = db.session.scalar(sa.select(Decision).where(Decision.minutes_id == minutes.id))
    assert minuted is not None
    on_its_own = record(board_body(), "Paint the workshop", text="Green")  # an adopted poll
    db.session.flush()
    member = login(app.test_client(), member_user())
    chair = login(app.test_client(), board_user())

    def sees(client) -> bool:
        listed = client.get("/meetings/decisions/").get_data(as_text=True)
        exported = client.get("/meetings/decisions/export.csv").get_data(as_text=True)
        page = client.get(f"/meetings/decisions/{minuted.id}")
        assert "Paint the workshop" in listed and "Paint the workshop" in exported
        shown = "Sell the old van quietly" in exported, minuted.reference in listed
        assert shown == (page.status_code == 200,) * 2
        assert page.status_code in (200, 404)
        return page.status_code == 200

    assert client_page_ok(member, on_its_own)
    assert not sees(member)
    assert sees(chair)
    minutes_services.publish_minutes(board, minutes, public=False)
    db.session.flush()
    assert sees(member)


def client_page_ok(client, decision) -> bool:
    return client.get(f"/meetings/decisions/{decision.id}").status_code == 200
