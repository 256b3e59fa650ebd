"""Single choice and approval: the most weight wins; N seats go to the top N."""

from __future__ import annotations

from typing import Any

from portal.voting.tally.seats import fill_seats, tiers_by_count
from portal.voting.tally.types import Method, Outcome, Rules, Verdict


def _elect(options: tuple[str, ...], counts: dict[str, int], seats: int) -> Outcome:
    tiers = tiers_by_count(options, counts)
    if not any(counts.values()):
        return Outcome(Verdict.REJECTED, counts, tiers)  # nobody chose anything
    winners, verdict = fill_seats(tiers, seats)
    return Outcome(verdict, counts, tiers, winners)


def count_single(options: tuple[str, ...], votes: dict[Any, int], rules: Rules) -> Outcome:
    """Each ballot gives its weight to one option. The options with the most weight take the
    seats; equal weight across the last seat is a tie (no draw: the body decides)."""
    counts = dict.fromkeys(options, 0)
    for option, weight in votes.items():
        counts[option] += weight
    return _elect(options, counts, rules.seats)


def count_approval(options: tuple[str, ...], votes: dict[Any, int], rules: Rules) -> Outcome:
    """Each ballot gives its weight to every option it approves; then as single choice."""
    counts = dict.fromkeys(options, 0)
    for choices, weight in votes.items():
        for option in choices:
            counts[option] += weight
    return _elect(options, counts, rules.seats)


SINGLE = Method(
    name="single",
    description="One choice per ballot; the most votes win.",
    ballot="choice",
    count=count_single,
    several_seats=True,
)

APPROVAL = Method(
    name="approval",
    description="Approve as many choices as allowed; the most approvals win.",
    ballot="choices",
    count=count_approval,
    several_seats=True,
    rules=("min_choices", "max_choices"),
)
