"""Tally benchmark: 100,000 ranked ballots over 6 options, counted by Schulze and instant runoff.

Target (QUALITY.md): each tally under 1 s. Also timed for reference: yes/no/abstain on as many
ballots (in Python, from ballot objects), and a full re-tally of the same poll from its JSON
file (reading and checking the file, then Schulze). Prints one line per figure: the median
(min, max) of --runs runs. No database.

    .venv/bin/python bench/tally.py
    .venv/bin/python bench/tally.py --ballots 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.voting.tally import Ballot, Rules, export_document, read_document, tally

OPTIONS = ("Amina", "Kofi", "Marta", "Sofia", "Goran", "Hanna")

# A few preference profiles (factions), with their share of the voters.
PROFILES = [
    (0.30, ("Amina", "Kofi", "Marta", "Sofia", "Goran", "Hanna")),
    (0.25, ("Kofi", "Amina", "Hanna", "Marta", "Sofia", "Goran")),
    (0.20, ("Marta", "Sofia", "Amina", "Goran", "Kofi", "Hanna")),
    (0.15, ("Sofia", "Marta", "Goran", "Hanna", "Amina", "Kofi")),
    (0.10, ("Goran", "Hanna", "Sofia", "Kofi", "Marta", "Amina")),
]


def make_ballots(count: int, seed: int) -> list[Ballot]:
    """Ballots from the profiles with noise: 70 % follow a profile with a few neighbouring
    swaps, 30 % are random orders; 40 % rank only their first 1 to 5 options; weights 1 to 3
    (colleges), mostly 1."""
    rng = random.Random(seed)
    shares = [share for share, _ in PROFILES]
    ballots = []
    for _ in range(count):
        if rng.random() < 0.7:
            order = list(rng.choices([p for _, p in PROFILES], weights=shares)[0])
            for _ in range(rng.randint(0, 2)):
                i = rng.randrange(len(order) - 1)
                order[i], order[i + 1] = order[i + 1], order[i]
        else:
            order = rng.sample(OPTIONS, len(OPTIONS))
        if rng.random() < 0.4:
            order = order[: rng.randint(1, 5)]
        weight = rng.choices((1, 2, 3), weights=(90, 7, 3))[0]
        ballots.append(Ballot(ranking=tuple(order), weight=weight))
    return ballots


def timed(runs: int, work) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def line(label: str, seconds: list[float], target: float | None, extra: str = "") -> None:
    median = statistics.median(seconds)
    verdict = ""
    if target is not None:
        verdict = f"; {'meets' if median < target else 'MISSES'} < {target:g} s"
    print(
        f"{label}: median {median * 1000:.1f} ms (min {min(seconds) * 1000:.1f},"
        f" max {max(seconds) * 1000:.1f}), {len(seconds)} runs{extra}{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.2f}; Python {sys.version.split()[0]}"
    )
    ballots = make_ballots(args.ballots, args.seed)
    distinct = len({b.ranking for b in ballots})
    truncated = sum(len(b.ranking) < len(OPTIONS) for b in ballots)
    print(
        f"data: {len(ballots):,} ranked ballots, {len(OPTIONS)} options, {distinct:,} distinct"
        f" rankings, {truncated / len(ballots):.0%} truncated, total weight"
        f" {sum(b.weight for b in ballots):,} (seed {args.seed})"
    )
    rules = Rules()
    extra = f", {len(ballots):,} ballots"

    seconds, result = timed(args.runs, lambda: tally("schulze", OPTIONS, ballots, rules))
    line("tally schulze", seconds, 1.0, f"{extra}; winner {result.winner}")
    seconds, result = timed(args.runs, lambda: tally("irv", OPTIONS, ballots, rules))
    rounds = len(result.details["rounds"])
    line("tally irv", seconds, 1.0, f"{extra}; winner {result.winner} after {rounds} rounds")

    rng = random.Random(args.seed)
    votes = [
        Ballot(vote=rng.choices(("yes", "no", "abstain"), weights=(5, 3, 2))[0])
        for _ in range(args.ballots)
    ]
    seconds, result = timed(args.runs, lambda: tally("yes_no_abstain", (), votes, rules))
    line("tally yes_no_abstain (Python, reference)", seconds, None, f"{extra}; {result.verdict}")

    text = json.dumps(export_document("schulze", OPTIONS, ballots, rules, secret=True))

    def retally():
        poll = read_document(text.encode())
        return tally(poll.method, poll.options, poll.ballots, poll.rules)

    seconds, result = timed(max(1, args.runs // 2), retally)
    size = f", file {len(text) / 1e6:.1f} MB"
    line("retally schulze from JSON (read + check + count)", seconds, None, f"{extra}{size}")


if __name__ == "__main__":
    main()
