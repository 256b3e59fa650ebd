"""In-room polls: the person managing the poll enters the people present and the count per
answer (show of hands or paper ballots). Services, tally and screens, on both databases."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.core.outbox import OutboxMessage
from portal.extensions import db
from portal.members.models import Member
from portal.voting import services, tally
from portal.voting.models import Ballot, Participation, Poll
from tests.conftest import csrf_token
from tests.factories_members import board_user, factory_board, general_assembly, member_user
from tests.factories_voting import make_poll, open_poll_for, vote, voter


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def room_poll(people: int = 4, *, method="yes_no_abstain", options=(), **fields) -> Poll:
    """An open in-room poll of the general assembly, whose electorate is `people` members
    (the active members already made count among them)."""
    already = count(Member, Member.state == "active")
    members = [voter(given=f"Room{i}") for i in range(people - already)]
    poll = open_poll_for(*members, method=method, options=options, in_room=True, **fields)
    assert poll.electorate_count == people
    return poll


def ballots(poll: Poll) -> list[tuple[dict, int]]:
    rows = db.session.execute(
        sa.select(Ballot.content, Ballot.weight).where(Ballot.poll_id == poll.id)
    ).all()
    return sorted(((content, weight) for content, weight in rows), key=lambda r: json.dumps(r))


def room_audits(poll: Poll) -> list[dict]:
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "poll.room_count", AuditEntry.object_key == poll.object_key)
        .order_by(AuditEntry.id)
    )
    return [{"actor": e.actor_id, **json.loads(e.details)} for e in entries]


# --- Preparing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "options", "fields", "field"),
    [
        ("schulze", ("A", "B", "C"), {}, "in_room"),
        ("irv", ("A", "B", "C"), {}, "in_room"),
        ("single", ("A", "B", "C"), {"seats": 2}, "in_room"),
        ("approval", ("A", "B", "C"), {"min_choices": 2}, "min_choices"),
        ("approval", ("A", "B", "C"), {"min_choices": 0, "max_choices": 0}, "max_choices"),
    ],
)
def test_what_a_room_cannot_count_is_refused_when_preparing(db, method, options, fields, field):
    with pytest.raises(DomainError) as refused:
        make_poll(method=method, options=options, in_room=True, **fields)
    assert refused.value.field == field
    # The same settings are fine for a vote on the portal.
    assert not make_poll(method=method, options=options, **fields).in_room


@pytest.mark.parametrize(
    ("method", "options"),
    [("yes_no_abstain", ()), ("consent", ()), ("single", ("A", "B")), ("approval", ("A", "B"))],
)
def test_the_room_counts_answers_one_choice_or_approvals(db, method, options):
    poll = make_poll(method=method, options=options, in_room=True)
    assert poll.in_room and poll.present_count is None


# --- Entering the counts ----------------------------------------------------------------------------


def test_counts_become_one_weighted_ballot_per_answer_without_receipt(db):
    poll = room_poll(5)
    services.record_room_count(factory_board(), poll, 5, {"yes": 3, "no": 1, "abstain": 0})
    assert poll.present_count == 5
    assert ballots(poll) == [({"vote": "no"}, 1), ({"vote": "yes"}, 3)]
    fingerprints = set(
        db.session.scalars(sa.select(Ballot.receipt_fingerprint).where(Ballot.poll_id == poll.id))
    )
    assert fingerprints == {services.ROOM_FINGERPRINT}
    # Never a real receipt's fingerprint (64 hexadecimal digits), so no code can match it.
    assert not all(c in "0123456789abcdef" for c in services.ROOM_FINGERPRINT)
    assert count(Participation, Participation.poll_id == poll.id) == 0
    assert services.room_counts(poll) == {"yes": 3, "no": 1, "abstain": 0}
    assert services.turnout(poll) == services.Turnout(5, 5, in_room=True)


def test_more_people_present_than_the_electorate_is_refused(db):
    poll = room_poll(4)
    with pytest.raises(DomainError) as refused:
        services.record_room_count(factory_board(), poll, 5, {"yes": 1})
    assert refused.value.field == "present" and "4" in str(refused.value.message)
    with pytest.raises(DomainError) as refused:
        services.record_room_count(factory_board(), poll, 0, {})
    assert refused.value.field == "present"
    assert poll.present_count is None and ballots(poll) == []


@pytest.mark.parametrize(
    ("method", "options", "counts"),
    [
        ("yes_no_abstain", (), {"yes": 2, "no": 1, "abstain": 1}),
        ("consent", (), {"agree": 3, "object": 1}),
        ("single", ("Park", "River"), {"Park": 2, "River": 2}),
        ("approval", ("Park", "River"), {"Park": 4}),
    ],
)
def test_counts_above_the_people_present_are_refused(db, method, options, counts):
    poll = room_poll(6, method=method, options=options)
    with pytest.raises(DomainError) as refused:
        services.record_room_count(factory_board(), poll, 3, counts)
    assert refused.value.field in ("counts", "count:Park")
    assert "3" in str(refused.value.message)
    assert poll.present_count is None and ballots(poll) == []


def test_approval_counts_each_choice_against_the_people_present(db):
    poll = room_poll(6, method="approval", options=("Park", "River", "Hall"))
    # 5 people, more hands than people in all: each may approve several choices.
    services.record_room_count(factory_board(), poll, 5, {"Park": 4, "River": 3, "Hall": 5})
    assert ballots(poll) == [
        ({"choices": ["Hall"]}, 5),
        ({"choices": ["Park"]}, 4),
        ({"choices": ["River"]}, 3),
    ]
    services.close_poll(factory_board(), poll)
    result = poll.result
    assert result["counts"] == {"Park": 4, "River": 3, "Hall": 5}
    assert result["winner"] == "Hall" and result["participation"] == 5


def test_approval_with_a_most_choices_bounds_all_the_hands(db):
    poll = room_poll(6, method="approval", options=("Park", "River", "Hall"), max_choices=1)
    with pytest.raises(DomainError) as refused:
        services.record_room_count(factory_board(), poll, 3, {"Park": 2, "River": 2})
    assert refused.value.field == "counts"
    services.record_room_count(factory_board(), poll, 3, {"Park": 2, "River": 1})


@pytest.mark.parametrize("bad", [-1, "3", 2.0, None, True])
def test_a_count_must_be_a_whole_number(db, bad):
    poll = room_poll(4)
    with pytest.raises(DomainError) as refused:
        services.record_room_count(factory_board(), poll, 4, {"yes": 1, "no": bad})
    assert refused.value.field == "count:no"
    with pytest.raises(DomainError) as refused:
        services.record_room_count(factory_board(), poll, bad, {"yes": 1})
    assert refused.value.field == "present"


def test_an_unknown_answer_is_refused(db):
    poll = room_poll(4)
    with pytest.raises(DomainError):
        services.record_room_count(factory_board(), poll, 4, {"maybe": 1})


def test_a_correction_replaces_the_counts_and_each_entry_is_audited(db):
    poll = room_poll(6)
    secretary = board_user()
    services.record_room_count(secretary, poll, 5, {"yes": 3, "no": 2})
    services.record_room_count(factory_board(), poll, 6, {"yes": 2, "no": 3, "abstain": 1})
    assert ballots(poll) == [({"vote": "abstain"}, 1), ({"vote": "no"}, 3), ({"vote": "yes"}, 2)]
    assert poll.present_count == 6
    audits = room_audits(poll)
    assert audits == [
        {
            "actor": secretary.id,
            "present": 5,
            "counts": {"yes": 3, "no": 2, "abstain": 0},
            "corrected": False,
        },
        {
            "actor": factory_board().id,
            "present": 6,
            "counts": {"yes": 2, "no": 3, "abstain": 1},
            "corrected": True,
        },
    ]
    services.close_poll(factory_board(), poll)
    assert poll.result["counts"] == {"yes": 2, "no": 3, "abstain": 1}
    assert poll.result["verdict"] == "rejected"


def test_only_a_manager_enters_counts(db):
    poll = room_poll(3)
    with pytest.raises(NotAllowed):
        services.record_room_count(member_user(), poll, 3, {"yes": 3})
    assert poll.present_count is None


def test_counts_only_between_the_opening_and_the_close(db):
    """R6 for the room: no counts on a draft, nor once the poll is closed or cancelled."""
    voter(given="Solo")
    draft = make_poll(in_room=True)
    with pytest.raises(Conflict):
        services.record_room_count(factory_board(), draft, 1, {"yes": 1})
    assert draft.present_count is None and ballots(draft) == []

    poll = room_poll(3)
    services.record_room_count(factory_board(), poll, 3, {"yes": 2, "no": 1})
    services.close_poll(factory_board(), poll)
    result = dict(poll.result)
    with pytest.raises(Conflict):
        services.record_room_count(factory_board(), poll, 3, {"yes": 0, "no": 3})
    db.session.refresh(poll)
    assert poll.result == result and services.room_counts(poll) == {"yes": 2, "no": 1, "abstain": 0}

    cancelled = room_poll(3)
    services.cancel_poll(factory_board(), cancelled, "Wrong question")
    with pytest.raises(Conflict):
        services.record_room_count(factory_board(), cancelled, 2, {"yes": 2})


def test_a_poll_on_the_portal_takes_no_counts_by_hand(db):
    ada = voter(given="Ada")
    poll = open_poll_for(ada)
    with pytest.raises(DomainError):
        services.record_room_count(factory_board(), poll, 1, {"yes": 1})
    assert ballots(poll) == []


def test_no_electronic_vote_and_no_proxy_in_the_room(db):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea, in_room=True)
    with pytest.raises(DomainError) as refused:
        vote(poll, ada, {"vote": "yes"})
    assert "in the room" in str(refused.value.message)
    with pytest.raises(DomainError):
        services.give_proxy(ada.user, poll, ada, bea)
    assert count(Participation, Participation.poll_id == poll.id) == 0
    assert ballots(poll) == []


def test_no_vote_now_mails_for_a_poll_in_the_room(db):
    voter(given="Mailed", email="mailed@example.org")
    poll = make_poll(in_room=True)
    services.open_poll(factory_board(), poll, lambda p: f"http://portal.test/polls/{p.id}")
    assert count(OutboxMessage) == 0


# --- Closing: verdict and quorum on the people present ---------------------------------------


def test_close_needs_the_counts(db):
    poll = room_poll(3)
    with pytest.raises(DomainError):
        services.close_poll(factory_board(), poll)
    db.session.refresh(poll)
    assert poll.state == "open"


def test_quorum_is_measured_on_the_people_present_not_the_hands(db):
    # Electorate 10, quorum 50 %: 6 present, only 2 raise a hand (yes); the others do not.
    poll = room_poll(10, quorum_percent=50)
    services.record_room_count(factory_board(), poll, 6, {"yes": 2})
    services.close_poll(factory_board(), poll)
    result = poll.result
    assert result["verdict"] == "adopted" and result["quorum_met"] is True
    assert result["participation"] == 6 and result["electorate"] == 10
    assert result["counts"] == {"yes": 2, "no": 0, "abstain": 0}


def test_too_few_present_is_no_quorum(db):
    poll = room_poll(10, quorum_percent=50)
    services.record_room_count(factory_board(), poll, 4, {"yes": 4})
    services.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == "no_quorum" and poll.result["quorum_met"] is False
    assert poll.result["participation"] == 4


def test_majorities_apply_to_the_counts(db):
    poll = room_poll(9, majority="two_thirds", abstentions_count=True)
    services.record_room_count(factory_board(), poll, 9, {"yes": 6, "no": 2, "abstain": 1})
    services.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == "adopted" and poll.result["needed"] == 6


def test_consent_one_raised_objection_blocks(db):
    poll = room_poll(5, method="consent")
    services.record_room_count(factory_board(), poll, 5, {"agree": 4, "object": 1})
    services.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == "rejected" and poll.result["blocked"] is True


def test_single_choice_counted_in_the_room_and_a_tie(db):
    poll = room_poll(6, method="single", options=("Park", "River"))
    services.record_room_count(factory_board(), poll, 6, {"Park": 3, "River": 3})
    services.close_poll(factory_board(), poll)
    assert poll.result["verdict"] == "tie" and poll.result["tied"] == [["Park", "River"]]


def test_practice_poll_in_the_room_counts_like_the_others(db):
    poll = room_poll(3, practice=True)
    services.record_room_count(factory_board(), poll, 3, {"yes": 2, "no": 1})
    services.close_poll(factory_board(), poll)
    assert poll.practice and poll.result["verdict"] == "adopted"
    assert services.receipt_fingerprints(poll) == []


def test_the_retally_file_carries_the_turnout_and_counts_the_same(db):
    poll = room_poll(10, quorum_percent=50)
    services.record_room_count(factory_board(), poll, 6, {"yes": 2, "no": 1})
    services.close_poll(factory_board(), poll)
    document = services.ballots_document(poll)
    assert document["rules"]["turnout"] == 6 and document["rules"]["electorate"] == 10
    again = tally.read_document(json.dumps(document))
    result = tally.tally(again.method, again.options, again.ballots, again.rules)
    assert result.as_dict() == poll.result


# --- The tally's turnout rule ------------------------------------------------------------------


def test_tally_turnout_is_the_participation_and_bounds_the_ballots():
    rules = tally.Rules(quorum=0.5, electorate=10, turnout=6)
    result = tally.tally("yes_no_abstain", None, [tally.Ballot(vote="yes", weight=2)], rules)
    assert result.participation == 6 and result.details["quorum_met"]
    without = tally.tally(
        "yes_no_abstain",
        None,
        [tally.Ballot(vote="yes", weight=2)],
        tally.Rules(quorum=0.5, electorate=10),
    )
    assert without.verdict == "no_quorum"
    with pytest.raises(tally.TallyError) as refused:
        tally.tally("single", ["A", "B"], [tally.Ballot(choice="A", weight=7)], rules)
    assert refused.value.code == "over_turnout"
    approvals = [tally.Ballot(choices=("A",), weight=6), tally.Ballot(choices=("B",), weight=6)]
    assert tally.tally("approval", ["A", "B"], approvals, rules).participation == 6
    with pytest.raises(tally.TallyError) as refused:
        tally.tally("approval", ["A", "B"], [tally.Ballot(choices=("A",), weight=7)], rules)
    assert refused.value.code == "over_turnout"
    with pytest.raises(tally.TallyError) as refused:
        tally.tally("yes_no_abstain", None, [], tally.Rules(electorate=10, turnout=11))
    assert refused.value.code == "turnout"


# --- Screens ----------------------------------------------------------------------------------------


def post(client, path, data, **headers):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers)


def form_for(counts: list[str], present: str) -> dict:
    return {"present": present, **{f"count-{i}": value for i, value in enumerate(counts)}}


def test_board_prepares_an_in_room_poll_and_ranked_is_refused(client, login_as):
    login_as(board_user())
    data = {
        "title": "Which day for the picnic?",
        "body_id": str(general_assembly().id),
        "method": "schulze",
        "options": "Monday\nFriday\n",
        "in_room": "y",
        "majority": "simple",
        "seats": "1",
    }
    response = post(client, "/polls/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "cannot be counted in the room" in page
    assert "Which day for the picnic?" in page  # the input is kept
    assert "In the room (show of hands or paper)" in page
    response = post(client, "/polls/new", {**data, "method": "single"})
    assert response.status_code == 302
    poll = db.session.scalar(sa.select(Poll).where(Poll.title == "Which day for the picnic?"))
    assert poll.in_room and poll.method == "single"


def test_poll_page_shows_the_count_form_to_managers_and_the_room_to_others(client, login_as):
    ada = voter(given="Ada")
    poll = room_poll(3)
    login_as(ada.user)
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Counted in the room" in page
    assert "Send my vote" not in page and "proxy" not in page.lower()
    assert 'name="present"' not in page
    assert "the counts are not entered yet" in page
    post(client, "/logout", {})
    login_as(board_user())
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert 'name="present"' in page and 'name="count-2"' in page and "Abstain" in page


def test_counts_through_the_page_with_htmx_and_corrections(client, login_as):
    poll = room_poll(5)
    login_as(board_user())
    response = post(
        client, f"/polls/{poll.id}/count", form_for(["3", "1", "0"], "4"), **{"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert response.headers["HX-Trigger"] == "room-counted"
    assert f'id="poll-{poll.id}-room-count"' in body and "The counts are saved" in body
    assert ballots(poll) == [({"vote": "no"}, 1), ({"vote": "yes"}, 3)]
    response = post(client, f"/polls/{poll.id}/count", form_for(["2", "2", "1"], "5"))
    assert response.status_code == 302
    db.session.refresh(poll)
    assert poll.present_count == 5
    assert services.room_counts(poll) == {"yes": 2, "no": 2, "abstain": 1}
    turnout = client.get(f"/polls/{poll.id}/turnout").get_data(as_text=True)
    assert "Present: 5 of 5" in turnout
    assert len(room_audits(poll)) == 2


@pytest.mark.parametrize(
    ("counts", "present", "message", "kept"),
    [
        (["1", "0", "0"], "6", "more people present than the 5", 'value="6"'),
        (["3", "2", "1"], "5", "add up to 6, more than the 5 people present", 'value="3"'),
        (["-1", "0", "0"], "3", "Give a whole number, 0 or more.", 'value="-1"'),
        (["two", "0", "0"], "3", "Give a whole number, 0 or more.", 'value="two"'),
        (["1", "", "0"], "3", "Give a number (0 if nobody).", 'value="1"'),
        (["1", "0", "0"], "lots", "Give a whole number, 0 or more.", 'value="lots"'),
        (["1", "0", "0"], "0", "At least one person must be present.", 'value="0"'),
        (["1", "0", "0"], "12345678901", "This number is too big.", 'value="12345678901"'),
    ],
)
def test_bad_counts_are_refused_with_422_and_the_input_kept(
    client, login_as, counts, present, message, kept
):
    poll = room_poll(5)
    login_as(board_user())
    for headers in ({}, {"HX-Request": "true"}):
        response = post(client, f"/polls/{poll.id}/count", form_for(counts, present), **headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 422, body[:300]
        assert message in body and kept in body
        assert ("<html" in body) == (not headers)
    db.session.refresh(poll)
    assert poll.present_count is None and ballots(poll) == []


def test_html_in_a_count_is_not_rendered(client, login_as):
    poll = room_poll(2)
    login_as(board_user())
    response = post(
        client, f"/polls/{poll.id}/count", form_for(["<script>x</script>", "0", "0"], "2")
    )
    assert response.status_code == 422
    assert "<script>x</script>" not in response.get_data(as_text=True)


def test_counts_by_http_refused_for_members_and_outside_the_open_vote(client, login_as):
    voter(given="Solo")
    draft = make_poll(in_room=True)
    poll = room_poll(3)
    login_as(member_user())
    assert (
        post(client, f"/polls/{poll.id}/count", form_for(["3", "0", "0"], "3")).status_code == 403
    )
    post(client, "/logout", {})
    login_as(board_user())
    response = post(client, f"/polls/{draft.id}/count", form_for(["1", "0", "0"], "1"))
    assert response.status_code == 409 and "while the vote is open" in response.get_data(
        as_text=True
    )
    services.record_room_count(factory_board(), poll, 3, {"yes": 3})
    services.close_poll(factory_board(), poll)
    response = post(
        client, f"/polls/{poll.id}/count", form_for(["0", "3", "0"], "3"), **{"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert services.room_counts(poll) == {"yes": 3, "no": 0, "abstain": 0}
    portal_poll = open_poll_for()
    assert post(client, f"/polls/{portal_poll.id}/count", form_for(["1"], "1")).status_code == 404


def test_electronic_vote_refused_through_the_page(client, login_as):
    ada = voter(given="Ada")
    poll = open_poll_for(ada, in_room=True)
    login_as(ada.user)
    response = post(client, f"/polls/{poll.id}/vote", {"vote": "yes"}, **{"HX-Request": "true"})
    assert response.status_code == 422
    assert "counted in the room" in response.get_data(as_text=True)
    assert count(Participation) == 0 and ballots(poll) == []


def test_results_csv_and_ballots_json_of_an_in_room_poll(app, client, login_as, tmp_path):
    poll = room_poll(8, method="single", options=("Park", "River", "Hall"), quorum_percent=50)
    services.record_room_count(factory_board(), poll, 6, {"Park": 3, "River": 2, "Hall": 0})
    services.close_poll(factory_board(), poll)
    login_as(member_user())
    page = client.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "Counted in the room (show of hands or paper ballots)" in page
    assert "Chosen: Park" in page and "Present: 6 of 8." in page
    assert "Check my receipt" not in page and "Who voted" not in page
    csv_text = client.get(f"/polls/{poll.id}/results.csv").get_data(as_text=True)
    assert "Counted in the room" in csv_text and "People present,6" in csv_text
    assert "Electorate,8" in csv_text and "Park,3" in csv_text
    response = client.get(f"/polls/{poll.id}/ballots.json")
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["rules"]["turnout"] == 6
    assert sorted((b["choice"], b["weight"]) for b in document["ballots"]) == [
        ("Park", 3),
        ("River", 2),
    ]
    path = tmp_path / "ballots.json"
    path.write_text(response.get_data(as_text=True))
    printed = app.test_cli_runner().invoke(args=["polls", "retally", str(path)])
    assert printed.exit_code == 0, printed.output
    db.session.refresh(poll)
    assert json.loads(printed.output) == poll.result
