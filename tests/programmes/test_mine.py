"""My sessions: the member's next sessions ("I can't come"), what they attended, their hours;
their own attendance only; a fixed number of statements whatever the number of sessions."""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from portal.core.db import utcnow
from portal.extensions import db
from portal.programmes.hours import format_minutes, member_summary, minutes_by_kind
from portal.programmes.models import Apology
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories_members import make_member, member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark
from tests.test_query_counts import count_statements

DAY = date(2026, 12, 6)  # STORY_DAY, a Sunday; 10:00 in Paris


def _story():
    trainer = trainer_user()
    citizenship = make_programme(trainer, kind="citizenship", starts_on=date(2026, 3, 2))
    training = make_programme(trainer, kind="training", starts_on=date(2026, 3, 2))
    ada, bob = member_with_login(given="Ada"), member_with_login(given="Bob")
    for programme in (citizenship, training):
        enrol(programme, ada)
        enrol(programme, bob)
    past = make_session(
        citizenship, day=date(2026, 11, 30), slots=(MORNING, AFTERNOON), topic="Voting"
    )
    mark(past.slots[0], ada, "present")  # 180 minutes
    mark(past.slots[1], ada, "late", minutes=150)
    mark(past.slots[0], bob, "absent")
    mark(past.slots[1], bob, "present")
    older = make_session(training, day=date(2026, 11, 23), topic="Knives")
    mark(older.slots[0], ada, "left_early", minutes=90)
    cancelled = make_session(citizenship, day=date(2026, 11, 16), topic="Cancelled one")
    mark(cancelled.slots[0], ada, "present")
    cancelled.cancelled_at = utcnow()
    nxt = make_session(citizenship, day=date(2026, 12, 9), topic="Budget", place="Room 2")
    return trainer, citizenship, training, ada, bob, past, older, nxt


def test_minutes_by_kind_count_the_room_and_never_a_cancelled_session(story_day, db):
    _trainer, _c, _t, ada, bob, *_ = _story()
    assert minutes_by_kind(ada.id) == {"citizenship": 330, "training": 90}
    assert minutes_by_kind(bob.id) == {"citizenship": 180}
    assert minutes_by_kind(ada.id, since=date(2026, 11, 24)) == {"citizenship": 330}
    assert minutes_by_kind(ada.id, until=date(2026, 11, 23)) == {"training": 90}


def test_hours_are_written_in_the_viewers_language(app):
    with app.test_request_context("/"):
        assert format_minutes(750) == "12 h 30"
        assert format_minutes(180) == "3 h"
        assert format_minutes(45) == "45 min"
        assert format_minutes(0) == "0 min"
        with force_locale("en"):
            assert format_minutes(60 * 1234) == "1,234 h"


def test_my_sessions_page(story_day, db, client, login_as):
    _trainer, _c, _t, ada, _bob, past, older, _nxt = _story()
    login_as(ada.user)
    html = client.get("/programmes/mine").get_data(as_text=True)
    assert "Budget" in html and "Room 2" in html and "I can't come" in html
    assert "Voting" in html and "Knives" in html
    assert "Cancelled one" not in html
    assert "Late" in html and "Left early" in html
    assert "5 h 30" in html and "1 h 30" in html and "7 h" in html  # per kind, in all
    # Feedback is offered for the session of six days ago, not for the one of thirteen.
    assert f"/programmes/sessions/{past.id}/feedback" in html
    assert f"/programmes/sessions/{older.id}/feedback" not in html
    # The menu leads there.
    assert 'href="/programmes/mine"' in client.get("/").get_data(as_text=True)


def test_members_see_their_own_attendance_only(story_day, db, client, login_as):
    _trainer, _c, _t, _ada, bob, past, *_ = _story()
    summary = member_summary(bob.id)
    line = next(line for line in summary.past if line.session.id == past.id)
    assert [s.status for s in line.slots] == ["absent", "present"]
    login_as(bob.user)
    html = client.get("/programmes/mine").get_data(as_text=True)
    assert "Ada" not in html
    assert "Not marked" in html  # enrolled in the training session, not marked there
    assert "3 h" in html and "5 h 30" not in html


def test_someone_not_in_the_register(story_day, db, client, login_as):
    login_as(trainer_user())
    response = client.get("/programmes/mine")
    assert response.status_code == 200
    assert "You are not in the register" in response.get_data(as_text=True)
    assert 'href="/programmes/mine"' not in client.get("/").get_data(as_text=True)


def test_i_cant_come_and_i_can_come_after_all(story_day, db, client, login_as):
    _trainer, _c, _t, ada, _bob, _past, _older, nxt = _story()
    login_as(ada.user)
    token = csrf_token(client, "/")
    url = f"/programmes/sessions/{nxt.id}/apologise"
    refused = client.post(url, data={"csrf_token": token, "reason": "holiday"})
    assert refused.status_code == 422
    assert "Choose the reason in the list." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Apology.id))) == 0

    done = client.post(url, data={"csrf_token": token, "reason": "childcare"})
    assert done.status_code == 303
    apology = db.session.scalar(sa.select(Apology).where(Apology.session_id == nxt.id))
    assert (apology.member_id, apology.reason) == (ada.id, "childcare")
    html = client.get("/programmes/mine").get_data(as_text=True)
    assert "You said you can" in html and "I look after a child" in html
    # Saying it again changes the reason; one row.
    client.post(url, data={"csrf_token": token, "reason": "illness"})
    assert db.session.scalars(sa.select(Apology.reason)).all() == ["illness"]

    back = client.post(f"{url}/withdraw", data={"csrf_token": token})
    assert back.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Apology.id))) == 0


def test_no_apology_once_the_session_has_started(db, client, login_as):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=DAY - timedelta(days=30))
    ada = member_with_login(given="Ada")
    enrol(programme, ada)
    session = make_session(programme, day=DAY)  # 09:00-12:00
    url = f"/programmes/sessions/{session.id}/apologise"
    with frozen_at(DAY, time(8, 50)):
        login_as(ada.user)
        token = csrf_token(client, "/")
        response = client.post(url, data={"csrf_token": token, "reason": "illness"})
        assert response.status_code == 303
    with frozen_at(DAY, time(9, 5)):
        for target, data in ((f"{url}/withdraw", {}), (url, {"reason": "work"})):
            response = client.post(target, data={"csrf_token": token, **data})
            assert response.status_code == 422
            assert "The session has already started" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Apology.reason)).all() == ["illness"]


def test_only_participants_apologise(story_day, db, client, login_as):
    _trainer, citizenship, _t, _ada, _bob, _past, _older, nxt = _story()
    outsider = member_with_login(given="Cleo")
    login_as(outsider.user)
    token = csrf_token(client, "/")
    response = client.post(
        f"/programmes/sessions/{nxt.id}/apologise", data={"csrf_token": token, "reason": "work"}
    )
    assert response.status_code == 404  # the programme is not theirs to see
    late = member_with_login(given="Dan")
    enrol(citizenship, late, enrolled_on=date(2026, 12, 10))  # after the session's day
    client.post("/logout", data={"csrf_token": token})
    login_as(late.user)
    token = csrf_token(client, "/")
    response = client.post(
        f"/programmes/sessions/{nxt.id}/apologise", data={"csrf_token": token, "reason": "work"}
    )
    assert response.status_code == 403


def _sessions(programme, member, number, start):
    for index in range(number):
        session = make_session(
            programme, day=start + timedelta(days=index), slots=(MORNING, AFTERNOON)
        )
        if session.day < DAY:
            mark(session.slots[0], member, "present")
            mark(session.slots[1], member, "absent")
            if index % 2:
                db.session.add(Apology(session_id=session.id, member_id=member.id, reason="work"))
        else:
            db.session.add(Apology(session_id=session.id, member_id=member.id, reason="work"))
    db.session.flush()


def test_my_sessions_costs_the_same_for_3_and_30_sessions(story_day, db, client, login_as):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=date(2026, 1, 5))
    other = make_programme(trainer, kind="training", starts_on=date(2026, 1, 5))
    ada = member_with_login(given="Ada")
    enrol(programme, ada)
    enrol(other, ada)
    make_member(given="Nobody")
    login_as(ada.user)
    _sessions(programme, ada, 3, DAY - timedelta(days=1))
    few = count_statements(db, client, "/programmes/mine")
    _sessions(programme, ada, 15, date(2026, 10, 1))
    _sessions(other, ada, 12, DAY + timedelta(days=2))
    many = count_statements(db, client, "/programmes/mine")
    assert len(member_summary(ada.id).past) + len(member_summary(ada.id).upcoming) == 30
    assert many == few, f"{few} statements for 3 sessions, {many} for 30"
