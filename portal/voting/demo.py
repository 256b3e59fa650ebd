"""Demo votes and proposals: what the general assembly of Atelier Commun is deciding.

- an adopted proposal ("Work clothes for everyone"), its board answer and its follow-up;
- comments (a thread, and one hidden by the board with its reason) and a proposed change;
- a poll counted in the room (show of hands) and an election of two delegates;

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
from portal.core.db import local_today, utcnow
from portal.extensions import db
from portal.members.models import Body, BodyKind, Member
from portal.proposals import amendments, comments
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
CLOTHES = proposals.ProposalData(
    title="Work clothes for everyone",
    summary="The enterprise gives each worker two sets of work clothes and safety shoes.",
    what_changes="You no longer wear your own clothes at work. Ask for your size at the office.",
    body="Today everyone brings their own clothes. They wear out fast in the workshop.",
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

    # An adopted proposal: the vote said yes, the board answered and follows it up.
    clothes = proposals.create_proposal(_user("fatou.ndiaye") or board, CLOTHES)
    proposals.transition_proposal(clothes.owner, clothes, "submit")
    clothes_poll = proposals.start_vote(board, clothes, proposals.VoteData(secret=True))
    for index, member in enumerate(voters[:26]):
        answer = "no" if index % 6 == 5 else "yes"
        services.cast_vote(member.user, clothes_poll, member, {"vote": answer})
        ballots += 1
    services.close_poll(board, clothes_poll)
    proposals.settle_vote(board, clothes)
    proposals.answer_proposal(
        board,
        clothes,
        "Thank you. We ordered the clothes from a supplier that employs people with "
        "disabilities. Sizes are taken at the office until the end of the month.",
    )
    proposals.update_follow_up(
        board,
        clothes,
        "in_progress",
        voters[2].id,
        local_today() + timedelta(days=30),
        "Sizes taken for 18 people. Shoes ordered.",
    )

    # People discuss the van; the board hid one comment, with its reason.
    first = comments.add_comment(
        voters[0].user, van, "Good idea. The morning team waits every day for the van."
    )
    comments.add_comment(
        van.owner, van, "Yes, and with two vans we can take the Tuesday client too.", first
    )
    rude = comments.add_comment(voters[3].user, van, "Whoever drives the van now is too slow.")
    comments.hide_comment(board, rude, van, "About a person, not about the proposal.")
    comments.add_comment(voters[5].user, van, "Can the new van be electric?")

    # A change proposed to the bike shelter, waiting for its author; the board answers the
    # lunch break.
    amendments.propose_amendment(
        voters[6].user,
        bikes,
        amendments.AmendmentData(
            field="summary",
            text="We build a covered and locked place for bikes in front of the workshop.",
            reason="A roof is not enough: two bikes were stolen.",
        ),
    )
    proposals.answer_proposal(
        board,
        pause,
        "The board will discuss it on its next meeting, with the workshop and cleaning teams.",
    )

    # A poll counted in the room (show of hands) and an election of two delegates.
    hands = services.create_poll(
        board,
        services.PollData(
            title="Do we close the workshop between Christmas and New Year?",
            body_id=ga.id,
            method="yes_no_abstain",
            question="Counted by a show of hands at the general assembly.",
            secret=False,
            in_room=True,
        ),
    )
    services.open_poll(board, hands)
    services.record_room_count(board, hands, 30, {"yes": 22, "no": 5, "abstain": 3})
    services.close_poll(board, hands)
    candidates = [f"{m.given_name} {m.family_name}" for m in voters[20:24]]
    election = services.create_poll(
        board,
        services.PollData(
            title="Delegates to the workers' council",
            body_id=ga.id,
            method="approval",
            question="Choose the people you want as delegates. Two are elected.",
            options=tuple(candidates),
            seats=2,
            max_choices=2,
        ),
    )
    services.open_poll(board, election)
    patterns = [(0, 1), (0, 2), (1, 3), (0,), (2, 1), (0, 1), (3,), (1,)]
    for index, member in enumerate(voters[:20]):
        chosen = [candidates[i] for i in patterns[index % len(patterns)]]
        services.cast_vote(member.user, election, member, {"choices": chosen})
        ballots += 1
    services.close_poll(board, election)

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
    return DemoVotes(polls=6, ballots=ballots, proposals=4)
