"""R9 for the register: what a member may not read about other members never reaches them.

Canaries: the names of an applicant, a suspended and a former member (only the board, admins,
counsellors and the person see those records); the e-mail, phone and member number of an
active member who did not agree to share them; the reasons in that member's history; and a
mandate note of a body no longer in use. The register screens, the directory (page, htmx
fragment, search), profiles, bodies, colleges and the CSV export are crawled as a visitor and
as an ordinary member, following every same-site link. Controls prove the crawl is real.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import date

import pytest

from portal.extensions import db
from portal.members.bodies import BodyData, create_body
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import (
    board_user,
    make_mandate,
    make_member,
    member_user,
    membership_step,
)

LINK = re.compile(r'(?:href|hx-get)="(/[^"]*)"')
TAG = re.compile(r"<[^>]*>")
MAX_URLS = 400
ADMITTED = date(2025, 2, 3)


def letters(n: int = 10) -> str:
    return uuid.uuid4().hex[:n].translate(str.maketrans("0123456789", "ghijklmnop"))


def build_register() -> dict:
    key = letters()
    secret = {
        "applicant": f"Applicant{key}",
        "suspended": f"Suspended{key}",
        "former": f"Former{key}",
        "email": f"hidden.{key}@example.org",
        "phone": "+33 6 98 76 54 32",
        "number": f"N-{key[:8]}",
        "reason": f"Reason{key} private",
        "note": f"Note{key}",
    }
    visible = {"active": f"Visible{key}", "shared": f"shared.{key}@example.org"}
    make_member(given=secret["applicant"], family="Person")
    suspended = make_member(given=secret["suspended"], family="Person", admitted_on=ADMITTED)
    membership_step(suspended, "suspend", on=date(2025, 5, 1), reason="Paused")
    former = make_member(given=secret["former"], family="Person", admitted_on=ADMITTED)
    closed = create_body(None, BodyData(kind="committee", name=f"Closed{key}", active=False))
    make_mandate(former, closed, "chair", starts_on=date(2025, 3, 1), note=secret["note"])
    membership_step(former, "end", on=date(2025, 9, 1), reason="Left")
    active = make_member(
        given=visible["active"],
        family="Person",
        admitted_on=ADMITTED,
        member_number=secret["number"],
        email=secret["email"],
        phone=secret["phone"],
        team="Kitchen",
    )
    membership_step(active, "suspend", on=date(2025, 4, 1), reason=secret["reason"])
    membership_step(active, "reinstate", on=date(2025, 4, 15), reason=secret["reason"])
    make_member(
        given="Sharing",
        family="Person",
        admitted_on=ADMITTED,
        email=visible["shared"],
        contact_consent=True,
    )
    db.session.flush()
    return {"key": key, "secret": secret, "visible": visible, "active": active}


def seeds(world) -> list[str]:
    key, active = world["key"], world["active"]
    urls = ["/members/", "/members/me", "/members/register", "/members/export.csv"]
    urls += ["/members/import", "/bodies/", "/bodies/colleges", "/bodies/new"]
    for q in (key, "Person", "Applicant", "Suspended", "Former", "Kitchen", "N-"):
        urls += [f"/members/?q={q}", f"/members/register?q={q}"]
    urls += [f"/members/{active.id + offset}" for offset in range(-6, 3)]
    urls += [f"/members/{active.id}/edit", f"/members/{active.id}/preferences"]
    urls += [f"/bodies/{n}" for n in range(1, 8)]
    urls += [f"/bodies/1?on={day}" for day in ("2025-03-01", "2025-06-01", "2026-01-01")]
    return urls


def crawl(browser, world):
    queue, seen, responses = seeds(world), set(), []
    while queue:
        url = queue.pop(0)
        if url in seen or url.startswith(("/static/", "//")):
            continue
        seen.add(url)
        assert len(seen) < MAX_URLS, "the crawl does not end"
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(url, headers=headers)
            body = response.get_data(as_text=True)
            responses.append((url, response, body))
            queue += [html.unescape(link) for link in LINK.findall(body)]
    return responses


def login(browser, user):
    response = browser.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(browser, "/login"),
        },
    )
    assert response.status_code == 303


def visible_text(body: str) -> str:
    return html.unescape(TAG.sub("", body))


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_register_canaries_never_reach_a_visitor_or_a_member(app, client, who):
    world = build_register()
    browser = app.test_client()
    secrets = list(world["secret"].values())
    if who == "member":
        login(browser, member_user())
    else:
        secrets += list(world["visible"].values())
    responses = crawl(browser, world)
    assert len(responses) >= 60
    found = []
    for url, response, body in responses:
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        text = visible_text(body) + " ".join(f"{k}: {v}" for k, v in response.headers.items())
        found += [f"{url}: {s}" for s in secrets if s in body or s in text]
    assert not found, "register data leaked:\n" + "\n".join(found)
    if who == "member":  # controls: the crawl saw what a member may see
        crawled = " ".join(visible_text(body) for _, _, body in responses)
        assert world["visible"]["active"] in crawled
        assert world["visible"]["shared"] in crawled
        assert f"/members/{world['active'].id}" in {url for url, *_ in responses}


def test_the_register_canaries_are_really_there(app, client):
    """The board sees every canary: the crawl above looked for things that exist."""
    world = build_register()
    browser = app.test_client()
    login(browser, board_user())
    register = visible_text(browser.get("/members/register?q=Person").get_data(as_text=True))
    for name in ("applicant", "suspended", "former", "number"):
        assert world["secret"][name] in register, name
    page = visible_text(browser.get(f"/members/{world['active'].id}").get_data(as_text=True))
    for name in ("email", "phone", "reason"):
        assert world["secret"][name] in page, name
    export = browser.get("/members/export.csv").get_data(as_text=True)
    assert world["secret"]["email"] in export
