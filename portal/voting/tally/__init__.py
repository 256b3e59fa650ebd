"""Pure tally of the voting methods: the registry `METHODS`, `tally` and `validate_ballot`.

No database and no Flask here: the app counts its ballot rows with it, and `flask polls
retally` counts an exported file with it, so both give the same result. The methods, their
majorities and tie rules are described in docs/retally.md.

    result = tally("schulze", ["A", "B", "C"], [Ballot(ranking=("A", "C"), weight=2)], Rules())
    result.verdict, result.winner, result.ranking, result.counts, result.as_dict()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

from portal.voting.tally.document import FORMAT, PollFile, export_document, read_document
from portal.voting.tally.majority import CONSENT, MAJORITIES, YES_NO_ABSTAIN, Majority
from portal.voting.tally.plurality import APPROVAL, SINGLE
from portal.voting.tally.ranked import IRV, SCHULZE
from portal.voting.tally.types import (
    MESSAGES,
    Ballot,
    BallotError,
    Method,
    Outcome,
    Result,
    Rules,
    TallyError,
    Verdict,
    ballot_from_dict,
    shown,
)

__all__ = [
    "FORMAT",
    "MAJORITIES",
    "MESSAGES",
    "METHODS",
    "Ballot",
    "BallotError",
    "Majority",
    "Method",
    "PollFile",
    "Result",
    "Rules",
    "TallyError",
    "Verdict",
    "ballot_from_dict",
    "export_document",
    "get_method",
    "read_document",
    "tally",
    "validate_ballot",
]

METHODS: dict[str, Method] = {
    method.name: method for method in (YES_NO_ABSTAIN, CONSENT, SINGLE, APPROVAL, IRV, SCHULZE)
}


def get_method(name: str) -> Method:
    """The method called `name`. Raises TallyError (code unknown_method)."""
    method = METHODS.get(name) if isinstance(name, str) else None
    if method is None:
        raise TallyError("unknown_method", value=shown(name), allowed=", ".join(METHODS))
    return method


# --- The poll's options and rules ----------------------------------------------------------------


def check_options(method: Method, options: Sequence[str] | None) -> tuple[str, ...]:
    """The options as a tuple: distinct, non-empty texts for the methods that need them,
    none for the others. Raises TallyError."""
    options = tuple(options or ())
    if not method.needs_options:
        if options:
            raise TallyError("options_not_used", method=method.name)
        return options
    if not options:
        raise TallyError("options_required", method=method.name)
    for option in options:
        if not isinstance(option, str) or not option.strip():
            raise TallyError("bad_option", value=shown(option))
    if len(set(options)) != len(options):
        twice = next(o for i, o in enumerate(options) if o in options[:i])
        raise TallyError("duplicate_name", value=shown(twice))
    return options


def _whole(value: Any, low: int) -> bool:
    return type(value) is int and value >= low


def choice_limits(options: tuple[str, ...], rules: Rules) -> tuple[int, int]:
    """Approval: the least and most options a ballot may approve (default 1 and all)."""
    least = 1 if rules.min_choices is None else rules.min_choices
    most = len(options) if rules.max_choices is None else rules.max_choices
    return least, most


def check_rules(method: Method, options: tuple[str, ...], rules: Rules) -> None:
    """Raises TallyError when the rules cannot apply to this poll. Rules the method does not
    use are ignored (a poll row carries every rule), unless they are out of range."""
    if rules.majority not in MAJORITIES:
        raise TallyError(
            "unknown_majority", value=shown(rules.majority), allowed=", ".join(MAJORITIES)
        )
    most_seats = len(options) if method.several_seats else 1
    if not _whole(rules.seats, 1) or rules.seats > most_seats:
        raise TallyError("seats", n=most_seats, value=shown(rules.seats))
    if "min_choices" in method.rules:
        least, most = choice_limits(options, rules)
        if not (_whole(least, 0) and _whole(most, 0) and least <= most <= len(options)):
            raise TallyError("choices_range", n=len(options))
    quorum = rules.quorum
    if quorum is not None and not 0 <= quorum <= 1:
        raise TallyError("quorum", value=shown(float(quorum)))
    if rules.electorate is not None and not _whole(rules.electorate, 1):
        raise TallyError("electorate", value=shown(rules.electorate))
    if quorum and rules.electorate is None:
        raise TallyError("quorum_needs_electorate")
    if rules.turnout is not None and not (
        _whole(rules.turnout, 0) and (rules.electorate is None or rules.turnout <= rules.electorate)
    ):
        raise TallyError("turnout", value=shown(rules.turnout))


# --- Ballots -------------------------------------------------------------------------------------

_EXPECTED = {
    "vote": "a vote",
    "choice": "one choice",
    "choices": "the choices it approves",
    "ranking": "the choices in order of preference",
}


def _check_vote(method: Method, options: tuple[str, ...], value: Any, rules: Rules, i) -> None:
    if value not in method.votes:
        allowed = ", ".join(method.votes)
        raise BallotError("unknown_vote", i, value=shown(value), allowed=allowed)


def _check_choice(method: Method, options: tuple[str, ...], value: Any, rules: Rules, i) -> None:
    if value not in options:
        raise BallotError("unknown_option", i, value=shown(value))


def _check_distinct(options: tuple[str, ...], values: tuple[str, ...], i) -> None:
    seen: set[str] = set()
    for value in values:
        if value not in options:
            raise BallotError("unknown_option", i, value=shown(value))
        if value in seen:
            raise BallotError("duplicate_option", i, value=shown(value))
        seen.add(value)


def _check_choices(method: Method, options: tuple[str, ...], value: Any, rules: Rules, i) -> None:
    _check_distinct(options, value, i)
    least, most = choice_limits(options, rules)
    if len(value) < least:
        raise BallotError("too_few_choices", i, n=least)
    if len(value) > most:
        raise BallotError("too_many_choices", i, n=most)


def _check_ranking(method: Method, options: tuple[str, ...], value: Any, rules: Rules, i) -> None:
    if not value:
        raise BallotError("empty_ranking", i)
    _check_distinct(options, value, i)


BALLOT_CHECKS: dict[str, Callable[[Method, tuple[str, ...], Any, Rules, int | None], None]] = {
    "vote": _check_vote,
    "choice": _check_choice,
    "choices": _check_choices,
    "ranking": _check_ranking,
}


def _check_ballot(
    method: Method,
    options: tuple[str, ...],
    ballot: Ballot,
    rules: Rules,
    require_reason: bool,
    index: int | None,
) -> None:
    if not _whole(ballot.weight, 1):
        raise BallotError("weight", index, value=shown(ballot.weight))
    for name in BALLOT_CHECKS:
        value = getattr(ballot, name)
        if (value is None) == (name == method.ballot):
            raise BallotError("shape", index, method=method.name, expected=_EXPECTED[method.ballot])
    value = getattr(ballot, method.ballot)
    if not isinstance(value, str if method.ballot in ("vote", "choice") else tuple):
        raise BallotError("shape", index, method=method.name, expected=_EXPECTED[method.ballot])
    BALLOT_CHECKS[method.ballot](method, options, value, rules, index)
    objection = method is CONSENT and ballot.vote == "object"
    if ballot.reason is not None and not objection:
        raise BallotError("reason_not_allowed", index)
    if require_reason and objection and not (ballot.reason or "").strip():
        raise BallotError("reason_required", index)


def validate_ballot(
    method: str,
    options: Sequence[str] | None,
    ballot: Ballot,
    rules: Rules | None = None,
    *,
    require_reason: bool = True,
) -> None:
    """Check one ballot as a member casts it: the right kind for the method, known options,
    none twice, approval's least and most choices, a reason with an objection (unless
    `require_reason` is false, as when counting: the count never reads reasons).

    Raises BallotError, or TallyError when the poll itself cannot be counted (both ValueError,
    with `code` and `params` for a translated message)."""
    found = get_method(method)
    rules = rules or Rules()
    options = check_options(found, options)
    check_rules(found, options, rules)
    _check_ballot(found, options, ballot, rules, require_reason, None)


# --- Counting ------------------------------------------------------------------------------------


def _check_turnout(method: Method, votes: dict[Any, int], turnout: int) -> None:
    """A given turnout bounds the ballots: under approval each option's approvals (one person
    may approve several), otherwise all the ballots together (one ballot per person)."""
    if method.ballot == "choices":
        approvals: dict[str, int] = {}
        for choices, weight in votes.items():
            for option in choices:
                approvals[option] = approvals.get(option, 0) + weight
        for option, weight in approvals.items():
            if weight > turnout:
                raise TallyError(
                    "over_turnout",
                    what=f"the approvals of {shown(option)}",
                    weight=weight,
                    turnout=turnout,
                )
    else:
        weight = sum(votes.values())
        if weight > turnout:
            raise TallyError("over_turnout", what="the ballots", weight=weight, turnout=turnout)


def tally(
    method: str,
    options: Sequence[str] | None,
    ballots: Iterable[Ballot],
    rules: Rules | None = None,
) -> Result:
    """Count `ballots` with `method` under `rules`. Every ballot is checked (a reason is not
    required); the first invalid one raises BallotError with its index.

    Quorum: when the participation (the total weight of the ballots, abstentions included, or
    the turnout when the rules give it) is below `quorum` of the electorate, the verdict is
    no_quorum, with no winner; counts and ranking are still given. Raises TallyError when the
    ballots weigh more than the electorate, or more than a given turnout."""
    found = get_method(method)
    rules = rules or Rules()
    options = check_options(found, options)
    check_rules(found, options, rules)

    # Identical ballots are counted once with their total weight: each distinct one is then
    # checked and counted once (a few thousand distinct rankings for 100,000 ballots).
    totals: dict[tuple, int] = {}
    firsts: dict[tuple, tuple[int, Ballot]] = {}
    for index, ballot in enumerate(ballots):
        weight = ballot.weight
        if type(weight) is not int or weight < 1:
            raise BallotError("weight", index, value=shown(weight))
        key = (ballot.vote, ballot.choice, ballot.choices, ballot.ranking, ballot.reason is None)
        if key in totals:
            totals[key] += weight
        else:
            totals[key] = weight
            firsts[key] = (index, ballot)
    votes: dict[Any, int] = {}
    for key, weight in totals.items():
        index, ballot = firsts[key]
        _check_ballot(found, options, ballot, rules, False, index)
        content = getattr(ballot, found.ballot)
        votes[content] = votes.get(content, 0) + weight
    if rules.turnout is None:
        participation = sum(votes.values())
        if rules.electorate is not None and participation > rules.electorate:
            raise TallyError("over_electorate", weight=participation, electorate=rules.electorate)
    else:
        _check_turnout(found, votes, rules.turnout)
        participation = rules.turnout

    outcome: Outcome = found.count(options, votes, rules)
    verdict, winners, details = outcome.verdict, outcome.winners, dict(outcome.details)
    if rules.quorum:
        met = Fraction(participation, rules.electorate) >= rules.quorum
        details["quorum"] = float(rules.quorum)
        details["quorum_met"] = met
        if not met:
            verdict, winners = Verdict.NO_QUORUM, []
    return Result(
        method=found.name,
        verdict=verdict,
        counts=outcome.counts,
        ranking=[option for tier in outcome.tiers for option in tier],
        tied=[tier for tier in outcome.tiers if len(tier) > 1],
        winners=list(winners),
        participation=participation,
        electorate=rules.electorate,
        seats=rules.seats,
        details=details,
    )
