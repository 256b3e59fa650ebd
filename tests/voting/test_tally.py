"""The pure tally: worked examples from the voting literature, thresholds, tie rules, quorum,
ballot validation and the re-tally file (no database)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from portal.voting.tally import (
    MAJORITIES,
    MESSAGES,
    METHODS,
    Ballot,
    BallotError,
    Rules,
    TallyError,
    Verdict,
    ballot_from_dict,
    export_document,
    read_document,
    tally,
    validate_ballot,
)

TALLY_DIR = Path(__file__).resolve().parents[2] / "portal" / "voting" / "tally"


def ranked(*profiles: tuple[int, str]) -> list[Ballot]:
    """Ballots from (weight, "ACB") pairs: one letter per option, best first."""
    return [Ballot(ranking=tuple(order), weight=weight) for weight, order in profiles]


def answers(**weights: int) -> list[Ballot]:
    return [Ballot(vote=vote, weight=weight) for vote, weight in weights.items() if weight]


# Wikipedia, "Schulze method": 45 voters, candidates A to E.
WIKIPEDIA_SCHULZE = ranked(
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
)

# Wikipedia, "Instant-runoff voting" / "Condorcet method": Tennessee's capital. Memphis (M),
# Nashville (N), Chattanooga (C), Knoxville (K); each city ranks the others by distance.
TENNESSEE = ranked((42, "MNCK"), (26, "NCKM"), (15, "CKNM"), (17, "KCNM"))


# --- Worked examples from the literature ---------------------------------------------------------


def test_wikipedia_schulze_example():
    result = tally("schulze", "ABCDE", WIKIPEDIA_SCHULZE)
    assert result.verdict is Verdict.ADOPTED
    assert result.winner == "E"
    assert result.ranking == ["E", "A", "C", "B", "D"]
    assert result.tied == []
    assert result.participation == 45
    d, p = result.details["pairwise"], result.details["strengths"]
    assert d["A"] == {"B": 20, "C": 26, "D": 30, "E": 22}
    assert d["E"] == {"A": 23, "B": 27, "C": 21, "D": 31}
    assert p["A"] == {"B": 28, "C": 28, "D": 30, "E": 24}
    assert p["B"] == {"A": 25, "C": 28, "D": 33, "E": 24}
    assert p["C"] == {"A": 25, "B": 29, "D": 29, "E": 24}
    assert p["D"] == {"A": 25, "B": 28, "C": 28, "E": 24}
    assert p["E"] == {"A": 25, "B": 28, "C": 28, "D": 31}


def test_tennessee_plurality_elects_memphis():
    ballots = [Ballot(choice=b.ranking[0], weight=b.weight) for b in TENNESSEE]
    result = tally("single", "MNCK", ballots)
    assert result.winner == "M"
    assert result.counts == {"M": 42, "N": 26, "C": 15, "K": 17}


def test_tennessee_instant_runoff_elects_knoxville():
    result = tally("irv", "MNCK", TENNESSEE)
    assert result.verdict is Verdict.ADOPTED and result.winner == "K"
    rounds = result.details["rounds"]
    assert [r["counts"] for r in rounds] == [
        {"M": 42, "N": 26, "C": 15, "K": 17},
        {"M": 42, "N": 26, "K": 32},
        {"M": 42, "K": 58},
    ]
    assert [r.get("eliminated") for r in rounds] == [["C"], ["N"], None]
    assert rounds[-1]["elected"] == "K"
    assert result.ranking == ["K", "M", "N", "C"]  # last eliminated first


def test_condorcet_winner_nashville_wins_schulze_but_not_instant_runoff():
    schulze = tally("schulze", "MNCK", TENNESSEE)
    assert schulze.winner == "N"  # beats M 58-42, C 68-32, K 68-32
    assert schulze.ranking == ["N", "C", "K", "M"]
    assert schulze.details["pairwise"]["N"] == {"M": 58, "C": 68, "K": 68}
    assert tally("irv", "MNCK", TENNESSEE).winner == "K"


def test_condorcet_cycle_is_a_tie_for_every_ranked_method():
    cycle = ranked((1, "ABC"), (1, "BCA"), (1, "CAB"))
    for method in ("irv", "schulze"):
        result = tally(method, "ABC", cycle)
        assert result.verdict is Verdict.TIE, method
        assert result.winner is None and result.winners == []
        assert result.tied == [["A", "B", "C"]]


def test_schulze_breaks_a_cycle_by_the_strongest_paths():
    # A beats B 6-3, B beats C 7-2, C beats A 5-4: the weakest defeat (C over A) is overruled.
    result = tally("schulze", "ABC", ranked((4, "ABC"), (3, "BCA"), (2, "CAB")))
    d = result.details["pairwise"]
    assert (d["A"]["B"], d["B"]["C"], d["C"]["A"]) == (6, 7, 5)
    assert result.details["strengths"]["A"] == {"B": 6, "C": 6}
    assert result.winner == "A" and result.ranking == ["A", "B", "C"]


# --- Yes / no / abstain: majorities at their thresholds ------------------------------------------


@pytest.mark.parametrize(
    ("majority", "yes", "no", "verdict"),
    [
        ("simple", 11, 10, "adopted"),
        ("simple", 10, 10, "tie"),
        ("simple", 9, 10, "rejected"),
        ("absolute", 11, 10, "adopted"),  # 11 of 21 is more than half
        ("absolute", 10, 10, "rejected"),  # exactly half is not more than half
        ("two_thirds", 20, 10, "adopted"),  # exactly two thirds
        ("two_thirds", 19, 10, "rejected"),  # one vote fewer
        ("two_thirds", 2, 1, "adopted"),
        ("three_quarters", 30, 10, "adopted"),  # exactly three quarters
        ("three_quarters", 29, 10, "rejected"),
        ("unanimity", 12, 0, "adopted"),
        ("unanimity", 12, 1, "rejected"),
        ("unanimity", 0, 0, "rejected"),  # nobody said yes
    ],
)
def test_majority_thresholds(majority, yes, no, verdict):
    result = tally("yes_no_abstain", None, answers(yes=yes, no=no), Rules(majority=majority))
    assert result.verdict == verdict
    assert result.counts == {"yes": yes, "no": no, "abstain": 0}
    assert result.details["votes_cast"] == yes + no


def test_abstentions_counted_or_not():
    ballots = answers(yes=6, no=4, abstain=3)
    not_counted = tally("yes_no_abstain", (), ballots, Rules(majority="absolute"))
    assert not_counted.verdict is Verdict.ADOPTED  # 6 of 10 cast
    assert not_counted.details["votes_cast"] == 10 and not_counted.details["needed"] == 6
    counted = tally(
        "yes_no_abstain", (), ballots, Rules(majority="absolute", abstentions_count=True)
    )
    assert counted.verdict is Verdict.REJECTED  # 6 of 13 cast
    assert counted.details["votes_cast"] == 13 and counted.details["needed"] == 7
    assert counted.participation == not_counted.participation == 13
    # the simple majority compares yes and no only
    simple = tally("yes_no_abstain", (), ballots, Rules(abstentions_count=True))
    assert simple.verdict is Verdict.ADOPTED


def test_unanimity_and_abstentions():
    ballots = answers(yes=10, abstain=1)
    assert tally("yes_no_abstain", (), ballots, Rules(majority="unanimity")).adopted
    counted = Rules(majority="unanimity", abstentions_count=True)
    assert tally("yes_no_abstain", (), ballots, counted).verdict is Verdict.REJECTED


def test_only_abstentions_is_rejected_not_a_tie():
    result = tally("yes_no_abstain", (), answers(abstain=5))
    assert result.verdict is Verdict.REJECTED and result.participation == 5


def test_majority_registry_is_complete():
    assert set(MAJORITIES) == {"simple", "absolute", "two_thirds", "three_quarters", "unanimity"}


# --- Consent -------------------------------------------------------------------------------------


def test_one_objection_blocks_whatever_the_agreement():
    ballots = [*answers(agree=50, stand_aside=3), Ballot(vote="object", reason="Unsafe.")]
    result = tally("consent", None, ballots)
    assert result.verdict is Verdict.REJECTED and result.details["blocked"] is True
    assert result.counts == {"agree": 50, "stand_aside": 3, "object": 1}


def test_consent_without_objection():
    assert tally("consent", None, answers(agree=1, stand_aside=9)).adopted
    only_aside = tally("consent", None, answers(stand_aside=9))
    assert only_aside.verdict is Verdict.REJECTED and only_aside.details["blocked"] is False


# --- Single choice, approval, N seats ------------------------------------------------------------


def test_single_choice_tie_for_first():
    ballots = [Ballot(choice="A", weight=3), Ballot(choice="B", weight=3), Ballot(choice="C")]
    result = tally("single", "ABC", ballots)
    assert result.verdict is Verdict.TIE and result.winner is None
    assert result.tied == [["A", "B"]] and result.ranking == ["A", "B", "C"]


def test_seats_with_a_tie_at_the_last_seat():
    ballots = [
        Ballot(choice="A", weight=5),
        Ballot(choice="C", weight=3),
        Ballot(choice="B", weight=3),
    ]
    two = tally("single", "ABCD", ballots, Rules(seats=2))
    assert two.verdict is Verdict.TIE
    assert two.winners == ["A"] and two.winner is None
    assert two.tied == [["B", "C"]]  # in the poll's order of options
    three = tally("single", "ABCD", ballots, Rules(seats=3))
    assert three.verdict is Verdict.ADOPTED and three.winners == ["A", "B", "C"]
    assert three.winner is None  # several seats: see winners


def test_approval_counts_and_limits():
    rules = Rules(min_choices=1, max_choices=2)
    ballots = [
        Ballot(choices=("A", "B"), weight=2),
        Ballot(choices=("B",)),
        Ballot(choices=("C", "B")),
    ]
    result = tally("approval", "ABC", ballots, rules)
    assert result.counts == {"A": 2, "B": 4, "C": 1}
    assert result.winner == "B" and result.participation == 4
    with pytest.raises(BallotError) as too_many:
        validate_ballot("approval", "ABC", Ballot(choices=("A", "B", "C")), rules)
    assert too_many.value.code == "too_many_choices" and too_many.value.params == {"n": 2}
    with pytest.raises(BallotError) as too_few:
        validate_ballot("approval", "ABC", Ballot(choices=()), rules)
    assert too_few.value.code == "too_few_choices"
    # min_choices=0: an empty ballot takes part without approving anything
    empty = tally(
        "approval", "AB", [Ballot(choices=()), Ballot(choices=("A",))], Rules(min_choices=0)
    )
    assert empty.participation == 2 and empty.counts == {"A": 1, "B": 0}


def test_no_ballots_decides_nothing():
    for method, options in (("single", "AB"), ("approval", "AB"), ("irv", "AB"), ("schulze", "AB")):
        result = tally(method, options, [])
        assert result.verdict is Verdict.REJECTED, method
        assert result.winners == [] and sorted(result.ranking) == ["A", "B"]


def test_schulze_and_irv_seats():
    assert tally("schulze", "ABCDE", WIKIPEDIA_SCHULZE, Rules(seats=2)).winners == ["E", "A"]
    irv = tally("irv", "MNCK", TENNESSEE, Rules(seats=2))
    # seat 2 without Knoxville: M 42, N 26, C 32 -> N out, its voters reach C: C 58
    assert irv.winners == ["K", "C"] and irv.ranking[:2] == ["K", "C"]
    assert [r["seat"] for r in irv.details["rounds"]] == [1, 1, 1, 2, 2]
    assert irv.details["rounds"][-1]["counts"] == {"M": 42, "C": 58}


# --- Instant runoff: exhausted ballots and tie rules ---------------------------------------------


def test_exhausted_ballots_are_reported_and_the_majority_is_of_the_rest():
    # C out; one of its voters ranked nobody else: B's 6 of 12 is more than half of the 11 left
    ballots = ranked((5, "A"), (4, "B"), (1, "C"), (2, "CB"))
    result = tally("irv", "ABC", ballots)
    assert result.details["rounds"][1] == {
        "seat": 1,
        "round": 2,
        "counts": {"A": 5, "B": 6},
        "exhausted": 1,
        "elected": "B",
    }


def test_options_tied_for_last_with_fewer_votes_together_go_together():
    ballots = ranked((5, "A"), (4, "BA"), (1, "CB"), (1, "DB"))
    first = tally("irv", "ABCD", ballots).details["rounds"][0]
    assert first["eliminated"] == ["C", "D"] and first["rule"] == "together"


def test_tie_for_last_broken_by_the_earlier_round():
    # round 1: A 8, B 6, C 5, D 1 -> D out; round 2: B 6, C 6 tied; C had fewer in round 1.
    ballots = ranked((8, "A"), (6, "B"), (5, "CA"), (1, "DC"))
    result = tally("irv", "ABCD", ballots)
    second = result.details["rounds"][1]
    assert second["counts"] == {"A": 8, "B": 6, "C": 6}
    assert second["eliminated"] == ["C"] and second["rule"] == "earlier_rounds"
    assert result.winner == "A"


def test_tie_for_last_broken_by_mentions():
    # B and C tie in the first round; B is ranked on 14 ballots, C on 6.
    ballots = ranked((8, "AB"), (6, "B"), (6, "C"))
    result = tally("irv", "ABC", ballots)
    first = result.details["rounds"][0]
    assert first["eliminated"] == ["C"] and first["rule"] == "mentions"
    assert result.winner == "A"


def test_unbroken_tie_for_last_stops_the_count():
    ballots = ranked((5, "A"), (3, "B"), (3, "C"))
    result = tally("irv", "ABC", ballots)
    assert result.verdict is Verdict.TIE and result.winners == []
    assert result.details["rounds"][0]["tied"] == ["B", "C"]
    assert result.tied == [["B", "C"]] and result.ranking == ["A", "B", "C"]


def test_last_two_with_equal_votes_is_a_tie():
    result = tally("irv", "AB", ranked((4, "AB"), (4, "BA")))
    assert result.verdict is Verdict.TIE and result.tied == [["A", "B"]]


# --- Quorum and electorate -----------------------------------------------------------------------


def test_quorum_just_met_and_just_missed():
    rules = Rules(quorum=0.5, electorate=120)
    met = tally("yes_no_abstain", (), answers(yes=40, no=10, abstain=10), rules)
    assert met.verdict is Verdict.ADOPTED and met.details["quorum_met"] is True
    missed = tally("yes_no_abstain", (), answers(yes=40, no=10, abstain=9), rules)
    assert missed.verdict is Verdict.NO_QUORUM and missed.details["quorum_met"] is False
    assert missed.counts == {"yes": 40, "no": 10, "abstain": 9}  # still reported
    elected = tally("single", "AB", [Ballot(choice="A", weight=59)], rules)
    assert elected.verdict is Verdict.NO_QUORUM and elected.winner is None
    assert elected.ranking == ["A", "B"]


def test_quorum_is_exact_for_decimal_fractions():
    # 0.3 of 10 is 3, exactly (a binary float would make it 3.0000000000000004)
    rules = Rules(quorum=0.3, electorate=10)
    assert tally("consent", (), answers(agree=3), rules).adopted


def test_ballots_cannot_weigh_more_than_the_electorate():
    with pytest.raises(TallyError) as error:
        tally("yes_no_abstain", (), answers(yes=5, no=2), Rules(electorate=6))
    assert error.value.code == "over_electorate"


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "options", "ballot", "code"),
    [
        ("irv", "ABC", Ballot(ranking=("A", "Z")), "unknown_option"),
        ("schulze", "ABC", Ballot(ranking=("A", "B", "A")), "duplicate_option"),
        ("irv", "ABC", Ballot(ranking=()), "empty_ranking"),
        ("schulze", "ABC", Ballot(choice="A"), "shape"),
        ("single", "ABC", Ballot(choice="A", ranking=("A",)), "shape"),
        ("single", "ABC", Ballot(choice="Z"), "unknown_option"),
        ("approval", "ABC", Ballot(choices=("A", "A")), "duplicate_option"),
        ("yes_no_abstain", (), Ballot(vote="agree"), "unknown_vote"),
        ("consent", (), Ballot(vote="object"), "reason_required"),
        ("consent", (), Ballot(vote="object", reason="  "), "reason_required"),
        ("consent", (), Ballot(vote="agree", reason="Fine."), "reason_not_allowed"),
        ("yes_no_abstain", (), Ballot(vote="yes", weight=0), "weight"),
        ("yes_no_abstain", (), Ballot(vote="yes", weight=True), "weight"),
    ],
)
def test_validate_ballot_refuses_with_a_code(method, options, ballot, code):
    with pytest.raises(BallotError) as error:
        validate_ballot(method, options, ballot, Rules())
    assert error.value.code == code
    assert isinstance(error.value, ValueError)
    assert str(error.value) == MESSAGES[code] % error.value.params


def test_validate_ballot_accepts_good_ballots():
    validate_ballot("consent", None, Ballot(vote="object", reason="Too costly."))
    validate_ballot("irv", ["A", "B", "C"], Ballot(ranking=("C",), weight=3))
    validate_ballot("approval", ["A", "B"], Ballot(choices=("B", "A")))


def test_the_count_does_not_need_reasons_but_names_the_bad_ballot():
    assert tally("consent", (), [Ballot(vote="object")]).verdict is Verdict.REJECTED
    ballots = [Ballot(ranking=("A",)), Ballot(ranking=("B",)), Ballot(ranking=("A", "A"))]
    with pytest.raises(BallotError) as error:
        tally("irv", "AB", ballots)
    assert error.value.index == 2 and str(error.value).startswith("ballots[2]: ")


@pytest.mark.parametrize(
    ("method", "options", "rules", "code"),
    [
        ("borda", "AB", Rules(), "unknown_method"),
        ("single", (), Rules(), "options_required"),
        ("yes_no_abstain", "AB", Rules(), "options_not_used"),
        ("single", ["A", "A"], Rules(), "duplicate_name"),
        ("single", ["A", ""], Rules(), "bad_option"),
        ("single", "AB", Rules(seats=3), "seats"),
        ("yes_no_abstain", (), Rules(seats=2), "seats"),
        ("yes_no_abstain", (), Rules(majority="most"), "unknown_majority"),
        ("approval", "AB", Rules(min_choices=2, max_choices=1), "choices_range"),
        ("approval", "AB", Rules(max_choices=3), "choices_range"),
        ("consent", (), Rules(quorum=1.5, electorate=10), "quorum"),
        ("consent", (), Rules(quorum=0.5), "quorum_needs_electorate"),
        ("consent", (), Rules(electorate=0), "electorate"),
    ],
)
def test_rules_that_cannot_apply(method, options, rules, code):
    with pytest.raises(TallyError) as error:
        tally(method, options, [], rules)
    assert error.value.code == code


def test_rules_a_method_does_not_use_are_ignored():
    # a poll row carries every rule; only the method's own are read
    rules = Rules(majority="two_thirds", abstentions_count=True, min_choices=0)
    assert tally("schulze", "AB", ranked((2, "A"), (1, "B")), rules).winner == "A"


def test_ballot_from_dict_checks_keys_and_types():
    ballot = ballot_from_dict({"ranking": ["A", "C"], "weight": 2})
    assert ballot == Ballot(ranking=("A", "C"), weight=2)
    assert ballot.content() == {"ranking": ["A", "C"]}
    assert ballot_from_dict(ballot.as_dict()) == ballot
    for data, code in (
        ({"ranking": "AC"}, "ballot_type"),
        ({"choice": 3}, "ballot_type"),
        ({"choices": ["A", 2]}, "ballot_type"),
        ({"vote": "yes", "weight": 1.5}, "weight"),
        ({"vote": "yes", "weight": -1}, "weight"),
        ({"vote": "yes", "member": 7}, "ballot_key"),
        (["yes"], "ballot_type"),
    ):
        with pytest.raises(BallotError) as error:
            ballot_from_dict(data, 4)
        assert error.value.code == code, data
        assert error.value.index == 4


def test_registry_of_methods():
    assert set(METHODS) == {"yes_no_abstain", "consent", "single", "approval", "irv", "schulze"}
    for name, method in METHODS.items():
        assert method.name == name and method.description
        assert method.needs_options == (name not in ("yes_no_abstain", "consent"))
        assert method.ballot in ("vote", "choice", "choices", "ranking")


def test_results_are_json():
    for method, options, ballots in (
        ("schulze", "ABCDE", WIKIPEDIA_SCHULZE),
        ("irv", "MNCK", TENNESSEE),
        ("yes_no_abstain", (), answers(yes=1)),
    ):
        data = tally(method, options, ballots, Rules(quorum=0.1, electorate=200)).as_dict()
        assert json.loads(json.dumps(data)) == data
        assert {"winner", "ranking", "counts", "verdict"} <= set(data)


# --- The re-tally file ---------------------------------------------------------------------------


def test_export_of_a_secret_poll_is_anonymous_and_shuffled_and_counts_the_same():
    ballots = [Ballot(ranking=(o,), weight=1) for o in "ABCDE" * 20]
    rules = Rules(quorum=0.5, electorate=150)
    document = export_document("irv", "ABCDE", ballots, rules, secret=True)
    assert [b["ranking"] for b in document["ballots"]] != [list(b.ranking) for b in ballots]
    again = read_document(json.dumps(document))
    assert again.options == tuple("ABCDE") and again.rules.quorum == rules.quorum
    original = tally("irv", "ABCDE", ballots, rules).as_dict()
    assert tally(again.method, again.options, again.ballots, again.rules).as_dict() == original


def test_export_drops_reasons_of_secret_polls_only():
    ballots = [Ballot(vote="object", reason="I was outvoted last time, Anne"), *answers(agree=2)]
    secret = export_document("consent", None, ballots, secret=True)
    assert all("reason" not in b for b in secret["ballots"])
    assert "options" not in secret
    named = export_document("consent", None, ballots, secret=False)
    assert named["ballots"][0]["reason"].startswith("I was")
    assert named["ballots"] == [b.as_dict() for b in ballots]


# --- Purity --------------------------------------------------------------------------------------


def test_the_tally_package_imports_neither_flask_nor_the_database():
    allowed_portal = "portal.voting.tally"
    for path in TALLY_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("flask", "sqlalchemy", "werkzeug")), (path, name)
                if name.startswith("portal"):
                    assert name.startswith(allowed_portal), (path, name)
