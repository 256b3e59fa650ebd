"""R5: a secret poll never pairs a member with a choice, and shows no result while open.

Each voter picks an option whose label is a unique marker. While the poll is open and after it
closes, every page, fragment, export, audit entry and log line produced is searched: a marker
may appear only where every option appears anyway (the ballot form, the result counts), never
next to a name; no count appears before the close; the participation rows keep no choice.
"""

from __future__ import annotations

import json
import logging
import uuid

import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.voting import services
from portal.voting.models import Participation
from tests.conftest import csrf_token
from tests.factories_members import board_user, factory_board
from tests.factories_voting import open_poll_for, voter


def marker() -> str:
    return "Opt" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


def login(app, user):
    browser = app.test_client()
    browser.post(
        "/login",
        data={
            "username": user.username,
            "password": "correct horse battery",
            "csrf_token": csrf_token(browser, "/login"),
        },
    )
    return browser


def pages(browser, poll_id: int) -> dict[str, str]:
    out = {}
    for path in (
        "/polls/",
        f"/polls/{poll_id}",
        f"/polls/{poll_id}/turnout",
        f"/polls/{poll_id}/results",
        f"/polls/{poll_id}/results.csv",
        f"/polls/{poll_id}/ballots.json",
        "/members/",
    ):
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(path, headers=headers)
            assert response.status_code < 500, path
            out[f"{path} {headers}"] = response.get_data(as_text=True)
    return out


def test_r5_no_member_choice_pair_anywhere(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    labels = [marker() for _ in range(3)]
    people = [voter(given=f"Secret{i}", family="Voter") for i in range(3)]
    poll = open_poll_for(*people, method="single", options=tuple(labels), secret=True)
    browsers = {person.id: login(app, person.user) for person in people}
    board = login(app, board_user())

    seen: dict[str, str] = {}
    for index, person in enumerate(people):
        browser = browsers[person.id]
        token = csrf_token(browser, "/")
        response = browser.post(
            f"/polls/{poll.id}/vote",
            data={"csrf_token": token, "choice": labels[index]},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        seen[f"vote response {index}"] = response.get_data(as_text=True)
        for name, text in pages(browser, poll.id).items():
            seen[f"{person.given_name} while open: {name}"] = text
    for name, text in pages(board, poll.id).items():
        seen[f"board while open: {name}"] = text

    # While open: no result, no count of any option anywhere (the form lists the labels).
    for name, text in seen.items():
        assert "/results" not in name or "Votes per answer" not in text, name
    assert all(p.named_choice is None for p in db.session.scalars(sa.select(Participation)))

    services.close_poll(factory_board(), poll)
    for person in people:
        for name, text in pages(browsers[person.id], poll.id).items():
            seen[f"{person.given_name} after close: {name}"] = text

    # A name and a choice never meet: the voter's own vote response names no choice, the
    # "who voted" list names no choice, the exports name nobody.
    for index, person in enumerate(people):
        assert labels[index] not in seen[f"vote response {index}"]
        results = seen[f"{person.given_name} after close: /polls/{poll.id}/results {{}}"]
        who_voted = results.split('id="voters-title"')[1]
        assert "Secret0" in who_voted and not any(label in who_voted for label in labels)
        for export in ("results.csv", "ballots.json"):
            text = seen[f"{person.given_name} after close: /polls/{poll.id}/{export} {{}}"]
            assert not any(p.given_name in text or p.member_number in text for p in people)
    document = json.loads(seen[f"Secret0 after close: /polls/{poll.id}/ballots.json {{}}"])
    assert sorted(b["choice"] for b in document["ballots"]) == sorted(labels)

    # The audit log and the log lines carry participation, never a choice.
    audit_text = " ".join(e.summary + e.details for e in db.session.scalars(sa.select(AuditEntry)))
    assert "took part" in audit_text
    assert not any(label in audit_text for label in labels)
    assert not any(label in record.getMessage() for record in caplog.records for label in labels)
