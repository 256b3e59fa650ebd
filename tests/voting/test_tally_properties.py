"""Properties of every tally method (Hypothesis): weight is conserved, the order and the
splitting of ballots change nothing, options are treated alike, winners are options, a majority
winner wins instant runoff and a Condorcet winner wins Schulze."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from itertools import combinations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal.voting.tally import METHODS, Ballot, Result, Rules, Verdict, tally

NAMES = "ABCDE"
ALL_METHODS = sorted(METHODS)
OPTION_METHODS = [name for name in ALL_METHODS if METHODS[name].needs_options]

# Small polls, many of them; no deadline: shared machines are noisy.
checked = settings(max_examples=150, deadline=None)


def _ballot(method: str, options: tuple[str, ...], rules: Rules) -> st.SearchStrategy[Ballot]:
    """Valid ballots of `method`, with weights from 1 to 5."""
    weight = st.integers(1, 5)
    shape = METHODS[method].ballot
    if shape == "vote":
        return st.builds(Ballot, vote=st.sampled_from(METHODS[method].votes), weight=weight)
    if shape == "choice":
        return st.builds(Ballot, choice=st.sampled_from(options), weight=weight)
    if shape == "choices":
        least = rules.min_choices or 0
        most = rules.max_choices if rules.max_choices is not None else len(options)
        choices = st.lists(
            st.sampled_from(options), min_size=least, max_size=most, unique=True
        ).map(tuple)
        return st.builds(Ballot, choices=choices, weight=weight)
    ranking = st.permutations(options).flatmap(
        lambda order: st.integers(1, len(order)).map(lambda k: tuple(order[:k]))
    )
    return st.builds(Ballot, ranking=ranking, weight=weight)


@st.composite
def polls(draw, methods=ALL_METHODS):
    """(method, options, ballots, rules): a small poll with valid ballots."""
    method = draw(st.sampled_from(methods))
    found = METHODS[method]
    options: tuple[str, ...] = ()
    if found.needs_options:
        options = tuple(draw(st.permutations(NAMES))[: draw(st.integers(2, len(NAMES)))])
    seats = draw(st.integers(1, len(options))) if found.several_seats else 1
    rules = Rules(
        majority=draw(
            st.sampled_from(["simple", "absolute", "two_thirds", "three_quarters", "unanimity"])
        ),
        abstentions_count=draw(st.booleans()),
        seats=seats,
        min_choices=0 if method == "approval" else None,
        max_choices=draw(st.integers(1, len(options))) if method == "approval" else None,
    )
    ballots = draw(st.lists(_ballot(method, options, rules), max_size=25))
    return method, options, ballots, rules


def _total(ballots: list[Ballot]) -> int:
    return sum(ballot.weight for ballot in ballots)


def _places(result: Result) -> dict[str, int]:
    """Each option's place in the ranking; tied options share the place of the first."""
    places: dict[str, int] = {}
    for position, option in enumerate(result.ranking):
        group = next((g for g in result.tied if option in g), [option])
        places[option] = min((places[o] for o in group if o in places), default=position)
    return places


def _pairwise(options, ballots: list[Ballot]) -> dict[tuple[str, str], int]:
    """Computed here from the raw ballots, independently of the tally's own matrix."""
    d = dict.fromkeys(((x, y) for x in options for y in options if x != y), 0)
    for ballot in ballots:
        position = {option: i for i, option in enumerate(ballot.ranking)}
        last = len(options)
        for x, y in d:
            if position.get(x, last) < position.get(y, last):
                d[x, y] += ballot.weight
    return d


# --- Every method --------------------------------------------------------------------------------


@checked
@given(polls())
def test_weight_is_conserved(poll):
    method, options, ballots, rules = poll
    result = tally(method, options, ballots, rules)
    assert result.participation == _total(ballots)
    if method == "approval":
        assert sum(result.counts.values()) == sum(b.weight * len(b.choices) for b in ballots)
    else:
        assert sum(result.counts.values()) == _total(ballots)
    for record in result.details.get("rounds", []):
        assert sum(record["counts"].values()) + record["exhausted"] == _total(ballots)


@checked
@given(polls(), st.randoms(use_true_random=False))
def test_the_order_of_ballots_changes_nothing(poll, random):
    method, options, ballots, rules = poll
    shuffled = list(ballots)
    random.shuffle(shuffled)
    assert tally(method, options, shuffled, rules) == tally(method, options, ballots, rules)


@checked
@given(polls())
def test_splitting_a_weighted_ballot_changes_nothing(poll):
    method, options, ballots, rules = poll
    split = [
        Ballot(vote=b.vote, choice=b.choice, choices=b.choices, ranking=b.ranking, weight=1)
        for b in ballots
        for _ in range(b.weight)
    ]
    assert tally(method, options, split, rules) == tally(method, options, ballots, rules)


@checked
@given(polls(OPTION_METHODS), st.randoms(use_true_random=False))
def test_options_are_treated_alike(poll, random):
    """Listing the options in another order changes no verdict, winner, count or place."""
    method, options, ballots, rules = poll
    reordered = list(options)
    random.shuffle(reordered)
    a = tally(method, options, ballots, rules)
    b = tally(method, reordered, ballots, rules)
    assert (a.verdict, a.counts) == (b.verdict, b.counts)
    assert sorted(a.winners) == sorted(b.winners)
    assert _places(a) == _places(b)
    assert {frozenset(g) for g in a.tied} == {frozenset(g) for g in b.tied}


@checked
@given(polls(OPTION_METHODS))
def test_winners_are_options_and_the_ranking_orders_them_all(poll):
    method, options, ballots, rules = poll
    result = tally(method, options, ballots, rules)
    assert sorted(result.ranking) == sorted(options)
    assert set(result.winners) <= set(options)
    assert len(set(result.winners)) == len(result.winners)
    if result.verdict is Verdict.ADOPTED:
        assert len(result.winners) == rules.seats
        assert result.ranking[: rules.seats] == result.winners
    else:
        assert len(result.winners) < rules.seats
    if rules.seats == 1:
        assert result.winner == (result.winners[0] if result.winners else None)
    for group in result.tied:
        assert len(group) > 1 and group == [o for o in options if o in group]


@checked
@given(polls(), st.integers(1, 80), st.sampled_from([0.25, 0.5, 0.6, 2 / 3, 1.0]))
def test_quorum(poll, extra, quorum):
    method, options, ballots, rules = poll
    electorate = _total(ballots) + extra
    with_quorum = replace(rules, quorum=quorum, electorate=electorate)
    result = tally(method, options, ballots, with_quorum)
    plain = tally(method, options, ballots, rules)
    met = Fraction(_total(ballots), electorate) >= with_quorum.quorum
    assert result.details["quorum_met"] is met
    if met:
        assert (result.verdict, result.winners) == (plain.verdict, plain.winners)
    else:
        assert result.verdict is Verdict.NO_QUORUM and result.winners == []
    assert result.counts == plain.counts and result.ranking == plain.ranking


# --- Yes / no / abstain and consent --------------------------------------------------------------


@checked
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.booleans())
def test_majorities_are_nested_and_a_yes_never_hurts(yes, no, abstain, abstentions_count):
    ballots = [
        Ballot(vote=vote, weight=weight)
        for vote, weight in (("yes", yes), ("no", no), ("abstain", abstain))
        if weight
    ]
    order = ["simple", "absolute", "two_thirds", "three_quarters", "unanimity"]
    adopted = {}
    for majority in order:
        rules = Rules(majority=majority, abstentions_count=abstentions_count)
        result = tally("yes_no_abstain", (), ballots, rules)
        adopted[majority] = result.adopted
        more_yes = tally("yes_no_abstain", (), [*ballots, Ballot(vote="yes")], rules)
        assert more_yes.adopted or not result.adopted
        assert result.details["votes_cast"] == yes + no + (abstain if abstentions_count else 0)
        assert (result.verdict is Verdict.TIE) == (majority == "simple" and yes == no > 0)
    # a stricter majority never adopts what a looser one rejects
    for looser, stricter in combinations(order, 2):
        assert adopted[looser] or not adopted[stricter]


@checked
@given(polls(["consent"]))
def test_consent_is_blocked_by_any_objection(poll):
    method, options, ballots, rules = poll
    result = tally(method, options, ballots, rules)
    objected = any(b.vote == "object" for b in ballots)
    agreed = any(b.vote == "agree" for b in ballots)
    assert result.adopted == (agreed and not objected)
    assert result.details["blocked"] == objected


# --- Ranked methods ------------------------------------------------------------------------------


@checked
@given(polls(["irv", "schulze", "single"]), st.data())
def test_a_majority_of_first_preferences_wins(poll, data):
    """Add ballots putting one option first with more weight than all the others together."""
    method, options, ballots, _ = poll
    favourite = data.draw(st.sampled_from(options))
    rest = [o for o in options if o != favourite]
    if method == "single":
        block = Ballot(choice=favourite, weight=_total(ballots) + 1)
    else:
        tail = data.draw(st.permutations(rest))[: data.draw(st.integers(0, len(rest)))]
        block = Ballot(ranking=(favourite, *tail), weight=_total(ballots) + 1)
    result = tally(method, options, [*ballots, block], Rules())
    assert result.verdict is Verdict.ADOPTED and result.winner == favourite


@checked
@given(polls(["schulze"]))
def test_a_condorcet_winner_wins_schulze_and_a_condorcet_loser_never_wins(poll):
    _, options, ballots, _ = poll
    d = _pairwise(options, ballots)
    winners = [x for x in options if all(d[x, y] > d[y, x] for y in options if y != x)]
    losers = [x for x in options if all(d[x, y] < d[y, x] for y in options if y != x)]
    schulze = tally("schulze", options, ballots, Rules())
    irv = tally("irv", options, ballots, Rules())
    if winners:
        assert schulze.verdict is Verdict.ADOPTED and schulze.winner == winners[0]
    for loser in losers:
        assert loser not in (schulze.winner, irv.winner)
    # the tally's own matrix agrees with the one computed here
    assert all(schulze.details["pairwise"][x][y] == d[x, y] for x, y in d)


@checked
@given(polls(["schulze"]))
def test_schulze_places_follow_the_strongest_paths(poll):
    method, options, ballots, rules = poll
    result = tally(method, options, ballots, rules)
    p, places = result.details["strengths"], _places(result)
    for x, y in combinations(options, 2):
        if p[x][y] > p[y][x]:
            assert places[x] < places[y]
        elif p[y][x] > p[x][y]:
            assert places[y] < places[x]
        elif places[x] != places[y]:
            # neither is above the other, yet one is lower: a third option is above it
            low = x if places[x] > places[y] else y
            assert any(p[z][low] > p[low][z] for z in options if z not in (x, y))


@checked
@given(polls(["irv"]))
def test_instant_runoff_eliminates_the_weakest(poll):
    method, options, ballots, rules = poll
    result = tally(method, options, ballots, rules)
    assume(result.details["rounds"])
    for record in result.details["rounds"]:
        counts = record["counts"]
        if "eliminated" in record:
            lowest = min(counts.values())
            assert all(counts[o] == lowest for o in record["eliminated"])
        if "elected" in record:
            active = sum(counts.values())
            winner = record["elected"]
            assert 2 * counts[winner] > active or len(counts) == 1
    # each round has fewer options than the one before, within a seat
    seats = [r["seat"] for r in result.details["rounds"]]
    assert seats == sorted(seats)
