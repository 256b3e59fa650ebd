"""Elections of people: candidates from the register, several seats, the elected in order with
their counts, and a tie at a seat reported (never drawn by lot). Services and screens."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.extensions import db
from portal.voting import services
from portal.voting.models import Poll
from tests.conftest import csrf_token
from tests.factories_members import (
    board_user,
    factory_board,
    general_assembly,
    make_member,
    member_user,
    membership_step,
)
from tests.factories_voting import make_poll, open_poll_for, vote, voter

CANDIDATES = ("Amina Diallo", "Kofi Mensah", "Marta Silva", "Sofia Rossi", "Yann Le Goff")


def post(client, path, data, **headers):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers)


def election(ballots: list[tuple[str, ...]], *, seats=3, method="approval") -> Poll:
    """A closed approval election over CANDIDATES; each tuple is one member's ballot."""
    people = [voter(given=f"Elector{i}") for i in range(len(ballots))]
    poll = open_poll_for(*people, method=method, options=CANDIDATES, seats=seats)
    for person, choices in zip(people, ballots, strict=True):
        content = {"choices": list(choices)} if method == "approval" else {"ranking": list(choices)}
        vote(poll, person, content)
    services.close_poll(factory_board(), poll)
    return poll


A, K, M, S, Y = CANDIDATES

# Approvals: Amina 6, Marta 5, Kofi 4, Sofia 2, Yann 1.
CLEAR = [(A, M, K), (A, M, K), (A, M, K), (A, M, K), (A, M, S), (A, S, Y)]
# Approvals: Amina 5, Kofi 4, Marta 3, Sofia 3: seat 3, between Marta and Sofia, cannot be
# decided.
TIED = [(A, K, M), (A, K, M), (A, K, S), (A, K, S), (A, M, S)]
# Approvals: Amina 5, Kofi 4, Marta 4, Sofia 1: with two seats, seat 2 cannot be decided.
TIED_SECOND = [(A, K, M), (A, K, M), (A, K, M), (A, K, M), (A, S)]


# --- Services -----------------------------------------------------------------------------------


def test_three_seats_over_five_candidates_elects_the_top_three_in_order(db):
    poll = election(CLEAR)
    result = poll.result
    assert result["verdict"] == "adopted"
    assert result["winners"] == [A, M, K]
    assert result["counts"] == {A: 6, K: 4, M: 5, S: 2, Y: 1}
    assert result["seats"] == 3 and result["winner"] is None


def test_a_tie_at_the_last_seat_is_reported_not_drawn(db):
    poll = election(TIED)
    result = poll.result
    assert result["verdict"] == "tie"
    assert result["winners"] == [A, K]  # the seats before the tie
    assert result["tied"] == [[M, S]]


def test_tie_across_the_last_seat_keeps_the_seats_before_it(db):
    # Amina 5; Kofi and Marta 4 each: with two seats, Kofi and Marta do not fit in one seat;
    # with three, both are elected.
    poll = election(TIED_SECOND, seats=2)
    assert poll.result["verdict"] == "tie" and poll.result["winners"] == [A]
    poll = election(TIED_SECOND, seats=3)
    assert poll.result["verdict"] == "adopted" and poll.result["winners"] == [A, K, M]


def test_ranked_election_with_several_seats(db):
    ballots = [(A, M, K), (A, K, M), (M, A, K), (K, M, A), (A, M, S)]
    poll = election(ballots, seats=2, method="schulze")
    assert poll.result["verdict"] == "adopted" and poll.result["winners"] == [A, M]
    poll = election(ballots, seats=2, method="irv")
    assert poll.result["verdict"] == "adopted" and len(poll.result["winners"]) == 2


@pytest.mark.parametrize("method", ["yes_no_abstain", "consent"])
def test_several_seats_only_for_a_vote_between_choices(db, method):
    with pytest.raises(DomainError) as refused:
        make_poll(method=method, seats=2)
    assert refused.value.field == "seats" and "candidates" in str(refused.value.message)


@pytest.mark.parametrize("method", ["single", "approval", "irv", "schulze"])
def test_methods_between_choices_accept_several_seats_up_to_the_candidates(db, method):
    assert make_poll(method=method, options=CANDIDATES, seats=3).seats == 3
    with pytest.raises(DomainError) as refused:
        make_poll(method=method, options=CANDIDATES, seats=6)
    assert refused.value.field == "seats"


def test_candidates_from_the_register_become_choices_by_name(db):
    ada = make_member(given="Ada", family="Lovelace", admitted_on=date(2025, 2, 3))
    bea = make_member(given="Bea", family="Kahn", admitted_on=date(2025, 2, 3))
    poll = make_poll(
        method="single", options=("An outside candidate",), candidates=(bea.id, ada.id), seats=2
    )
    assert poll.option_labels == ["An outside candidate", "Bea Kahn", "Ada Lovelace"]
    # A name already typed is not added twice.
    again = make_poll(method="single", options=("ada lovelace",), candidates=(ada.id, bea.id))
    assert again.option_labels == ["ada lovelace", "Bea Kahn"]


def test_two_members_with_one_name_are_told_apart(db):
    first = make_member(given="Sam", family="Ndiaye", admitted_on=date(2025, 2, 3))
    second = make_member(given="Sam", family="Ndiaye", admitted_on=date(2025, 2, 3))
    poll = make_poll(method="single", candidates=(first.id, second.id))
    assert poll.option_labels == [
        f"Sam Ndiaye ({first.member_number})",
        f"Sam Ndiaye ({second.member_number})",
    ]


def test_only_active_members_can_be_candidates(db):
    applicant = make_member(given="Applicant")  # not admitted
    former = make_member(given="Former", admitted_on=date(2025, 2, 3))
    membership_step(former, "end", on=date(2025, 9, 1), reason="Left")
    active = make_member(given="Active", admitted_on=date(2025, 2, 3))
    for member_id in (applicant.id, former.id, 2_000_000_000, 0):
        with pytest.raises(DomainError) as refused:
            make_poll(method="single", options=("Someone",), candidates=(active.id, member_id))
        assert refused.value.field == "candidates"
    with pytest.raises(DomainError) as refused:
        make_poll(method="yes_no_abstain", candidates=(active.id,))
    assert refused.value.field == "candidates"


# --- Screens ------------------------------------------------------------------------------------


def test_board_prepares_an_election_with_candidates_from_the_register(client, login_as):
    ada = make_member(given="Ada", family="Lovelace", admitted_on=date(2025, 2, 3))
    bea = make_member(given="Bea", family="Kahn", admitted_on=date(2025, 2, 3))
    make_member(given="Cleo", family="Applicant")  # not a member yet: not offered
    login_as(board_user())
    form = client.get("/polls/new").get_data(as_text=True)
    assert "How many people to elect" in form and "Add members as candidates" in form
    assert f'value="{ada.id}"' in form and "Ada Lovelace" in form
    assert "Cleo Applicant" not in form
    data = {
        "title": "Elect the board",
        "body_id": str(general_assembly().id),
        "method": "approval",
        "options": "Outside Person",
        "candidates": [str(ada.id), str(bea.id)],
        "majority": "simple",
        "seats": "2",
    }
    response = post(client, "/polls/new", {**data, "method": "yes_no_abstain"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "not for yes/no or consent" in page
    response = post(client, "/polls/new", {**data, "candidates": ["abc", str(ada.id)]})
    assert response.status_code == 422 and "Choose active members" in response.get_data(
        as_text=True
    )
    response = post(client, "/polls/new", data)
    assert response.status_code == 302
    poll = db.session.scalar(sa.select(Poll).where(Poll.title == "Elect the board"))
    assert poll.option_labels == ["Outside Person", "Ada Lovelace", "Bea Kahn"]
    assert poll.seats == 2
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Candidates" in page and "Ada Lovelace" in page and "Bea Kahn" in page
    assert "2 people" in page


def test_seats_refused_for_yes_no_through_the_form(client, login_as):
    login_as(board_user())
    response = post(
        client,
        "/polls/new",
        {
            "title": "Buy a van?",
            "body_id": str(general_assembly().id),
            "method": "yes_no_abstain",
            "majority": "simple",
            "seats": "3",
        },
    )
    assert response.status_code == 422
    assert "Yes/no and consent decide one question" in response.get_data(as_text=True)


def test_results_list_the_elected_in_order_with_counts(client, login_as):
    poll = election(CLEAR)
    login_as(member_user())
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "Elected:" in page
    elected = page.split('class="elected"')[1].split("</ol>")[0]
    assert elected.index(A) < elected.index(M) < elected.index(K)
    assert S not in elected and Y not in elected
    assert "6 votes" in elected and "5 votes" in elected and "4 votes" in elected
    csv_text = client.get(f"/polls/{poll.id}/results.csv").get_data(as_text=True)
    assert f"Elected,{A},{M},{K}" in csv_text


def test_results_explain_a_seat_that_cannot_be_decided(client, login_as):
    poll = election(TIED)
    login_as(member_user())
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert f"Seat 3 cannot be decided: {M}, {S} have the same result." in page
    assert "Nobody is drawn by lot" in page
    assert "Elected before the tie:" in page
    elected = page.split('class="elected"')[1].split("</ol>")[0]
    assert elected.index(A) < elected.index(K) and M not in elected and S not in elected
    assert "5 votes" in elected and "4 votes" in elected


def test_results_of_a_one_seat_tie_name_the_tied(client, login_as):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea, method="single", options=("Park", "River", "Hall"))
    vote(poll, ada, {"choice": "Park"})
    vote(poll, bea, {"choice": "River"})
    services.close_poll(factory_board(), poll)
    login_as(ada.user)
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "A tie between Park, River: no decision." in page
    assert "Nobody is drawn by lot" in page
