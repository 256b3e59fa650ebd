"""A board vote on the minutes: put them to a vote from their page, then approve them with it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.meetings import minutes as services
from portal.meetings.models import Decision
from portal.voting import services as voting
from portal.voting.models import Poll
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import board_body, board_user, factory_board, make_mandate, member_user
from tests.factories_voting import vote, voter


def board_members(n: int = 3) -> list:
    people = []
    for i in range(n):
        person = voter(given=f"Board{i}")
        make_mandate(person, board_body())
        people.append(person)
    return people


def submitted_minutes():
    meeting = make_meeting(state="closed", days_ahead=-3, title="Board of March")
    add_item(meeting, "Buy a second van", kind="decision")
    board = factory_board()
    minutes = services.start_minutes(board, meeting)
    services.submit_minutes(board, minutes)
    return minutes


def votes_about(minutes) -> list[Poll]:
    return db.session.scalars(
        sa.select(Poll).where(Poll.subject_key == f"minutes:{minutes.id}").order_by(Poll.id)
    ).all()


def close_with(poll, members, answer: str):
    for person in members:
        vote(poll, person, {"vote": answer})
    voting.close_poll(factory_board(), poll)
    return poll


# --- Service ----------------------------------------------------------------------------------


def test_putting_the_minutes_to_a_vote_opens_a_named_board_poll(db):
    board_members()
    minutes = submitted_minutes()
    poll = services.put_minutes_to_vote(factory_board(), minutes)
    assert poll.state == "open" and poll.body_id == board_body().id
    assert poll.title == "Approve the minutes of Board of March"
    assert poll.subject_key == f"minutes:{minutes.id}"
    assert poll.method == "yes_no_abstain" and not poll.secret and not poll.practice
    assert poll.electorate_count >= 3
    assert votes_about(minutes) == [poll]


def test_only_the_board_and_only_submitted_minutes_and_one_open_vote(db):
    members = board_members()
    minutes = submitted_minutes()
    with pytest.raises(NotAllowed):
        services.put_minutes_to_vote(member_user(), minutes)
    draft = services.start_minutes(
        factory_board(), make_meeting(state="closed", days_ahead=-10, title="Earlier")
    )
    with pytest.raises(DomainError):
        services.put_minutes_to_vote(factory_board(), draft)
    first = services.put_minutes_to_vote(factory_board(), minutes)
    with pytest.raises(DomainError):
        services.put_minutes_to_vote(factory_board(), minutes)  # one is open
    close_with(first, members, "no")
    assert first.result["verdict"] == "rejected"
    second = services.put_minutes_to_vote(factory_board(), minutes)  # rejected: vote again
    close_with(second, members, "yes")
    with pytest.raises(DomainError):
        services.put_minutes_to_vote(factory_board(), minutes)  # adopted: record the approval
    assert services.adopted_approval_poll(minutes) == second
    assert votes_about(minutes) == [first, second]


def test_approval_through_the_vote_end_to_end(db):
    members = board_members()
    minutes = submitted_minutes()
    board = factory_board()
    poll = services.put_minutes_to_vote(board, minutes)
    with pytest.raises(DomainError):
        services.approve_minutes(board, minutes, poll=poll)  # still open
    close_with(poll, members, "yes")
    services.approve_minutes(board, minutes, poll=poll)
    assert minutes.state == "approved" and minutes.approval_poll_id == poll.id
    assert services.approval_label(minutes) == f"Vote of the board: {poll.title}"
    registered = db.session.scalars(sa.select(Decision.poll_id)).all()
    assert registered.count(poll.id) == 1  # the board's decision, recorded when counted


# --- Over HTTP --------------------------------------------------------------------------------


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def test_the_minutes_page_puts_them_to_a_vote_then_approves_with_it(db, client, login_as):
    members = board_members()
    minutes = submitted_minutes()
    page_url = f"/meetings/minutes/{minutes.id}"
    login_as(board_user())
    page = client.get(page_url).get_data(as_text=True)
    assert "Put the minutes to a board vote" in page
    response = _post(client, f"/meetings/minutes/{minutes.id}/vote")
    assert response.status_code == 303
    (poll,) = votes_about(minutes)
    page = client.get(page_url).get_data(as_text=True)
    assert f'href="/polls/{poll.id}"' in page
    assert "Approve the minutes of Board of March" in page
    assert "Put the minutes to a board vote" not in page  # one open at a time
    response = _post(client, f"/meetings/minutes/{minutes.id}/vote")
    assert response.status_code == 422
    assert "A vote about these minutes is already open." in response.get_data(as_text=True)
    assert len(votes_about(minutes)) == 1

    close_with(poll, members, "yes")
    db.session.commit()
    page = client.get(page_url).get_data(as_text=True)
    selected = re.search(
        r'<option[^>]*selected[^>]*value="(\d+)"|<option[^>]*value="(\d+)"[^>]*selected', page
    )
    assert selected and poll.id in {int(g) for g in selected.groups() if g}  # prefilled
    assert "Put the minutes to a board vote" not in page
    response = _post(
        client, f"/meetings/minutes/{minutes.id}/approve", poll_id=str(poll.id), item_id=""
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert minutes.state == "approved" and minutes.approval_poll_id == poll.id


def test_only_review_holders_put_the_minutes_to_a_vote_over_http(app, db, client, login_as):
    board_members()
    minutes = submitted_minutes()
    url = f"/meetings/minutes/{minutes.id}/vote"
    visitor = app.test_client()
    response = visitor.post(url, data={"csrf_token": csrf_token(visitor, "/")})
    assert response.status_code in (302, 303, 401)  # a visitor: log in first
    login_as(member_user())
    assert _post(client, url).status_code == 404  # submitted minutes are the board's
    assert votes_about(minutes) == []
    board = app.test_client()
    board.post(
        "/login",
        data={
            "username": board_user(username="chair2").username,
            "password": PASSWORD,
            "csrf_token": csrf_token(board),
        },
    )
    assert board.post(url, data={}).status_code == 400  # no CSRF token
    assert votes_about(minutes) == []
    assert _post(board, url).status_code == 303
    assert len(votes_about(minutes)) == 1
