"""No double vote and no vote lost to a close, with real concurrent sessions on a live database
(QUALITY.md R1, R2 and R3 at the service level; both databases). Threads each open their own
session; the database alone decides."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.extensions import db
from portal.members.models import Member
from portal.voting import services
from portal.voting.models import Ballot, Participation, Poll
from tests.factories_members import factory_board
from tests.factories_voting import open_poll_for, voter
from tests.live import live_database


def run_threads(target, count: int) -> dict[int, object]:
    outcome: dict[int, object] = {}
    start = threading.Barrier(count, timeout=60)

    def run(index: int) -> None:
        try:
            start.wait()
            outcome[index] = target(index)
        except Exception as error:  # reported by the test
            outcome[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcome


def cast(app, poll_id: int, member_id: int, content: dict):
    with app.app_context():
        try:
            poll = db.session.get(Poll, poll_id)
            member = db.session.get(Member, member_id)
            receipt = services.cast_vote(member.user, poll, member, content)
            db.session.commit()
            return receipt
        except DomainError as error:
            db.session.rollback()
            return error
        finally:
            db.session.remove()


def counts(poll_id: int) -> tuple[int, int]:
    participations = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Participation)
        .where(Participation.poll_id == poll_id)
    )
    ballots = db.session.scalar(
        sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
    )
    return participations, ballots


def test_one_member_voting_many_times_at_once_counts_once(tmp_path):
    with live_database("vote_race", tmp_path) as (_url, app):
        with app.app_context():
            member = voter(given="Eager")
            poll = open_poll_for(member, method="single", options=("A", "B", "C"))
            db.session.commit()
            poll_id, member_id = poll.id, member.id
            db.session.remove()

        choices = ["A", "B", "C"]
        outcome = run_threads(
            lambda i: cast(app, poll_id, member_id, {"choice": choices[i % 3]}), 24
        )
        receipts = [o for o in outcome.values() if isinstance(o, str)]
        refused = [o for o in outcome.values() if isinstance(o, services.AlreadyVoted)]
        others = [o for o in outcome.values() if not isinstance(o, (str, services.AlreadyVoted))]
        assert not others, others  # no "database is locked", no integrity error
        assert len(receipts) == 1 and len(refused) == 23

        with app.app_context():
            assert counts(poll_id) == (1, 1)
            poll = db.session.get(Poll, poll_id)
            services.close_poll(factory_board(), poll)
            db.session.commit()
            assert sum(poll.result["counts"].values()) == 1
            db.session.remove()


def test_votes_racing_the_close_are_counted_or_refused_never_half(tmp_path):
    with live_database("close_race", tmp_path) as (_url, app):
        with app.app_context():
            members = [voter(given=f"Racer{i}") for i in range(16)]
            poll = open_poll_for(*members)
            db.session.commit()
            poll_id, member_ids = poll.id, [m.id for m in members]
            db.session.remove()

        def act(index: int):
            if index == len(member_ids):  # one thread closes while the others vote
                with app.app_context():
                    try:
                        services.close_poll(factory_board(), db.session.get(Poll, poll_id))
                        db.session.commit()
                        return "closed"
                    finally:
                        db.session.remove()
            return cast(app, poll_id, member_ids[index], {"vote": "yes"})

        outcome = run_threads(act, len(member_ids) + 1)
        assert outcome[len(member_ids)] == "closed", outcome[len(member_ids)]
        accepted = [o for i, o in outcome.items() if i < len(member_ids) and isinstance(o, str)]
        refused = [
            o for i, o in outcome.items() if i < len(member_ids) and isinstance(o, DomainError)
        ]
        assert len(accepted) + len(refused) == len(member_ids), outcome
        with app.app_context():
            poll = db.session.get(Poll, poll_id)
            assert counts(poll_id) == (len(accepted), len(accepted))  # every accepted vote counted
            assert poll.result["counts"]["yes"] == len(accepted)  # ... and in the result
            db.session.remove()
