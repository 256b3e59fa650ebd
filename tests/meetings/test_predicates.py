"""The meeting page offers the count of an item's in-room poll exactly when
`session.record_item_count` takes it: for each state of the poll and each kind of viewer, the
form is shown iff the service does not refuse. The page asks the two services' predicates
(`session.can_run_session`, `voting.policies.can_record_room_count`) instead of restating them."""

from __future__ import annotations

import pytest

from portal.core.security import GlobalRole
from portal.meetings import attendance, session
from portal.meetings.models import Meeting
from portal.voting import services as voting
from portal.voting.models import Poll
from tests.factories import service_accepts
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import (
    board_body,
    factory_board,
    make_mandate,
    member_with_login,
    user_with,
)
from tests.proposals.test_views import login, text

VIEWERS = ["anonymous", *(str(role) for role in GlobalRole)]


@pytest.mark.parametrize("poll_state", ["open", "closed", "cancelled"])
@pytest.mark.parametrize("in_room", [True, False], ids=["room", "portal"])
def test_the_session_offers_the_count_exactly_when_the_service_takes_it(
    app, db, poll_state, in_room
):
    ada, bob = (member_with_login(given=name) for name in ("Ada", "Bob"))
    for person in (ada, bob):
        make_mandate(person, board_body())
    chair = factory_board()
    meeting = make_meeting(state="in_session", days_ahead=0)
    for person in (ada, bob):
        attendance.record_arrival(chair, meeting, person.id)
    item = add_item(meeting, "Accounts 2026", kind="decision")
    session.set_current_item(chair, meeting, item)
    poll = session.open_item_poll(chair, meeting, item, in_room=in_room)
    if poll_state == "closed":
        if in_room:
            session.record_item_count(chair, meeting, poll, {"yes": 2})
        voting.close_poll(chair, poll)
    elif poll_state == "cancelled":
        voting.cancel_poll(chair, poll, "Asked again later.")
    form = f"/meetings/{meeting.id}/session/polls/{poll.id}/count"
    taken = {}
    for kind in VIEWERS:
        user = None if kind == "anonymous" else user_with(GlobalRole(kind), username=f"v-{kind}")
        client = login(app.test_client(), user) if user is not None else app.test_client()
        page = text(client.get(f"/meetings/{meeting.id}"))
        db.session.expire_all()
        meeting, poll = db.session.get(Meeting, meeting.id), db.session.get(Poll, poll.id)
        taken[kind] = service_accepts(session.record_item_count, user, meeting, poll, {"yes": 1})
        assert (form in page) == taken[kind], kind
    assert taken == {k: k == "board" and in_room and poll_state == "open" for k in VIEWERS}


@pytest.mark.parametrize("state", ["convened", "in_session", "closed"])
def test_the_check_in_code_is_shown_exactly_to_those_who_run_the_session(app, db, state):
    """The code is shown by the rule that lets people run the session (`can_run_session`, which
    `set_current_item` and the session's other steps apply): to the board, while in session."""
    meeting = make_meeting(state=state, days_ahead=0, check_in_code="KM4P7Q")
    add_item(meeting, "Accounts 2026", kind="decision")  # the step tried: take it up
    shown = {}
    for kind in VIEWERS:
        user = None if kind == "anonymous" else user_with(GlobalRole(kind), username=f"v-{kind}")
        client = login(app.test_client(), user) if user is not None else app.test_client()
        page = text(client.get(f"/meetings/{meeting.id}"))
        db.session.expire_all()
        meeting = db.session.get(Meeting, meeting.id)
        shown[kind] = "KM4P7Q" in page
        taken = service_accepts(session.set_current_item, user, meeting, meeting.items[0])
        assert shown[kind] == taken == session.can_run_session(user, meeting), kind
    assert shown == {k: k == "board" and state == "in_session" for k in VIEWERS}
