"""Each body's support threshold for proposals: the form, its checks, saving, and its use.

`support_percent` of the body's electorate (rounded up), never fewer than `support_minimum`;
frozen on a proposal when it opens for support.
"""

from __future__ import annotations

import json
import math

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.core.errors import DomainError
from portal.extensions import db
from portal.members import bodies
from portal.members.models import Body
from portal.proposals import services as proposals
from tests.conftest import csrf_token
from tests.factories_members import board_user, general_assembly, member_user
from tests.factories_proposals import make_proposal
from tests.factories_voting import voter


def rules(body: Body, **changes) -> bodies.BodyData:
    data = {
        "kind": body.kind,
        "name": body.name or "",
        "description": body.description,
        "quorum_percent": body.quorum_percent,
        "notice_days": body.notice_days,
        "default_majority": body.default_majority,
        "proxy_cap": body.proxy_cap,
        "active": body.active,
        "support_percent": body.support_percent,
        "support_minimum": body.support_minimum,
    }
    data.update(changes)
    return bodies.BodyData(**data)


def form(body: Body, **changes) -> dict:
    data = {
        "kind": body.kind,
        "name": body.title,
        "description": body.description,
        "quorum_percent": str(body.quorum_percent),
        "notice_days": str(body.notice_days),
        "default_majority": body.default_majority,
        "proxy_cap": str(body.proxy_cap),
        "active": "y",
        "support_percent": str(body.support_percent),
        "support_minimum": str(body.support_minimum),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def audit_changes() -> list[dict]:
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "body.updated").order_by(AuditEntry.id)
    ).all()
    return [json.loads(entry.details)["changes"] for entry in entries]


def electorate_size(body: Body) -> int:
    return bodies.electorate_summary(body, local_today()).voters


# --- The service ----------------------------------------------------------------------------


def test_a_new_body_starts_at_ten_percent_and_three(db):
    body = bodies.create_body(board_user(), bodies.BodyData(kind="committee", name="Garden"))
    assert (body.support_percent, body.support_minimum) == (10, 3)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"support_percent": 101}, "support_percent"),
        ({"support_percent": -1}, "support_percent"),
        ({"support_percent": None}, "support_percent"),
        ({"support_minimum": 0}, "support_minimum"),
        ({"support_minimum": 10_001}, "support_minimum"),
        ({"support_minimum": None}, "support_minimum"),
    ],
)
def test_out_of_range_thresholds_are_refused(db, changes, field):
    ga = general_assembly()
    with pytest.raises(DomainError) as error:
        bodies.update_body(board_user(), ga, rules(ga, **changes))
    assert error.value.field == field
    db.session.refresh(ga)
    assert (ga.support_percent, ga.support_minimum) == (10, 3)
    assert audit_changes() == []


def test_the_limits_themselves_are_fine_and_changes_are_audited(db):
    ga = general_assembly()
    bodies.update_body(board_user(), ga, rules(ga, support_percent=0, support_minimum=10_000))
    assert (ga.support_percent, ga.support_minimum) == (0, 10_000)
    bodies.update_body(board_user(), ga, rules(ga, support_percent=100, support_minimum=1))
    assert (ga.support_percent, ga.support_minimum) == (100, 1)
    first, second = audit_changes()
    assert first["support_percent"] == [10, 0] and first["support_minimum"] == [3, 10_000]
    assert second["support_percent"] == [0, 100] and second["support_minimum"] == [10_000, 1]


def test_threshold_for_uses_the_bodys_rules(db):
    for _ in range(9):
        voter()
    ga = general_assembly()
    voters = electorate_size(ga)
    assert voters >= 9
    bodies.update_body(board_user(), ga, rules(ga, support_percent=50, support_minimum=2))
    assert proposals.threshold_for(ga) == math.ceil(voters / 2)
    bodies.update_body(board_user(), ga, rules(ga, support_percent=0, support_minimum=2))
    assert proposals.threshold_for(ga) == 2
    bodies.update_body(board_user(), ga, rules(ga, support_percent=10, support_minimum=7))
    assert proposals.threshold_for(ga) == 7


def test_the_threshold_is_frozen_when_the_proposal_opens_for_support(db):
    author = voter(given="Alma").user
    for _ in range(9):
        voter()
    ga = general_assembly()
    bodies.update_body(board_user(), ga, rules(ga, support_percent=50, support_minimum=2))
    draft = make_proposal(author, title="Not open yet")
    opened = make_proposal(author, title="Open", state="support")
    frozen = math.ceil(electorate_size(ga) / 2)
    assert opened.support_threshold == frozen
    bodies.update_body(board_user(), ga, rules(ga, support_percent=10, support_minimum=8))
    assert opened.support_threshold == frozen == proposals.support_threshold(opened)
    assert proposals.support_threshold(draft) == 8  # what it would be today
    later = make_proposal(author, title="Later", state="support")
    assert later.support_threshold == 8


# --- Over HTTP ---------------------------------------------------------------------------------


def test_the_body_page_says_how_many_supports_a_proposal_needs(client, login_as):
    ga = general_assembly()
    bodies.update_body(board_user(), ga, rules(ga, support_percent=15, support_minimum=4))
    login_as(member_user())
    page = client.get(f"/bodies/{ga.id}").get_data(as_text=True)
    assert "A proposal needs the support of 15 % of the members, at least 4." in page
    assert "fixed when a proposal opens for support" in page


def test_the_board_changes_the_threshold_in_the_rules_form(client, login_as):
    ga = general_assembly()
    login_as(board_user())
    edit = client.get(f"/bodies/{ga.id}/edit").get_data(as_text=True)
    assert 'name="support_percent"' in edit and 'value="10"' in edit
    assert 'name="support_minimum"' in edit and "opens for support" in edit
    response = post(
        client, f"/bodies/{ga.id}/edit", form(ga, support_percent="25", support_minimum="5")
    )
    assert response.status_code == 302
    db.session.refresh(ga)
    assert (ga.support_percent, ga.support_minimum) == (25, 5)
    assert audit_changes() == [{"support_percent": [10, 25], "support_minimum": [3, 5]}]


def test_a_new_body_gets_its_threshold_from_the_form(client, login_as):
    login_as(board_user())
    assert 'name="support_minimum"' in client.get("/bodies/new").get_data(as_text=True)
    data = {
        "kind": "committee",
        "name": "Kitchen committee",
        "quorum_percent": "50",
        "notice_days": "7",
        "default_majority": "simple",
        "proxy_cap": "1",
        "active": "y",
        "support_percent": "20",
        "support_minimum": "2",
    }
    assert post(client, "/bodies/new", data).status_code == 302
    body = db.session.scalar(sa.select(Body).where(Body.name == "Kitchen committee"))
    assert (body.support_percent, body.support_minimum) == (20, 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"support_percent": "101"}, "Give a whole number from 0 to 100."),
        ({"support_percent": "-5"}, "Give a whole number from 0 to 100."),
        ({"support_percent": ""}, "Give a whole number from 0 to 100."),
        ({"support_percent": "ten"}, "Give a whole number from 0 to 100."),
        ({"support_minimum": "0"}, "Give a whole number from 1 to 10000."),
        ({"support_minimum": "10001"}, "Give a whole number from 1 to 10000."),
        ({"support_minimum": None}, "Give a whole number from 1 to 10000."),
        ({"support_minimum": "99999999999999999999"}, "Give a whole number from 1 to 10000."),
    ],
)
def test_bad_thresholds_are_422_with_a_message_and_nothing_saved(
    client, login_as, changes, message
):
    ga = general_assembly()
    before = (ga.quorum_percent, ga.support_percent, ga.support_minimum)
    login_as(board_user())
    response = post(client, f"/bodies/{ga.id}/edit", form(ga, quorum_percent="33", **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'value="33"' in page  # the other answers are kept
    db.session.refresh(ga)
    assert (ga.quorum_percent, ga.support_percent, ga.support_minimum) == before != (33, 10, 3)
    assert audit_changes() == []


def test_members_cannot_change_the_threshold(client, login_as):
    ga = general_assembly()
    login_as(member_user())
    response = post(client, f"/bodies/{ga.id}/edit", form(ga, support_minimum="1"))
    assert response.status_code == 403
    db.session.refresh(ga)
    assert ga.support_minimum == 3
