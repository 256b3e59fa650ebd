"""Proposal routes over HTTP: list, read, write (422, 409), steps, supports, the vote, sharing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.core.history import Revision
from portal.core.security import LocalRole, grant_local_role
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalSupport
from portal.proposals.services import MAX_SUMMARY
from portal.voting import services as voting
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import board_user, factory_board, member_user
from tests.factories_proposals import make_proposal
from tests.factories_voting import vote, voter

HX = {"HX-Request": "true"}


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

    def _visit(user=None):
        key = user.id if user is not None else None
        if key not in clients:
            clients[key] = login(app.test_client(), user) if user else app.test_client()
        return clients[key]

    return _visit


def post(client, url, data=None, headers=None):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=headers or {}
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def form(proposal=None, **changes) -> dict:
    data = {
        "title": "Longer lunch",
        "summary": "Lunch lasts one hour instead of forty-five minutes.",
        "what_changes": "You get fifteen more minutes to eat.",
        "body": "## Why\n\nPeople eat too fast.",
        "body_id": "1",
    }
    if proposal is not None:
        data["version"] = str(proposal.version)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture()
def author(db):
    return voter(given="Alma").user


def test_list_shows_each_viewer_only_what_they_may_read(visit, author):
    make_proposal(author, title="Draft idea")
    make_proposal(author, title="Sent idea", state="submitted")

    def titles(client):
        return set(re.findall(r"<strong>([^<]+)</strong>", text(client.get("/proposals/"))))

    assert titles(visit(member_user())) == {"Sent idea"}
    assert titles(visit(author)) == {"Draft idea", "Sent idea"}
    assert titles(visit()) == set()
    for bogus in ("", "nope", "draft'--", "x" * 3000):
        assert (
            visit(author)
            .get("/proposals/", query_string={"state": bogus, "page": bogus})
            .status_code
            == 200
        )
    fragment = visit(author).get("/proposals/?state=submitted", headers=HX)
    assert text(fragment).lstrip().startswith('<section id="proposal-results">')
    assert "Draft idea" not in text(fragment)


def test_create_shows_the_plain_words_first_and_sanitises_the_text(visit, author):
    client = visit(author)
    assert client.get("/proposals/new").status_code == 200
    response = post(
        client,
        "/proposals/new",
        form(body="Hello <script>alert(1)</script> [x](javascript:alert(2)) **bold**"),
    )
    assert response.status_code == 302
    proposal = db.session.scalar(sa.select(Proposal).order_by(Proposal.id.desc()).limit(1))
    page = text(client.get(f"/proposals/{proposal.id}"))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'href="javascript:' not in page
    assert "<strong>bold</strong>" in page
    assert page.index("Lunch lasts one hour") < page.index("You get fifteen more minutes")
    assert page.index("You get fifteen more minutes") < page.index("<strong>bold</strong>")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"summary": ""}, "plain words"),
        ({"summary": "x" * (MAX_SUMMARY + 1)}, "too long"),
        ({"title": ""}, "title"),
        ({"body_id": "abc"}, "list"),
        ({"body_id": "99999999999999999999"}, "list"),
        ({"body_id": "2000000000"}, "list"),
        ({"what_changes": "w" * 1001}, "too long"),
    ],
)
def test_bad_input_is_422_with_a_message_and_nothing_saved(visit, author, changes, message):
    before = count(Proposal)
    for headers in ({}, HX):
        response = post(visit(author), "/proposals/new", form(**changes), headers)
        assert response.status_code == 422
        assert message in text(response)
    assert count(Proposal) == before


def test_a_stale_edit_answers_409_and_shows_the_other_change(visit, author):
    proposal = make_proposal(author)
    co_author = member_user()
    grant_local_role(author, proposal, co_author, LocalRole.EDITOR.value)
    stale = form(proposal, summary="My words.")  # both start from version 1
    first = post(
        visit(co_author), f"/proposals/{proposal.id}/edit", form(proposal, summary="Their words.")
    )
    assert first.status_code == 302
    second = post(visit(author), f"/proposals/{proposal.id}/edit", stale)
    assert second.status_code == 409
    assert "Their words." in text(second) and "Someone else saved" in text(second)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).summary == "Their words."
    assert count(Revision) >= 2


def test_steps_as_htmx_fragment_and_refusals(visit, author):
    proposal = make_proposal(author)
    response = post(
        visit(author), f"/proposals/{proposal.id}/transition", {"transition": "submit"}, HX
    )
    assert (
        response.status_code == 200 and response.headers["HX-Trigger"] == "proposal-state-changed"
    )
    assert f'id="proposal-{proposal.id}-status"' in text(response)
    board = board_user()
    no_reason = post(
        visit(board), f"/proposals/{proposal.id}/transition", {"transition": "reject"}, HX
    )
    assert no_reason.status_code == 422 and "why" in text(no_reason)
    forbidden = post(
        visit(member_user()), f"/proposals/{proposal.id}/transition", {"transition": "open_support"}
    )
    assert forbidden.status_code == 403
    service_only = post(
        visit(board), f"/proposals/{proposal.id}/transition", {"transition": "schedule_vote"}, HX
    )
    assert service_only.status_code == 422
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == "submitted"


def test_support_button_counts_once_with_htmx(visit, author):
    for _ in range(20):
        voter()
    proposal = make_proposal(author, state="support")
    supporter = voter(given="Sam")
    client = visit(supporter.user)
    page = text(client.get(f"/proposals/{proposal.id}"))
    assert "0 of 3 supports needed" in page and "I support this proposal" in page
    first = post(client, f"/proposals/{proposal.id}/support", headers=HX)
    assert first.status_code == 200 and "1 of 3 supports needed" in text(first)
    assert first.headers["HX-Trigger"] == "proposal-supported"
    again = post(client, f"/proposals/{proposal.id}/support", headers=HX)
    assert again.status_code == 409 and "already support" in text(again)
    outsider = post(visit(member_user()), f"/proposals/{proposal.id}/support", headers=HX)
    assert outsider.status_code == 422 and "Only members of" in text(outsider)
    assert count(ProposalSupport) == 1
    counter = visit(author).get(f"/proposals/{proposal.id}/supports", headers=HX)
    assert text(counter).lstrip().startswith(f'<section id="proposal-{proposal.id}-supports"')


def test_the_board_starts_the_vote_and_records_the_result(visit, author):
    yes = voter(given="Yes")
    proposal = make_proposal(author, state="support")
    board = board_user()
    assert (
        post(
            visit(member_user()), f"/proposals/{proposal.id}/vote", {"majority": "simple"}
        ).status_code
        == 403
    )
    bad = post(visit(board), f"/proposals/{proposal.id}/vote", {"majority": "most"}, HX)
    assert bad.status_code == 422
    response = post(
        visit(board), f"/proposals/{proposal.id}/vote", {"majority": "simple", "secret": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.state == "vote" and proposal.poll.subject_key == f"proposal:{proposal.id}"
    page = text(visit(author).get(f"/proposals/{proposal.id}"))
    assert f"/polls/{proposal.poll_id}" in page and "Record the result" not in page
    early = post(visit(board), f"/proposals/{proposal.id}/vote/result", headers=HX)
    assert early.status_code == 422 and "not closed" in text(early)
    vote(proposal.poll, yes, {"vote": "yes"})
    vote(proposal.poll, voting.member_of(author), {"vote": "yes"})
    voting.close_poll(factory_board(), proposal.poll)
    assert "Record the result" in text(visit(board).get(f"/proposals/{proposal.id}"))
    assert post(visit(author), f"/proposals/{proposal.id}/vote/result").status_code == 403
    done = post(visit(board), f"/proposals/{proposal.id}/vote/result", headers=HX)
    assert done.status_code == 200 and "Adopted" in text(done)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == "adopted"


def test_history_and_sharing_pages(visit, author):
    proposal = make_proposal(author)
    client = visit(author)
    post(client, f"/proposals/{proposal.id}/edit", form(proposal, summary="Second words."))
    assert "Second words." in text(client.get(f"/proposals/{proposal.id}/history?a=1&b=2"))
    assert post(client, f"/proposals/{proposal.id}/revert/1").status_code == 302
    co_author = member_user()
    assert client.get(f"/proposals/{proposal.id}/sharing?q={co_author.username}").status_code == 200
    granted = post(
        client,
        f"/proposals/{proposal.id}/sharing/grant",
        {"user_id": str(co_author.id), "role": "Editor"},
    )
    assert granted.status_code == 302
    assert visit(co_author).get(f"/proposals/{proposal.id}/edit").status_code == 200
    assert visit(member_user()).get(f"/proposals/{proposal.id}").status_code == 404
