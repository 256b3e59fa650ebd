"""Demo votes: what the general assembly of Atelier Commun is voting on. The proposals, their
votes, comments and changes are `portal.proposals.demo`'s; `portal.demo` runs them in turn:

- a closed secret poll with its results ("Where do we hold the summer meal?");
- (the proposals' demo);
- a poll counted in the room (show of hands) and an election of two delegates;
- a practice poll for citizenship sessions.
Everything goes through the services, as the board member marta.kowalska and the members.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from portal.accounts.models import User
from portal.extensions import db
from portal.members.models import Body, BodyKind, Member
from portal.voting import services


@dataclass(frozen=True)
class DemoVotes:
    polls: int
    ballots: int
    proposals: int = 0

    def __add__(self, other: DemoVotes) -> DemoVotes:
        return DemoVotes(
            self.polls + other.polls,
            self.ballots + other.ballots,
            self.proposals + other.proposals,
        )


def demo_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def members_with_login(limit: int) -> list[Member]:
    return list(
        db.session.scalars(
            sa.select(Member)
            .where(Member.user_id.is_not(None), Member.state == "active")
            .order_by(Member.id)
            .limit(limit)
        )
    )


def demo_setting() -> tuple[User, Body, list[Member]] | None:
    """The board member who runs the votes, the general assembly and its voters (None: the
    register's demo is not loaded)."""
    board = demo_user("marta.kowalska")
    ga = db.session.scalar(sa.select(Body).where(Body.kind == BodyKind.GENERAL_ASSEMBLY.value))
    if board is None or ga is None:
        return None
    return board, ga, [m for m in members_with_login(60) if m.user.username != "marta.kowalska"]


def load_demo_votes() -> DemoVotes:
    """The summer meal's poll, closed with its results (run before the proposals' demo)."""
    setting = demo_setting()
    if setting is None:
        return DemoVotes(0, 0)
    board, ga, voters = setting
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
    return DemoVotes(polls=1, ballots=ballots)


def load_demo_room_votes() -> DemoVotes:
    """A poll counted in the room, an election and a practice poll (after the proposals)."""
    setting = demo_setting()
    if setting is None:
        return DemoVotes(0, 0)
    board, ga, voters = setting
    ballots = 0

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
    return DemoVotes(polls=3, ballots=ballots)
