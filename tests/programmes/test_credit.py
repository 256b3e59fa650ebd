"""Credit to the pathway: hours attended per kind in the record and in My pathway (journaled
like the rest of the record), the programmes' part of the data export, the report's rate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from portal.core.db import utcnow
from portal.core.registries import REPORT_RATES
from portal.extensions import db
from portal.integration.export import member_export
from portal.integration.models import RecordRead
from portal.integration.participation import participation
from portal.programmes.models import Apology, FeedbackAnswer, FeedbackGiven
from tests.factories_integration import assign, make_pathway
from tests.factories_members import counsellor_user, member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark


def _story():
    trainer = trainer_user()
    citizenship = make_programme(trainer, kind="citizenship", starts_on=date(2026, 3, 2))
    training = make_programme(trainer, kind="training", starts_on=date(2026, 3, 2))
    ada = member_with_login(given="Ada")
    enrol(citizenship, ada)
    enrol(training, ada)
    first = make_session(citizenship, day=date(2026, 3, 9), slots=(MORNING, AFTERNOON))
    mark(first.slots[0], ada, "present", signed=True)  # 3 h
    mark(first.slots[1], ada, "late", minutes=150)  # 2 h 30
    second = make_session(citizenship, day=date(2026, 11, 30), topic="Budget")
    mark(second.slots[0], ada, "present")  # 3 h
    third = make_session(citizenship, day=date(2026, 12, 1))
    mark(third.slots[0], ada, "present")
    third.cancelled_at = utcnow()  # never counts
    knives = make_session(training, day=date(2026, 10, 5), topic="Knives")
    mark(knives.slots[0], ada, "absent")
    food = make_session(training, day=date(2026, 10, 12), topic="Food")
    mark(food.slots[0], ada, "left_early", minutes=45)
    db.session.add(Apology(session_id=knives.id, member_id=ada.id, reason="transport"))
    db.session.add(FeedbackGiven(session_id=second.id, member_id=ada.id))
    db.session.add(FeedbackAnswer(session_id=second.id, mood="good", sentence="Secret words"))
    db.session.flush()
    pathway = make_pathway(ada, entry_on=date(2026, 3, 2))
    return ada, pathway, (first, second, knives, food)


def test_the_participation_source_gives_hours_per_kind(story_day, db, app):
    ada, _pathway, _sessions = _story()
    with app.test_request_context("/"):
        entry = participation(ada, date(2026, 3, 2))["programmes"]
        assert entry.count == 3  # sessions attended: two of citizenship, one of training
        assert [str(item) for item in entry.items] == [
            "45 min of professional training sessions",
            "8 h 30 of citizenship sessions",
        ]
        later = participation(ada, date(2026, 11, 1))["programmes"]
        assert later.count == 1 and [str(i) for i in later.items] == ["3 h of citizenship sessions"]


def test_my_pathway_and_the_record_show_the_hours_and_the_read_is_journaled(
    story_day, db, client, login_as
):
    ada, pathway, _sessions = _story()
    counsellor = counsellor_user()
    assign(pathway, counsellor)
    login_as(ada.user)
    mine = client.get("/integration/mine").get_data(as_text=True)
    assert "Programme sessions attended" in mine
    assert "8 h 30 of citizenship sessions" in mine
    assert "From March 2, 2026 to today." in mine
    client.post("/logout", data={"csrf_token": _token(client)})
    login_as(counsellor)
    html = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    assert "8 h 30 of citizenship sessions" in html
    # The section is part of the record page: its read is in the journal, by the counsellor.
    reads = db.session.scalars(
        sa.select(RecordRead).where(
            RecordRead.pathway_id == pathway.id, RecordRead.user_id == counsellor.id
        )
    ).all()
    assert [(r.kind, r.outcome) for r in reads] == [("page", "allowed")]


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def test_the_export_holds_attendance_without_signatures_nor_opinions(story_day, db, app):
    ada, _pathway, (_first, second, _knives, _food) = _story()
    with app.test_request_context("/"):
        data = member_export(ada)
    rows = data["programme_attendance"]
    assert len(rows) == 6
    signed = next(r for r in rows if r["session_on"] == "2026-03-09" and r["half_day"] == "morning")
    assert signed["signed"] is True and signed["session_status"] == "present"
    assert all("signature" not in key or key == "signature_removed_on" for r in rows for key in r)
    assert [e["programme_kind"] for e in data["programme_enrolments"]] == [
        "citizenship",
        "training",
    ]
    assert data["programme_apologies"][0]["apology_reason"] == "transport"
    assert data["programme_opinions_given"] == [
        {"programme": second.programme.title, "session_on": "2026-11-30", "topic": "Budget"}
    ]
    assert "Secret words" not in str(data) and "good" not in str(data["programme_opinions_given"])


def test_the_report_rate_counts_members_in_the_room(story_day, db):
    ada, _pathway, _sessions = _story()
    bob = member_with_login(given="Bob")
    rate = next(r for r in REPORT_RATES if r.name == "session_rate")
    since = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)  # 2026 in Paris
    until = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    found = set(db.session.scalars(rate.took_part(since, until)))
    assert ada.id in found and bob.id not in found
    earlier = set(
        db.session.scalars(
            rate.took_part(
                datetime(2024, 12, 31, 23, tzinfo=UTC), datetime(2025, 12, 31, 23, tzinfo=UTC)
            )
        )
    )
    assert ada.id not in earlier
