"""Feedback: three faces and a sentence, once per participant who came, from the last slot to
seven days after; anonymous totals for the trainers, hidden below three answers."""

from __future__ import annotations

import re
from datetime import date, time

import sqlalchemy as sa

from portal.programmes.feedback import feedback_totals
from portal.programmes.models import FeedbackAnswer, FeedbackGiven
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories_members import board_user, member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark

DAY = date(2026, 12, 4)  # a Friday


def _story():
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=date(2026, 11, 2))
    session = make_session(programme, day=DAY, slots=(MORNING, AFTERNOON), topic="Voting")
    people = [member_with_login(given=name) for name in ("Ada", "Bob", "Cleo", "Dan", "Eve")]
    for person in people:
        enrol(programme, person)
    mark(session.slots[0], people[0], "present")
    mark(session.slots[1], people[0], "absent")
    mark(session.slots[0], people[1], "absent")
    mark(session.slots[1], people[1], "late", minutes=120)
    mark(session.slots[0], people[2], "present")
    mark(session.slots[0], people[3], "present")
    mark(session.slots[0], people[4], "absent")
    mark(session.slots[1], people[4], "absent")
    return trainer, programme, session, people


def _give(client, login_as, member, session, mood, sentence=""):
    login_as(member.user)
    url = f"/programmes/sessions/{session.id}/feedback"
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, "mood": mood, "sentence": sentence})


def test_the_page_offers_three_faces_with_names(db, client, login_as):
    _trainer, _programme, session, people = _story()
    with frozen_at(DAY, time(16, 0)):
        login_as(people[0].user)
        html = client.get(f"/programmes/sessions/{session.id}/feedback").get_data(as_text=True)
    buttons = re.findall(r'<button type="submit" name="mood" value="(\w+)"', html)
    assert buttons == ["good", "so_so", "not_good"]
    for word in ("Good", "So-so", "Not good"):
        assert f"<span>{word}</span>" in html
    assert 'aria-hidden="true"' in html  # the pictograms are named by the words


def test_once_each_and_anonymous(db, client, login_as):
    _trainer, _programme, session, people = _story()
    with frozen_at(DAY, time(16, 0)):
        response = _give(client, login_as, people[0], session, "good", "  I learned   a lot ")
        assert response.status_code == 303
        again = client.post(
            f"/programmes/sessions/{session.id}/feedback",
            data={"csrf_token": csrf_token(client, "/"), "mood": "not_good"},
        )
        assert again.status_code == 422
        assert "You already gave your opinion. Thank you." in again.get_data(as_text=True)
        page = client.get(f"/programmes/sessions/{session.id}/feedback").get_data(as_text=True)
        assert "You already gave your opinion. Thank you." in page
    answer = db.session.scalars(sa.select(FeedbackAnswer)).one()
    assert (answer.mood, answer.sentence) == ("good", "I learned a lot")
    columns = set(FeedbackAnswer.__table__.columns.keys())
    assert columns == {"id", "session_id", "mood", "sentence"}  # no person, no time
    given = db.session.scalars(sa.select(FeedbackGiven)).one()
    assert given.member_id == people[0].id


def test_refusals(db, client, login_as):
    _trainer, _programme, session, people = _story()
    with frozen_at(DAY, time(11, 0)):  # before the last slot starts
        response = _give(client, login_as, people[0], session, "good")
        assert response.status_code == 422
        assert "until 7 days after" in response.get_data(as_text=True)
    with frozen_at(date(2026, 12, 11), time(16, 0)):  # within seven days of 16:30 on the 4th
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        response = _give(client, login_as, people[1], session, "so_so", "x" * 281)
        assert response.status_code == 422
        assert "at most 280 characters" in response.get_data(as_text=True)
        response = client.post(
            f"/programmes/sessions/{session.id}/feedback",
            data={"csrf_token": csrf_token(client, "/"), "mood": "great"},
        )
        assert response.status_code == 422
        assert "Choose one of the three faces." in response.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        # Absent from both slots: not one who came.
        response = _give(client, login_as, people[4], session, "good")
        assert response.status_code == 403
    with frozen_at(date(2026, 12, 11), time(17, 0)):  # more than seven days after
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        response = _give(client, login_as, people[2], session, "good")
        assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(FeedbackAnswer.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(FeedbackGiven.id))) == 0


def test_totals_for_the_trainers_hidden_below_three(db, client, login_as):
    trainer, _programme, session, people = _story()
    with frozen_at(DAY, time(16, 0)):
        _give(client, login_as, people[0], session, "good", "Zebra crossing was fun")
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        _give(client, login_as, people[1], session, "not_good", "")
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        assert feedback_totals(session).hidden
        login_as(trainer)
        html = client.get(f"/programmes/sessions/{session.id}/feedback").get_data(as_text=True)
        assert "2 people answered." in html
        assert "Fewer than 3 people answered" in html
        assert "Zebra" not in html
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        _give(client, login_as, people[2], session, "good", "apples were good")
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        login_as(trainer)
        html = client.get(f"/programmes/sessions/{session.id}/feedback").get_data(as_text=True)
    totals = feedback_totals(session)
    assert not totals.hidden
    assert totals.counts == {"good": 2, "so_so": 0, "not_good": 1}
    assert totals.sentences == ("apples were good", "Zebra crossing was fun")  # sorted
    assert "3 people answered." in html and "Zebra crossing was fun" in html
    assert "67 %" in html


def test_others_do_not_read_the_totals(db, client, login_as):
    _trainer, _programme, session, people = _story()
    with frozen_at(DAY, time(16, 0)):
        login_as(board_user())
        assert client.get(f"/programmes/sessions/{session.id}/feedback").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        login_as(member_with_login(given="Outsider").user)
        assert client.get(f"/programmes/sessions/{session.id}/feedback").status_code == 404
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        login_as(people[3].user)  # a participant sees the form, never the totals
        html = client.get(f"/programmes/sessions/{session.id}/feedback").get_data(as_text=True)
        assert "What the participants thought" not in html
