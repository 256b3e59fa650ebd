"""Meeting votes for those present only: a poll opened from an agenda item of a body whose
meeting votes are for the people present freezes, at its opening, the people present and
those they represent; on the portal the holder votes for the person represented with a proxy
given at the opening."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.meetings import attendance, session
from portal.members.bodies import Voter
from portal.voting import services as voting
from portal.voting.models import CastMode, Poll, PollElector, Proxy
from tests.conftest import csrf_token
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import board_body, board_user, factory_board, make_mandate
from tests.factories_voting import make_poll, vote, voter

HX = {"HX-Request": "true"}


def board_of(*names: str) -> list:
    people = []
    for name in names:
        person = voter(given=name)
        make_mandate(person, board_body())
        people.append(person)
    return people


def meeting_with(present, represented=()):
    """A board meeting in session: `present` checked in, `represented` as (person, holder)."""
    board = factory_board()
    meeting = make_meeting(state="in_session", days_ahead=0)
    assert meeting.body.meeting_votes_present_only
    for person in present:
        attendance.record_arrival(board, meeting, person.id)
    for person, holder in represented:
        attendance.set_status(board, meeting, person.id, "represented", holder.id)
    item = add_item(meeting, "Accounts 2026", kind="decision")
    return meeting, item


def electors(poll: Poll) -> dict[int, int]:
    rows = db.session.scalars(sa.select(PollElector).where(PollElector.poll_id == poll.id))
    return {row.member_id: row.weight for row in rows}


def test_only_people_present_and_represented_vote_on_the_portal(db):
    ada, bea, cy, dan = board_of("Ada", "Bea", "Cy", "Dan")
    meeting, item = meeting_with([ada, bea], represented=[(cy, ada)])
    poll = session.open_item_poll(factory_board(), meeting, item, in_room=False)
    assert electors(poll) == {ada.id: 1, bea.id: 1, cy.id: 1}
    assert poll.electorate_count == 3 and poll.electorate_weight == 3
    with pytest.raises(NotAllowed):
        vote(poll, dan, {"vote": "no"})  # absent: not in the electorate
    proxy = db.session.scalar(sa.select(Proxy).where(Proxy.poll_id == poll.id))
    assert (proxy.principal_id, proxy.holder_id) == (cy.id, ada.id)
    vote(poll, ada, {"vote": "yes"})
    vote(poll, cy, {"vote": "yes"}, by=ada.user, mode=CastMode.PROXY)  # Ada votes for Cy
    with pytest.raises(NotAllowed):
        vote(poll, ada, {"vote": "no"}, by=bea.user, mode=CastMode.PROXY)  # Bea holds none
    vote(poll, bea, {"vote": "no"})
    voting.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == "adopted"
    assert poll.result["counts"] == {"yes": 2, "no": 1, "abstain": 0}


def test_the_electorate_is_frozen_at_the_opening(db):
    ada, bea, cy = board_of("Ada", "Bea", "Cy")
    meeting, item = meeting_with([ada, bea])
    board = factory_board()
    attendance.record_departure(board, meeting, bea.id)
    poll = session.open_item_poll(board, meeting, item, in_room=False)
    assert set(electors(poll)) == {ada.id}  # Bea left before the vote
    attendance.record_arrival(board, meeting, cy.id)
    with pytest.raises(NotAllowed):
        vote(poll, cy, {"vote": "yes"})  # arrived after the opening
    vote(poll, ada, {"vote": "yes"})


def test_in_the_room_the_electorate_is_also_those_here_without_proxies_on_the_portal(db):
    ada, bea, cy, _dan = board_of("Ada", "Bea", "Cy", "Dan")
    meeting, item = meeting_with([ada, bea], represented=[(cy, ada)])
    chair = factory_board()
    poll = session.open_item_poll(chair, meeting, item, in_room=True)
    assert set(electors(poll)) == {ada.id, bea.id, cy.id}
    assert db.session.scalar(sa.select(Proxy.id).where(Proxy.poll_id == poll.id)) is None
    session.record_item_count(chair, meeting, poll, {"yes": 2, "no": 1})
    assert poll.present_count == 3
    voting.close_poll(chair, poll)
    assert poll.result["verdict"] == "adopted"


def test_nobody_here_no_vote(db):
    board_of("Ada", "Bea")
    meeting, item = meeting_with([])
    with pytest.raises(DomainError):
        session.open_item_poll(factory_board(), meeting, item, in_room=False)
    assert session.polls_of_item(item) == []


def test_open_poll_with_chosen_electors_checks_them(db):
    ada, bea = board_of("Ada", "Bea")
    outsider = voter(given="Eve")  # a member, but not on the board
    board = factory_board()
    poll = make_poll(board_body())
    with pytest.raises(DomainError):
        voting.open_poll(board, poll, electors=[Voter(ada.id, 1), Voter(outsider.id, 1)])
    with pytest.raises(DomainError):
        voting.open_poll(board, poll, electors=[])
    assert poll.state == "draft"
    # Each one once, with the weight they have in the body (not the one given).
    voting.open_poll(board, poll, electors=[Voter(bea.id, 5), Voter(bea.id, 1), Voter(ada.id, 1)])
    assert poll.state == "open"
    assert electors(poll) == {ada.id: 1, bea.id: 1}
    assert poll.electorate_count == 2


def test_without_electors_the_whole_body_votes(db):
    ada, bea = board_of("Ada", "Bea")
    poll = make_poll(board_body())
    voting.open_poll(factory_board(), poll)
    assert {ada.id, bea.id} <= set(electors(poll))


def test_over_http_the_poll_is_for_those_here(db, client, login_as):
    ada, bea, cy = board_of("Ada", "Bea", "Cy")
    meeting, item = meeting_with([ada], represented=[(bea, ada)])
    chair = board_user()
    session.set_current_item(factory_board(), meeting, item)
    login_as(chair)
    page = client.get(f"/meetings/{meeting.id}/session").get_data(as_text=True)
    assert "only people present vote" in page
    response = client.post(
        f"/meetings/{meeting.id}/session/items/{item.id}/poll",
        data={"csrf_token": csrf_token(client, "/"), "where": "portal"},
        headers=HX,
    )
    assert response.status_code == 200
    poll = db.session.scalar(sa.select(Poll).where(Poll.subject_key == item.object_key))
    assert set(electors(poll)) == {ada.id, bea.id}
    assert cy.id not in electors(poll)


def test_over_http_nobody_here_is_said_not_a_500(db, client, login_as):
    board_of("Ada")
    meeting, item = meeting_with([])
    session.set_current_item(factory_board(), meeting, item)
    login_as(board_user())
    response = client.post(
        f"/meetings/{meeting.id}/session/items/{item.id}/poll",
        data={"csrf_token": csrf_token(client, "/"), "where": "portal"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "Nobody is checked in" in response.get_data(as_text=True)
    assert session.polls_of_item(item) == []
