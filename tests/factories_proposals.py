"""Readable proposal test data, built on the real services.

    from tests.factories_proposals import make_proposal

    proposal = make_proposal(author)                          # a draft of `author` (a member login)
    proposal = make_proposal(author, state="support")         # submitted, opened by the board
    poll = proposal.poll                                       # state="vote": an open poll

Steps are taken as the application takes them: "submit" by the owner, the board's steps by
`board` (default: `factory_board()`), the vote by `services.start_vote` (the general assembly
must have an electorate: make voters first, e.g. `tests.factories_voting.voter()`).
Nothing is committed: the `db` fixture rolls everything back after the test.
"""

from __future__ import annotations

from typing import Literal

from portal.accounts.models import User
from portal.proposals import services
from portal.proposals.models import Proposal
from tests.factories_members import factory_board

State = Literal["draft", "submitted", "support", "vote"]


def proposal_data(**fields) -> services.ProposalData:
    return services.ProposalData(
        title=fields.pop("title", "A second van"),
        summary=fields.pop("summary", "We buy a second van for the cleaning team."),
        what_changes=fields.pop("what_changes", "Fewer trips by bus between two sites."),
        body=fields.pop("body", "## Why\n\nThe team loses an hour a day on the bus."),
        **fields,
    )


def make_proposal(
    owner: User, state: State = "draft", *, board: User | None = None, **fields
) -> Proposal:
    """A proposal of `owner` in `state` (see the module docstring for who takes each step)."""
    if state not in ("draft", "submitted", "support", "vote"):
        raise ValueError(f"unknown proposal state {state!r}")
    proposal = services.create_proposal(owner, proposal_data(**fields))
    board = board or factory_board()
    if state in ("submitted", "support", "vote"):
        services.transition_proposal(owner, proposal, "submit")
    if state in ("support", "vote"):
        services.transition_proposal(board, proposal, "open_support")
    if state == "vote":
        services.start_vote(board, proposal, services.VoteData())
    return proposal
