"""The proposal page offers a step exactly when its service takes it: for each state of a
proposal (and of its poll) and each kind of viewer, the button is shown iff the service does not
refuse. Both ask the same predicates (`proposals.policies`), so a change of the rule reaches both;
these tests fail if a template restates the rule and the two drift apart."""

from __future__ import annotations

import pytest

from portal.core.security import GlobalRole, LocalRole, LocalRoleGrant, forget_cached_roles
from portal.extensions import db
from portal.proposals import policies, services
from portal.proposals.models import Proposal
from portal.voting import services as voting
from tests.factories import service_accepts
from tests.factories_members import factory_board, user_with
from tests.factories_proposals import make_proposal
from tests.factories_voting import vote, voter
from tests.proposals.test_views import login, text

START = "Open the vote now"
SETTLE = "Record the result"

# (proposal state, what happened to its poll)
SITUATIONS = [
    ("draft", None),
    ("submitted", None),
    ("support", None),
    ("vote", "open"),
    ("vote", "closed"),
    ("vote", "cancelled"),
    ("adopted", None),
]
VIEWERS = ["anonymous", "author", "local reviewer", *(str(role) for role in GlobalRole)]


def _proposal_in(situation, author, yes) -> Proposal:
    state, poll_state = situation
    proposal = make_proposal(author, state="vote" if state == "adopted" else state)
    board = factory_board()
    if poll_state in ("closed", "cancelled") or state == "adopted":
        if poll_state == "cancelled":
            voting.cancel_poll(board, proposal.poll, "The room was not free.")
        else:
            vote(proposal.poll, yes, {"vote": "yes"})
            voting.close_poll(board, proposal.poll)
    if state == "adopted":
        services.settle_vote(board, proposal)
    return proposal


def _viewer(kind: str, author, proposal):
    if kind == "anonymous":
        return None
    if kind == "author":
        return author
    if kind == "local reviewer":
        # Given when the proposal was written (its sharing closes once it is submitted).
        reviewer = user_with(username="reviewer")
        db.session.add(
            LocalRoleGrant(
                object_key=proposal.object_key, user_id=reviewer.id, role=LocalRole.REVIEWER
            )
        )
        db.session.flush()
        forget_cached_roles()
        return reviewer
    return user_with(GlobalRole(kind), username=f"viewer-{kind}")


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: "-".join(filter(None, s)))
def test_the_page_offers_a_vote_step_exactly_when_the_service_takes_it(app, db, situation):
    author = voter(given="Alma").user
    yes = voter(given="Yes")
    proposal = _proposal_in(situation, author, yes)
    seen = []
    for kind in VIEWERS:
        user = _viewer(kind, author, proposal)
        client = login(app.test_client(), user) if user is not None else app.test_client()
        page = text(client.get(f"/proposals/{proposal.id}"))
        db.session.expire_all()
        proposal = db.session.get(Proposal, proposal.id)
        offers_start, offers_settle = START in page, SETTLE in page
        assert offers_start == policies.can_start_vote(user, proposal), kind
        assert offers_settle == policies.can_settle_vote(user, proposal), kind
        start = service_accepts(services.start_vote, user, proposal, services.VoteData())
        settle = service_accepts(services.settle_vote, user, proposal)
        assert (offers_start, offers_settle) == (start, settle), kind
        seen.append((kind, start, settle))
    # The matrix is not empty: the board (only) can take the step where there is one.
    state, poll_state = situation
    expected_board = (
        state in ("submitted", "support") or poll_state == "cancelled",
        poll_state == "closed",
    )
    assert dict((k, (s, t)) for k, s, t in seen)["board"] == expected_board
    assert all(not (s or t) for k, s, t in seen if k != "board"), seen
