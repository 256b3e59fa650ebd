"""The re-tally file: a poll's method, options, rules and ballots as JSON (docs/retally.md).

`export_document` writes it (secret polls: no reasons, ballots shuffled); `read_document`
reads it strictly, naming the first problem and where it is.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from portal.voting.tally.types import Ballot, Rules, TallyError, ballot_from_dict, shown

FORMAT = "wise-portal-ballots/1"

_TOP_KEYS = ("format", "poll", "method", "options", "seats", "rules", "ballots")


@dataclass(frozen=True)
class PollFile:
    """What a re-tally file holds; count it with `tally(f.method, f.options, f.ballots, f.rules)`."""

    method: str
    options: tuple[str, ...]
    rules: Rules
    ballots: list[Ballot]
    poll: dict[str, Any] | None = None


def _problem(where: str | None, problem: str) -> TallyError:
    return TallyError("document", where, problem=problem)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any, low: int) -> bool:
    return type(value) is int and value >= low


def _rule_majority(value: Any) -> bool:
    return isinstance(value, str)


def _rule_flag(value: Any) -> bool:
    return isinstance(value, bool)


def _rule_quorum(value: Any) -> bool:
    return value is None or (_is_number(value) and 0 <= value <= 1)


def _rule_electorate(value: Any) -> bool:
    return value is None or _whole(value, 1)


def _rule_count(value: Any) -> bool:
    return value is None or _whole(value, 0)


# rule name -> (check, what it must be)
RULES: dict[str, tuple[Any, str]] = {
    "majority": (_rule_majority, "a text"),
    "abstentions_count": (_rule_flag, "true or false"),
    "quorum": (_rule_quorum, "a number from 0 to 1, or null"),
    "electorate": (_rule_electorate, "a whole number of at least 1, or null"),
    "min_choices": (_rule_count, "a whole number of at least 0, or null"),
    "max_choices": (_rule_count, "a whole number of at least 0, or null"),
    "turnout": (_rule_count, "a whole number of at least 0, or null"),
}


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _problem(None, f"the key {shown(key)} appears twice in one object")
        data[key] = value
    return data


def _no_constant(name: str) -> Any:
    raise _problem(None, f"{name} is not a number JSON allows")


def read_document(data: bytes | str) -> PollFile:
    """Parse a re-tally file. Raises TallyError (a ValueError) naming the first problem."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        document = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant
        )
    except UnicodeDecodeError as error:
        raise _problem(None, f"the file is not UTF-8 text ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise _problem(
            None,
            f"the file is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
        ) from None
    except RecursionError:
        raise _problem(None, "the file is nested too deeply") from None
    return parse_document(document)


def parse_document(document: Any) -> PollFile:
    """Check a decoded re-tally file and return its parts. Raises TallyError."""
    from portal.voting.tally import check_options, check_rules, get_method

    if not isinstance(document, dict):
        raise _problem(None, "the file must hold one JSON object")
    for key in document:
        if key not in _TOP_KEYS:
            raise _problem(None, f"unknown key {shown(key)}; the keys are {', '.join(_TOP_KEYS)}")
    if "format" in document and document["format"] != FORMAT:
        raise _problem("format", f"must be {shown(FORMAT)}, not {shown(document['format'])}")
    poll = document.get("poll")
    if poll is not None and not isinstance(poll, dict):
        raise _problem("poll", "must be an object")
    if "method" not in document:
        raise _problem(None, 'the key "method" is missing')
    try:
        method = get_method(document["method"])
    except TallyError as error:
        raise TallyError(error.code, "method", **error.params) from None
    options = document.get("options")
    if options is not None and (
        not isinstance(options, list) or not all(isinstance(o, str) for o in options)
    ):
        raise _problem("options", "must be a list of texts")
    seats = document.get("seats", 1)
    if not _whole(seats, 1):
        raise _problem("seats", f"must be a whole number of at least 1, not {shown(seats)}")
    raw_rules = document.get("rules")
    raw_rules = {} if raw_rules is None else raw_rules
    if not isinstance(raw_rules, dict):
        raise _problem("rules", "must be an object")
    for key, value in raw_rules.items():
        if key not in RULES:
            raise _problem("rules", f"unknown rule {shown(key)}; the rules are {', '.join(RULES)}")
        check, expected = RULES[key]
        if not check(value):
            raise _problem(f"rules.{key}", f"must be {expected}, not {shown(value)}")
    rules = Rules(seats=seats, **raw_rules)
    try:
        option_tuple = check_options(method, options)
        check_rules(method, option_tuple, rules)
    except TallyError as error:
        where = "options" if error.code.startswith(("options", "bad_option", "duplicate")) else None
        raise TallyError(error.code, where, **error.params) from None
    if "ballots" not in document:
        raise _problem(None, 'the key "ballots" is missing')
    raw_ballots = document["ballots"]
    if not isinstance(raw_ballots, list):
        raise _problem("ballots", "must be a list")
    ballots = [ballot_from_dict(raw, index) for index, raw in enumerate(raw_ballots)]
    return PollFile(method.name, option_tuple, rules, ballots, poll)


def export_document(
    method: str,
    options: Sequence[str] | None,
    ballots: Iterable[Ballot],
    rules: Rules | None = None,
    *,
    secret: bool,
    poll: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The re-tally file of a poll, as JSON-ready data. It never names a member. For a secret
    poll the ballots are shuffled (system randomness) and objections lose their reasons, so
    neither the order of voting nor a wording can point to a voter."""
    from portal.voting.tally import get_method

    found = get_method(method)
    rules = rules or Rules()
    items = [
        Ballot(**{**ballot.as_dict(), "reason": None}) if secret else ballot for ballot in ballots
    ]
    if secret:
        random.SystemRandom().shuffle(items)
    used: dict[str, Any] = {name: getattr(rules, name) for name in found.rules}
    if rules.quorum:
        used["quorum"] = float(rules.quorum)
        used["electorate"] = rules.electorate
    elif rules.electorate is not None:
        used["electorate"] = rules.electorate
    if rules.turnout is not None:  # counted in the room: the people present
        used["turnout"] = rules.turnout
    document: dict[str, Any] = {"format": FORMAT}
    if poll:
        document["poll"] = poll
    document["method"] = found.name
    if found.needs_options:
        document["options"] = list(options or ())
        document["seats"] = rules.seats
    document["rules"] = used
    document["ballots"] = [ballot.as_dict() for ballot in items]
    return document
