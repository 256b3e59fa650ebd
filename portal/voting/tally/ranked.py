"""Ranked choice: instant runoff (sequential for several seats) and Schulze (winning votes).

Both work on distinct rankings with their total weight, so 100,000 ballots over 6 options cost
a few thousand steps after counting them.
"""

from __future__ import annotations

from typing import Any

from portal.voting.tally.seats import fill_seats, tiers_by_count
from portal.voting.tally.types import Method, Outcome, Rules, Verdict

Rankings = dict[tuple[str, ...], int]


def _first_preferences(options: tuple[str, ...], rankings: Rankings) -> dict[str, int]:
    counts = dict.fromkeys(options, 0)
    for ranking, weight in rankings.items():
        counts[ranking[0]] += weight
    return counts


# --- Instant runoff ------------------------------------------------------------------------------


def _break_elimination_tie(
    group: list[str], earlier: list[dict[str, int]], mentions: dict[str, int]
) -> tuple[list[str], str]:
    """Narrow the options tied for last: fewest votes in the round before, then the round
    before that, back to the first; then fewest mentions (weight of the ballots that rank the
    option anywhere). What is still tied after that stays tied."""
    for counts in reversed(earlier):
        low = min(counts[option] for option in group)
        group = [option for option in group if counts[option] == low]
        if len(group) == 1:
            return group, "earlier_rounds"
    low = min(mentions[option] for option in group)
    group = [option for option in group if mentions[option] == low]
    return group, "mentions"


def _runoff(
    options: tuple[str, ...],
    rankings: Rankings,
    elected: list[str],
    mentions: dict[str, int],
    seat: int,
    rounds: list[dict[str, Any]],
) -> tuple[str | None, list[list[str]]]:
    """One instant runoff among the options not yet elected. Returns the winner (None on a
    tie) and the options of this runoff in tiers, best first; appends its rounds to `rounds`."""
    total = sum(rankings.values())
    continuing = [option for option in options if option not in elected]
    eliminated: list[list[str]] = []
    history: list[dict[str, int]] = []
    while True:
        alive = set(continuing)
        counts = dict.fromkeys(continuing, 0)
        exhausted = 0
        for ranking, weight in rankings.items():
            for option in ranking:
                if option in alive:
                    counts[option] += weight
                    break
            else:
                exhausted += weight
        record: dict[str, Any] = {
            "seat": seat,
            "round": len(history) + 1,
            "counts": counts,
            "exhausted": exhausted,
        }
        rounds.append(record)
        history.append(counts)
        tiers = tiers_by_count(continuing, counts) + eliminated[::-1]
        top = max(counts.values())
        if 2 * top > total - exhausted or len(continuing) == 1:
            winner = tiers[0][0]
            record["elected"] = winner
            return winner, tiers
        lowest = min(counts.values())
        group = [option for option in continuing if counts[option] == lowest]
        rule = "fewest"
        if len(group) == len(continuing):
            record["tied"] = group  # every option left has the same votes
            return None, tiers
        if len(group) > 1:
            next_lowest = min(count for count in counts.values() if count != lowest)
            if lowest * len(group) < next_lowest:
                rule = "together"  # they would all go one after the other, whatever the order
            else:
                group, rule = _break_elimination_tie(group, history[:-1], mentions)
                if len(group) > 1:
                    record["tied"] = group
                    return None, tiers
        record["eliminated"] = group
        record["rule"] = rule
        eliminated.append(group)
        continuing = [option for option in continuing if option not in group]


def count_irv(options: tuple[str, ...], votes: dict[Any, int], rules: Rules) -> Outcome:
    """Instant runoff. Each round, every ballot counts for its highest-ranked option still in
    the race (none left: exhausted). An option with more than half of the ballots not exhausted
    wins (or the last one left); otherwise the option with the fewest votes is eliminated.
    Several seats: the winner takes seat 1, then a new runoff without them fills seat 2, and so
    on. Ties for last place: see `_break_elimination_tie`; several options tied for last whose
    votes together are fewer than the next option's go together. A tie left unbroken, or all
    options left having equal votes, ends the count with the verdict tie (no draw)."""
    first = _first_preferences(options, votes)
    if not votes:
        return Outcome(Verdict.REJECTED, first, [list(options)], details={"rounds": []})
    mentions = dict.fromkeys(options, 0)
    for ranking, weight in votes.items():
        for option in ranking:
            mentions[option] += weight
    winners: list[str] = []
    rounds: list[dict[str, Any]] = []
    tiers: list[list[str]] = []
    for seat in range(1, rules.seats + 1):
        winner, tiers = _runoff(options, votes, winners, mentions, seat, rounds)
        if winner is None:
            return Outcome(
                Verdict.TIE, first, [[w] for w in winners] + tiers, winners, {"rounds": rounds}
            )
        winners.append(winner)
    return Outcome(
        Verdict.ADOPTED, first, [[w] for w in winners[:-1]] + tiers, winners, {"rounds": rounds}
    )


# --- Schulze -------------------------------------------------------------------------------------


def pairwise(options: tuple[str, ...], rankings: Rankings) -> list[list[int]]:
    """d[x][y]: the weight of the ballots that rank x above y (a ranked option is above every
    unranked one; unranked options are equal)."""
    n = len(options)
    index = {option: i for i, option in enumerate(options)}
    d = [[0] * n for _ in range(n)]
    for ranking, weight in rankings.items():
        ranked = [index[option] for option in ranking]
        seen = set(ranked)
        unranked = [i for i in range(n) if i not in seen]
        for position, x in enumerate(ranked):
            row = d[x]
            for y in ranked[position + 1 :]:
                row[y] += weight
            for y in unranked:
                row[y] += weight
    return d


def widest_paths(d: list[list[int]]) -> list[list[int]]:
    """p[x][y]: the strength of the strongest path from x to y, where a link x→y is as strong
    as d[x][y] when d[x][y] > d[y][x] (winning votes), and absent otherwise."""
    n = len(d)
    p = [[d[x][y] if d[x][y] > d[y][x] else 0 for y in range(n)] for x in range(n)]
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            for k in range(n):
                if k != i and k != j:
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return p


def count_schulze(options: tuple[str, ...], votes: dict[Any, int], rules: Rules) -> Outcome:
    """Schulze, winning votes. x is placed above y when p[x][y] > p[y][x]; this order is
    transitive, so the ranking is built by taking, again and again, the options that no
    remaining option beats. Options with equal standing share a place (tied); a tie for the
    one seat, or across the last of several seats, is the verdict tie (no draw)."""
    first = _first_preferences(options, votes)
    d = pairwise(options, votes)
    p = widest_paths(d)
    remaining = list(range(len(options)))
    tiers: list[list[str]] = []
    while remaining:
        best = [x for x in remaining if not any(p[y][x] > p[x][y] for y in remaining if y != x)]
        tiers.append([options[x] for x in best])
        remaining = [x for x in remaining if x not in best]
    details = {
        "pairwise": _matrix(options, d),
        "strengths": _matrix(options, p),
    }
    if not votes:
        return Outcome(Verdict.REJECTED, first, tiers, details=details)
    winners, verdict = fill_seats(tiers, rules.seats)
    return Outcome(verdict, first, tiers, winners, details)


def _matrix(options: tuple[str, ...], m: list[list[int]]) -> dict[str, dict[str, int]]:
    return {x: {y: m[i][j] for j, y in enumerate(options) if j != i} for i, x in enumerate(options)}


IRV = Method(
    name="irv",
    description="Rank the choices; the weakest is dropped round by round (instant runoff).",
    ballot="ranking",
    count=count_irv,
    several_seats=True,
)

SCHULZE = Method(
    name="schulze",
    description="Rank the choices; every pair is compared (Schulze method).",
    ballot="ranking",
    count=count_schulze,
    several_seats=True,
)
