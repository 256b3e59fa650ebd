"""R7 through the real routes: proxies over the cap, outside the electorate, taken back, used,
and the principal and the holder both voting (QUALITY.md R7; the service-level twin is in
tests/voting/test_polls.py).

Every request goes through a logged-in test client with its own session and CSRF token, as a
browser would send it. Each refusal is checked three ways: the status code (never a 500), the
message the person reads (in their language), and the rows (nothing half-written). At the end,
the count is checked against the frozen electorate: counted = eligible members who voted.
"""

from __future__ import annotations

import html
from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.members import bodies
from portal.members.models import Body, Member
from portal.voting.models import Ballot, CastMode, Participation, Poll, PollElector, Proxy
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user
from tests.factories_members import board_user, general_assembly, make_member
from tests.factories_voting import open_poll_for, voter

HX = {"HX-Request": "true"}


# --- Helpers ------------------------------------------------------------------------------------


@pytest.fixture()
def browser_for(app, client):
    """`browser_for(user)`: a new test client, logged in as `user` through the login form.

    Each client keeps its own cookies (session, CSRF), so several people act side by side.
    The `app` fixture has set the isolated client class these are made from."""

    def _login(user):
        other = app.test_client()
        response = other.post(
            "/login",
            data={
                "username": user.username,
                "password": PASSWORD,
                "csrf_token": csrf_token(other),
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        return other

    return _login


def post(client, path: str, data: dict, *, follow: bool = False, **headers):
    return client.post(
        path,
        data={"csrf_token": csrf_token(client, "/"), **data},
        headers=headers,
        follow_redirects=follow,
    )


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def proxies(poll: Poll) -> list[Proxy]:
    return db.session.scalars(
        sa.select(Proxy).where(Proxy.poll_id == poll.id).order_by(Proxy.id)
    ).all()


def give(client, poll: Poll, holder: Member):
    """The logged-in member gives their proxy to `holder` on the poll page (then the page)."""
    return post(client, f"/polls/{poll.id}/proxy", {"holder_id": str(holder.id)}, follow=True)


def french_voter(given: str) -> Member:
    """An active member of the general assembly whose account reads the portal in French."""
    account = make_user(locale="fr")
    member = make_member(given=given, admitted_on=date(2025, 2, 3), user=account)
    db.session.expire(member, ["user"])
    return member


def set_proxy_cap(body: Body, cap: int) -> None:
    """Change the body's proxy cap through the body service (as the command line would)."""
    bodies.update_body(
        None,
        body,
        bodies.BodyData(
            kind=body.kind,
            name=body.name or "",
            description=body.description or "",
            quorum_percent=body.quorum_percent,
            notice_days=body.notice_days,
            default_majority=body.default_majority,
            proxy_cap=cap,
            active=body.active,
        ),
    )
    assert body.proxy_cap == cap


def vote_for(client, poll: Poll, principal: Member, answer: str = "yes", **headers):
    return post(
        client, f"/polls/{poll.id}/vote", {"for": str(principal.id), "vote": answer}, **headers
    )


def vote_self(client, poll: Poll, answer: str = "yes", **headers):
    return post(client, f"/polls/{poll.id}/vote", {"vote": answer}, **headers)


def receipt_in(response) -> str:
    body = response.get_data(as_text=True)
    assert 'class="receipt-code">' in body, body[:500]
    return body.split('class="receipt-code">')[1].split("<")[0]


# --- The cap ------------------------------------------------------------------------------------


def test_proxies_up_to_the_cap_frozen_on_the_poll_then_refused_in_french(browser_for):
    holder = voter(given="Holder", family="Keller")
    first, second = voter(given="First"), voter(given="Second")
    third = french_voter("Troisième")
    fourth = voter(given="Fourth")
    assembly = general_assembly()
    set_proxy_cap(assembly, 2)
    poll = open_poll_for(holder, first, second, third, fourth)
    assert poll.proxy_cap == 2
    set_proxy_cap(assembly, 1)  # a later change of the body's rule does not touch this poll
    db.session.refresh(poll)
    assert poll.proxy_cap == 2

    for principal in (first, second):
        page = text(give(browser_for(principal.user), poll, holder))
        assert f"{holder.full_name} can now vote for you in this poll." in page
    assert [(p.principal_id, p.holder_id) for p in proxies(poll)] == [
        (first.id, holder.id),
        (second.id, holder.id),
    ]

    # The third, over the cap: refused in French, the reader's language, and nothing written.
    as_third = browser_for(third.user)
    response = post(as_third, f"/polls/{poll.id}/proxy", {"holder_id": str(holder.id)})
    assert response.status_code == 302
    page = text(as_third.get(response.headers["Location"]))
    assert f"{holder.full_name} a déjà le nombre maximum de procurations (2)." in page, (
        "the cap refusal is not shown in French"
    )
    assert "already holds" not in page
    assert len(proxies(poll)) == 2
    assert count(AuditEntry, AuditEntry.action == "proxy.given") == 2
    # The page still offers them the form: they may choose someone else.
    assert 'name="holder_id"' in page

    # A proxy taken back frees its place: the third can now give theirs.
    as_first = browser_for(first.user)
    given = proxies(poll)[0]
    response = post(as_first, f"/polls/{poll.id}/proxies/{given.id}/revoke", {}, follow=True)
    assert response.status_code == 200
    assert "You took your proxy back. You can vote yourself." in text(response)
    page = text(give(as_third, poll, holder))
    assert f"{holder.full_name} peut maintenant voter à votre place dans ce vote." in page
    in_force = [p for p in proxies(poll) if p.revoked_at is None]
    assert sorted(p.principal_id for p in in_force) == sorted([second.id, third.id])

    # Full again: the fourth is refused (in English this time).
    page = text(give(browser_for(fourth.user), poll, holder))
    assert f"{holder.full_name} already holds 2 proxies, the most allowed." in page
    assert count(Proxy, Proxy.principal_id == fourth.id) == 0

    # The holder sees one ballot form per proxy in force, and their own.
    page = text(browser_for(holder.user).get(f"/polls/{poll.id}"))
    assert f"Send the vote of {second.full_name}" in page
    assert f"Send the vote of {third.full_name}" in page
    assert f"Send the vote of {first.full_name}" not in page  # taken back
    assert "Send my vote" in page


def test_a_cap_of_zero_refuses_every_proxy(browser_for):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    set_proxy_cap(general_assembly(), 0)
    poll = open_poll_for(ada, bea)
    page = text(give(browser_for(ada.user), poll, bea))
    assert f"{bea.full_name} already holds 0 proxies, the most allowed." in page
    assert count(Proxy) == 0


# --- Outside the electorate ---------------------------------------------------------------------


def test_a_proxy_to_someone_outside_the_electorate_is_refused(browser_for):
    ada = voter(given="Ada")
    poll = open_poll_for(ada)
    outsider = voter(given="Outsider")  # admitted, but after the electorate was frozen
    assert count(PollElector, PollElector.member_id == outsider.id) == 0
    as_ada = browser_for(ada.user)

    page = text(give(as_ada, poll, outsider))
    assert f"{outsider.full_name} is not in the electorate of this poll." in page
    assert count(Proxy) == 0
    # The list of people to choose from is the frozen electorate: the outsider is not in it.
    assert f'value="{outsider.id}"' not in as_ada.get(f"/polls/{poll.id}").get_data(as_text=True)

    # A foreign or nonsense id, or oneself: a clear message, nothing written, never a 500.
    for holder_id, message in (
        ("999999", "Choose a person from the list."),
        (str(2**40), "Choose a person from the list."),
        ("abc", "Choose a person from the list."),
        (str(ada.id), "Choose another person."),
    ):
        response = post(as_ada, f"/polls/{poll.id}/proxy", {"holder_id": holder_id}, follow=True)
        assert response.status_code in (200, 400), (holder_id, response.status_code)
        if response.status_code == 200:
            assert message in text(response), holder_id
    assert count(Proxy) == 0


def test_a_principal_outside_the_electorate_cannot_give_a_proxy(browser_for):
    ada = voter(given="Ada")
    poll = open_poll_for(ada)
    outsider = voter(given="Outsider")
    as_outsider = browser_for(outsider.user)

    page = text(as_outsider.get(f"/polls/{poll.id}"))
    assert "You are not in the electorate of this vote." in page
    assert "Give my proxy" not in page
    response = post(as_outsider, f"/polls/{poll.id}/proxy", {"holder_id": str(ada.id)})
    assert response.status_code == 403
    assert count(Proxy) == 0
    # Nor can they vote, for themself or "for" a member of the electorate.
    assert vote_self(as_outsider, poll).status_code == 403
    assert vote_for(as_outsider, poll, ada).status_code == 403
    assert count(Participation) == 0 and count(Ballot) == 0


# --- Taken back, used ---------------------------------------------------------------------------


def test_a_revoked_proxy_cannot_be_used_and_the_principal_then_votes(browser_for):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    as_ada, as_bea = browser_for(ada.user), browser_for(bea.user)
    give(as_ada, poll, bea)
    (proxy,) = proxies(poll)
    assert f"Send the vote of {ada.full_name}" in text(as_bea.get(f"/polls/{poll.id}"))

    response = post(as_ada, f"/polls/{poll.id}/proxies/{proxy.id}/revoke", {}, follow=True)
    assert "You took your proxy back. You can vote yourself." in text(response)
    db.session.refresh(proxy)
    assert proxy.revoked_at is not None and proxy.used_at is None

    # The holder's page no longer offers it, and a hand-made request is refused.
    assert f"Send the vote of {ada.full_name}" not in text(as_bea.get(f"/polls/{poll.id}"))
    assert vote_for(as_bea, poll, ada).status_code == 403
    assert vote_for(as_bea, poll, ada, **HX).status_code == 403
    assert count(Participation) == 0 and count(Ballot) == 0

    # Taking it back twice: a message, not an error.
    response = post(as_ada, f"/polls/{poll.id}/proxies/{proxy.id}/revoke", {}, follow=True)
    assert "This proxy was already taken back." in text(response)

    response = vote_self(as_ada, poll, "no", **HX)
    assert response.status_code == 200 and "Your vote is recorded." in text(response)
    (participation,) = db.session.scalars(sa.select(Participation)).all()
    assert (participation.member_id, participation.mode) == (ada.id, CastMode.SELF.value)
    assert participation.cast_by_id == ada.user.id
    assert count(Ballot) == 1


def test_a_used_proxy_cannot_be_taken_back(browser_for):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    as_ada, as_bea = browser_for(ada.user), browser_for(bea.user)
    give(as_ada, poll, bea)
    (proxy,) = proxies(poll)
    response = vote_for(as_bea, poll, ada, "no", **HX)
    assert response.status_code == 200
    assert f"You voted for {ada.full_name}." in text(response)

    # Neither the principal nor the board can take it back any more.
    board = browser_for(board_user())
    for who in (as_ada, board):
        response = post(who, f"/polls/{poll.id}/proxies/{proxy.id}/revoke", {}, follow=True)
        assert response.status_code == 200
        assert "The proxy was already used to vote. It cannot be taken back." in text(response)
    db.session.refresh(proxy)
    assert proxy.used_at is not None and proxy.revoked_at is None
    assert count(AuditEntry, AuditEntry.action == "proxy.revoked") == 0
    (participation,) = db.session.scalars(sa.select(Participation)).all()
    assert (participation.member_id, participation.mode) == (ada.id, CastMode.PROXY.value)
    assert participation.cast_by_id == bea.user.id

    # Nobody else may take back somebody's proxy: it does not exist for them.
    cy = voter(given="Cy")
    response = post(browser_for(cy.user), f"/polls/{poll.id}/proxies/{proxy.id}/revoke", {})
    assert response.status_code == 404


# --- The principal and the holder both voting ---------------------------------------------------


def test_the_principal_voting_first_voids_the_proxy(browser_for):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    as_ada, as_bea = browser_for(ada.user), browser_for(bea.user)
    give(as_ada, poll, bea)
    (proxy,) = proxies(poll)

    # The principal goes past the proxy and votes: the page offers it no more, but the
    # principal's own vote is what counts (documented in services.cast_vote).
    assert vote_self(as_ada, poll, "yes").status_code == 200
    db.session.refresh(proxy)
    assert proxy.revoked_at is not None and proxy.used_at is None

    page = text(as_bea.get(f"/polls/{poll.id}"))
    assert f"Send the vote of {ada.full_name}" not in page and "Send my vote" in page
    for headers in ({}, HX):
        response = vote_for(as_bea, poll, ada, "no", **headers)
        assert response.status_code == 403
    assert count(Participation) == 1 and count(Ballot) == 1
    assert db.session.scalar(sa.select(Ballot.content)) == {"vote": "yes"}

    # The holder's own vote is untouched by all this.
    assert vote_self(as_bea, poll, "no").status_code == 200
    assert count(Participation) == 2 and count(Ballot) == 2


def test_the_holder_voting_first_then_the_principal_is_told_already_voted(browser_for):
    ada, bea = voter(given="Ada"), voter(given="Bea")
    poll = open_poll_for(ada, bea)
    as_ada, as_bea = browser_for(ada.user), browser_for(bea.user)
    give(as_ada, poll, bea)
    assert vote_for(as_bea, poll, ada, "yes", **HX).status_code == 200

    page = text(as_ada.get(f"/polls/{poll.id}"))
    assert "You have voted. Thank you." in page and "Send my vote" not in page
    for headers in (HX, {}):
        response = vote_self(as_ada, poll, "no", **headers)
        assert response.status_code == 409, response.status_code
        assert "You have already voted in this poll." in text(response)
    # The holder cannot use the proxy twice either.
    assert vote_for(as_bea, poll, ada, "no", **HX).status_code == 403
    assert count(Participation) == 1 and count(Ballot) == 1
    assert db.session.scalar(sa.select(Ballot.content)) == {"vote": "yes"}


# --- The count ------------------------------------------------------------------------------------


def test_after_the_close_counted_equals_the_eligible_members_who_voted(browser_for):
    """Every case above in one poll, then closed through the board's button: the tally's
    participation is the weight of the distinct electors who voted, once each."""
    holder, kept, revoked, first, used = (
        voter(given=name) for name in ("Holder", "Kept", "Revoked", "First", "Used")
    )
    idle = voter(given="Idle")  # in the electorate, never votes
    poll = open_poll_for(holder, kept, revoked, first, used, idle)
    set_proxy_cap(general_assembly(), 5)  # after the opening: the poll keeps its cap of 1
    late = voter(given="Late")  # outside the electorate
    client = {m.id: browser_for(m.user) for m in (holder, kept, revoked, first, used, late)}
    electorate = dict(
        db.session.execute(
            sa.select(PollElector.member_id, PollElector.weight).where(
                PollElector.poll_id == poll.id
            )
        ).all()
    )
    assert set(electorate) == {m.id for m in (holder, kept, revoked, first, used, idle)}

    # Proxies: `used` -> holder (the cap of 1 is reached), `kept` -> `first` (not over anyone's
    # cap), `revoked` -> `first` refused (cap 1), so `revoked` gives to `used`, then takes it back;
    # `late` (outside) cannot give one.
    give(client[used.id], poll, holder)
    give(client[kept.id], poll, first)
    page = text(give(client[revoked.id], poll, holder))
    assert f"{holder.full_name} already holds 1 proxies, the most allowed." in page
    give(client[revoked.id], poll, used)
    assert (
        post(client[late.id], f"/polls/{poll.id}/proxy", {"holder_id": str(holder.id)}).status_code
        == 403
    )
    revoked_proxy = db.session.scalar(sa.select(Proxy).where(Proxy.principal_id == revoked.id))
    post(client[revoked.id], f"/polls/{poll.id}/proxies/{revoked_proxy.id}/revoke", {})
    assert count(Proxy, Proxy.revoked_at.is_(None)) == 2

    statuses = [
        vote_for(client[holder.id], poll, used, "yes", **HX).status_code,  # 200: proxy used
        vote_self(client[holder.id], poll, "yes", **HX).status_code,  # 200: the holder
        vote_for(client[used.id], poll, revoked, "no", **HX).status_code,  # 403: taken back
        vote_self(client[used.id], poll, "no", **HX).status_code,  # 409: voted by proxy
        vote_self(client[kept.id], poll, "no", **HX).status_code,  # 200: voids the proxy
        vote_for(client[first.id], poll, kept, "yes", **HX).status_code,  # 403: voided
        vote_self(client[revoked.id], poll, "abstain", **HX).status_code,  # 200
        vote_self(client[late.id], poll, "yes", **HX).status_code,  # 403: outside
        vote_for(client[late.id], poll, idle, "yes", **HX).status_code,  # 403: no proxy
        vote_self(client[kept.id], poll, "yes", **HX).status_code,  # 409: twice
    ]
    assert statuses == [200, 200, 403, 409, 200, 403, 200, 403, 403, 409]

    board = browser_for(board_user())
    response = post(board, f"/polls/{poll.id}/step", {"transition": "close"}, follow=True)
    assert "Done. The poll is now: Closed." in text(response)
    db.session.refresh(poll)
    assert poll.state == "closed"

    voted = set(db.session.scalars(sa.select(Participation.member_id)))
    assert voted == {used.id, holder.id, kept.id, revoked.id}
    assert voted <= set(electorate) and late.id not in voted and idle.id not in voted
    participations = count(Participation, Participation.poll_id == poll.id)
    assert participations == len(voted)  # one per member: nobody twice
    assert count(Ballot, Ballot.poll_id == poll.id) == participations
    assert poll.result["participation"] == sum(electorate[m] for m in voted)
    assert poll.result["counts"] == {"yes": 2, "no": 1, "abstain": 1}
    assert db.session.scalar(
        sa.select(sa.func.sum(Ballot.weight)).where(Ballot.poll_id == poll.id)
    ) == sum(electorate[m] for m in voted)

    # The results page names exactly those who voted, and the turnout says the same.
    page = text(board.get(f"/polls/{poll.id}/results"))
    who = page.split('id="voters-title"')[1]
    for member in (used, holder, kept, revoked):
        assert member.given_name in who
    for member in (idle, late, first):
        assert member.given_name not in who
    turnout = text(board.get(f"/polls/{poll.id}/turnout"))
    assert f"{len(voted)} of {len(electorate)}" in turnout
