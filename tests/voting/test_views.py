"""Poll screens: preparing, voting (page and htmx), the turnout, proxies, steps and results."""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.voting import services
from portal.voting.models import Ballot, Participation, Poll
from tests.conftest import csrf_token
from tests.factories_members import board_user, factory_board, general_assembly, member_user
from tests.factories_voting import make_poll, open_poll_for, vote, voter


def post(client, path, data, **headers):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers)


def test_board_prepares_a_poll_and_bad_input_is_explained(client, login_as):
    login_as(board_user())
    response = post(
        client,
        "/polls/new",
        {
            "title": "",
            "body_id": str(general_assembly().id),
            "method": "single",
            "options": "Only one",
            "majority": "simple",
        },
    )
    assert response.status_code == 422
    assert "Give the poll a title" in response.get_data(as_text=True)
    response = post(
        client,
        "/polls/new",
        {
            "title": "Where do we eat?",
            "question": "We choose the place of the summer meal.",
            "body_id": str(general_assembly().id),
            "method": "single",
            "options": "Park\nRiver\n",
            "secret": "y",
            "majority": "simple",
            "seats": "1",
        },
    )
    assert response.status_code == 302
    poll = db.session.scalar(sa.select(Poll).where(Poll.title == "Where do we eat?"))
    assert poll.option_labels == ["Park", "River"] and poll.secret and poll.state == "draft"


def test_a_plain_member_cannot_prepare_or_see_drafts(client, login_as):
    draft = make_poll()
    login_as(member_user())
    assert client.get("/polls/new").status_code == 403
    assert client.get(f"/polls/{draft.id}").status_code == 404
    assert "Do we buy" not in client.get("/polls/").get_data(as_text=True)


def test_member_votes_with_htmx_and_gets_a_receipt(client, login_as):
    ada = voter(given="Ada")
    poll = open_poll_for(ada)
    login_as(ada.user)
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Send my vote" in page and "0 of" in page
    response = post(client, f"/polls/{poll.id}/vote", {"vote": "yes"}, **{"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "Your vote is recorded" in body and response.headers["HX-Trigger"] == "vote-cast"
    code = body.split('class="receipt-code">')[1].split("<")[0]
    assert services.fingerprint(code) == db.session.scalar(sa.select(Ballot.receipt_fingerprint))
    again = post(client, f"/polls/{poll.id}/vote", {"vote": "no"}, **{"HX-Request": "true"})
    assert again.status_code == 409 and "already voted" in again.get_data(as_text=True)
    turnout = client.get(f"/polls/{poll.id}/turnout").get_data(as_text=True)
    assert "1 of" in turnout


def test_vote_without_an_answer_is_a_clear_message(client, login_as):
    ada = voter(given="Ada")
    poll = open_poll_for(ada, method="single", options=("Park", "River"))
    login_as(ada.user)
    response = post(client, f"/polls/{poll.id}/vote", {})
    assert response.status_code == 422
    assert "Choose an answer" in response.get_data(as_text=True)
    response = post(client, f"/polls/{poll.id}/vote", {"choice": "<script>alert(1)</script>"})
    assert response.status_code == 422
    assert "<script>alert" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 0


def test_ranked_vote_from_numbers(client, login_as):
    ada = voter(given="Ada")
    poll = open_poll_for(ada, method="schulze", options=("Park", "River", "Hall"))
    login_as(ada.user)
    response = post(client, f"/polls/{poll.id}/vote", {"rank-0": "2", "rank-1": "2"})
    assert response.status_code == 422 and "only once" in response.get_data(as_text=True)
    response = post(client, f"/polls/{poll.id}/vote", {"rank-0": "2", "rank-2": "1"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(Ballot.content)) == {"ranking": ["Hall", "Park"]}


def test_proxy_holder_votes_for_the_principal_through_the_page(client, login_as):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    login_as(ada.user)
    response = post(client, f"/polls/{poll.id}/proxy", {"holder_id": str(bea.id)})
    assert response.status_code == 302
    assert "holds your proxy" in client.get(f"/polls/{poll.id}").get_data(as_text=True)
    post(client, "/logout", {})
    login_as(bea.user)
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Send the vote of Ada" in page and "Send my vote" in page
    assert (
        post(client, f"/polls/{poll.id}/vote", {"for": str(ada.id), "vote": "yes"}).status_code
        == 200
    )
    assert post(client, f"/polls/{poll.id}/vote", {"vote": "no"}).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 2


def test_board_opens_and_closes_then_everyone_sees_results(client, login_as):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = make_poll(method="single", options=("Park", "River"), secret=True)
    login_as(board_user())
    assert post(client, f"/polls/{poll.id}/step", {"transition": "open"}).status_code == 302
    db.session.refresh(poll)
    assert poll.state == "open" and poll.electorate_count >= 2
    vote(poll, ada, {"choice": "Park"})
    vote(poll, bea, {"choice": "Park"})
    assert client.get(f"/polls/{poll.id}/results").status_code == 403  # not before the close
    assert post(client, f"/polls/{poll.id}/step", {"transition": "close"}).status_code == 302
    post(client, "/logout", {})
    login_as(ada.user)
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "Chosen: Park" in page and "<svg" in page and "<table>" in page
    assert "Ada" in page  # who voted, after the close
    csv_response = client.get(f"/polls/{poll.id}/results.csv")
    assert csv_response.status_code == 200 and "Park" in csv_response.get_data(as_text=True)


def test_secret_results_never_pair_a_name_with_a_choice(client, login_as):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea, method="single", options=("Orchard", "Lakeside"))
    vote(poll, ada, {"choice": "Orchard"})
    vote(poll, bea, {"choice": "Lakeside"})
    services.close_poll(factory_board(), poll)
    login_as(member_user())
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    who = page.split('id="voters-title"')[1]
    assert "Ada" in who and "Orchard" not in who and "Lakeside" not in who


def test_receipt_check_after_close(client, login_as):
    ada = voter(given="Ada")
    poll = open_poll_for(ada)
    receipt = vote(poll, ada, {"vote": "yes"})
    services.close_poll(factory_board(), poll)
    login_as(ada.user)
    page = client.get(f"/polls/{poll.id}/results?receipt={receipt}").get_data(as_text=True)
    assert "Your vote was counted" in page
    page = client.get(f"/polls/{poll.id}/results?receipt=WRONG-CODE").get_data(as_text=True)
    assert "not in the list" in page


def test_ballot_export_retallies_to_the_same_result_and_names_nobody(
    app, client, login_as, tmp_path
):
    import json

    people = [voter(given=f"Retally{i}") for i in range(5)]
    poll = open_poll_for(*people, method="schulze", options=("Park", "River", "Hall"))
    rankings = [
        ["Park", "River"],
        ["River", "Park", "Hall"],
        ["Park"],
        ["Hall", "Park"],
        ["Park", "Hall"],
    ]
    for person, ranking in zip(people, rankings, strict=True):
        vote(poll, person, {"ranking": ranking})
    login_as(people[0].user)
    assert client.get(f"/polls/{poll.id}/ballots.json").status_code == 403  # not before the close
    services.close_poll(factory_board(), poll)
    response = client.get(f"/polls/{poll.id}/ballots.json")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert not any(p.given_name in text or p.member_number in text for p in people)
    document = json.loads(text)
    assert sorted(b["ranking"] for b in document["ballots"]) == sorted(rankings)
    path = tmp_path / "ballots.json"
    path.write_text(text)
    result = app.test_cli_runner().invoke(args=["polls", "retally", str(path)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    db.session.refresh(poll)
    assert (printed["winner"], printed["verdict"], printed["counts"]) == (
        poll.result["winner"],
        poll.result["verdict"],
        poll.result["counts"],
    )
    assert printed["ranking"] == poll.result["ranking"]
