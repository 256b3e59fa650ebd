"""Demo votes and proposals: what the general assembly of Atelier Commun is deciding.

- a closed secret poll with its results ("Where do we hold the summer meal?");
- an open secret yes/no/abstain poll on a proposal ("A second van for the cleaning team"),
  about a third of the members have voted, one through a proxy;
- a proposal open for support ("A bike shelter at the workshop") with a few supports;
- a submitted proposal waiting for the board, and a practice poll for citizenship sessions.
Everything goes through the services, as the board member marta.kowalska and the members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.db import utcnow
from portal.extensions import db
from portal.members.models import Body, BodyKind, Member
from portal.proposals import services as proposals
from portal.voting import services
from portal.voting.models import CastMode

VAN = proposals.ProposalData(
    title="A second van for the cleaning team",
    summary="We buy a second van, so the cleaning team can work on two sites on the same day.",
    what_changes=(
        "Cleaning: shorter days, less waiting for the van. Everyone: the van costs about "
        "18,000 euros, paid over four years from the cleaning contracts."
    ),
    body=(
        "## Why\n\nSince March we clean the offices of two new clients. With one van, a team "
        "waits up to two hours every day.\n\n## What we propose\n\n- buy a used electric van;\n"
        "- pay it over four years;\n- the board reports on the costs at the next general assembly."
    ),
)
BIKES = proposals.ProposalData(
    title="A bike shelter at the workshop",
    summary="We build a covered place for bikes in front of the furniture workshop.",
    what_changes="You can leave your bike dry and locked. The workshop team builds it with wood we have.",
    body="Ten people come by bike. When it rains, bikes get wet and two were stolen this year.",
)
PAUSE = proposals.ProposalData(
    title="A longer lunch break on Fridays",
    summary="On Fridays, the lunch break lasts one hour instead of 45 minutes.",
    what_changes="You end 15 minutes later on Fridays.",
    body="We eat together on Fridays. 45 minutes is short to cook, eat and clean up.",
)


@dataclass(frozen=True)
class DemoVotes:
    polls: int
    ballots: int
    proposals: int


def _user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _members_with_login(limit: int) -> list[Member]:
    return list(
        db.session.scalars(
            sa.select(Member)
            .where(Member.user_id.is_not(None), Member.state == "active")
            .order_by(Member.id)
            .limit(limit)
        )
    )


def load_demo_votes() -> DemoVotes:
    board = _user("marta.kowalska")
    ga = db.session.scalar(sa.select(Body).where(Body.kind == BodyKind.GENERAL_ASSEMBLY.value))
    if board is None or ga is None:
        return DemoVotes(0, 0, 0)
    voters = [m for m in _members_with_login(60) if m.user.username != "marta.kowalska"]
    ballots = 0

    # A closed poll with its results.
    meal = services.create_poll(
        board,
        services.PollData(
            title="Where do we hold the summer meal?",
            body_id=ga.id,
            method="single",
            question="Every year we eat together in July. Choose the place you like best.",
            options=("In the workshop garden", "At the lake", "In the park near the office"),
        ),
    )
    services.open_poll(board, meal)
    choices = meal.option_labels
    for index, member in enumerate(voters[:24]):
        services.cast_vote(member.user, meal, member, {"choice": choices[(index * 7) % 5 % 3]})
        ballots += 1
    services.close_poll(board, meal)

    # A proposal in vote, with an open poll: a third have voted, one through a proxy.
    van = proposals.create_proposal(_user("joao.silva") or board, VAN)
    proposals.transition_proposal(van.owner, van, "submit")
    poll = proposals.start_vote(board, van, proposals.VoteData(secret=True))
    poll.closes_at = utcnow() + timedelta(days=5)
    answers = ["yes", "yes", "no", "yes", "abstain", "yes", "no", "yes"]
    for index, member in enumerate(voters[:12]):
        services.cast_vote(member.user, poll, member, {"vote": answers[index % len(answers)]})
        ballots += 1
    principal, holder = voters[12], voters[13]
    services.give_proxy(principal.user, poll, principal, holder)
    services.cast_vote(holder.user, poll, principal, {"vote": "yes"}, mode=CastMode.PROXY)
    ballots += 1

    # A proposal open for support, and one waiting for the board.
    bikes = proposals.create_proposal(_user("amina.diallo") or board, BIKES)
    proposals.transition_proposal(bikes.owner, bikes, "submit")
    proposals.transition_proposal(board, bikes, "open_support")
    for member in voters[14:18]:
        proposals.support_proposal(member.user, bikes)
    pause = proposals.create_proposal(_user("mehmet.yilmaz") or board, PAUSE)
    proposals.transition_proposal(pause.owner, pause, "submit")

    # A practice poll for the citizenship sessions.
    practice = services.create_poll(
        board,
        services.PollData(
            title="Practice: which fruit for the break?",
            body_id=ga.id,
            method="schulze",
            question="A practice vote to learn how voting in order works. Nothing is decided.",
            options=("Apples", "Bananas", "Oranges"),
            practice=True,
        ),
    )
    services.open_poll(board, practice)
    db.session.flush()
    return DemoVotes(polls=3, ballots=ballots, proposals=3)
