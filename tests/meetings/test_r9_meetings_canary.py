"""R9 for meetings: a meeting being planned, and minutes that are not published (draft
or submitted), never reach a visitor or an ordinary member — not in the meetings list,
a meeting page or its fragments, its .ics file, a member's calendar feed, the decisions
register or its CSV, nor in search. Published minutes for members only never reach a visitor.
Controls prove the crawl saw the convened meeting and (for members) the published minutes."""

from __future__ import annotations

import html
import re
import uuid

import pytest

from portal.core.security import Permission, can
from portal.meetings import minutes as minutes_services
from portal.meetings import services as meeting_services
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import factory_board, general_assembly
from tests.factories_voting import voter

LINK = re.compile(r'(?:href|hx-get)="(/[^"]*)"')
TAG = re.compile(r"<[^>]*>")


def key() -> str:
    return uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


def closed_with_minutes(k: str, label: str, text: str):
    meeting = make_meeting(general_assembly(), state="closed", days_ahead=-10, title=f"{label}{k}")
    add_item(meeting, f"Accounts {label}{k}", kind="decision")
    board = factory_board()
    minutes = minutes_services.start_minutes(board, meeting)
    minutes_services.save_notes(board, minutes, minutes.version, f"{text} notes")
    section = minutes.sections[0]
    minutes_services.save_section(
        board, section, section.version, f"{text} discussion", f"{text} decision"
    )
    return meeting, minutes


def build():
    k = key()
    # Words apart, so that search finds them by the key alone (a query is echoed on its page).
    canary, members_only = f"CANARY-{k}", f"MEMBERS-{k}"
    reader = voter(given="Rosalind")
    board = factory_board()
    planned = make_meeting(
        general_assembly(),
        title=f"{canary} planned",
        description=f"{canary} description",
        place=f"{canary} place",
    )
    add_item(planned, f"{canary} item", kind="decision")
    convened = make_meeting(general_assembly(), state="convened", title=f"CONVENED{k}")
    add_item(convened, f"Budget CONVENED{k}")
    _draft_meeting, _draft = closed_with_minutes(k, "DRAFTED", canary)
    _submitted_meeting, submitted = closed_with_minutes(k, "SUBMITTED", canary)
    minutes_services.submit_minutes(board, submitted)
    _published_meeting, published = closed_with_minutes(k, "PUBLISHED", members_only)
    minutes_services.submit_minutes(board, published)
    later = make_meeting(general_assembly(), state="closed", days_ahead=-1, title=f"LATER{k}")
    approval = add_item(later, "Minutes of the last meeting", kind="decision")
    minutes_services.approve_minutes(board, published, item=approval)
    minutes_services.publish_minutes(board, published, public=False)
    assert can(reader.user, Permission.VIEW, published)
    assert not can(reader.user, Permission.VIEW, submitted)
    feed = meeting_services.create_calendar_token(reader.user)
    meetings = [planned, convened, _draft_meeting, _submitted_meeting, _published_meeting, later]
    return canary, members_only, k, reader, feed, meetings, [_draft, submitted, published]


def crawl(browser, meetings, minutes, feed, k):
    queue = [
        "/",
        "/meetings/",
        "/meetings/decisions/",
        "/meetings/decisions/export.csv",
        f"/meetings/calendar/{feed}.ics",
        f"/search?q={k}",
        f"/search?q={k}+notes",
        f"/search?q={k}+discussion",
    ]
    for meeting in meetings:
        base = f"/meetings/{meeting.id}"
        queue += [base, f"{base}/agenda", f"{base}/attendance", f"{base}/session"]
        queue += [f"{base}/quorum", f"{base}/session/queue", f"{base}/meeting.ics"]
    for item in minutes:
        queue += [f"/meetings/minutes/{item.id}", f"/meetings/minutes/{item.id}/history"]
    seen, out = set(), []
    while queue and len(seen) < 400:
        url = queue.pop(0)
        if url in seen or not url.startswith(("/meetings", "/search", "/")):
            continue
        if url.startswith("/static") or url.endswith(".pdf") or "/logout" in url:
            continue
        if not url.startswith(("/meetings", "/search")) and url != "/":
            continue
        seen.add(url)
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(url, headers=headers)
            body = response.get_data(as_text=True)
            out.append((url, response.status_code, body))
            queue += [html.unescape(link) for link in LINK.findall(body)]
    return out


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_planned_meetings_and_unpublished_minutes_never_leak(app, client, who):
    canary, members_only, k, reader, feed, meetings, minutes = build()
    browser = app.test_client()
    if who == "member":
        response = browser.post(
            "/login",
            data={
                "username": reader.user.username,
                "password": PASSWORD,
                "csrf_token": csrf_token(browser, "/login"),
            },
        )
        assert response.status_code == 303
    responses = crawl(browser, meetings, minutes, feed, k)
    leaks = []
    for url, status, body in responses:
        assert status < 500, url
        text = html.unescape(TAG.sub("", body))  # search highlighting cannot split a canary
        if canary in body or canary in text:
            leaks.append(f"{url}: canary")
        if who == "visitor" and (members_only in body or members_only in text):
            leaks.append(f"{url}: members' minutes to a visitor")
    assert not leaks, leaks
    text = " ".join(html.unescape(TAG.sub("", body)) for _, _, body in responses)
    assert f"CONVENED{k}" in text  # control: the feed (visitor) and the pages saw it
    if who == "member":
        assert f"{members_only} discussion" in text  # the published minutes were read
        found = " ".join(body for url, _, body in responses if url.startswith("/search"))
        assert members_only in html.unescape(TAG.sub("", found))  # and search finds them
