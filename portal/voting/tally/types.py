"""The values the tally works on: ballots, rules, results, verdicts and errors (pure Python)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any


class Verdict(StrEnum):
    """What a poll decided. `tie` is never broken by chance: the body decides (not adopted)."""

    ADOPTED = "adopted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"
    TIE = "tie"


# English text of every error, by code. The app translates by code (same %(name)s placeholders);
# the command line prints the English text.
MESSAGES: dict[str, str] = {
    # a ballot (shown to the member who votes)
    "weight": "The weight of a ballot must be a whole number of at least 1, not %(value)s.",
    "ballot_type": "%(field)s must be %(expected)s.",
    "ballot_key": "A ballot has no %(key)s.",
    "shape": "A %(method)s ballot gives %(expected)s.",
    "unknown_vote": "%(value)s is not a possible answer here: use %(allowed)s.",
    "unknown_option": "%(value)s is not one of the choices.",
    "duplicate_option": "%(value)s is chosen twice.",
    "empty_ranking": "Put at least one choice in order.",
    "too_few_choices": "Choose at least %(n)d.",
    "too_many_choices": "Choose at most %(n)d.",
    "reason_required": "Say why you object.",
    "reason_not_allowed": "Only an objection carries a reason.",
    # the poll's configuration (shown to whoever prepares it, or on the command line)
    "unknown_method": "%(value)s is not a voting method: use %(allowed)s.",
    "unknown_majority": "%(value)s is not a majority: use %(allowed)s.",
    "options_required": "A %(method)s poll needs its options.",
    "options_not_used": "A %(method)s poll has no options.",
    "bad_option": "An option must be a non-empty text, not %(value)s.",
    "duplicate_name": "The option %(value)s is listed twice.",
    "seats": "The seats must be a whole number from 1 to %(n)d, not %(value)s.",
    "choices_range": "The least and most choices must satisfy 0 <= least <= most <= %(n)d.",
    "quorum": "The quorum must be a fraction from 0 to 1, not %(value)s.",
    "electorate": "The electorate must be a whole number of at least 1, not %(value)s.",
    "quorum_needs_electorate": "A quorum needs the weight of the electorate.",
    "over_electorate": "The ballots weigh %(weight)d, more than the electorate of %(electorate)d.",
    "turnout": "The turnout must be a whole number from 0 to the electorate, not %(value)s.",
    "over_turnout": "The weight of %(what)s is %(weight)d, more than the turnout of %(turnout)d.",
    # the re-tally file
    "document": "%(problem)s",
}


class TallyError(ValueError):
    """A poll or its ballots cannot be counted. `code` names the problem (see MESSAGES);
    `params` fill its text; `where` says where in a re-tally file (e.g. "ballots[3].weight")."""

    def __init__(self, code: str, where: str | None = None, **params: Any) -> None:
        self.code = code
        self.params = params
        self.where = where
        self.text = MESSAGES[code] % params
        super().__init__(f"{where}: {self.text}" if where else self.text)


class BallotError(TallyError):
    """One ballot is not valid for the poll; `index` is its position in the list, when known."""

    def __init__(self, code: str, index: int | None = None, **params: Any) -> None:
        self.index = index
        super().__init__(code, f"ballots[{index}]" if index is not None else None, **params)


def shown(value: Any) -> str:
    """A value as it appears in an error: quoted text, or JSON-like for the rest."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 60 else f'"{value[:57]}..."'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True, slots=True, kw_only=True)
class Ballot:
    """One ballot: a weight and exactly one of vote / choice / choices / ranking (by method).

    `vote`: yes, no, abstain (yes_no_abstain) or agree, stand_aside, object (consent);
    `choice`: one option (single); `choices`: the approved options (approval);
    `ranking`: options best first, unranked ones below all ranked (irv, schulze);
    `reason`: why an objection objects (consent; never counted)."""

    weight: int = 1
    vote: str | None = None
    choice: str | None = None
    choices: tuple[str, ...] | None = None
    ranking: tuple[str, ...] | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if type(self.choices) is list:
            object.__setattr__(self, "choices", tuple(self.choices))
        if type(self.ranking) is list:
            object.__setattr__(self, "ranking", tuple(self.ranking))

    def content(self) -> dict[str, Any]:
        """The ballot without its weight, as JSON-ready data (what a ballot row stores)."""
        data: dict[str, Any] = {}
        for name in BALLOT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                data[name] = list(value) if isinstance(value, tuple) else value
        return data

    def as_dict(self) -> dict[str, Any]:
        """The ballot as it appears in a re-tally file."""
        return {**self.content(), "weight": self.weight}


BALLOT_FIELDS = ("vote", "choice", "choices", "ranking", "reason")


def _text(value: Any, where: str, index: int | None) -> str:
    if not isinstance(value, str):
        raise BallotError("ballot_type", index, field=where, expected="a text")
    return value


def _texts(value: Any, where: str, index: int | None) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise BallotError("ballot_type", index, field=where, expected="a list of texts")
    return tuple(value)


_READERS: dict[str, Callable[[Any, str, int | None], Any]] = {
    "vote": _text,
    "choice": _text,
    "choices": _texts,
    "ranking": _texts,
    "reason": _text,
}


def ballot_from_dict(data: Mapping[str, Any], index: int | None = None) -> Ballot:
    """Read a ballot from JSON-like data (a stored row, a form, a re-tally file), checking its
    keys and types only; whether it fits the poll is `validate_ballot`'s job.

    Raises BallotError (a ValueError)."""
    if not isinstance(data, Mapping):
        raise BallotError("ballot_type", index, field="A ballot", expected="an object")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "weight":
            if type(value) is not int or value < 1:
                raise BallotError("weight", index, value=shown(value))
            values["weight"] = value
        elif key in _READERS:
            if value is not None:
                values[key] = _READERS[key](value, key, index)
        else:
            raise BallotError("ballot_key", index, key=shown(key))
    return Ballot(**values)


def as_fraction(value: Fraction | float | int | str | None) -> Fraction | None:
    """A quorum as an exact fraction: 0.1 means one tenth, not the nearest binary float."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TallyError("quorum", value=shown(value))
    if isinstance(value, Fraction):
        return value
    try:
        return Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise TallyError("quorum", value=shown(value)) from None


@dataclass(frozen=True)
class Rules:
    """How a poll decides. Rules that a method does not use are ignored.

    majority, abstentions_count: yes_no_abstain only. quorum: a fraction of the electorate's
    weight (0 to 1) that must take part, or None; it needs `electorate` (the electorate's total
    weight). seats: how many options are elected (single, approval, irv, schulze).
    min_choices (default 1), max_choices (default: all options): approval only.
    turnout: how many took part, when it is known apart from the ballots, or None. A poll
    counted in the room gives the people present: some may raise no hand, and under approval
    one person may raise a hand for several options, so the ballots' weight is not the turnout.
    When given, it is the participation (and the quorum is measured on it); no answer, and no
    option under approval, may weigh more than it."""

    majority: str = "simple"
    abstentions_count: bool = False
    quorum: Fraction | float | None = None
    electorate: int | None = None
    turnout: int | None = None
    seats: int = 1
    min_choices: int | None = None
    max_choices: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "quorum", as_fraction(self.quorum))


@dataclass(frozen=True)
class Outcome:
    """What a method's count returns; `tally` adds the quorum and participation."""

    verdict: Verdict
    counts: dict[str, int]
    tiers: list[list[str]] = field(default_factory=list)
    winners: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """The result of a poll; `as_dict()` is its JSON form.

    counts: weight per answer (yes/no/abstain, agree/...), per option (single, approval) or of
    first preferences (irv, schulze). ranking: every option, best first (empty for
    yes_no_abstain and consent); options sharing a place are listed in `tied`, in the poll's
    order of options. winners: the elected options, in order of election (empty unless the
    verdict is adopted; with a tie at the last of several seats, the seats filled before the
    tie). participation: the total weight of the ballots, abstentions included, or the turnout
    when the rules give it.
    details: what the method shows of its working (IRV rounds, Schulze matrices, ...)."""

    method: str
    verdict: Verdict
    counts: dict[str, int]
    ranking: list[str]
    tied: list[list[str]]
    winners: list[str]
    participation: int
    electorate: int | None
    seats: int
    details: dict[str, Any]

    @property
    def winner(self) -> str | None:
        """The winner of a one-seat poll (None with several seats, or without a winner)."""
        return self.winners[0] if self.seats == 1 and self.winners else None

    @property
    def adopted(self) -> bool:
        return self.verdict is Verdict.ADOPTED

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: what `flask polls retally` prints and the app stores."""
        return {
            "method": self.method,
            "winner": self.winner,
            "winners": list(self.winners),
            "ranking": list(self.ranking),
            "tied": [list(group) for group in self.tied],
            "counts": dict(self.counts),
            "verdict": self.verdict.value,
            "participation": self.participation,
            "electorate": self.electorate,
            "seats": self.seats,
            **self.details,
        }


@dataclass(frozen=True)
class Method:
    """A voting method in the registry: its name, the ballot field it reads, and its count.

    `count(options, votes, rules)` is pure: `votes` maps each distinct valid ballot content
    (the value of the `ballot` field: an answer, an option, a tuple of options) to its total
    weight."""

    name: str
    description: str
    ballot: str  # "vote", "choice", "choices" or "ranking"
    count: Callable[[tuple[str, ...], dict[Any, int], Rules], Outcome]
    votes: tuple[str, ...] = ()  # the possible answers, for methods whose ballot is a vote
    several_seats: bool = False  # can elect more than one option
    rules: tuple[str, ...] = ()  # the rules it reads, besides quorum and electorate

    @property
    def needs_options(self) -> bool:
        return self.ballot != "vote"
