"""Adopted polls enter the decisions register when they are counted (once, never practice),
and the approval of the minutes links them instead of recording them again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.extensions import db
from portal.meetings import attendance, session
from portal.meetings import minutes as minutes_services
from portal.meetings.decisions import prefix_of
from portal.meetings.models import Decision
from portal.voting import services
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import board_body, factory_board, general_assembly, make_mandate
from tests.factories_voting import make_poll, open_poll_for, vote, voter


def decisions() -> list[Decision]:
    return db.session.scalars(sa.select(Decision).order_by(Decision.id)).all()


def three_voters():
    return [voter(given=name) for name in ("Ada", "Bea", "Cy")]


def test_an_adopted_poll_is_registered_with_its_number_text_and_link(db):
    ada, bea, cy = three_voters()
    poll = open_poll_for(ada, bea, cy, quorum_percent=50, title="Buy a second van")
    vote(poll, ada, {"vote": "yes"})
    vote(poll, bea, {"vote": "yes"})
    vote(poll, cy, {"vote": "no"})
    services.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == "adopted"
    (decision,) = decisions()
    year = poll.closed_at.year
    prefix = prefix_of(general_assembly())
    assert decision.body_id == general_assembly().id
    assert (decision.year, decision.number) == (year, 1)
    assert decision.reference == f"{prefix}-{year}-01"
    assert decision.title == "Buy a second van"
    assert decision.text == poll.question
    assert decision.poll_id == poll.id
    assert decision.meeting_id is None and decision.minutes_id is None

    second = open_poll_for(ada, bea, cy, title="Paint the workshop")
    vote(second, ada, {"vote": "yes"})
    services.close_poll(factory_board(), second)
    assert [d.reference for d in decisions()] == [f"{prefix}-{year}-01", f"{prefix}-{year}-02"]


@pytest.mark.parametrize(
    ("votes", "fields", "verdict"),
    [
        (("no", "no", "yes"), {}, "rejected"),
        (("yes", "no"), {}, "tie"),
        (("yes",), {"quorum_percent": 100}, "no_quorum"),
    ],
)
def test_a_poll_not_adopted_is_not_registered(db, votes, fields, verdict):
    people = three_voters()
    poll = open_poll_for(*people, **fields)
    for person, answer in zip(people, votes, strict=False):
        vote(poll, person, {"vote": answer})
    services.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == verdict
    assert decisions() == []


def test_a_practice_poll_is_never_registered(db):
    ada, bea, cy = three_voters()
    poll = open_poll_for(ada, bea, cy, practice=True)
    vote(poll, ada, {"vote": "yes"})
    vote(poll, bea, {"vote": "yes"})
    services.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == "adopted"
    assert decisions() == []


def test_a_poll_is_closed_and_registered_once(db):
    ada, bea, cy = three_voters()
    poll = open_poll_for(ada, bea, cy)
    vote(poll, ada, {"vote": "yes"})
    services.close_poll(factory_board(), poll)
    with pytest.raises(DomainError):
        services.close_poll(factory_board(), poll)
    assert [d.poll_id for d in decisions()] == [poll.id]


def test_a_draft_poll_cannot_be_closed_into_the_register(db):
    poll = make_poll()
    with pytest.raises(DomainError):
        services.close_poll(factory_board(), poll)
    assert decisions() == []


def test_an_item_vote_is_registered_then_linked_to_the_minutes_once(db):
    board = factory_board()
    people = [voter(given=f"Board{i}") for i in range(3)]
    for person in people:
        make_mandate(person, board_body())
    meeting = make_meeting(state="in_session", days_ahead=0)
    for person in people:
        attendance.record_arrival(board, meeting, person.id)
    item = add_item(meeting, "Buy a second van", kind="decision")
    session.set_current_item(board, meeting, item)
    poll = session.open_item_poll(board, meeting, item, in_room=False)
    for person in people[:2]:
        vote(poll, person, {"vote": "yes"})
    services.close_poll(board, poll)
    (decision,) = decisions()
    assert decision.poll_id == poll.id
    assert (decision.meeting_id, decision.agenda_item_id) == (meeting.id, item.id)
    assert decision.reference.startswith(f"{prefix_of(board_body())}-")

    minutes = minutes_services.start_minutes(board, meeting)
    (section,) = minutes_services.sections_in_order(minutes)
    minutes_services.save_section(board, section, 1, "Short talk.", "We buy a second van.")
    minutes_services.submit_minutes(board, minutes)
    approval = make_poll(board_body(), subject_key=f"minutes:{minutes.id}", title="Approve")
    services.open_poll(board, approval)
    for person in people[:2]:
        vote(approval, person, {"vote": "yes"})
    services.close_poll(board, approval)
    minutes_services.approve_minutes(board, minutes, poll=approval)
    assert minutes.state == "approved"
    entries = db.session.scalars(
        sa.select(Decision).where(Decision.agenda_item_id == item.id)
    ).all()
    assert [(d.id, d.minutes_id) for d in entries] == [(decision.id, minutes.id)]
    # The vote that approved the minutes is itself a decision of the board, recorded once.
    assert [d.poll_id for d in decisions()] == [poll.id, approval.id]


def test_the_decision_date_is_the_local_day_of_the_count(db):
    from datetime import UTC, date, datetime

    from portal.meetings.decisions import record_poll_decision

    ada, bea, cy = three_voters()
    poll = open_poll_for(ada, bea, cy, practice=True)  # practice: not registered at the close
    vote(poll, ada, {"vote": "yes"})
    services.close_poll(factory_board(), poll)
    poll.practice = False
    poll.closed_at = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 April in Paris
    decision = record_poll_decision(factory_board(), poll)
    assert decision.decided_on == date(2026, 4, 1)
    assert decision.reference.endswith("-2026-01")
