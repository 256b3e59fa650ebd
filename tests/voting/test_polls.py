"""Polls at the service level: preparing, the frozen electorate, secret ballots, no double
vote, receipts, proxies, closing and counting (QUALITY.md R2, R4, R6, R7 without HTTP)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.extensions import db
from portal.voting import services
from portal.voting.models import Ballot, CastMode, Participation, PollElector, Proxy
from tests.factories_members import (
    board_user,
    factory_board,
    general_assembly,
    member_user,
    membership_step,
)
from tests.factories_voting import make_poll, open_poll_for, vote, voter


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# --- preparing ------------------------------------------------------------------------------------


def test_only_the_board_prepares_polls(db):
    with pytest.raises(NotAllowed):
        make_poll(by=member_user())
    poll = make_poll(by=board_user())
    assert poll.state == "draft" and poll.quorum_percent == general_assembly().quorum_percent


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"method": "coin_toss"}, "method"),
        ({"method": "single", "options": ("Only one",)}, "options"),
        ({"method": "single", "options": ("Same", "same")}, "options"),
        ({"method": "single", "options": ("A", "B"), "seats": 3}, "seats"),
        ({"majority": "most"}, "majority"),
        ({"quorum_percent": 101}, "quorum_percent"),
        (
            {"method": "approval", "options": ("A", "B"), "min_choices": 2, "max_choices": 1},
            "min_choices",
        ),
    ],
)
def test_bad_poll_settings_are_refused_with_the_field(db, fields, field):
    method = fields.pop("method", "yes_no_abstain")
    options = fields.pop("options", ())
    with pytest.raises(DomainError) as refused:
        make_poll(method=method, options=options, **fields)
    assert refused.value.field == field


# --- opening: the electorate is frozen ----------------------------------------------------------


def test_opening_freezes_the_electorate_with_weights(db):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    frozen = dict(
        db.session.execute(
            sa.select(PollElector.member_id, PollElector.weight).where(
                PollElector.poll_id == poll.id
            )
        ).all()
    )
    assert frozen == {ada.id: 1, bea.id: 1}
    assert (poll.electorate_count, poll.electorate_weight) == (2, 2)
    # A later change of membership does not alter the open poll.
    membership_step(bea, "suspend", on=date(2026, 11, 1))
    late = voter(given="Late")
    assert services.elector_weight(poll, late) is None
    vote(poll, bea, {"vote": "no"})  # still in this poll's electorate
    assert services.turnout(poll) == services.Turnout(1, 2)


def test_a_poll_cannot_open_without_anyone_to_vote(db):
    poll = make_poll()
    with pytest.raises(DomainError):
        services.open_poll(factory_board(), poll)
    assert poll.state == "draft"


def test_r6_nothing_changes_once_the_poll_is_open(db):
    ada = voter()
    poll = open_poll_for(ada, method="single", options=("Van", "Bikes"))
    vote(poll, ada, {"choice": "Van"})
    data = services.PollData(
        title="Changed", body_id=poll.body_id, method="approval", options=("X", "Y", "Z")
    )
    with pytest.raises((Conflict, NotAllowed)):
        services.update_poll(factory_board(), poll, data)
    db.session.refresh(poll)
    assert (poll.title, poll.method, poll.option_labels) == (
        "Do we buy a second van?",
        "single",
        ["Van", "Bikes"],
    )


# --- voting -------------------------------------------------------------------------------------


def test_a_vote_writes_one_participation_and_one_ballot(db):
    ada = voter()
    poll = open_poll_for(ada)
    receipt = vote(poll, ada, {"vote": "yes"})
    assert len(receipt) == services.RECEIPT_LENGTH
    assert count(Participation, Participation.poll_id == poll.id) == 1
    ballot = db.session.scalar(sa.select(Ballot).where(Ballot.poll_id == poll.id))
    assert ballot.content == {"vote": "yes"} and ballot.weight == 1
    assert ballot.receipt_fingerprint == services.fingerprint(receipt)
    participation = db.session.scalar(sa.select(Participation))
    assert participation.named_choice is None  # secret: the choice is not kept with the name


def test_second_vote_is_already_voted_not_an_error(db):
    ada = voter()
    poll = open_poll_for(ada, method="single", options=("A", "B"))
    vote(poll, ada, {"choice": "A"})
    with pytest.raises(services.AlreadyVoted) as refused:
        vote(poll, ada, {"choice": "B"})  # R2: another option
    assert "already voted" in str(refused.value.message)
    assert count(Ballot, Ballot.poll_id == poll.id) == 1
    assert db.session.scalar(sa.select(Ballot.content)) == {"choice": "A"}


def test_only_the_member_votes_for_themself(db):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    with pytest.raises(NotAllowed):
        vote(poll, ada, {"vote": "yes"}, by=bea.user)
    assert count(Participation) == 0


def test_bad_ballots_are_refused_and_nothing_is_written(db):
    ada = voter()
    poll = open_poll_for(ada, method="single", options=("A", "B"))
    for content in ({"choice": "C"}, {"vote": "yes"}, {}, {"choice": ["A"]}):
        with pytest.raises(DomainError):
            vote(poll, ada, content)
    assert count(Participation) == 0 and count(Ballot) == 0


def test_no_vote_before_opening_or_after_closing(db):
    ada = voter()
    draft = make_poll()
    with pytest.raises(DomainError):
        vote(draft, ada, {"vote": "yes"})
    poll = open_poll_for(ada)
    services.close_poll(factory_board(), poll)
    with pytest.raises(DomainError):
        vote(poll, ada, {"vote": "yes"})
    assert count(Participation) == 0


def test_named_poll_keeps_the_choice_with_the_participation(db):
    ada = voter()
    poll = open_poll_for(ada, secret=False)
    vote(poll, ada, {"vote": "abstain"})
    assert db.session.scalar(sa.select(Participation.named_choice)) == {"vote": "abstain"}


def test_assisted_vote_is_recorded_and_audited_not_a_proxy(db):
    ada = voter()
    helper = board_user()
    poll = open_poll_for(ada)
    with pytest.raises(DomainError):
        vote(poll, ada, {"vote": "yes"}, mode=CastMode.ASSISTED)  # who helped?
    vote(poll, ada, {"vote": "yes"}, mode=CastMode.ASSISTED, assisted_by=helper)
    participation = db.session.scalar(sa.select(Participation))
    assert (participation.mode, participation.assisted_by_id, participation.cast_by_id) == (
        "assisted",
        helper.id,
        ada.user_id,
    )
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "vote.participation")
    )
    assert f'"assisted_by": {helper.id}' in entry.details
    assert "yes" not in entry.summary + entry.details  # never the choice


# --- R4: the ballot table cannot say who --------------------------------------------------------


def test_r4_ballot_table_has_no_column_or_key_that_says_who_or_when(db):
    inspector = sa.inspect(db.engine)
    columns = {c["name"] for c in inspector.get_columns("ballots")}
    assert columns == {"key", "poll_id", "content", "weight", "receipt_fingerprint"}
    forbidden = {"member", "user", "session", "ip", "address", "time", "created", "at", "date"}
    for name in columns:
        assert not set(name.split("_")) & forbidden, name
    foreign = {
        tuple(fk["constrained_columns"]): fk["referred_table"]
        for fk in inspector.get_foreign_keys("ballots")
    }
    assert foreign == {("poll_id",): "polls"}
    participation_columns = {c["name"] for c in inspector.get_columns("participations")}
    assert not participation_columns & {"ballot_key", "key", "receipt_fingerprint"}
    if db.engine.dialect.name == "sqlite":  # no implicit rowid that would tell the order
        sql = db.session.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE name = 'ballots'")
        ).scalar()
        assert "WITHOUT ROWID" in sql


# --- receipts -----------------------------------------------------------------------------------


def test_receipts_are_listed_after_the_close_only(db):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    receipt = vote(poll, ada, {"vote": "yes"})
    assert services.receipt_fingerprints(poll) == []
    assert not services.receipt_counted(poll, receipt)
    vote(poll, bea, {"vote": "no"})
    services.close_poll(factory_board(), poll)
    assert len(services.receipt_fingerprints(poll)) == 2
    assert services.fingerprint(receipt) in services.receipt_fingerprints(poll)
    assert services.receipt_counted(poll, services.format_receipt(receipt).lower())
    assert not services.receipt_counted(poll, "AAAA-AAAA-AAAA")


# --- closing and counting -----------------------------------------------------------------------


def test_close_counts_with_weights_and_keeps_the_result(db):
    ada, bea, cy = voter(given="Ada"), voter(given="Bea"), voter(given="Cy")
    poll = open_poll_for(ada, bea, cy, quorum_percent=50)
    vote(poll, ada, {"vote": "yes"})
    vote(poll, bea, {"vote": "yes"})
    vote(poll, cy, {"vote": "no"})
    services.close_poll(factory_board(), poll)
    assert poll.state == "closed" and poll.result["verdict"] == "adopted"
    assert poll.result["counts"]["yes"] == 2 and poll.result["counts"]["no"] == 1


def test_no_quorum_when_too_few_vote(db):
    voters = [voter(given=f"V{i}") for i in range(4)]
    poll = open_poll_for(*voters, quorum_percent=50)
    vote(poll, voters[0], {"vote": "yes"})
    services.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == "no_quorum"


# --- R7: proxies ----------------------------------------------------------------------------------


def test_proxy_holder_votes_for_the_principal_once(db):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    services.give_proxy(ada.user, poll, ada, bea)
    vote(poll, ada, {"vote": "yes"}, by=bea.user, mode=CastMode.PROXY)
    vote(poll, bea, {"vote": "no"})  # the holder's own vote
    with pytest.raises((services.AlreadyVoted, NotAllowed)):
        vote(poll, ada, {"vote": "no"}, by=bea.user, mode=CastMode.PROXY)
    with pytest.raises(services.AlreadyVoted):
        vote(poll, ada, {"vote": "no"})  # the principal after the holder
    assert count(Participation) == 2 and count(Ballot) == 2
    proxy = db.session.scalar(sa.select(Proxy))
    assert proxy.used_at is not None
    with pytest.raises(Conflict):
        services.revoke_proxy(ada.user, proxy)  # used: too late


def test_proxy_cap_per_holder(db):
    holder, first, second = voter(given="Holder"), voter(given="First"), voter(given="Second")
    poll = open_poll_for(holder, first, second)
    assert poll.proxy_cap == 1
    services.give_proxy(first.user, poll, first, holder)
    with pytest.raises(DomainError) as refused:
        services.give_proxy(second.user, poll, second, holder)
    assert refused.value.field == "holder_id"
    assert count(Proxy) == 1


def test_proxy_to_someone_outside_the_electorate_is_refused(db):
    ada = voter(given="Ada")
    poll = open_poll_for(ada)
    outsider = voter(given="Outsider")  # became a member after the opening
    with pytest.raises(DomainError):
        services.give_proxy(ada.user, poll, ada, outsider)


def test_revoked_proxy_cannot_be_used_and_the_principal_votes(db):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    proxy = services.give_proxy(ada.user, poll, ada, bea)
    services.revoke_proxy(ada.user, proxy)
    with pytest.raises(NotAllowed):
        vote(poll, ada, {"vote": "yes"}, by=bea.user, mode=CastMode.PROXY)
    vote(poll, ada, {"vote": "no"})
    assert count(Participation) == 1


def test_principal_voting_first_voids_the_proxy(db):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    services.give_proxy(ada.user, poll, ada, bea)
    vote(poll, ada, {"vote": "yes"})
    proxy = db.session.scalar(sa.select(Proxy))
    assert proxy.revoked_at is not None
    with pytest.raises(NotAllowed):
        vote(poll, ada, {"vote": "no"}, by=bea.user, mode=CastMode.PROXY)
    assert count(Participation) == 1


def test_only_the_principal_or_the_board_gives_a_proxy(db):
    ada, bea, cy = voter(given="Ada"), voter(given="Bea"), voter(given="Cy")
    poll = open_poll_for(ada, bea, cy)
    with pytest.raises(NotAllowed):
        services.give_proxy(cy.user, poll, ada, cy)
    services.give_proxy(factory_board(), poll, ada, cy)  # a signed paper proxy, recorded
    assert count(Proxy) == 1
