"""Yes / no / abstain with a registry of majorities, and consent (one objection blocks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.voting.tally.types import Method, Outcome, Rules, Verdict


@dataclass(frozen=True)
class Majority:
    """A majority rule: `needed(no, cast)` is the least weight of yes that adopts, given the
    weight of no and the weight of the votes cast. At least one yes is always needed."""

    name: str
    description: str
    needed: Callable[[int, int], int]


def _ceil(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


MAJORITIES: dict[str, Majority] = {
    m.name: m
    for m in (
        Majority("simple", "more yes than no", lambda no, cast: no + 1),
        Majority("absolute", "yes from more than half of the votes cast", lambda no, cast: cast // 2 + 1),
        Majority("two_thirds", "yes from at least two thirds of the votes cast", lambda no, cast: _ceil(2 * cast, 3)),
        Majority("three_quarters", "yes from at least three quarters of the votes cast", lambda no, cast: _ceil(3 * cast, 4)),
        Majority("unanimity", "every vote cast is yes", lambda no, cast: cast),
    )
}  # fmt: skip


def count_yes_no_abstain(options: tuple[str, ...], votes: dict[Any, int], rules: Rules) -> Outcome:
    """Votes cast are yes + no, plus abstain when abstentions count. Adopted when yes reaches
    what the majority needs (and is at least 1). Under the simple majority, as many yes as no
    (at least one of each) is a tie, which is not adopted; under the other majorities, falling
    short of the threshold is a rejection."""
    counts = {answer: votes.get(answer, 0) for answer in YES_NO_ABSTAIN.votes}
    yes, no, abstain = counts["yes"], counts["no"], counts["abstain"]
    cast = yes + no + (abstain if rules.abstentions_count else 0)
    majority = MAJORITIES[rules.majority]
    needed = max(1, majority.needed(no, cast))
    if yes >= needed:
        verdict = Verdict.ADOPTED
    elif majority.name == "simple" and yes == no > 0:
        verdict = Verdict.TIE
    else:
        verdict = Verdict.REJECTED
    details = {
        "majority": majority.name,
        "abstentions_count": rules.abstentions_count,
        "votes_cast": cast,
        "needed": needed,
    }
    return Outcome(verdict, counts, details=details)


def count_consent(options: tuple[str, ...], votes: dict[Any, int], rules: Rules) -> Outcome:
    """One objection blocks, whatever its weight: rejected. Without objection, adopted when at
    least one member agrees (standing aside neither helps nor blocks)."""
    counts = {answer: votes.get(answer, 0) for answer in CONSENT.votes}
    blocked = counts["object"] > 0
    verdict = Verdict.REJECTED if blocked or counts["agree"] == 0 else Verdict.ADOPTED
    return Outcome(verdict, counts, details={"blocked": blocked})


YES_NO_ABSTAIN = Method(
    name="yes_no_abstain",
    description="Yes, no or abstain on one proposal, with a chosen majority.",
    ballot="vote",
    votes=("yes", "no", "abstain"),
    count=count_yes_no_abstain,
    rules=("majority", "abstentions_count"),
)

CONSENT = Method(
    name="consent",
    description="Agree, stand aside or object (with a reason); one objection blocks.",
    ballot="vote",
    votes=("agree", "stand_aside", "object"),
    count=count_consent,
)
