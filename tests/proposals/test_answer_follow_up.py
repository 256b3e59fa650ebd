"""The board's answer, the follow-up of adopted proposals and taking back a support.

Services first (rights per role and state, rules, audit entries), then the routes (htmx and
plain posts, 422 keeping what was typed, the list filter) and the proposal page's statements.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.members.lookup import member_of
from portal.proposals import services
from portal.proposals.models import Proposal, ProposalSupport
from portal.voting import services as voting
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import (
    admin_user,
    board_user,
    factory_board,
    make_member,
    member_user,
    membership_step,
)
from tests.factories_proposals import make_proposal
from tests.factories_voting import vote, voter

HX = {"HX-Request": "true"}


@pytest.fixture()
def author(db):
    return voter(given="Alma").user


def adopted(author, **fields) -> Proposal:
    """A proposal the general assembly voted yes on, with the result recorded by the board."""
    yes = voter(given="Yes")
    proposal = make_proposal(author, state="vote", **fields)
    vote(proposal.poll, yes, {"vote": "yes"})
    vote(proposal.poll, member_of(author), {"vote": "yes"})
    voting.close_poll(factory_board(), proposal.poll)
    services.settle_vote(factory_board(), proposal)
    assert proposal.state == "adopted"
    return proposal


def in_state(author, state: str) -> Proposal:
    if state in ("draft", "submitted", "support", "vote"):
        voter()  # the vote needs an electorate
        return make_proposal(author, state=state)
    if state == "adopted":
        return adopted(author)
    proposal = make_proposal(author, state="submitted")
    if state == "withdrawn":
        services.transition_proposal(author, proposal, "withdraw")
        return proposal
    services.transition_proposal(factory_board(), proposal, "reject", "Not for us.")
    if state == "archived":
        services.transition_proposal(factory_board(), proposal, "archive")
    return proposal


def audit_entries(action: str) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def today():
    return services.local_today()


# --- The board's answer: services ------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "board_may"),
    [
        ("draft", False),
        ("submitted", True),
        ("support", True),
        ("vote", True),
        ("adopted", True),
        ("rejected", True),
        ("withdrawn", False),
        ("archived", False),
    ],
)
def test_only_the_board_answers_and_only_while_the_proposal_is_discussed(author, state, board_may):
    proposal = in_state(author, state)
    for someone in (author, member_user(), admin_user()):
        with pytest.raises(NotAllowed):
            services.answer_proposal(someone, proposal, "We agree.")
    board = board_user()
    if board_may:
        services.answer_proposal(board, proposal, "We agree.")
        assert proposal.board_answer == "We agree."
    else:
        with pytest.raises(NotAllowed):
            services.answer_proposal(board, proposal, "We agree.")
        assert proposal.board_answer == ""


def test_the_answer_is_trimmed_signed_dated_and_audited_with_what_it_replaced(author):
    proposal = make_proposal(author, state="submitted")
    board = board_user()
    services.answer_proposal(board, proposal, "  \r\nYes, in May.\r\nThe budget allows it.\n  ")
    assert proposal.board_answer == "Yes, in May.\nThe budget allows it."
    assert proposal.board_answer_by_id == board.id and proposal.board_answer_by is board
    assert proposal.board_answer_at is not None
    services.answer_proposal(board, proposal, "Yes, in June.")
    first, second = audit_entries("proposal.answered")
    assert first.object_key == second.object_key == f"proposal:{proposal.id}"
    assert json.loads(second.details)["before"] == "Yes, in May.\nThe budget allows it."
    services.answer_proposal(board, proposal, "Yes, in June.")  # the same: nothing written
    assert len(audit_entries("proposal.answered")) == 2


def test_an_empty_answer_removes_it_and_the_log_keeps_it(author):
    proposal = make_proposal(author, state="support")
    board = board_user()
    services.answer_proposal(board, proposal, "We will see.")
    services.answer_proposal(board, proposal, "   ")
    assert proposal.board_answer == ""
    assert proposal.board_answer_at is None and proposal.board_answer_by_id is None
    (removed,) = audit_entries("proposal.answer_removed")
    assert json.loads(removed.details)["before"] == "We will see."


def test_an_answer_too_long_is_refused(author):
    proposal = make_proposal(author, state="submitted")
    board = board_user()
    with pytest.raises(DomainError) as error:
        services.answer_proposal(board, proposal, "x" * (services.MAX_ANSWER + 1))
    assert error.value.field == "answer" and error.value.status_code == 422
    assert proposal.board_answer == ""
    services.answer_proposal(board, proposal, "y" * services.MAX_ANSWER)
    assert len(proposal.board_answer) == services.MAX_ANSWER


# --- Follow-up: services -----------------------------------------------------------------------


def test_adoption_sets_the_follow_up_to_do_and_a_rejection_does_not(author):
    proposal = adopted(author)
    assert proposal.follow_status == "to_do" and proposal.follow_updated_at is not None
    assert not services.follow_up_late(proposal)
    rejected = in_state(author, "rejected")
    assert rejected.follow_status is None


@pytest.mark.parametrize("state", ["submitted", "support", "vote", "rejected"])
def test_follow_up_is_only_for_adopted_proposals(author, state):
    proposal = in_state(author, state)
    with pytest.raises(NotAllowed):
        services.update_follow_up(board_user(), proposal, "in_progress", None, None, "")
    assert proposal.follow_status is None


def test_only_the_board_follows_up_and_not_once_archived(author):
    proposal = adopted(author)
    for someone in (author, member_user(), admin_user()):
        with pytest.raises(NotAllowed):
            services.update_follow_up(someone, proposal, "done", None, None, "")
    # Not archived while it is still to be carried out (it would stay "late" for ever).
    with pytest.raises(DomainError, match="done, or abandoned"):
        services.transition_proposal(factory_board(), proposal, "archive")
    services.update_follow_up(board_user(), proposal, "abandoned", None, None, "No money.")
    services.transition_proposal(factory_board(), proposal, "archive")
    with pytest.raises(NotAllowed):
        services.update_follow_up(board_user(), proposal, "done", None, None, "")
    assert proposal.follow_status == "abandoned"


def test_the_board_records_status_person_date_and_note_audited(author):
    proposal = adopted(author)
    responsible = make_member(given="Rita", admitted_on=today() - timedelta(days=30))
    before = proposal.follow_updated_at
    due = today() + timedelta(days=14)
    services.update_follow_up(
        board_user(), proposal, "in_progress", responsible.id, due, "  Van ordered.\r\n  "
    )
    assert proposal.follow_status == "in_progress"
    assert proposal.follow_responsible is responsible and proposal.follow_due == due
    assert proposal.follow_note == "Van ordered."
    assert proposal.follow_updated_at >= before
    (entry,) = audit_entries("proposal.follow_up")
    changes = json.loads(entry.details)["changes"]
    assert changes["follow_status"] == ["to_do", "in_progress"]
    assert changes["follow_responsible_id"] == [None, responsible.id]
    services.update_follow_up(
        board_user(), proposal, "in_progress", responsible.id, due, "Van ordered."
    )
    assert len(audit_entries("proposal.follow_up")) == 1  # nothing changed: nothing written
    services.update_follow_up(board_user(), proposal, "done", None, None, "")
    assert proposal.follow_responsible_id is None and proposal.follow_due is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"status": "finished"}, "follow_status", "list"),
        ({"status": ""}, "follow_status", "list"),
        ({"responsible": "applicant"}, "follow_responsible", "active member"),
        ({"responsible": "suspended"}, "follow_responsible", "active member"),
        ({"responsible": 2_000_000_000}, "follow_responsible", "active member"),
        ({"responsible": 2**40}, "follow_responsible", "active member"),
        ({"responsible": 0}, "follow_responsible", "active member"),
        ({"due": -1}, "follow_due", "passed"),
        ({"note": "n" * (services.MAX_FOLLOW_NOTE + 1)}, "follow_note", "too long"),
    ],
)
def test_bad_follow_up_is_refused_and_nothing_changes(author, changes, field, message):
    proposal = adopted(author)
    people = {
        "applicant": make_member(given="Applicant").id,
        "suspended": make_member(given="Paused", admitted_on=today() - timedelta(days=60)),
    }
    membership_step(people["suspended"], "suspend", on=today() - timedelta(days=1))
    people["suspended"] = people["suspended"].id
    responsible = changes.get("responsible")
    due = changes.get("due")
    with pytest.raises(DomainError) as error:
        services.update_follow_up(
            board_user(),
            proposal,
            changes.get("status", "in_progress"),
            people.get(responsible, responsible),
            today() + timedelta(days=due) if due is not None else None,
            changes.get("note", ""),
        )
    assert error.value.field == field and message in str(error.value.message)
    assert proposal.follow_status == "to_do" and audit_entries("proposal.follow_up") == []


def test_a_passed_due_date_may_stay_but_not_be_set_and_marks_the_proposal_late(author):
    proposal = adopted(author)
    board = board_user()
    services.update_follow_up(board, proposal, "in_progress", None, today(), "")
    assert not services.follow_up_late(proposal)  # due today is not late yet
    passed = today() - timedelta(days=3)
    proposal.follow_due = passed  # time went by
    assert services.follow_up_late(proposal)
    services.update_follow_up(board, proposal, "in_progress", None, passed, "Waiting for parts.")
    assert proposal.follow_note == "Waiting for parts."
    with pytest.raises(DomainError, match="passed"):
        services.update_follow_up(board, proposal, "in_progress", None, passed - timedelta(1), "")
    for finished in ("done", "abandoned"):
        services.update_follow_up(board, proposal, finished, None, passed, "")
        assert not services.follow_up_late(proposal)


def test_a_responsible_person_no_longer_active_may_stay_but_not_be_chosen(author):
    proposal = adopted(author)
    board = board_user()
    rita = make_member(given="Rita", admitted_on=today() - timedelta(days=60))
    services.update_follow_up(board, proposal, "in_progress", rita.id, None, "")
    membership_step(rita, "suspend", on=today() - timedelta(days=1))
    services.update_follow_up(board, proposal, "in_progress", rita.id, None, "Still on it.")
    assert proposal.follow_responsible_id == rita.id
    services.update_follow_up(board, proposal, "in_progress", None, None, "Still on it.")
    with pytest.raises(DomainError, match="active member"):
        services.update_follow_up(board, proposal, "in_progress", rita.id, None, "")


# --- Taking back a support: services -----------------------------------------------------------


def test_a_supporter_takes_back_their_support_and_gives_it_again(author):
    proposal = make_proposal(author, state="support")
    sam = voter(given="Sam")
    services.support_proposal(sam.user, proposal)
    services.withdraw_support(sam.user, proposal)
    assert services.support_count(proposal) == 0 and not services.has_supported(proposal, sam)
    (entry,) = audit_entries("proposal.support_withdrawn")
    assert json.loads(entry.details)["member_id"] == sam.id
    with pytest.raises(services.NotSupported, match="do not support") as error:
        services.withdraw_support(sam.user, proposal)
    assert error.value.status_code == 409
    services.support_proposal(sam.user, proposal)
    assert services.support_count(proposal) == 1


def test_nobody_takes_back_what_they_did_not_give(author):
    proposal = make_proposal(author, state="support")
    services.support_proposal(voter(given="Sam").user, proposal)
    for someone in (author, member_user()):  # a member who did not support; no member at all
        with pytest.raises(services.NotSupported):
            services.withdraw_support(someone, proposal)
    assert services.support_count(proposal) == 1


def test_supports_cannot_be_taken_back_outside_the_support_state(author):
    voter()
    proposal = make_proposal(author, state="support")
    sam = voter(given="Sam")
    services.support_proposal(sam.user, proposal)
    services.start_vote(factory_board(), proposal, services.VoteData())
    with pytest.raises(NotAllowed):
        services.withdraw_support(sam.user, proposal)
    assert services.support_count(proposal) == 1
    assert audit_entries("proposal.support_withdrawn") == []


# --- Over HTTP ----------------------------------------------------------------------------------


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


def fresh(proposal) -> Proposal:
    db.session.expire_all()
    return db.session.get(Proposal, proposal.id)


def test_the_board_answers_with_htmx_or_a_plain_post_and_everyone_reads_it(visit, author):
    proposal = make_proposal(author, state="submitted")
    board = board_user(display_name="Bea Board")
    url = f"/proposals/{proposal.id}/answer"
    assert "Write the board's answer" in text(visit(board).get(f"/proposals/{proposal.id}"))
    section = f'id="proposal-{proposal.id}-answer"'
    assert section not in text(visit(member_user()).get(f"/proposals/{proposal.id}"))
    response = post(visit(board), url, {"answer": "Yes.\n<b>In May</b>."}, HX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "proposal-answered"
    assert text(response).lstrip().startswith(f'<section id="proposal-{proposal.id}-answer"')
    assert 'role="status"' in text(response)  # the saved section says so (htmx)
    page = text(visit(member_user()).get(f"/proposals/{proposal.id}"))
    assert "Yes.<br>&lt;b&gt;In May&lt;/b&gt;." in page and "<b>In May" not in page
    assert "by Bea Board" in page and "Change the answer" not in page
    plain = post(visit(board), url, {"answer": "Yes, in June."})
    assert plain.status_code == 302
    assert plain.headers["Location"].endswith(
        f"/proposals/{proposal.id}#proposal-{proposal.id}-answer"
    )
    assert fresh(proposal).board_answer == "Yes, in June."
    assert len(audit_entries("proposal.answered")) == 2


def test_answer_refusals_403_404_and_422_keeps_the_text(visit, author):
    proposal = make_proposal(author, state="submitted")
    url = f"/proposals/{proposal.id}/answer"
    assert post(visit(author), url, {"answer": "I answer myself."}).status_code == 403
    assert post(visit(member_user()), url, {"answer": "Me too."}, HX).status_code == 403
    draft = make_proposal(author)
    assert (
        post(visit(board_user()), f"/proposals/{draft.id}/answer", {"answer": "x"}).status_code
        == 404
    )
    long_text = "Keep me. " + "z" * services.MAX_ANSWER
    for headers in ({}, HX):
        response = post(visit(board_user()), url, {"answer": long_text}, headers)
        assert response.status_code == 422
        assert long_text in text(response) and "too long" in text(response)
    assert text(response).lstrip().startswith(f'<section id="proposal-{proposal.id}-answer"')
    assert fresh(proposal).board_answer == "" and audit_entries("proposal.answered") == []


def follow_form(**changes) -> dict:
    data = {
        "follow_status": "in_progress",
        "follow_responsible": "",
        "follow_due": "",
        "follow_note": "",
    }
    data.update(changes)
    return data


def test_the_board_follows_up_and_the_page_shows_it(visit, author):
    proposal = adopted(author)
    rita = make_member(given="Rita", family="Lopez", admitted_on=today() - timedelta(days=60))
    applicant = make_member(given="Hopeful", family="Zed")
    board = board_user()
    page = text(visit(board).get(f"/proposals/{proposal.id}"))
    assert f'id="proposal-{proposal.id}-follow-up"' in page and "To do" in page
    assert f'<option value="{rita.id}">Lopez Rita' in page
    assert f'value="{applicant.id}"' not in page  # only active members are offered
    assert "Change the follow-up" not in text(visit(member_user()).get(f"/proposals/{proposal.id}"))
    due = today() + timedelta(days=10)
    url = f"/proposals/{proposal.id}/follow-up"
    response = post(
        visit(board),
        url,
        follow_form(
            follow_responsible=str(rita.id), follow_due=due.isoformat(), follow_note="Van ordered."
        ),
        HX,
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "proposal-follow-up-changed"
    assert text(response).lstrip().startswith(f'<section id="proposal-{proposal.id}-follow-up"')
    saved = fresh(proposal)
    assert saved.follow_status == "in_progress" and saved.follow_responsible_id == rita.id
    assert saved.follow_due == due and saved.follow_note == "Van ordered."
    page = text(visit(member_user()).get(f"/proposals/{proposal.id}"))
    assert "Rita Lopez" in page and "In progress" in page and "Van ordered." in page
    assert 'state-private">Late<' not in page
    plain = post(visit(board), url, follow_form(follow_status="done"))
    assert plain.status_code == 302 and plain.headers["Location"].endswith("-follow-up")
    assert fresh(proposal).follow_status == "done"


def test_a_late_follow_up_is_marked_on_the_page(visit, author):
    proposal = adopted(author)
    services.update_follow_up(factory_board(), proposal, "in_progress", None, today(), "")
    proposal.follow_due = today() - timedelta(days=2)
    page = text(visit(member_user()).get(f"/proposals/{proposal.id}"))
    assert 'state-private">Late<' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"follow_due": "2001-01-01"}, "This date has passed"),
        ({"follow_due": "soon"}, "Give a date"),
        ({"follow_status": "finished"}, "Choose one of the answers"),
        ({"follow_responsible": "abc"}, "Choose one of the answers"),
        ({"follow_responsible": "9999999999"}, "active member"),
        ({"follow_note": "n" * (services.MAX_FOLLOW_NOTE + 1)}, "too long"),
    ],
)
def test_bad_follow_up_is_422_and_keeps_what_was_typed(visit, author, changes, message):
    proposal = adopted(author)
    url = f"/proposals/{proposal.id}/follow-up"
    data = follow_form(**{"follow_note": "Kept note", **changes})
    for headers in ({}, HX):
        response = post(visit(board_user()), url, data, headers)
        assert response.status_code == 422
        assert message in text(response)
        assert (data["follow_note"] if "follow_note" in changes else "Kept note") in text(response)
    if "follow_due" in changes:
        assert f'value="{changes["follow_due"]}"' in text(response)
    assert text(response).lstrip().startswith(f'<section id="proposal-{proposal.id}-follow-up"')
    assert fresh(proposal).follow_status == "to_do"


def test_follow_up_route_refusals(visit, author):
    proposal = adopted(author)
    url = f"/proposals/{proposal.id}/follow-up"
    assert post(visit(author), url, follow_form()).status_code == 403
    assert post(visit(admin_user()), url, follow_form(), HX).status_code == 403
    support = make_proposal(author, state="support")
    assert (
        post(visit(board_user()), f"/proposals/{support.id}/follow-up", follow_form()).status_code
        == 403
    )
    draft = make_proposal(author)
    assert (
        post(visit(board_user()), f"/proposals/{draft.id}/follow-up", follow_form()).status_code
        == 404
    )
    assert fresh(proposal).follow_status == "to_do"


def test_the_list_filters_adopted_proposals_by_follow_up(visit, author):
    to_do = adopted(author, title="Van to buy")
    done = adopted(author, title="Lunch done")
    services.update_follow_up(factory_board(), done, "done", None, None, "")
    late = adopted(author, title="Late roof")
    services.update_follow_up(factory_board(), late, "in_progress", None, today(), "")
    late.follow_due = today() - timedelta(days=1)
    make_proposal(author, title="Still open", state="submitted")
    client = visit(member_user())

    def titles(query):
        return set(re.findall(r"<strong>([^<]+)</strong>", text(client.get(f"/proposals/{query}"))))

    assert titles("?follow=to_do") == {to_do.title}
    assert titles("?follow=done") == {done.title}
    assert titles("?follow=in_progress") == {late.title}
    assert titles("?follow=late") == {late.title}
    assert titles("?follow=late&state=archived") == set()
    assert titles("?follow=bogus") >= {to_do.title, done.title, late.title, "Still open"}
    listing = text(client.get("/proposals/"))
    assert "Carrying it out: To do" in listing and "Carrying it out: Done" in listing
    assert listing.count('state-private">Late<') == 1
    fragment = client.get("/proposals/?follow=done", headers=HX)
    assert text(fragment).lstrip().startswith('<section id="proposal-results">')


def test_take_back_a_support_with_htmx_then_support_again(visit, author):
    proposal = make_proposal(author, state="support")
    sam = voter(given="Sam")
    client = visit(sam.user)
    post(client, f"/proposals/{proposal.id}/support", headers=HX)
    page = text(client.get(f"/proposals/{proposal.id}"))
    assert "1 of 3 supports needed" in page and "Take back my support" in page
    response = post(client, f"/proposals/{proposal.id}/support/withdraw", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "proposal-support-withdrawn"
    assert "0 of 3 supports needed" in text(response) and "I support this proposal" in text(
        response
    )
    again = post(client, f"/proposals/{proposal.id}/support/withdraw", headers=HX)
    assert again.status_code == 409 and "You do not support this proposal" in text(again)
    plain = post(client, f"/proposals/{proposal.id}/support")
    assert plain.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProposalSupport)) == 1
    plain = post(client, f"/proposals/{proposal.id}/support/withdraw")
    assert plain.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProposalSupport)) == 0


def test_take_back_refused_once_the_vote_started(visit, author):
    voter()
    proposal = make_proposal(author, state="support")
    sam = voter(given="Sam")
    services.support_proposal(sam.user, proposal)
    services.start_vote(factory_board(), proposal, services.VoteData())
    client = visit(sam.user)
    assert "Take back my support" not in text(client.get(f"/proposals/{proposal.id}"))
    assert post(client, f"/proposals/{proposal.id}/support/withdraw", headers=HX).status_code == 403
    draft = make_proposal(author)
    assert post(client, f"/proposals/{draft.id}/support/withdraw").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProposalSupport)) == 1


# --- Statements -------------------------------------------------------------------------------


def count_statements(client, path):
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, path
    return len(statements)


def test_the_proposal_page_does_not_grow_with_members_or_supports(visit, author):
    proposal = adopted(author)
    services.answer_proposal(factory_board(), proposal, "Well done.")
    rita = make_member(given="Rita", admitted_on=today() - timedelta(days=60))
    services.update_follow_up(factory_board(), proposal, "in_progress", rita.id, None, "")
    open_one = make_proposal(author, state="support")
    board = visit(board_user())

    def add(number):
        for _ in range(number):
            supporter = voter()
            services.support_proposal(supporter.user, open_one)

    add(2)
    few = [count_statements(board, f"/proposals/{p.id}") for p in (proposal, open_one)]
    add(25)
    many = [count_statements(board, f"/proposals/{p.id}") for p in (proposal, open_one)]
    assert many == few
