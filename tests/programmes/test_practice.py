"""The practice meeting of a session: roles in turn (services and page), the rotation proposed,
who sees what, and the credit of a role held (`practice_roles_of`)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db as _db
from portal.programmes import practice
from portal.programmes.models import PracticeRole
from tests.factories_members import (
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import enrol, make_programme, make_session


@pytest.fixture()
def room(db):
    """A running programme with its trainer, four participants and a session today."""
    trainer = trainer_user()
    programme = make_programme(trainer)
    people = [
        member_with_login(given=name, family="Practice") for name in ("Ada", "Bo", "Cy", "Di")
    ]
    for person in people:
        enrol(programme, person)
    session = make_session(programme)
    return trainer, programme, session, people


def _ids(roles: dict) -> dict[str, int]:
    return {role: row.member_id for role, row in roles.items()}


def test_a_turn_is_saved_and_changed(room):
    trainer, _programme, session, (ada, bo, cy, _di) = room
    saved = practice.save_turn(
        trainer, session, 1, {"chair": ada.id, "secretary": bo.id, "teller": cy.id}
    )
    assert _ids(saved) == {"chair": ada.id, "secretary": bo.id, "teller": cy.id}
    # Changed: a role emptied goes, the others are replaced.
    saved = practice.save_turn(
        trainer, session, 1, {"chair": bo.id, "secretary": None, "teller": ada.id}
    )
    assert _ids(saved) == {"chair": bo.id, "teller": ada.id}
    assert _db.session.scalar(sa.select(sa.func.count(PracticeRole.id))) == 2
    assert practice.last_turn(session) == 1


def test_refusals_say_why(room):
    trainer, _programme, session, (ada, bo, _cy, _di) = room
    outsider = member_with_login(given="Out")
    cases = [
        (1, {"chair": ada.id, "secretary": ada.id}, "secretary", "already has a role in this turn"),
        (1, {"chair": outsider.id}, "chair", "taking part in this session"),
        (1, {"chair": 999999}, "chair", "taking part in this session"),
        (2, {"chair": ada.id}, "turn", "Choose a turn"),  # no gap: turn 1 first
        (0, {"chair": ada.id}, "turn", "Choose a turn"),
        (None, {"chair": ada.id}, "turn", "Choose a turn"),
        (1, {"boss": ada.id}, "roles", "role from the list"),
        (1, {"chair": None}, "roles", "at least one person"),
    ]
    for turn, choices, field, words in cases:
        with pytest.raises(DomainError) as refused:
            practice.save_turn(trainer, session, turn, choices)
        assert refused.value.field == field, (turn, choices)
        assert words in str(refused.value.message), (turn, choices)
    practice.save_turn(trainer, session, 1, {"chair": ada.id})
    practice.save_turn(trainer, session, 2, {"chair": bo.id})
    with pytest.raises(DomainError, match="Only the last turn"):
        practice.save_turn(trainer, session, 1, {"chair": None})
    practice.save_turn(trainer, session, 2, {})  # the last turn can be emptied
    assert practice.last_turn(session) == 1


def test_a_withdrawn_participant_cannot_take_a_role(room):
    trainer, programme, session, (_ada, *_rest) = room
    late = member_with_login(given="Late")
    row = enrol(programme, late, enrolled_on=session.day.replace(day=1))
    row.withdrawn_on = row.enrolled_on
    _db.session.flush()
    with pytest.raises(DomainError, match="taking part"):
        practice.save_turn(trainer, session, 1, {"chair": late.id})


def test_only_the_trainers_of_the_session_give_roles(room):
    _trainer, _programme, session, (ada, *_rest) = room
    for someone in (trainer_user(), board_user(), counsellor_user(), ada.user):
        with pytest.raises(NotAllowed):
            practice.save_turn(someone, session, 1, {"chair": ada.id})
    session.cancelled_at = utcnow()
    with pytest.raises(NotAllowed):
        practice.save_turn(_trainer, session, 1, {"chair": ada.id})


def test_the_rotation_gives_everyone_a_role(room):
    trainer, _programme, session, people = room
    first = practice.suggest_turn(session)
    assert set(first) == {"chair", "secretary", "teller"}
    assert len(set(first.values())) == 3
    practice.save_turn(trainer, session, 1, first)
    second = practice.suggest_turn(session)
    left_out = {p.id for p in people} - set(first.values())
    # The one who had no role comes first (as chair), then people of turn 1 in new roles.
    assert second["chair"] in left_out
    practice.save_turn(trainer, session, 2, second)
    held: dict[int, set[str]] = {}
    for roles in practice.turns(session).values():
        for role, row in roles.items():
            held.setdefault(row.member_id, set()).add(role)
    assert set(held) == {p.id for p in people}  # everyone had a role after two turns
    for turn_roles in (first, second):
        assert len(set(turn_roles.values())) == 3  # one role per person and turn
    # Those of turn 1 who come back take another role than theirs.
    before = {member_id: role for role, member_id in first.items()}
    for role, member_id in second.items():
        assert before.get(member_id) != role, (member_id, role)


def test_a_rotation_with_fewer_people_than_roles(db):
    trainer = trainer_user()
    programme = make_programme(trainer)
    ada = member_with_login(given="Ada")
    enrol(programme, ada)
    session = make_session(programme)
    assert practice.suggest_turn(session) == {"chair": ada.id, "secretary": None, "teller": None}


def test_a_role_held_is_credited_never_a_choice(room):
    trainer, programme, session, (ada, bo, cy, _di) = room
    practice.save_turn(trainer, session, 1, {"chair": ada.id, "secretary": bo.id, "teller": cy.id})
    practice.save_turn(trainer, session, 2, {"chair": bo.id, "secretary": ada.id})
    practice.save_turn(trainer, session, 3, {"chair": ada.id})  # chair again: one line
    credits = practice.practice_roles_of(ada.id)
    assert [(c.session_id, c.role) for c in credits] == [
        (session.id, "chair"),
        (session.id, "secretary"),
    ]
    assert credits[0].programme_title == programme.title and credits[0].day == session.day
    assert credits[0].line("6 December") == "Chair in a practice meeting on 6 December"
    assert credits[1].line("6 December") == "Secretary in a practice meeting on 6 December"
    assert practice.practice_roles_of(_di.id) == []
    session.cancelled_at = utcnow()
    _db.session.flush()
    assert practice.practice_roles_of(ada.id) == []


# --- The page ------------------------------------------------------------------------------------


def _text(response) -> str:
    return response.get_data(as_text=True)


def _token(client, session) -> str:
    html = _text(client.get(f"/programmes/sessions/{session.id}/practice"))
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_trainer_saves_turns_on_the_page(room, client, login_as):
    trainer, _programme, session, (ada, bo, cy, di) = room
    login_as(trainer)
    page = client.get(f"/programmes/sessions/{session.id}/practice")
    assert page.status_code == 200
    html = _text(page)
    assert "The chair opens the meeting and gives the floor." in html
    assert "The secretary writes what is decided." in html
    assert "The teller counts the votes" in html
    assert "Start turn 1" in html
    token = _token(client, session)
    answer = client.post(
        f"/programmes/sessions/{session.id}/practice",
        data={
            "csrf_token": token,
            "turn": "1",
            "chair": str(ada.id),
            "secretary": str(bo.id),
            "teller": str(cy.id),
        },
    )
    assert answer.status_code == 302
    assert _ids(practice.turns(session)[1]) == {
        "chair": ada.id,
        "secretary": bo.id,
        "teller": cy.id,
    }
    html = _text(client.get(f"/programmes/sessions/{session.id}/practice"))
    assert "Save turn 1" in html and "Start turn 2" in html
    # The next turn proposes the person who had no role yet, as chair.
    proposed = re.search(r'id="turn-2-chair".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{di.id}" selected>', proposed)
    assert "No role yet:" in html and di.full_name in html
    # Refused: twice the same person in a turn -> 422, said next to the role, nothing saved.
    refused = client.post(
        f"/programmes/sessions/{session.id}/practice",
        data={"csrf_token": token, "turn": "2", "chair": str(di.id), "secretary": str(di.id)},
    )
    assert refused.status_code == 422
    assert "already has a role in this turn" in _text(refused)
    assert 'id="turn-2-secretary-error"' in _text(refused)
    assert 2 not in practice.turns(session)
    # Rubbish in the form: a clear message, never a 500.
    for data in (
        {"turn": "x", "chair": str(ada.id)},
        {"turn": "1", "chair": "abc"},
        {"turn": "99999999999", "chair": "1"},
    ):
        answer = client.post(
            f"/programmes/sessions/{session.id}/practice", data={"csrf_token": token, **data}
        )
        assert answer.status_code == 422, data


def test_participants_read_the_roles_others_are_refused(room, client, login_as):
    trainer, _programme, session, (ada, bo, cy, _di) = room
    practice.save_turn(trainer, session, 1, {"chair": ada.id, "secretary": bo.id, "teller": cy.id})
    login_as(ada.user)
    page = client.get(f"/programmes/sessions/{session.id}/practice")
    assert page.status_code == 200
    html = _text(page)
    assert "Your role in turn 1: Chair" in html
    assert bo.full_name in html
    assert "Start turn" not in html and "<select" not in html
    token = _token(client, session)
    answer = client.post(
        f"/programmes/sessions/{session.id}/practice",
        data={"csrf_token": token, "turn": "1", "chair": str(bo.id)},
    )
    assert answer.status_code == 403
    assert _ids(practice.turns(session)[1])["chair"] == ada.id


@pytest.mark.parametrize("who", ["board", "counsellor", "other trainer", "member"])
def test_people_outside_the_session(room, client, login_as, who):
    _trainer, _programme, session, _people = room
    user = {
        "board": board_user,
        "counsellor": counsellor_user,
        "other trainer": trainer_user,
        "member": lambda: member_with_login(given="Nobody").user,
    }[who]()
    login_as(user)
    answer = client.get(f"/programmes/sessions/{session.id}/practice")
    # Board and counsellors see the programme but do not take part: 403; others do not see it.
    assert answer.status_code == (403 if who in ("board", "counsellor") else 404)


def test_unknown_session_is_404(room, client, login_as):
    trainer, *_rest = room
    login_as(trainer)
    assert client.get("/programmes/sessions/99999999/practice").status_code == 404
