"""The practice vote of a session: a normal practice `Poll` opened by the trainer for the
session's people (voting's `practice_electors`), run by its author without managing polls
(`can_manage_practice_poll`), voted on the voting page, never counted in participation figures
or decisions; and nothing more for a trainer on real polls."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError, NotAllowed
from portal.core.registries import Period
from portal.core.workflow import available_transitions
from portal.extensions import db as _db
from portal.meetings.models import Decision
from portal.members.models import Body, BodyKind
from portal.programmes import practice
from portal.voting import contributions, services
from portal.voting.models import Participation, Poll, PollElector
from portal.voting.policies import can_manage_practice_poll
from tests.conftest import csrf_token
from tests.factories_members import (
    board_user,
    factory_board,
    make_member,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import enrol, make_programme, make_session
from tests.factories_voting import make_poll, open_poll_for, voter
from tests.proposals.test_views import login


@pytest.fixture()
def room(db):
    """A trainer, a session today with Ada and Bo (logins, Bo only an applicant: not in the
    general assembly) and Cy (no login)."""
    trainer = trainer_user()
    programme = make_programme(trainer)
    ada = member_with_login(given="Ada", family="Vote")
    bo = member_with_login(given="Bo", family="Vote", admitted_on=None)
    cy = make_member(given="Cy", family="Vote", admitted_on=date(2025, 2, 3))
    for person in (ada, bo, cy):
        enrol(programme, person)
    session = make_session(programme)
    return trainer, session, ada, bo, cy


def _open(trainer, session, *, in_room=False, question="Lunch together on Friday?", **kw):
    return practice.open_practice_poll(
        trainer, session, practice.PracticePollInput(question=question, in_room=in_room, **kw)
    )


def _electors(poll: Poll) -> dict[int, int]:
    return dict(
        _db.session.execute(
            sa.select(PollElector.member_id, PollElector.weight).where(
                PollElector.poll_id == poll.id
            )
        ).all()
    )


def test_the_trainer_opens_a_practice_vote_for_the_session(room):
    trainer, session, ada, bo, cy = room
    poll = _open(trainer, session)
    assert poll.state == "open" and poll.practice and poll.secret and not poll.in_room
    assert poll.owner_id == trainer.id
    assert poll.subject_key == f"programme_session:{session.id}"
    assert session.practice_poll_id == poll.id
    assert poll.body.kind == BodyKind.GENERAL_ASSEMBLY.value
    assert poll.quorum_percent is None
    # On the portal: the people of the session who can log in, one vote each.
    assert _electors(poll) == {ada.id: 1, bo.id: 1}
    # Bo is not in the general assembly (an applicant), and votes all the same.
    assert services.cast_vote(bo.user, poll, bo, {"vote": "yes"})
    assert services.cast_vote(ada.user, poll, ada, {"vote": "no"})
    assert practice.took_part(poll, bo.id) and not practice.took_part(poll, cy.id)
    closed = practice.close_practice_poll(trainer, session)
    assert closed.state == "closed" and closed.result["participation"] == 2
    # Never a decision, never in the participation figures.
    assert _db.session.scalar(sa.select(sa.func.count(Decision.id))) == 0
    taken = contributions.polls_taken_part(ada, Period(date(2000, 1, 1), None))
    assert taken.count == 0
    voted = set(_db.session.scalars(contributions.voted_in_a_poll(None, None)))
    assert ada.id not in voted and bo.id not in voted


def test_in_the_room_everyone_of_the_session_votes(room):
    trainer, session, ada, bo, cy = room
    poll = _open(trainer, session, in_room=True, method="single", options=("Pizza", "Salad"))
    assert _electors(poll) == {ada.id: 1, bo.id: 1, cy.id: 1}
    with pytest.raises(DomainError, match="Enter the counts"):
        practice.close_practice_poll(trainer, session)
    with pytest.raises(DomainError) as refused:
        practice.count_practice_poll(trainer, session, 4, {"Pizza": 2})
    assert refused.value.field == "present"
    practice.count_practice_poll(trainer, session, 3, {"Pizza": 2, "Salad": 1})
    closed = practice.close_practice_poll(trainer, session)
    assert closed.result["winners"] == ["Pizza"]


def test_one_practice_vote_open_at_a_time_and_clear_refusals(room):
    trainer, session, *_people = room
    with pytest.raises(DomainError) as refused:
        _open(trainer, session, question="   ")
    assert refused.value.field == "question"
    with pytest.raises(DomainError) as refused:
        _open(trainer, session, method="single", options=("Only one",))
    assert refused.value.field == "options"
    with pytest.raises(DomainError) as refused:
        _open(trainer, session, method="schulze")
    assert refused.value.field == "method"
    first = _open(trainer, session)
    with pytest.raises(DomainError, match="still open"):
        _open(trainer, session)
    practice.close_practice_poll(trainer, session)
    second = _open(trainer, session, question="And on Monday?")
    assert second.id != first.id and session.practice_poll_id == second.id
    practice.close_practice_poll(trainer, session)
    with pytest.raises(DomainError, match="no practice vote open"):
        practice.count_practice_poll(trainer, session, 1, {"yes": 1})
    with pytest.raises(DomainError, match="no practice vote open"):
        practice.close_practice_poll(trainer, session)


def test_nobody_with_a_login_means_a_vote_in_the_room(db):
    trainer = trainer_user()
    programme = make_programme(trainer)
    enrol(programme, make_member(given="Cy", admitted_on=date(2025, 2, 3)))
    session = make_session(programme)
    with pytest.raises(DomainError) as refused:
        _open(trainer, session)
    assert refused.value.field == "in_room"
    assert _open(trainer, session, in_room=True).electorate_count == 1


def test_without_any_body_the_trainer_is_told(room):
    trainer, session, *_people = room
    _db.session.execute(sa.update(Body).values(active=False))
    with pytest.raises(DomainError, match="general assembly"):
        _open(trainer, session)


def test_others_cannot_run_the_session_s_practice_vote(room):
    trainer, session, ada, *_rest = room
    for someone in (trainer_user(), board_user(), ada.user):
        with pytest.raises(NotAllowed):
            _open(someone, session)
    _open(trainer, session)
    for someone in (trainer_user(), ada.user):
        with pytest.raises(NotAllowed):
            practice.close_practice_poll(someone, session)
        poll = practice.practice_poll(session)
        # Straight to voting: the practice steps are its author's only.
        with pytest.raises(NotAllowed):
            services.close_poll(someone, poll)


# --- Voting's rules for practice polls -------------------------------------------------------------


def test_the_author_runs_a_practice_poll_and_nothing_else(db):
    trainer, ada = trainer_user(), voter(given="Ada")
    real = make_poll()  # a real poll of the board
    assert not can_manage_practice_poll(trainer, real)
    with pytest.raises(NotAllowed):
        services.open_poll(trainer, real)
    with pytest.raises(DomainError, match="Only a practice vote"):
        services.open_poll(factory_board(), real, practice_electors=[ada.id])
    # Even as its owner, a trainer runs no real poll: the practice steps refuse it.
    real.owner_id = trainer.id
    _db.session.flush()
    assert not can_manage_practice_poll(trainer, real)
    with pytest.raises(NotAllowed):
        services.open_poll(trainer, real)
    with pytest.raises(NotAllowed):
        services.cancel_poll(trainer, real, "Mine, I cancel it.")
    assert real.state == "draft"

    poll = services.create_practice_poll(
        trainer,
        services.PollData(
            title="Practice", body_id=real.body_id, method="yes_no_abstain", practice=False
        ),
    )
    assert poll.practice  # always practice
    assert can_manage_practice_poll(trainer, poll)
    with pytest.raises(DomainError, match="people taking part"):
        services.open_poll(trainer, poll)  # the body's electorate: not for its author
    with pytest.raises(DomainError, match="not in the register"):
        services.open_poll(trainer, poll, practice_electors=[ada.id, 99999999])
    with pytest.raises(DomainError, match="Nobody"):
        services.open_poll(trainer, poll, practice_electors=[])
    # The trainer cannot turn it into a real poll while it is prepared.
    with pytest.raises(DomainError) as refused:
        services.update_poll(
            trainer,
            poll,
            services.PollData(
                title="Real now", body_id=real.body_id, method="yes_no_abstain", practice=False
            ),
        )
    assert refused.value.field == "practice"
    services.open_poll(trainer, poll, practice_electors=[ada.id, ada.id])
    assert poll.state == "open" and poll.electorate_count == 1
    services.cancel_poll(trainer, poll, "We ran out of time.")
    assert poll.state == "cancelled"
    assert not can_manage_practice_poll(trainer, poll)


def test_the_board_keeps_the_usual_steps_on_its_practice_polls(db):
    board = board_user()
    poll = make_poll(by=board, practice=True)
    assert can_manage_practice_poll(board, poll)
    names = {t.name for t in available_transitions(poll, board)}
    assert names == {"open", "cancel"}  # no practice twin offered on the poll page
    voter(given="Ada")
    services.open_poll(board, poll)
    assert poll.state == "open"
    assert {t.name for t in available_transitions(poll, board)} == {"close", "cancel"}


def test_a_trainer_still_cannot_prepare_polls_on_the_voting_pages(db, client, login_as):
    trainer = trainer_user()
    login_as(trainer)
    assert client.get("/polls/new").status_code == 403
    poll = open_poll_for(voter(given="Ada"))
    token = csrf_token(client, "/")
    answer = client.post(
        f"/polls/{poll.id}/step", data={"csrf_token": token, "transition": "close"}
    )
    assert answer.status_code == 403


# --- Through the pages ---------------------------------------------------------------------------


def test_a_practice_vote_through_the_pages(room, app):
    trainer, session, ada, _bo, _cy = room
    url = f"/programmes/sessions/{session.id}/practice"
    client = login(app.test_client(), trainer)
    page = client.get(url).get_data(as_text=True)
    assert "Open a practice vote" in page
    token = csrf_token(client, url)
    refused = client.post(
        f"{url}/poll",
        data={"csrf_token": token, "question": "", "method": "yes_no_abstain", "where": "portal"},
    )
    assert refused.status_code == 422 and "Write the question." in refused.get_data(as_text=True)
    refused = client.post(
        f"{url}/poll",
        data={
            "csrf_token": token,
            "question": "Lunch?",
            "method": "yes_no_abstain",
            "where": "moon",
        },
    )
    assert refused.status_code == 422 and "in the room or on the portal" in refused.get_data(
        as_text=True
    )
    answer = client.post(
        f"{url}/poll",
        data={
            "csrf_token": token,
            "question": "Lunch together on Friday?",
            "method": "yes_no_abstain",
            "where": "portal",
        },
    )
    assert answer.status_code == 302
    poll = _db.session.get(
        Poll, _db.session.scalar(sa.select(Poll.id).where(Poll.practice.is_(True)))
    )
    page = client.get(url).get_data(as_text=True)
    assert "0 of 2 have voted" in page and "Close the practice vote" in page
    assert "1 person cannot log in" in page

    client = login(app.test_client(), ada.user)
    page = client.get(url).get_data(as_text=True)
    assert f"/polls/{poll.id}" in page and "Vote now" in page
    assert "Close the practice vote" not in page
    voting_page = client.get(f"/polls/{poll.id}")
    assert voting_page.status_code == 200 and "Practice" in voting_page.get_data(as_text=True)
    assert "The people of a training session" in voting_page.get_data(as_text=True)
    token = csrf_token(client, "/")
    voted = client.post(f"/polls/{poll.id}/vote", data={"csrf_token": token, "vote": "yes"})
    assert voted.status_code == 200
    page = client.get(url).get_data(as_text=True)
    assert "You took part in the practice vote." in page and "Vote now" not in page
    # A participant cannot close it, neither here nor on the voting pages.
    assert client.post(f"{url}/poll/close", data={"csrf_token": token}).status_code == 403
    assert (
        client.post(
            f"/polls/{poll.id}/step", data={"csrf_token": token, "transition": "close"}
        ).status_code
        == 403
    )

    client = login(app.test_client(), trainer)
    token = csrf_token(client, url)
    assert client.post(f"{url}/poll/close", data={"csrf_token": token}).status_code == 302
    _db.session.refresh(poll)
    assert poll.state == "closed"
    page = client.get(url).get_data(as_text=True)
    assert "See the result" in page and "1 of 2 has voted" in page
    assert "Another practice vote" in page
    assert client.get(f"/polls/{poll.id}/results").status_code == 200
    assert _db.session.scalar(sa.select(sa.func.count(Participation.id))) == 1


def test_a_practice_vote_in_the_room_through_the_pages(room, client, login_as):
    trainer, session, *_people = room
    url = f"/programmes/sessions/{session.id}/practice"
    login_as(trainer)
    token = csrf_token(client, url)
    client.post(
        f"{url}/poll",
        data={
            "csrf_token": token,
            "question": "Lunch?",
            "method": "yes_no_abstain",
            "where": "room",
        },
    )
    page = client.get(url).get_data(as_text=True)
    assert "Enter the count from the room" in page
    refused = client.post(
        f"{url}/poll/count",
        data={"csrf_token": token, "present": "9", "count-0": "1", "count-1": "0", "count-2": "0"},
    )
    assert refused.status_code == 422 and "more people present" in refused.get_data(as_text=True)
    refused = client.post(f"{url}/poll/count", data={"csrf_token": token, "present": "x"})
    assert refused.status_code == 422
    saved = client.post(
        f"{url}/poll/count",
        data={"csrf_token": token, "present": "3", "count-0": "2", "count-1": "1", "count-2": "0"},
    )
    assert saved.status_code == 302
    assert client.post(f"{url}/poll/close", data={"csrf_token": token}).status_code == 302
    poll = practice.practice_poll(session)
    assert poll.state == "closed" and poll.result["verdict"] == "adopted"


def test_the_session_page_summary_shows_the_turnout_only(room, app):
    from flask import render_template_string

    trainer, session, ada, bo, _cy = room
    practice.save_turn(trainer, session, 1, {"chair": ada.id, "secretary": bo.id})
    poll = _open(trainer, session)
    services.cast_vote(ada.user, poll, ada, {"vote": "no"})
    with app.test_request_context():
        html = render_template_string(
            '{% include "programmes/_practice_summary.html" %}', session=session
        )
    assert "1 turn of roles." in html
    assert "1 of 2 has voted" in html and poll.title in html
    assert "No" not in html  # never what was chosen (Ada said no)
