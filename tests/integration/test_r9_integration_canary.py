"""R9 for integration records: a worker's record never reaches anyone who may not read it.

Ada's pathway carries "CANARY-<key>" in every text it has (referrer, exit note, eligibility,
suspension reason, goals and their history, support actions, assessments, rectification
requests) and "BARRIER-<key>" in her barriers. Then the site is crawled — the home page, every
integration page and fragment, each GET route of the blueprint on each of Ada's rows (generated
from the URL map, so a new route is crawled the day it is added), exports, reports and their
CSV, search — as a visitor, another member (who has a pathway of their own), a board member, a
trainer and a counsellor who are not assigned to Ada, an administrator who has not given a
reason, and a counsellor whose assignment ended. None may see either canary.

A trainer assigned to Ada without access to personal data sees her record (control: the canary)
but never the barriers. Controls also prove the crawl is real: the other member finds their own
record's text on "My pathway".
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import date

import pytest

from portal.extensions import db
from portal.integration.models import (
    Barrier,
    Eligibility,
    Goal,
    GoalEvent,
    PathwayPeriod,
    RectificationRequest,
    Skill,
    SkillAssessment,
    SupportAction,
)
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_integration import assign, make_pathway
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)

LINK = re.compile(r'(?:href|hx-get)="(/[^"]*)"')
TAG = re.compile(r"<[^>]*>")
MAX_URLS = 300


def _key() -> str:
    return uuid.uuid4().hex[:12].translate(str.maketrans("0123456789", "ghijklmnop"))


def fill(pathway, text: str, barrier_text: str, author) -> dict[str, int]:
    """Every kind of row on `pathway`, with `text` in each text column; their ids by argument."""
    pathway.referrer = f"{text} referrer"
    rows: dict[str, object] = {}
    rows["eligibility_id"] = Eligibility(
        pathway_id=pathway.id,
        criterion="other",
        detail=f"{text} eligibility",
        checked_on=pathway.entry_on,
    )
    rows["period_id"] = PathwayPeriod(
        pathway_id=pathway.id,
        kind="suspension",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 9),
        reason=f"{text} suspension",
    )
    goal = Goal(pathway_id=pathway.id, title=f"{text} goal", detail=f"{text} goal detail")
    db.session.add(goal)
    db.session.flush()
    rows["goal_id"] = goal
    rows["event_id"] = GoalEvent(goal_id=goal.id, status="planned", note=f"{text} goal note")
    rows["action_id"] = SupportAction(
        pathway_id=pathway.id,
        happened_on=date(2026, 2, 2),
        kind="interview",
        minutes=45,
        notes=f"{text} action",
        recorded_by_id=author.id,
    )
    skill = Skill(area=f"Area {text[-4:]}", name=f"Skill {text[-6:]}")
    db.session.add(skill)
    db.session.flush()
    rows["skill_id"] = skill
    rows["assessment_id"] = SkillAssessment(
        pathway_id=pathway.id,
        skill_id=skill.id,
        level=2,
        assessed_on=date(2026, 2, 3),
        note=f"{text} assessment",
    )
    rows["barrier_id"] = Barrier(
        pathway_id=pathway.id,
        kind="health",
        note=f"{barrier_text} health",
        noted_on=pathway.entry_on,
    )
    rows["request_id"] = RectificationRequest(pathway_id=pathway.id, text=f"{text} request")
    for row in rows.values():
        db.session.add(row)
    db.session.flush()
    ids = {name: row.id for name, row in rows.items()}
    ids["pathway_id"] = pathway.id
    ids["member_id"] = pathway.member_id
    return ids


def login(client, user) -> None:
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 303


def record_urls(app, ids: dict[str, int]) -> list[str]:
    """Every GET route of the integration blueprint, filled with Ada's rows."""
    urls = []
    unknown = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("integration.") or "GET" not in rule.methods:
            continue
        path = rule.rule
        for name in rule.arguments:
            if name not in ids:
                unknown.append(f"{rule.rule}: <{name}>")
                continue
            path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", str(ids[name]), path)
        urls.append(path)
    assert not unknown, f"add these arguments to `fill`: {unknown}"
    return urls


def crawl(client, start: list[str]) -> list[tuple[str, int, str]]:
    queue, seen, out = list(start), set(), []
    while queue and len(seen) < MAX_URLS:
        url = queue.pop(0)
        if url in seen or url.startswith("/static") or "/logout" in url:
            continue
        if url != "/" and not url.startswith(("/integration", "/search", "/members")):
            continue
        seen.add(url)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            # The member's own PDF is not text; its content is checked in test_export.
            pdf = response.mimetype == "application/pdf"
            body = "" if pdf else response.get_data(as_text=True)
            out.append((url, response.status_code, body))
            queue += [html.unescape(link) for link in LINK.findall(body)]
    return out


def leaks(responses, *markers: str) -> list[str]:
    found = []
    for url, status, body in responses:
        assert status < 500, (url, status)
        text = html.unescape(TAG.sub("", body))
        for marker in markers:
            if marker in body or marker in text:
                found.append(f"{url}: {marker}")
    return found


@pytest.fixture()
def world(app, db):
    k = _key()
    canary, barrier = f"CANARY-{k}", f"BARRIER-{k}"
    ada = member_with_login(given="Ada", family=f"Canary{k}")
    pathway = make_pathway(ada, team="Kitchen")
    counsellor = counsellor_user()
    assignment = assign(pathway, counsellor, "counsellor", personal_data=True)
    ids = fill(pathway, canary, barrier, counsellor)
    ids["assignment_id"] = assignment.id
    former = counsellor_user()
    assign(pathway, former, "counsellor", starts_on=date(2026, 1, 5), ends_on=date(2026, 2, 1))
    flagless = trainer_user()
    assign(pathway, flagless, "trainer")
    other = member_with_login(given="Olga")
    own = make_pathway(other)
    own.referrer = f"OWN-{k} referrer"
    db.session.flush()
    return {
        "k": k,
        "canary": canary,
        "barrier": barrier,
        "ids": ids,
        "other": other,
        "own": f"OWN-{k}",
        "former": former,
        "flagless": flagless,
    }


def _start(app, w) -> list[str]:
    k = w["k"]
    return [
        "/",
        "/integration/",
        "/integration/mine",
        "/integration/mine/reads",
        "/integration/reports",
        f"/search?q={k}",
        *record_urls(app, w["ids"]),
    ]


@pytest.mark.parametrize(
    "who", ["visitor", "member", "board", "trainer", "counsellor", "admin", "former"]
)
def test_nobody_else_sees_the_record(app, world, who):
    client = app.test_client()
    users = {
        "member": lambda: world["other"].user,
        "board": board_user,
        "trainer": trainer_user,
        "counsellor": counsellor_user,
        "admin": admin_user,
        "former": lambda: world["former"],
    }
    if who != "visitor":
        login(client, users[who]())
    responses = crawl(client, _start(app, world))
    assert not leaks(responses, world["canary"], world["barrier"])
    if who == "member":  # control: the crawl reads a record where it may
        text = " ".join(html.unescape(TAG.sub("", body)) for _, _, body in responses)
        assert world["own"] in text


def test_trainer_without_the_flag_never_sees_barriers(app, world):
    client = app.test_client()
    login(client, world["flagless"])
    responses = crawl(client, _start(app, world))
    assert not leaks(responses, world["barrier"])
    text = " ".join(html.unescape(TAG.sub("", body)) for _, _, body in responses)
    assert f"{world['canary']} goal" in text  # control: the trainer reads the record
