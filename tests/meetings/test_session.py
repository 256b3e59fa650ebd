"""The meeting in session: the current item, the speaking queue (people who have not spoken
first), polls opened from a decision item and their count in the room."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.extensions import db
from portal.meetings import attendance, session
from portal.meetings.models import SpeakingRequest
from portal.voting import services as voting
from portal.voting.models import Poll
from tests.conftest import csrf_token
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import (
    board_body,
    board_user,
    factory_board,
    make_mandate,
    member_with_login,
)

HX = {"HX-Request": "true"}
T0 = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)


def post(client, url, form=None, headers=None):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/"), **(form or {})}, headers=headers or {}
    )


def board_of(n: int) -> list:
    people = []
    for i in range(n):
        person = member_with_login(given=f"Board{i}")
        make_mandate(person, board_body())
        people.append(person)
    return people


def in_session(people_present):
    meeting = make_meeting(state="in_session", days_ahead=0)
    for person in people_present:
        attendance.record_arrival(factory_board(), meeting, person.id)
    return meeting


# --- The speaking order (pure) ----------------------------------------------------------------


@given(
    st.lists(
        st.tuples(st.integers(1, 8), st.integers(0, 600)),
        min_size=0,
        max_size=12,
        unique_by=lambda t: t[0],
    ),
    st.sets(st.integers(1, 8)),
)
def test_speaking_order_puts_people_who_have_not_spoken_first(requests, spoken):
    waiting = [
        SpeakingRequest(id=i + 1, member_id=member, requested_at=T0 + timedelta(seconds=s))
        for i, (member, s) in enumerate(requests)
    ]
    order = session.speaking_order(waiting, spoken)
    assert sorted(r.id for r in order) == sorted(r.id for r in waiting)
    flags = [r.member_id in spoken for r in order]
    assert flags == sorted(flags)  # every newcomer before anyone who has spoken
    for group in (False, True):
        times = [(r.requested_at, r.id) for r in order if (r.member_id in spoken) is group]
        assert times == sorted(times)  # then in the order of the requests


def test_speaking_order_example():
    a = SpeakingRequest(id=1, member_id=1, requested_at=T0)
    b = SpeakingRequest(id=2, member_id=2, requested_at=T0 + timedelta(minutes=1))
    c = SpeakingRequest(id=3, member_id=3, requested_at=T0 + timedelta(minutes=2))
    assert [r.id for r in session.speaking_order([c, b, a], {1})] == [2, 3, 1]
    assert [r.id for r in session.speaking_order([c, b, a], set())] == [1, 2, 3]


# --- The queue in a meeting ---------------------------------------------------------------------


def test_queue_gives_the_floor_to_newcomers_first(db):
    ada, bob, cleo = board_of(3)
    meeting = in_session([ada, bob, cleo])
    chair = factory_board()
    session.ask_to_speak(ada.user, meeting, ada)
    assert session.give_floor(chair, meeting).member_id == ada.id
    with pytest.raises(DomainError):
        session.ask_to_speak(ada.user, meeting, ada)  # she has the floor
    session.ask_to_speak(bob.user, meeting, bob)
    assert session.give_floor(chair, meeting).member_id == bob.id
    session.ask_to_speak(ada.user, meeting, ada)  # asks again, before Cleo
    session.ask_to_speak(cleo.user, meeting, cleo)
    assert [r.member_id for r in session.queue(meeting)] == [cleo.id, ada.id]
    session.withdraw(cleo.user, meeting, cleo)
    assert [r.member_id for r in session.queue(meeting)] == [ada.id]
    assert session.give_floor(chair, meeting).member_id == ada.id
    assert session.speaker(meeting).member_id == ada.id
    assert session.give_floor(chair, meeting) is None
    assert session.speaker(meeting) is None


def test_only_people_present_ask_and_only_once(db):
    ada, bob = board_of(2)
    meeting = in_session([ada])
    with pytest.raises(NotAllowed):
        session.ask_to_speak(bob.user, meeting, bob)
    session.ask_to_speak(ada.user, meeting, ada)
    with pytest.raises(DomainError):
        session.ask_to_speak(ada.user, meeting, ada)
    with pytest.raises(DomainError):
        session.withdraw(bob.user, meeting, bob)
    with pytest.raises(NotAllowed):
        session.give_floor(ada.user, meeting)


# --- The current item ---------------------------------------------------------------------------


def test_next_item_and_choosing_an_item(db):
    meeting = in_session([])
    first = add_item(meeting, "Welcome", kind="information")
    second = add_item(meeting, "Accounts", kind="decision")
    chair = factory_board()
    assert session.next_item(chair, meeting) == first
    assert meeting.current_item_id == first.id and first.started_at is not None
    assert session.next_item(chair, meeting) == second
    with pytest.raises(DomainError):
        session.next_item(chair, meeting)
    started = second.started_at
    session.set_current_item(chair, meeting, first)
    session.set_current_item(chair, meeting, second)
    assert second.started_at == started  # when it was first taken up
    convened = make_meeting(state="convened")
    with pytest.raises(Conflict):
        session.next_item(chair, convened)


# --- Polls from an item ---------------------------------------------------------------------------


def test_poll_opened_from_a_decision_item(db):
    ada, bob, cleo = board_of(3)
    meeting = in_session([ada, bob])
    attendance.set_status(factory_board(), meeting, cleo.id, "represented", ada.id)
    item = add_item(meeting, "Accounts 2026", kind="decision")
    info = add_item(meeting, "News", kind="information")
    chair = factory_board()
    with pytest.raises(DomainError):
        session.open_item_poll(chair, meeting, info, in_room=True)
    poll = session.open_item_poll(chair, meeting, item, in_room=True)
    assert poll.subject_key == f"agenda_item:{item.id}" == item.object_key
    assert poll.body_id == meeting.body_id and poll.method == "yes_no_abstain"
    assert poll.state == "open" and poll.in_room
    with pytest.raises(DomainError):
        session.open_item_poll(chair, meeting, item, in_room=True)  # one open at a time
    session.record_item_count(chair, meeting, poll, {"yes": 2, "no": 1})
    assert poll.present_count == 3  # two present, one represented
    with pytest.raises(DomainError):
        session.record_item_count(chair, meeting, poll, {"yes": 4})


def test_electronic_poll_goes_to_the_whole_electorate_where_everyone_votes(db):
    ada, *absent = board_of(3)
    meeting = in_session([ada])
    # Else only those present vote: tests/meetings/test_present_electorate.py
    meeting.body.meeting_votes_present_only = False
    item = add_item(meeting, "Accounts 2026", kind="decision")
    poll = session.open_item_poll(factory_board(), meeting, item, in_room=False)
    assert not poll.in_room and poll.secret
    electors = {row.member_id for row in voting_electorate(poll)}
    assert len(electors) == poll.electorate_count
    assert {ada.id, *(person.id for person in absent)} <= electors  # absent people too


def voting_electorate(poll: Poll):
    from portal.voting.models import PollElector

    return db.session.scalars(sa.select(PollElector).where(PollElector.poll_id == poll.id)).all()


# --- HTTP -------------------------------------------------------------------------------------


def test_session_over_http(db, client, login_as):
    (ada,) = board_of(1)
    meeting = in_session([ada])
    item = add_item(meeting, "Accounts 2026", kind="decision")
    login_as(board_user())
    response = post(client, f"/meetings/{meeting.id}/session/next", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Now: Accounts 2026" in html and "Open the vote" in html
    assert "only people present vote: the vote is for the people here when it opens" in html
    url = f"/meetings/{meeting.id}/session/items/{item.id}/poll"
    assert post(client, url, {"where": "elsewhere"}, HX).status_code == 422
    response = post(client, url, {"where": "room"}, HX)
    assert response.status_code == 200
    poll = db.session.scalar(sa.select(Poll).where(Poll.subject_key == item.object_key))
    count_url = f"/meetings/{meeting.id}/session/polls/{poll.id}/count"
    response = post(client, count_url, {"count:yes": "one", "count:no": "0"}, HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="one"' in html and "Give a whole number." in html
    response = post(client, count_url, {"count:yes": "5"}, HX)
    assert response.status_code == 422  # more hands than people present
    response = post(client, count_url, {"count:yes": "1"}, HX)
    assert response.status_code == 200
    assert voting.room_counts(poll)["yes"] == 1
    assert (
        post(client, f"/meetings/{meeting.id}/session/current", {"item_id": "x"}).status_code == 422
    )
    assert (
        post(client, f"/meetings/{meeting.id}/session/current", {"item_id": "999999"}).status_code
        == 404
    )


def test_member_asks_to_speak_over_http(db, client, login_as):
    (ada,) = board_of(1)
    meeting = in_session([ada])
    login_as(ada.user)
    page = client.get(f"/meetings/{meeting.id}/session").get_data(as_text=True)
    assert "I want to speak" in page and "Give the floor" not in page
    response = post(client, f"/meetings/{meeting.id}/session/speak", headers=HX)
    assert response.status_code == 200
    assert "You are on the list to speak." in response.get_data(as_text=True)
    assert post(client, f"/meetings/{meeting.id}/session/speak", headers=HX).status_code == 422
    queue = client.get(f"/meetings/{meeting.id}/session/queue", headers=HX)
    shown = queue.get_data(as_text=True)
    assert ada.full_name in shown
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', shown).group(1)
    url = f"/meetings/{meeting.id}/session/queue?seen={seen}"
    assert client.get(url, headers=HX).status_code == 204
    post(client, f"/meetings/{meeting.id}/session/withdraw", headers=HX)
    assert client.get(url, headers=HX).status_code == 200
    assert post(client, f"/meetings/{meeting.id}/session/floor").status_code == 403
    assert post(client, f"/meetings/{meeting.id}/session/next").status_code == 403
