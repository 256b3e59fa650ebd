"""`flask polls retally FILE`: every method from a file or standard input, the worked examples
of docs/retally.md, and malformed files (exit status 2 and a message naming the problem)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal import create_app
from portal.voting.cli import polls_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "retally.md"

TENNESSEE = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


def retally(tmp_path: Path, document, name: str = "ballots.json"):
    """Run the command on `document` (data, or text written as it is) in a file."""
    path = tmp_path / name
    text = document if isinstance(document, str | bytes) else json.dumps(document)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(polls_cli, ["retally", str(path)])


def ok(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- The shape, one method at a time -----------------------------------------------------


@pytest.mark.parametrize(
    ("document", "winner", "verdict"),
    [
        (
            {
                "method": "schulze",
                "options": ["A", "B", "C"],
                "seats": 1,
                "ballots": [
                    {"ranking": ["A", "C"], "weight": 1},
                    {"ranking": ["B"]},
                    {"ranking": ["A"]},
                ],
            },
            "A",
            "adopted",
        ),
        (
            {
                "method": "irv",
                "options": TENNESSEE,
                "ballots": [
                    {"ranking": TENNESSEE, "weight": 42},
                    {"ranking": ["Nashville", "Chattanooga", "Knoxville", "Memphis"], "weight": 26},
                    {"ranking": ["Chattanooga", "Knoxville", "Nashville", "Memphis"], "weight": 15},
                    {"ranking": ["Knoxville", "Chattanooga", "Nashville", "Memphis"], "weight": 17},
                ],
            },
            "Knoxville",
            "adopted",
        ),
        (
            {
                "method": "single",
                "options": ["A", "B"],
                "ballots": [{"choice": "A"}, {"choice": "B"}, {"choice": "B"}],
            },
            "B",
            "adopted",
        ),
        (
            {
                "method": "approval",
                "options": ["A", "B", "C"],
                "rules": {"min_choices": 1, "max_choices": 2},
                "ballots": [{"choices": ["A", "B"]}, {"choices": ["B"]}],
            },
            "B",
            "adopted",
        ),
        (
            {
                "method": "yes_no_abstain",
                "rules": {
                    "majority": "two_thirds",
                    "abstentions_count": False,
                    "quorum": 0.5,
                    "electorate": 120,
                },
                "ballots": [{"vote": "yes", "weight": 40}, {"vote": "no", "weight": 20}],
            },
            None,
            "adopted",
        ),
        (
            {
                "method": "yes_no_abstain",
                "rules": {"quorum": 0.5, "electorate": 120},
                "ballots": [{"vote": "yes", "weight": 40}, {"vote": "abstain", "weight": 19}],
            },
            None,
            "no_quorum",
        ),
        (
            {
                "method": "consent",
                "ballots": [{"vote": "agree"}, {"vote": "stand_aside"}, {"vote": "object"}],
            },
            None,
            "rejected",
        ),
        (
            {
                "method": "single",
                "options": ["A", "B"],
                "ballots": [{"choice": "A"}, {"choice": "B"}],
            },
            None,
            "tie",
        ),
    ],
)
def test_each_method_from_a_file(tmp_path, document, winner, verdict):
    printed = ok(retally(tmp_path, document))
    assert printed["winner"] == winner
    assert printed["verdict"] == verdict
    assert isinstance(printed["ranking"], list) and isinstance(printed["counts"], dict)
    assert printed["participation"] == sum(b.get("weight", 1) for b in document["ballots"])


def test_standard_input():
    document = {"method": "single", "options": ["A", "B"], "ballots": [{"choice": "B"}]}
    result = CliRunner().invoke(polls_cli, ["retally", "-"], input=json.dumps(document))
    assert ok(result)["winner"] == "B"


def test_registered_with_the_app():
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    document = {"method": "consent", "ballots": [{"vote": "agree"}]}
    result = app.test_cli_runner().invoke(
        args=["polls", "retally", "-"], input=json.dumps(document)
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "adopted"


# --- The worked examples of docs/retally.md ------------------------------------------------------


def _doc_examples() -> list[tuple[str, dict, dict]]:
    text = DOC.read_text(encoding="utf-8")
    inputs = re.findall(r"```json retally-input\n(.*?)```", text, re.S)
    outputs = re.findall(r"```json retally-output\n(.*?)```", text, re.S)
    assert len(inputs) == len(outputs) >= 6
    return [
        (json.loads(i)["method"], json.loads(i), json.loads(o))
        for i, o in zip(inputs, outputs, strict=True)
    ]


def test_the_documentation_has_one_example_per_method():
    from portal.voting.tally import METHODS

    assert {method for method, _, _ in _doc_examples()} == set(METHODS)


@pytest.mark.parametrize(("method", "document", "expected"), _doc_examples())
def test_documented_examples(tmp_path, method, document, expected):
    printed = ok(retally(tmp_path, document))
    assert {key: printed[key] for key in expected} == expected


# --- Malformed files -----------------------------------------------------------------------------

SINGLE = {"method": "single", "options": ["A", "B"], "ballots": [{"choice": "A"}]}
RANKED = {"method": "schulze", "options": ["A", "B", "C"], "ballots": [{"ranking": ["A", "B"]}]}


def _with(base: dict, **changes) -> dict:
    return {**base, **changes}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"method": "single", ', "not valid JSON"),
        ("", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        ('{"method": "single", "method": "irv"}', 'the key "method" appears twice'),
        ('{"method": "yes_no_abstain", "rules": {"quorum": NaN}, "ballots": []}', "NaN"),
        ("[1, 2]", "one JSON object"),
        ({"options": ["A"], "ballots": []}, 'the key "method" is missing'),
        (_with(SINGLE, method="borda"), 'method: "borda" is not a voting method'),
        (_with(SINGLE, method=3), "method: 3 is not a voting method"),
        ({"method": "single", "ballots": [{"choice": "A"}]}, "single poll needs its options"),
        ({"method": "irv", "options": [], "ballots": []}, "irv poll needs its options"),
        (_with(SINGLE, options="AB"), "options: must be a list of texts"),
        (_with(SINGLE, options=["A", "A"]), 'options: The option "A" is listed twice'),
        (
            {"method": "consent", "options": ["A"], "ballots": []},
            "options: A consent poll has no options",
        ),
        (
            _with(SINGLE, ballots=[{"choice": "A"}, {"choice": "Z"}]),
            'ballots[1]: "Z" is not one of',
        ),
        (
            _with(RANKED, ballots=[{"ranking": ["A"]}, {"ranking": ["B", "C", "B"]}]),
            'ballots[1]: "B" is chosen twice',
        ),
        (_with(RANKED, ballots=[{"ranking": []}]), "ballots[0]: Put at least one choice"),
        (
            _with(RANKED, ballots=[{"ranking": "ABC"}]),
            "ballots[0]: ranking must be a list of texts",
        ),
        (
            _with(RANKED, ballots=[{"choice": "A"}]),
            "ballots[0]: A schulze ballot gives the choices in order",
        ),
        (_with(SINGLE, ballots=[{"choice": "A", "weight": -2}]), "ballots[0]: The weight"),
        (_with(SINGLE, ballots=[{"choice": "A", "weight": "2"}]), 'not "2"'),
        (_with(SINGLE, ballots=[{"choice": "A", "weight": 1.5}]), "not 1.5"),
        (_with(SINGLE, ballots=[{"choice": "A", "weight": True}]), "not true"),
        (_with(SINGLE, ballots=[{"choice": ["A"]}]), "ballots[0]: choice must be a text"),
        (
            _with(SINGLE, ballots=[{"choice": "A", "member": "anne"}]),
            'ballots[0]: A ballot has no "member"',
        ),
        (_with(SINGLE, ballots=["A"]), "ballots[0]: A ballot must be an object"),
        (_with(SINGLE, ballots={"choice": "A"}), "ballots: must be a list"),
        ({"method": "single", "options": ["A"]}, 'the key "ballots" is missing'),
        (_with(SINGLE, seats=3), "seats must be a whole number from 1 to 2, not 3"),
        (_with(SINGLE, seats=0), "seats: must be a whole number of at least 1"),
        (_with(SINGLE, rules=[]), "rules: must be an object"),
        (_with(SINGLE, rules={"quorom": 0.5}), 'unknown rule "quorom"'),
        (
            _with(SINGLE, rules={"quorum": 1.5, "electorate": 9}),
            "rules.quorum: must be a number from 0 to 1",
        ),
        (_with(SINGLE, rules={"quorum": "half"}), 'not "half"'),
        (_with(SINGLE, rules={"quorum": 0.5}), "A quorum needs the weight of the electorate"),
        (_with(SINGLE, rules={"electorate": 0}), "rules.electorate: must be a whole number"),
        (
            _with(SINGLE, rules={"abstentions_count": "no"}),
            "rules.abstentions_count: must be true or false",
        ),
        (_with(SINGLE, rules={"majority": "most"}), '"most" is not a majority'),
        (
            _with(SINGLE, rules={"electorate": 1}, ballots=[{"choice": "A"}, {"choice": "B"}]),
            "The ballots weigh 2, more than the electorate of 1",
        ),
        (
            {
                "method": "approval",
                "options": ["A", "B"],
                "rules": {"max_choices": 1},
                "ballots": [{"choices": ["A", "B"]}],
            },
            "ballots[0]: Choose at most 1",
        ),
        (_with(SINGLE, extra=1), 'unknown key "extra"'),
        (_with(SINGLE, format="other/2"), "format: must be"),
    ],
)
def test_malformed_files_exit_2_naming_the_problem(tmp_path, document, message):
    result = retally(tmp_path, document)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]


def test_a_missing_file_exits_2():
    result = CliRunner().invoke(polls_cli, ["retally", "/nonexistent/ballots.json"])
    assert result.exit_code == 2
    assert "No such file" in result.stderr
