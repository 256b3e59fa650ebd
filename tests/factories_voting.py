"""Readable poll test data, built on the real services.

    poll = make_poll(method="yes_no_abstain")           # a draft poll of the board, by the board
    poll = open_poll_for(voters)                         # the GA with these members, opened
    receipt = vote(poll, member, {"vote": "yes"})        # the member votes themselves

Every member made with `voter()` has a login (`member.user`) and is active in the "worker"
college, so they are in the general assembly's electorate.
"""

from __future__ import annotations

from datetime import date

from portal.members.models import Member
from portal.voting import services
from portal.voting.models import CastMode, Poll
from tests.factories_members import factory_board, general_assembly, member_with_login


def voter(**kwargs) -> Member:
    return member_with_login(admitted_on=kwargs.pop("admitted_on", date(2025, 2, 3)), **kwargs)


def make_poll(body=None, *, method="yes_no_abstain", options=(), by=None, **fields) -> Poll:
    data = services.PollData(
        title=fields.pop("title", "Do we buy a second van?"),
        body_id=(body or general_assembly()).id,
        method=method,
        question=fields.pop(
            "question", "A second van would let the cleaning team reach two sites."
        ),
        options=tuple(options),
        **fields,
    )
    return services.create_poll(by or factory_board(), data)


def open_poll_for(*voters: Member, method="yes_no_abstain", options=(), **fields) -> Poll:
    """An open poll of the general assembly; `voters` (and any other active member) vote."""
    poll = make_poll(method=method, options=options, **fields)
    services.open_poll(factory_board(), poll)
    return poll


def vote(
    poll: Poll, member: Member, content: dict, *, by=None, mode=CastMode.SELF, **kwargs
) -> str:
    return services.cast_vote(by or member.user, poll, member, content, mode=mode, **kwargs)
