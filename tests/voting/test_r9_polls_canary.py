"""R9 for polls: a poll being prepared or cancelled, and any result of an open poll, never reach
a visitor or an ordinary member. The poll list, every poll page, fragment, turnout, results and
export address is crawled; controls prove the crawl saw the open and closed polls."""

from __future__ import annotations

import html
import re
import uuid

import pytest

from portal.voting import services
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import factory_board, member_user
from tests.factories_voting import make_poll, open_poll_for, vote, voter

LINK = re.compile(r'(?:href|hx-get)="(/[^"]*)"')
TAG = re.compile(r"<[^>]*>")


def key() -> str:
    return uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))


def build():
    k = key()
    canary = f"CANARY{k}"
    ada, bea = voter(given="Ada"), voter(given="Bea")
    draft = make_poll(title=f"{canary} draft", question=f"{canary} question")
    cancelled = make_poll(title=f"{canary} cancelled")
    services.open_poll(factory_board(), cancelled)
    services.cancel_poll(factory_board(), cancelled, f"{canary} reason")
    open_poll = open_poll_for(
        ada, bea, title=f"OPEN{k}", method="single", options=(f"Lead{k}", f"Trail{k}")
    )
    vote(open_poll, ada, {"choice": f"Lead{k}"})
    closed = open_poll_for(ada, bea, title=f"CLOSED{k}")
    vote(closed, bea, {"vote": "yes"})
    services.close_poll(factory_board(), closed)
    return canary, k, [draft, cancelled, open_poll, closed]


def crawl(browser, polls):
    queue = ["/polls/", "/polls/?state=draft", "/polls/?state=cancelled", "/"]
    for poll in polls:
        queue += [
            f"/polls/{poll.id}",
            f"/polls/{poll.id}/turnout",
            f"/polls/{poll.id}/results",
            f"/polls/{poll.id}/results.csv",
            f"/polls/{poll.id}/ballots.json",
            f"/polls/{poll.id}/edit",
        ]
    seen, out = set(), []
    while queue and len(seen) < 300:
        url = queue.pop(0)
        if url in seen or url.startswith("/static") or not url.startswith(("/polls", "/")):
            continue
        if not url.startswith("/polls") and url != "/":
            continue
        seen.add(url)
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(url, headers=headers)
            body = response.get_data(as_text=True)
            out.append((url, response.status_code, body))
            queue += [html.unescape(link) for link in LINK.findall(body)]
    return out


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_prepared_cancelled_and_open_results_never_leak(app, client, who):
    canary, k, polls = build()
    browser = app.test_client()
    if who == "member":
        person = member_user()
        browser.post(
            "/login",
            data={
                "username": person.username,
                "password": PASSWORD,
                "csrf_token": csrf_token(browser, "/login"),
            },
        )
    responses = crawl(browser, polls)
    leaks = []
    for url, status, body in responses:
        assert status < 500, url
        text = html.unescape(TAG.sub(" ", body))
        if canary in body or canary in text:
            leaks.append(f"{url}: canary")
        if f"/polls/{polls[2].id}/results" in url and "Votes per answer" in text:
            leaks.append(f"{url}: results of an open poll")
    assert not leaks, leaks
    text = " ".join(html.unescape(TAG.sub(" ", body)) for _, _, body in responses)
    if who == "member":
        assert f"OPEN{k}" in text and f"CLOSED{k}" in text  # controls
        assert "Votes per answer" in text  # the closed poll's results were crawled
    else:
        assert f"OPEN{k}" not in text  # visitors see no poll at all
