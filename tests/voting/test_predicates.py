"""The poll page offers the room's count form exactly when `record_room_count` takes the counts:
for each state of an in-room poll and each kind of viewer, the form is shown iff the service does
not refuse. Both ask `voting.policies.can_record_room_count`."""

from __future__ import annotations

import pytest

from portal.core.security import GlobalRole
from portal.voting import policies, services
from portal.voting.models import Poll
from tests.factories import service_accepts
from tests.factories_members import factory_board, user_with
from tests.factories_voting import make_poll, voter
from tests.proposals.test_views import login, text

FORM = "Save the counts"
VIEWERS = ["anonymous", *(str(role) for role in GlobalRole)]


def _poll(state: str, *, in_room: bool = True) -> Poll:
    board = factory_board()
    poll = make_poll(in_room=in_room)
    if state != "draft":
        services.open_poll(board, poll)
    if state == "closed":
        if in_room:
            services.record_room_count(board, poll, 2, {"yes": 2})
        services.close_poll(board, poll)
    elif state == "cancelled":
        services.cancel_poll(board, poll, "The room was not free.")
    return poll


@pytest.mark.parametrize("state", ["draft", "open", "closed", "cancelled"])
@pytest.mark.parametrize("in_room", [True, False], ids=["room", "portal"])
def test_the_page_offers_the_count_exactly_when_the_service_takes_it(app, db, state, in_room):
    voter(given="Ana")
    voter(given="Bo")
    poll = _poll(state, in_room=in_room)
    taken = {}
    for kind in VIEWERS:
        user = None if kind == "anonymous" else user_with(GlobalRole(kind), username=f"v-{kind}")
        client = login(app.test_client(), user) if user is not None else app.test_client()
        page = text(client.get(f"/polls/{poll.id}"))
        db.session.expire_all()
        poll = db.session.get(Poll, poll.id)
        offered = FORM in page
        assert offered == policies.can_record_room_count(user, poll), kind
        taken[kind] = service_accepts(services.record_room_count, user, poll, 1, {"yes": 1})
        assert offered == taken[kind], kind
    # Not an empty matrix: the board counts an open poll in the room, and nobody else does.
    assert taken == {kind: kind == "board" and in_room and state == "open" for kind in VIEWERS}
