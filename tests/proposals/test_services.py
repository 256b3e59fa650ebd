"""Proposal services without HTTP: writing, workflow rights, supports, the vote, search."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.core.history import EditConflict, revisions_of
from portal.core.search import search
from portal.core.security import LocalRole, grant_local_role
from portal.extensions import db
from portal.proposals import services
from portal.proposals.models import Proposal, ProposalSupport
from portal.voting import services as voting
from portal.voting.models import Poll
from tests.factories_members import (
    admin_user,
    board_body,
    board_user,
    factory_board,
    make_member,
    member_user,
)
from tests.factories_proposals import make_proposal, proposal_data
from tests.factories_voting import vote, voter


@pytest.fixture()
def author(db):
    return voter(given="Alma").user


# --- writing ------------------------------------------------------------------------------------


def test_create_makes_a_draft_with_a_first_revision_addressed_to_the_assembly(author):
    proposal = make_proposal(author)
    assert proposal.state == "draft" and proposal.owner_id == author.id
    assert proposal.addressed_to.kind == "general_assembly"
    assert proposal.security_path == f"/proposal:{proposal.id}/"
    assert [r.version for r in revisions_of(proposal)] == [1]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary": ""}, "summary"),
        ({"summary": "   \n "}, "summary"),
        ({"summary": "x" * (services.MAX_SUMMARY + 1)}, "summary"),
        ({"title": ""}, "title"),
        ({"title": "t" * (services.MAX_TITLE + 1)}, "title"),
        ({"what_changes": "w" * (services.MAX_WHAT_CHANGES + 1)}, "what_changes"),
        ({"body": "b" * (services.MAX_BODY + 1)}, "body"),
        ({"body_id": 2_000_000_000}, "body_id"),
        ({"body_id": 10**20}, "body_id"),
    ],
)
def test_bad_data_is_refused_and_nothing_is_saved(author, changes, field):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal))
    with pytest.raises(DomainError) as error:
        services.create_proposal(author, proposal_data(**changes))
    assert error.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == before


def test_a_summary_of_exactly_the_limit_is_fine(author):
    proposal = make_proposal(author, summary="y" * services.MAX_SUMMARY)
    assert len(proposal.summary) == services.MAX_SUMMARY


def test_visitors_do_not_write_proposals(db):
    with pytest.raises(NotAllowed):
        services.create_proposal(None, proposal_data())


def test_a_stale_edit_is_a_conflict_and_writes_nothing(author):
    proposal = make_proposal(author)
    services.update_proposal(author, proposal, 1, proposal_data(summary="First change."))
    with pytest.raises(EditConflict) as error:
        services.update_proposal(author, proposal, 1, proposal_data(summary="Second change."))
    assert error.value.status_code == 409
    assert error.value.theirs.version == 2
    assert proposal.summary == "First change." and proposal.version == 2


def test_revert_brings_back_an_old_text_as_a_new_version(author):
    proposal = make_proposal(author, summary="Old words.")
    services.update_proposal(author, proposal, 1, proposal_data(summary="New words."))
    services.revert_proposal(author, proposal, 1)
    assert proposal.summary == "Old words." and proposal.version == 3
    with pytest.raises(DomainError):
        services.revert_proposal(author, proposal, 99)


# --- workflow rights ------------------------------------------------------------------------------


def test_co_authors_edit_and_submit_but_only_the_author_withdraws(author):
    proposal = make_proposal(author)
    co_author = member_user()
    stranger = member_user()
    grant_local_role(author, proposal, co_author, LocalRole.EDITOR.value)
    services.update_proposal(co_author, proposal, 1, proposal_data(summary="Better words."))
    with pytest.raises(NotAllowed):
        services.update_proposal(stranger, proposal, 2, proposal_data())
    with pytest.raises(NotAllowed):
        services.transition_proposal(stranger, proposal, "submit")
    services.transition_proposal(co_author, proposal, "submit")
    assert proposal.state == "submitted"
    with pytest.raises(DomainError, match="Only the author"):
        services.transition_proposal(co_author, proposal, "withdraw")
    services.transition_proposal(author, proposal, "withdraw")
    assert proposal.state == "withdrawn"


def test_only_the_board_accepts_for_support_and_rejects_with_a_reason(author):
    proposal = make_proposal(author, state="submitted")
    for someone in (author, member_user(), admin_user()):
        with pytest.raises(NotAllowed):
            services.transition_proposal(someone, proposal, "open_support")
    board = board_user()
    with pytest.raises(DomainError, match="why"):
        services.transition_proposal(board, proposal, "reject")
    services.transition_proposal(board, proposal, "open_support")
    assert (
        proposal.state == "support"
        and proposal.support_threshold == proposal.addressed_to.support_minimum == 3
    )
    services.transition_proposal(board, proposal, "reject", "Against the statutes.")
    assert proposal.state == "rejected"
    services.transition_proposal(board, proposal, "archive")
    assert proposal.state == "archived"


def test_the_text_is_frozen_once_open_for_support(author):
    proposal = make_proposal(author, state="support")
    with pytest.raises(NotAllowed):
        services.update_proposal(author, proposal, 1, proposal_data(summary="Changed."))


def test_vote_steps_cannot_be_taken_from_the_status_box(author):
    proposal = make_proposal(author, state="submitted")
    for name in ("schedule_vote", "adopt", "reject_by_vote"):
        with pytest.raises(DomainError):
            services.transition_proposal(factory_board(), proposal, name)
    assert proposal.state == "submitted"


def test_drafts_are_private_and_submitted_proposals_are_read_by_members(author):
    draft = make_proposal(author, title="Secret plan")
    submitted = make_proposal(author, title="Open plan", state="submitted")
    reader = member_user()
    visible = set(db.session.scalars(services.visible(reader)))
    assert submitted in visible and draft not in visible
    assert draft in set(db.session.scalars(services.visible(author)))


# --- supports -------------------------------------------------------------------------------------


def test_threshold_is_ten_percent_of_the_electorate_and_at_least_three(author):
    for _ in range(34):
        voter()
    proposal = make_proposal(author, state="support")
    electorate = voting.body_services.electorate_summary(
        proposal.addressed_to, services.local_today()
    )
    assert proposal.support_threshold == max(3, -(-electorate.voters // 10)) == 4


def test_a_member_supports_once_and_the_second_time_is_a_conflict(author):
    proposal = make_proposal(author, state="support")
    supporter = voter(given="Sam")
    services.support_proposal(supporter.user, proposal)
    with pytest.raises(services.AlreadySupported) as error:
        services.support_proposal(supporter.user, proposal)
    assert error.value.status_code == 409
    assert services.support_count(proposal) == 1
    assert services.has_supported(proposal, supporter)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "proposal.supported")
        )
        == 1
    )


def test_only_the_electorate_supports(author):
    proposal = make_proposal(author, state="support")
    applicant = make_member(given="Applicant", user=member_user())  # not admitted
    with pytest.raises(DomainError, match="Only members of"):
        services.support_proposal(applicant.user, proposal)
    with pytest.raises(DomainError, match="Only members of"):
        services.support_proposal(member_user(), proposal)  # no member record at all
    on_board = make_proposal(author, state="support", body_id=board_body().id)
    with pytest.raises(DomainError, match="Only members of"):
        services.support_proposal(author, on_board)  # a worker, not on the board
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProposalSupport)) == 0


def test_no_support_outside_the_support_state(author):
    proposal = make_proposal(author, state="submitted")
    with pytest.raises(NotAllowed):
        services.support_proposal(voter().user, proposal)


# --- the vote -------------------------------------------------------------------------------------


def test_start_vote_opens_a_yes_no_poll_about_the_proposal(author):
    yes_voter = voter(given="Yann")
    proposal = make_proposal(author, state="support")
    board = board_user()
    poll = services.start_vote(
        board, proposal, services.VoteData(secret=False, majority="absolute")
    )
    assert proposal.state == "vote" and proposal.poll_id == poll.id
    assert poll.state == "open" and poll.subject_key == f"proposal:{proposal.id}"
    assert poll.method == "yes_no_abstain" and poll.majority == "absolute" and not poll.secret
    assert poll.body_id == proposal.body_id and poll.electorate_count >= 2
    assert voting.elector_weight(poll, yes_voter) == 1


def test_the_board_may_schedule_a_vote_directly_from_submitted(author):
    voter()
    proposal = make_proposal(author, state="submitted")
    services.start_vote(factory_board(), proposal, services.VoteData())
    assert proposal.state == "vote"


def test_others_cannot_start_a_vote(author):
    proposal = make_proposal(author, state="support")
    for someone in (author, member_user(), admin_user()):
        with pytest.raises(NotAllowed):
            services.start_vote(someone, proposal, services.VoteData())
    assert proposal.state == "support"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0


def _vote_and_close(proposal, ballots):
    for member, answer in ballots:
        vote(proposal.poll, member, {"vote": answer})
    voting.close_poll(factory_board(), proposal.poll)


def test_settle_vote_adopts_when_the_vote_says_yes(author):
    a, b = voter(), voter()
    proposal = make_proposal(author, state="vote")
    with pytest.raises(DomainError, match="not closed"):
        services.settle_vote(factory_board(), proposal)
    _vote_and_close(proposal, [(a, "yes"), (b, "yes")])
    services.settle_vote(board_user(), proposal)
    assert proposal.state == "adopted"


@pytest.mark.parametrize(
    ("answers", "verdict"),
    [(["no", "no"], "rejected"), (["yes", "no"], "tie"), ([], "no_quorum")],
)
def test_settle_vote_rejects_on_no_tie_or_no_quorum(author, answers, verdict):
    voters = [voter() for _ in answers] or [voter()]
    proposal = make_proposal(author, state="vote")
    _vote_and_close(proposal, list(zip(voters, answers, strict=False)))
    assert proposal.poll.result["verdict"] == verdict
    entry = services.settle_vote(factory_board(), proposal)
    assert proposal.state == "rejected"
    assert entry.transition == "reject_by_vote" and entry.comment


def test_only_the_board_records_the_result(author):
    a = voter()
    proposal = make_proposal(author, state="vote")
    _vote_and_close(proposal, [(a, "yes")])
    for someone in (author, admin_user()):
        with pytest.raises(NotAllowed):
            services.settle_vote(someone, proposal)
    assert proposal.state == "vote"


def test_a_cancelled_poll_can_be_replaced(author):
    voter()
    proposal = make_proposal(author, state="vote")
    first = proposal.poll
    voting.cancel_poll(factory_board(), first, "Wrong question.")
    with pytest.raises(DomainError, match="cancelled"):
        services.settle_vote(factory_board(), proposal)
    second = services.start_vote(factory_board(), proposal, services.VoteData())
    assert second.id != first.id and proposal.poll_id == second.id and proposal.state == "vote"


# --- search ---------------------------------------------------------------------------------------


def test_search_finds_submitted_proposals_for_members_but_not_drafts(app, author):
    make_proposal(author, title="Zanzibar van", state="submitted")
    make_proposal(author, title="Zanzibar draft")
    reader = member_user()
    with app.test_request_context():
        assert {h.title for h in search(reader, "zanzibar").hits} == {"Zanzibar van"}
        assert {h.title for h in search(author, "zanzibar").hits} == {
            "Zanzibar van",
            "Zanzibar draft",
        }
        assert search(None, "zanzibar").total == 0
