"""The domains' signals are connected when the app is built, and do their job: a counted poll
enters the decisions register (meetings listens to voting), a member who leaves loses the
proxies they gave or held in open polls (voting listens to members). Receivers run
synchronously, in the sender's transaction, before the sender's service returns."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.meetings import signals as meetings_signals
from portal.meetings.models import Decision
from portal.members import lookup
from portal.members.signals import member_left
from portal.voting import services
from portal.voting import signals as voting_signals
from portal.voting.models import CastMode, Proxy
from portal.voting.signals import poll_counted
from tests.factories_members import factory_board, membership_step
from tests.factories_voting import open_poll_for, vote, voter


def receivers(signal) -> list:
    return list(signal.receivers_for(object()))


def test_each_listener_is_connected_once_the_app_is_built(app):
    assert meetings_signals._register_decision in receivers(poll_counted)
    assert voting_signals._revoke_proxies_of in receivers(member_left)


def test_a_counted_adopted_poll_enters_the_decisions_register(db):
    voters = [voter(given=f"V{i}") for i in range(3)]
    poll = open_poll_for(*voters)
    for member in voters:
        vote(poll, member, {"vote": "yes"})
    services.close_poll(factory_board(), poll)
    decisions = db.session.scalars(sa.select(Decision).where(Decision.poll_id == poll.id)).all()
    assert len(decisions) == 1
    assert decisions[0].title == poll.title


def test_a_rejected_or_practice_poll_enters_nothing(db):
    voters = [voter(given=f"R{i}") for i in range(3)]
    rejected = open_poll_for(*voters)
    for member in voters:
        vote(rejected, member, {"vote": "no"})
    practice = open_poll_for(*voters, practice=True)
    for member in voters:
        vote(practice, member, {"vote": "yes"})
    for poll in (rejected, practice):
        services.close_poll(factory_board(), poll)
    found = db.session.scalars(
        sa.select(Decision.id).where(Decision.poll_id.in_([rejected.id, practice.id]))
    ).all()
    assert found == []


def test_receivers_run_inside_the_senders_service(db):
    voters = [voter(given=f"S{i}") for i in range(2)]
    poll = open_poll_for(*voters)
    board = factory_board()
    seen = []

    def listener(sender, **extra):
        seen.append((sender, extra["actor"], sender.state, dict(sender.result)))

    with poll_counted.connected_to(listener):
        services.close_poll(board, poll)
    assert seen == [(poll, board, "closed", poll.result)]


def test_a_member_who_leaves_loses_the_proxies_of_open_polls(db):
    leaver, principal, holder, other = (voter(given=g) for g in ("Lea", "Pia", "Hal", "Oto"))
    poll = open_poll_for(leaver, principal, holder, other)
    held = services.give_proxy(principal.user, poll, principal, leaver)  # the leaver holds one
    given = services.give_proxy(leaver.user, poll, leaver, holder)  # and gave one
    # In another poll, a proxy the leaver already used: it stays as it was.
    used_poll = open_poll_for(leaver, other)
    used = services.give_proxy(other.user, used_poll, other, leaver)
    vote(used_poll, other, {"vote": "yes"}, by=leaver.user, mode=CastMode.PROXY)
    unrelated = services.give_proxy(other.user, poll, other, principal)

    membership_step(leaver, "end", local_today(), reason="Left the cooperative.")

    for proxy in (held, given, used, unrelated):
        db.session.refresh(proxy)
    assert held.revoked_at is not None and given.revoked_at is not None
    assert used.revoked_at is None and used.used_at is not None
    assert unrelated.revoked_at is None
    entries = [
        json.loads(details)
        for details in db.session.scalars(
            sa.select(AuditEntry.details).where(AuditEntry.action == "proxy.revoked")
        )
    ]
    assert sorted(e["principal_id"] for e in entries) == sorted([principal.id, leaver.id])
    assert {e["member_left"] for e in entries} == {leaver.id}
    # The principal whose holder left may give their proxy to someone else.
    services.give_proxy(principal.user, poll, principal, holder)
    in_force = db.session.scalars(
        sa.select(Proxy).where(Proxy.poll_id == poll.id, Proxy.revoked_at.is_(None))
    ).all()
    assert {(p.principal_id, p.holder_id) for p in in_force} == {
        (other.id, principal.id),
        (principal.id, holder.id),
    }


def test_a_suspended_member_keeps_their_proxies(db):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    proxy = services.give_proxy(ada.user, poll, ada, bea)
    membership_step(ada, "suspend", local_today(), reason="Unpaid share.")
    db.session.refresh(proxy)
    assert proxy.revoked_at is None


def test_the_member_of_an_account_lives_in_members(db):
    assert "def member_of" not in Path(services.__file__).read_text()  # one definition
    ada = voter(given="Ada")
    assert lookup.member_of(ada.user).id == ada.id
    assert lookup.member_of(None) is None
