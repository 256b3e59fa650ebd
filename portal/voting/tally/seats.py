"""Places and seats: options grouped by equal standing, and the first N seats filled from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from portal.voting.tally.types import Verdict


def tiers_by_count(options: Sequence[str], counts: Mapping[str, int]) -> list[list[str]]:
    """Options grouped by count, most first; a group keeps the poll's order of options."""
    groups: dict[int, list[str]] = {}
    for option in options:
        groups.setdefault(counts[option], []).append(option)
    return [groups[count] for count in sorted(groups, reverse=True)]


def fill_seats(tiers: Sequence[Sequence[str]], seats: int) -> tuple[list[str], Verdict]:
    """Elect from the best tier down. A tier that does not fit in the seats left is a tie:
    the seats before it are reported, the verdict is `tie` (no draw; the body decides)."""
    winners: list[str] = []
    for tier in tiers:
        if len(winners) == seats:
            break
        if len(winners) + len(tier) > seats:
            return winners, Verdict.TIE
        winners.extend(tier)
    return winners, Verdict.ADOPTED
