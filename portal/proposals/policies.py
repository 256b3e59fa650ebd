"""Who may do what with a proposal, as named predicates built on `core.security.can`.

The services use them as their guards and the templates ask them (as Jinja globals), so the
page offers a step exactly when the service would take it: a rule changed here reaches both.
"""

from __future__ import annotations

from portal.core.security import Permission, can

# A proposal is put to the vote from these states (the workflow's `schedule_vote`).
VOTE_FROM_STATES = frozenset({"submitted", "support"})


def vote_restarts(proposal) -> bool:
    """The board cancelled the proposal's poll: a new vote replaces it (it stays "in vote")."""
    return (
        proposal.state == "vote"
        and proposal.poll is not None
        and proposal.poll.state == "cancelled"
    )


def can_start_vote(user, proposal) -> bool:
    """May `user` put `proposal` to the vote now: the board reviewing a submitted or supported
    proposal, or whoever manages its polls once its poll was cancelled. Either way they prepare
    polls (`voting.create_poll` asks Manage polls site-wide)."""
    if vote_restarts(proposal):
        allowed = can(user, Permission.MANAGE_POLLS, proposal)
    else:
        allowed = proposal.state in VOTE_FROM_STATES and can(user, Permission.REVIEW, proposal)
    return allowed and can(user, Permission.MANAGE_POLLS)


def can_settle_vote(user, proposal) -> bool:
    """May `user` record the result of the proposal's closed poll (adopted or rejected)?"""
    return (
        proposal.state == "vote"
        and proposal.poll is not None
        and proposal.poll.state == "closed"
        and can(user, Permission.MANAGE_POLLS, proposal)
    )
