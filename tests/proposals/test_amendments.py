"""Amendments: propose, accept (a revision), decline, take back, the vote, outdated; over HTTP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.core.audit import AuditEntry
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.core.history import Revision, revisions_of
from portal.core.security import LocalRole, grant_local_role
from portal.extensions import db
from portal.proposals import amendments
from portal.proposals import services as proposal_services
from portal.proposals.models import Proposal, ProposalAmendment
from portal.voting import services as voting
from portal.voting.models import Poll
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import admin_user, board_user, factory_board, member_user
from tests.factories_proposals import make_proposal, proposal_data
from tests.factories_voting import vote, voter

HX = {"HX-Request": "true"}


@pytest.fixture()
def author(db):
    return voter(given="Alma").user


def change(field="summary", text="We rent a second van for the cleaning team.", **kwargs):
    return amendments.AmendmentData(field=field, text=text, **kwargs)


def propose(proposal, by=None, **kwargs) -> ProposalAmendment:
    return amendments.propose_amendment(by or member_user(), proposal, change(**kwargs))


def audit_actions(proposal) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(
                AuditEntry.object_key == proposal.object_key,
                AuditEntry.action.like("proposal.amendment_%"),
            )
            .order_by(AuditEntry.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- proposing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "allowed"), [("submitted", True), ("support", True)])
def test_any_member_proposes_a_change_while_the_text_may_change(author, state, allowed):
    proposal = make_proposal(author, state=state)
    amendment = propose(proposal, reason="Renting costs less.")
    assert amendment.state == "proposed" and amendment.base_version == proposal.version
    assert amendment.text == "We rent a second van for the cleaning team."
    assert proposal.summary == "We buy a second van for the cleaning team."  # not yet
    assert audit_actions(proposal) == ["proposal.amendment_proposed"]


def test_no_change_on_a_draft_in_vote_or_by_a_visitor(author):
    voter()
    draft = make_proposal(author)
    in_vote = make_proposal(author, state="vote")
    for proposal in (draft, in_vote):
        with pytest.raises(NotAllowed):
            propose(proposal, by=author)
    with pytest.raises(NotAllowed):
        amendments.propose_amendment(None, make_proposal(author, state="submitted"), change())
    assert count(ProposalAmendment) == 0


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("title", "A new title", "part"),
        ("owner_id", "1", "part"),
        ("summary", "We buy a second van for the cleaning team.", "same"),
        ("summary", "  We buy a second   van for the cleaning team. ", "same"),
        ("summary", "   ", "plain words"),
        ("summary", "x" * (proposal_services.MAX_SUMMARY + 1), "too long"),
        ("what_changes", "w" * (proposal_services.MAX_WHAT_CHANGES + 1), "too long"),
        ("body", "b" * (proposal_services.MAX_BODY + 1), "too long"),
    ],
)
def test_bad_changes_are_refused_and_nothing_is_saved(author, field, text, message):
    proposal = make_proposal(author, state="submitted")
    with pytest.raises(DomainError, match=message):
        propose(proposal, field=field, text=text)
    assert count(ProposalAmendment) == 0


def test_a_reason_is_optional_and_an_empty_what_changes_is_a_change(author):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal, field="what_changes", text="")
    assert amendment.reason == "" and amendment.text == ""
    with pytest.raises(DomainError, match="too long"):
        propose(proposal, reason="r" * (amendments.MAX_REASON + 1))


def test_a_change_written_on_an_old_text_of_that_part_is_a_conflict(author):
    proposal = make_proposal(author, state="submitted")
    proposal_services.update_proposal(author, proposal, 1, proposal_data(summary="New words."))
    with pytest.raises(Conflict):
        propose(proposal, base_version=1)
    # Another part changed since version 1: that is fine, and the base is today's version.
    amendment = propose(proposal, field="body", text="Shorter.", base_version=1)
    assert amendment.base_version == proposal.version == 2


# --- accepting, declining, taking back ------------------------------------------------------------


def test_only_the_authors_accept_and_it_makes_a_new_revision(author):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal, reason="Cheaper.")
    for someone in (member_user(), board_user(), admin_user(), None):
        with pytest.raises(NotAllowed):
            amendments.accept_amendment(someone, amendment)
    assert amendment.state == "proposed" and proposal.version == 1
    amendments.accept_amendment(author, amendment)
    assert amendment.state == "accepted" and amendment.decided_by_id == author.id
    assert amendment.decided_at is not None
    assert proposal.summary == "We rent a second van for the cleaning team."
    assert proposal.version == 2
    latest = revisions_of(proposal)[0]
    assert latest.version == 2 and latest.author_id == author.id
    assert latest.note == f"amendment {amendment.id} accepted"
    assert latest.fields["summary"] == amendment.text
    assert audit_actions(proposal) == ["proposal.amendment_proposed", "proposal.amendment_accepted"]
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "proposal.amendment_accepted")
    )
    assert f'"amendment_id": {amendment.id}' in entry.details


def test_co_authors_accept_even_when_the_text_is_frozen_for_support(author):
    proposal = make_proposal(author, state="support")
    co_author = member_user()
    grant_local_role(author, proposal, co_author, LocalRole.EDITOR.value)
    with pytest.raises(NotAllowed):  # ordinary edits are closed in "support"
        proposal_services.update_proposal(author, proposal, 1, proposal_data(summary="Edited."))
    first = propose(proposal, field="body", text="## Why\n\nTwo hours lost every day.")
    second = propose(proposal)
    amendments.accept_amendment(co_author, first)
    amendments.accept_amendment(author, second)  # written on version 1, another part changed
    assert proposal.body == "## Why\n\nTwo hours lost every day." and proposal.version == 3
    assert proposal.summary == second.text and proposal.state == "support"


def test_nobody_answers_their_own_change(author):
    proposal = make_proposal(author, state="support")
    own = propose(proposal, by=author)
    with pytest.raises(DomainError, match="your own"):
        amendments.accept_amendment(author, own)
    with pytest.raises(DomainError, match="your own"):
        amendments.decline_amendment(author, own, "No.")
    assert own.state == "proposed" and proposal.version == 1


def test_accepting_refuses_when_the_part_changed_since(author):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal)
    proposal_services.update_proposal(
        author, proposal, 1, proposal_data(summary="The authors wrote this meanwhile.")
    )
    with pytest.raises(Conflict, match="written again") as error:
        amendments.accept_amendment(author, amendment)
    assert error.value.status_code == 409
    assert proposal.summary == "The authors wrote this meanwhile." and proposal.version == 2
    assert amendment.state == "proposed"
    assert amendments.is_stale(proposal, amendment)


def test_two_changes_to_the_same_part_the_second_must_be_rewritten(author):
    proposal = make_proposal(author, state="submitted")
    first, second = propose(proposal), propose(proposal, text="We share a van with the kitchen.")
    amendments.accept_amendment(author, first)
    with pytest.raises(Conflict):
        amendments.accept_amendment(author, second)
    assert proposal.summary == first.text


def test_declining_needs_a_reason(author):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal)
    for reason in ("", "   \n "):
        with pytest.raises(DomainError, match="why") as error:
            amendments.decline_amendment(author, amendment, reason)
        assert error.value.field == "reason"
    with pytest.raises(NotAllowed):
        amendments.decline_amendment(member_user(), amendment, "Not yours to say.")
    amendments.decline_amendment(author, amendment, "  We have no parking space.  ")
    assert amendment.state == "declined"
    assert amendment.decision_comment == "We have no parking space."
    assert proposal.version == 1 and proposal.summary != amendment.text
    assert audit_actions(proposal)[-1] == "proposal.amendment_declined"


def test_only_its_author_takes_a_change_back_while_it_waits(author):
    proposal = make_proposal(author, state="submitted")
    writer = member_user()
    amendment = propose(proposal, by=writer)
    for someone in (author, member_user(), board_user()):
        with pytest.raises(NotAllowed):
            amendments.withdraw_amendment(someone, amendment)
    amendments.withdraw_amendment(writer, amendment)
    assert amendment.state == "withdrawn"
    with pytest.raises(DomainError, match="no longer waiting"):
        amendments.withdraw_amendment(writer, amendment)
    assert audit_actions(proposal)[-1] == "proposal.amendment_withdrawn"


def test_an_answered_change_is_not_answered_again(author):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal)
    amendments.decline_amendment(author, amendment, "No room.")
    with pytest.raises(DomainError, match="no longer waiting"):
        amendments.accept_amendment(author, amendment)
    with pytest.raises(DomainError, match="no longer waiting"):
        amendments.start_amendment_vote(factory_board(), amendment)
    assert amendment.state == "declined" and proposal.version == 1


# --- the vote -------------------------------------------------------------------------------------


def test_the_board_puts_a_change_to_an_open_vote_of_the_body(author):
    voter(given="Yann")
    proposal = make_proposal(author, state="support")
    amendment = propose(proposal, reason="Cheaper.")
    for someone in (author, member_user(), admin_user()):
        with pytest.raises(NotAllowed):
            amendments.start_amendment_vote(someone, amendment)
    assert count(Poll) == 0
    board = board_user()
    poll = amendments.start_amendment_vote(
        board, amendment, proposal_services.VoteData(secret=False, majority="absolute")
    )
    assert amendment.state == "vote" and amendment.poll_id == poll.id
    assert poll.state == "open" and poll.subject_key == f"amendment:{amendment.id}"
    assert poll.method == "yes_no_abstain" and poll.body_id == proposal.body_id
    assert poll.majority == "absolute" and not poll.secret
    assert poll.title == "Amendment to: A second van"
    assert amendment.text in poll.question and "In plain words" in poll.question
    assert proposal.state == "support" and proposal.poll_id is None
    assert audit_actions(proposal)[-1] == "proposal.amendment_vote_started"
    with pytest.raises(DomainError, match="no longer waiting"):
        amendments.accept_amendment(author, amendment)  # the vote decides now


def test_a_long_title_and_text_still_make_a_valid_poll(author):
    voter()
    proposal = make_proposal(author, state="submitted", title="T" * proposal_services.MAX_TITLE)
    amendment = propose(proposal, field="body", text="long line\n" * 2000)
    poll = amendments.start_amendment_vote(factory_board(), amendment)
    assert len(poll.title) <= voting.MAX_TITLE and len(poll.question) <= voting.MAX_QUESTION
    assert poll.question.endswith("Read the whole change on the proposal page.")


def _close(amendment, answers):
    for member, answer in answers:
        vote(amendment.poll, member, {"vote": answer})
    voting.close_poll(factory_board(), amendment.poll)


@pytest.mark.parametrize(
    ("answers", "state", "changed"),
    [(["yes", "yes"], "adopted", True), (["no", "no"], "rejected", False)],
)
def test_the_result_of_the_vote_decides_the_text(author, answers, state, changed):
    members = [voter() for _ in answers]
    proposal = make_proposal(author, state="support")
    amendment = propose(proposal, field="what_changes", text="Fewer trips, less waiting.")
    amendments.start_amendment_vote(factory_board(), amendment)
    with pytest.raises(DomainError, match="not closed"):
        amendments.settle_amendment_vote(factory_board(), amendment)
    _close(amendment, list(zip(members, answers, strict=True)))
    with pytest.raises(NotAllowed):
        amendments.settle_amendment_vote(author, amendment)
    amendments.settle_amendment_vote(board_user(), amendment)
    assert amendment.state == state
    assert (proposal.what_changes == "Fewer trips, less waiting.") is changed
    assert (proposal.version == 2) is changed
    if changed:
        assert revisions_of(proposal)[0].note == f"amendment {amendment.id} adopted by vote"
    assert audit_actions(proposal)[-1] == f"proposal.amendment_{state}"
    with pytest.raises(DomainError, match="not in a vote"):
        amendments.settle_amendment_vote(board_user(), amendment)


def test_a_cancelled_vote_gives_the_change_back_to_the_authors(author):
    voter()
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal)
    poll = amendments.start_amendment_vote(factory_board(), amendment)
    voting.cancel_poll(factory_board(), poll, "Wrong body.")
    amendments.settle_amendment_vote(factory_board(), amendment)
    assert amendment.state == "proposed"
    assert audit_actions(proposal)[-1] == "proposal.amendment_vote_cancelled"
    amendments.accept_amendment(author, amendment)
    assert proposal.summary == amendment.text


def test_a_yes_on_a_part_changed_meanwhile_overwrites_nothing(author):
    a, b = voter(), voter()
    proposal = make_proposal(author, state="submitted")
    in_vote = propose(proposal)
    amendments.start_amendment_vote(factory_board(), in_vote)
    proposal_services.update_proposal(author, proposal, 1, proposal_data(summary="Authors' words."))
    _close(in_vote, [(a, "yes"), (b, "yes")])
    amendments.settle_amendment_vote(factory_board(), in_vote)
    assert in_vote.state == "outdated" and "written again" in in_vote.decision_comment
    assert proposal.summary == "Authors' words." and proposal.version == 2


# --- when the proposal moves on -------------------------------------------------------------------


def test_waiting_changes_become_outdated_when_the_proposals_vote_starts(author):
    a, b = voter(), voter()
    proposal = make_proposal(author, state="support")
    waiting = propose(proposal)
    declined = propose(proposal, field="body", text="Other text.")
    amendments.decline_amendment(author, declined, "No.")
    in_vote = propose(proposal, field="what_changes", text="Less bus.")
    amendments.start_amendment_vote(factory_board(), in_vote)
    proposal_services.start_vote(factory_board(), proposal, proposal_services.VoteData())
    assert proposal.state == "vote"
    assert (waiting.state, declined.state, in_vote.state) == ("outdated", "declined", "vote")
    assert "proposal.amendment_outdated" in audit_actions(proposal)
    # The change's own vote finishes, but the text being voted on no longer changes.
    _close(in_vote, [(a, "yes"), (b, "yes")])
    amendments.settle_amendment_vote(factory_board(), in_vote)
    assert in_vote.state == "outdated" and "could no longer change" in in_vote.decision_comment
    assert proposal.what_changes == "Fewer trips by bus between two sites."
    with pytest.raises(NotAllowed):
        propose(proposal)


@pytest.mark.parametrize(("step", "by"), [("withdraw", "author"), ("reject", "board")])
def test_waiting_changes_become_outdated_when_the_proposal_is_withdrawn_or_rejected(
    author, step, by
):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal)
    actor = author if by == "author" else board_user()
    proposal_services.transition_proposal(actor, proposal, step, "Not now.")
    assert amendment.state == "outdated" and amendment.decided_by_id == actor.id
    with pytest.raises(NotAllowed):
        amendments.accept_amendment(author, amendment)


def test_opening_for_support_keeps_waiting_changes(author):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal)
    proposal_services.transition_proposal(factory_board(), proposal, "open_support")
    assert amendment.state == "proposed"


# --- over HTTP ------------------------------------------------------------------------------------


def login(client, user):
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 303
    return client


@pytest.fixture()
def visit(app, client):
    clients = {}

    def _visit(user):
        if user.id not in clients:
            clients[user.id] = login(app.test_client(), user)
        return clients[user.id]

    return _visit


def post(client, url, data=None, headers=None):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=headers or {}
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def base(proposal_id: int) -> str:
    return f"/proposals/{proposal_id}/amendments"


def test_write_a_change_with_the_text_now_in_the_box(visit, author):
    proposal = make_proposal(
        author, state="support", what_changes="Fewer bus trips & less waiting."
    )
    client = visit(member_user())
    chooser = client.get(f"{base(proposal.id)}/new")
    assert chooser.status_code == 200 and "Which part would you change?" in text(chooser)
    page = client.get(f"{base(proposal.id)}/new?field=what_changes")
    assert page.status_code == 200
    assert "Fewer bus trips &amp; less waiting.</textarea>" in text(page)
    assert "What would you change?" in text(page) and "Why?" in text(page)
    response = post(
        client,
        f"{base(proposal.id)}/new",
        {
            "field": "what_changes",
            "version": "1",
            "text": "Fewer bus trips.",
            "reason": "Shorter is clearer.",
        },
    )
    assert response.status_code == 302
    amendment = db.session.scalar(sa.select(ProposalAmendment))
    assert amendment.field == "what_changes" and amendment.text == "Fewer bus trips."
    assert response.headers["Location"].endswith(f"#amendment-{amendment.id}")
    shown = text(visit(author).get(f"/proposals/{proposal.id}"))
    assert f'id="proposal-{proposal.id}-amendments"' in shown
    assert "Shorter is clearer." in shown and 'class="diff-added"' in shown
    assert "Accept this change" in shown


@pytest.mark.parametrize("headers", [{}, HX])
def test_bad_input_answers_422_and_keeps_the_typed_text(visit, author, headers):
    proposal = make_proposal(author, state="submitted")
    typed = "Keep this " + "x" * proposal_services.MAX_SUMMARY
    response = post(
        visit(member_user()),
        f"{base(proposal.id)}/new",
        {"field": "summary", "version": "1", "text": typed, "reason": "Because."},
        headers,
    )
    assert response.status_code == 422
    assert "too long" in text(response) and typed in text(response)
    same = post(
        visit(member_user()),
        f"{base(proposal.id)}/new",
        {"field": "summary", "version": "1", "text": proposal.summary, "reason": "Mine."},
        headers,
    )
    assert same.status_code == 422 and "same as the text now" in text(same)
    assert count(ProposalAmendment) == 0


def test_a_change_on_an_old_text_answers_409_and_shows_the_text_now(visit, author):
    proposal = make_proposal(author, state="submitted")
    proposal_services.update_proposal(author, proposal, 1, proposal_data(summary="Fresh words."))
    response = post(
        visit(member_user()),
        f"{base(proposal.id)}/new",
        {"field": "summary", "version": "1", "text": "My older words.", "reason": ""},
    )
    assert response.status_code == 409
    assert "My older words." in text(response) and "Fresh words." in text(response)
    assert 'name="version" type="hidden" value="2"' in text(response)
    assert count(ProposalAmendment) == 0


def test_people_who_may_not_see_the_proposal_get_404(visit, author):
    draft = make_proposal(author)
    other = make_proposal(author, state="submitted")
    amendment = propose(other)
    stranger = visit(member_user())
    assert stranger.get(f"{base(draft.id)}/new?field=summary").status_code == 404
    assert stranger.get(base(draft.id), headers=HX).status_code == 404
    assert (
        post(stranger, f"{base(draft.id)}/new", {"field": "summary", "version": "1"}).status_code
        == 404
    )
    # The amendment exists, but under another proposal's address: 404 as well.
    assert visit(author).get(f"{base(draft.id)}/{amendment.id}").status_code == 404
    assert post(visit(author), f"{base(draft.id)}/{amendment.id}/accept").status_code == 404
    assert post(stranger, f"{base(draft.id)}/{amendment.id}/withdraw").status_code == 404
    assert stranger.get(f"{base(other.id)}/{amendment.id}").status_code == 200
    assert stranger.get(f"{base(other.id)}/2000000000").status_code == 404
    db.session.expire_all()
    assert db.session.get(ProposalAmendment, amendment.id).state == "proposed"


def test_proposing_on_a_proposal_in_vote_is_403(visit, author):
    voter()
    proposal = make_proposal(author, state="vote")
    assert visit(member_user()).get(f"{base(proposal.id)}/new?field=body").status_code == 403


def test_accept_with_htmx_returns_the_section(visit, author):
    proposal = make_proposal(author, state="support")
    amendment = propose(proposal)
    forbidden = post(visit(member_user()), f"{base(proposal.id)}/{amendment.id}/accept", None, HX)
    assert forbidden.status_code == 403
    response = post(visit(author), f"{base(proposal.id)}/{amendment.id}/accept", None, HX)
    assert response.status_code == 200
    assert text(response).lstrip().startswith(f'<section id="proposal-{proposal.id}-amendments"')
    assert response.headers["HX-Trigger"] == "proposal-amended"
    assert "the change is in the text now" in text(response)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).summary == amendment.text
    again = post(visit(author), f"{base(proposal.id)}/{amendment.id}/accept", None, HX)
    assert again.status_code == 422 and "no longer waiting" in text(again)


def test_decline_without_htmx_redirects_and_a_missing_reason_is_422(visit, author):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal)
    url = f"{base(proposal.id)}/{amendment.id}/decline"
    for headers in ({}, HX):
        empty = post(visit(author), url, {"reason": "  "}, headers)
        assert empty.status_code == 422 and "say why" in text(empty)
    typed = "Too expensive. " * 100
    too_long = post(visit(author), url, {"reason": typed}, HX)
    assert too_long.status_code == 422 and typed.strip() in text(too_long)
    done = post(visit(author), url, {"reason": "No parking space."})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"#proposal-{proposal.id}-amendments")
    db.session.expire_all()
    found = db.session.get(ProposalAmendment, amendment.id)
    assert found.state == "declined" and found.decision_comment == "No parking space."


def test_a_stale_accept_without_htmx_is_409_on_the_change_page(visit, author):
    proposal = make_proposal(author, state="submitted")
    amendment = propose(proposal)
    proposal_services.update_proposal(author, proposal, 1, proposal_data(summary="Meanwhile."))
    response = post(visit(author), f"{base(proposal.id)}/{amendment.id}/accept")
    assert response.status_code == 409 and "written again" in text(response)


def test_the_board_puts_to_vote_and_records_the_result_over_http(visit, author):
    yes = voter(given="Yes")
    proposal = make_proposal(author, state="support")
    amendment = propose(proposal, by=yes.user)
    board = board_user()
    page = text(visit(board).get(f"/proposals/{proposal.id}"))
    assert "Put this change to the vote" in page and "Accept this change" not in page
    assert "Take back my change" in text(visit(yes.user).get(f"/proposals/{proposal.id}"))
    bad = post(visit(board), f"{base(proposal.id)}/{amendment.id}/vote", {"majority": "most"}, HX)
    assert bad.status_code == 422
    started = post(
        visit(board), f"{base(proposal.id)}/{amendment.id}/vote", {"majority": "simple"}, HX
    )
    assert started.status_code == 200 and "The vote on this change" in text(started)
    db.session.expire_all()
    amendment = db.session.get(ProposalAmendment, amendment.id)
    assert amendment.state == "vote" and amendment.poll.subject_key == amendment.object_key
    vote(amendment.poll, yes, {"vote": "yes"})
    voting.close_poll(factory_board(), amendment.poll)
    result_url = f"{base(proposal.id)}/{amendment.id}/vote/result"
    assert post(visit(author), result_url).status_code == 403
    done = post(visit(board), result_url, None, HX)
    assert done.status_code == 200 and "Adopted by vote" in text(done)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).summary == amendment.text


# --- cost -----------------------------------------------------------------------------------------


def count_statements(client, path) -> int:
    statements = []

    def counted(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert response.status_code == 200, path
    return len(statements)


def test_the_proposal_page_does_not_grow_with_the_number_of_changes(visit, author):
    voter()
    proposal = make_proposal(author, state="support")
    board = board_user()

    def add(number):
        for index in range(number):
            writer = member_user()
            amendment = propose(
                proposal, by=writer, field=("summary", "body")[index % 2], text=f"Text {index}."
            )
            if index % 4 == 1:
                amendments.decline_amendment(author, amendment, f"No {index}.")
            elif index % 4 == 2:
                amendments.withdraw_amendment(writer, amendment)
            elif index % 4 == 3:
                amendments.start_amendment_vote(factory_board(), amendment)

    client = visit(board)
    add(4)
    few = count_statements(client, f"/proposals/{proposal.id}")
    add(16)
    many = count_statements(client, f"/proposals/{proposal.id}")
    assert many == few, f"{few} statements with 4 changes, {many} with 20"
    assert count(Revision) >= 1
