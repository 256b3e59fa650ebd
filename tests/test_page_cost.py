"""Page cost (QUALITY.md): the main list and detail pages run as many SQL statements on a
dataset five times larger as on a small one, for a board member and for an ordinary member.

The data grows in every direction a page could loop over: members (in every college, with and
without an account, applicants, board mandates), proposals (in every state, some adopted and
followed up), polls (open, closed, named and secret) with their ballots, proxies and supports,
news pages, committees, and the lifecycle events and mandates of the member whose profile is read.
Detail pages are read on an object that has grown with the data: the poll opened last has the
whole electorate, the proposal read has a support and a new version per unit of data.

Each page is requested once before counting, so per-process caches do not count. The figures on
a large dataset (and server time) come from `bench/page_cost.py`. Bodies grow as well (a
committee with its chair per unit).
"""

from __future__ import annotations

import collections
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from portal.accounts.models import Role
from portal.members import bodies
from portal.members.models import Member
from portal.proposals import services as proposals
from portal.voting import services as voting
from portal.voting.models import CastMode
from tests.factories_content import factory_admin, make_page
from tests.factories_members import (
    board_body,
    factory_board,
    general_assembly,
    make_mandate,
    make_member,
    member_with_login,
    membership_step,
)
from tests.factories_proposals import make_proposal
from tests.factories_voting import make_poll, open_poll_for, vote
from tests.test_query_counts import count_statements

SMALL, LARGE = 1, 5  # units of data: the large dataset is five times the small one
ADMITTED_ON = date(2025, 2, 3)
_unit_numbers = itertools.count(1)


@dataclass
class Dataset:
    """The viewers, and what grows: the units added so far and the people who can vote."""

    board: Member
    reader: Member
    committee: object  # a committee made with the viewers, for when bodies do not grow
    voters: list[Member] = field(default_factory=list)  # members with a login
    units: int = 0


def answer(index: int) -> dict:
    return {"vote": ("yes", "no", "abstain", "yes")[index % 4]}


def add_unit(data: Dataset) -> None:
    """One unit of data: 5 members, 4 proposals, 3 polls with ballots, supports, mandates,
    a news page and a committee with its chair."""
    n = next(_unit_numbers)
    data.units += 1
    with_login = [
        member_with_login(given=f"Voter{n}a", family="Vandermeer", team="Kitchen"),
        member_with_login(given=f"Voter{n}b", family="Okafor", category="staff", team="Garden"),
    ]
    data.voters.extend(with_login)
    make_member(given=f"Helper{n}", category="volunteer", admitted_on=ADMITTED_ON, phone="+33 6 00")
    make_member(given=f"Applicant{n}", category="supporter")  # not admitted yet
    board_seat = make_member(given=f"Seat{n}", category="worker", admitted_on=ADMITTED_ON)
    make_mandate(board_seat, board_body(), "member")
    extra = bodies.create_body(None, bodies.BodyData(kind="committee", name=f"Committee {n}"))
    make_mandate(board_seat, extra, "chair")
    committee = data.committee
    make_mandate(with_login[1], committee, "member")
    make_page(factory_admin(), title=f"Van news {n}", kind="news", state="published")

    author = with_login[0].user
    make_proposal(author, title=f"Van draft {n}")  # only its author sees it
    make_proposal(author, "submitted", title=f"Van idea {n}", body_id=committee.id)
    supported = make_proposal(author, "support", title=f"Van for the garden {n}")
    for supporter in data.voters[-6:]:
        proposals.support_proposal(supporter.user, supported)
    adopted = make_proposal(author, "vote", title=f"Van for the kitchen {n}")
    for index, member in enumerate(data.voters[-4:]):
        vote(adopted.poll, member, {"vote": "yes" if index % 3 else "no"})
    voting.close_poll(factory_board(), adopted.poll)
    proposals.settle_vote(factory_board(), adopted)

    # Polls: one left open with ballots and a proxy used, one closed and named.
    still_open = open_poll_for(title=f"Van colour {n}", quorum_percent=0)
    voting.give_proxy(with_login[0].user, still_open, with_login[0], with_login[1])
    vote(still_open, with_login[0], {"vote": "no"}, by=with_login[1].user, mode=CastMode.PROXY)
    for index, member in enumerate(data.voters[-5:-2]):
        vote(still_open, member, answer(index))
    named = open_poll_for(
        title=f"Van driver {n}", method="single", options=("Ana", "Bo"), secret=False
    )
    for index, member in enumerate(data.voters[-4:]):
        vote(named, member, {"choice": ("Ana", "Bo")[index % 2]})
    voting.close_poll(factory_board(), named)
    make_poll(title=f"Van route {n}")  # a draft: only the board sees it


@dataclass
class Subjects:
    """The objects whose pages are read, made after the data grew so that they grew with it."""

    paths: dict[str, str]


def make_subjects(data: Dataset) -> Subjects:
    n = data.units
    others = list(data.voters)
    # An open poll: the whole electorate, every voter but the viewers has voted; the reader
    # holds one proxy, the board member gave one.
    open_poll = open_poll_for(title=f"Open van poll {n}")
    giver = others[-1]
    voting.give_proxy(giver.user, open_poll, giver, data.reader)
    voting.give_proxy(data.board.user, open_poll, data.board, others[-2])
    for index, member in enumerate(others[:-2]):
        vote(open_poll, member, answer(index))
    # A closed poll: everyone voted, the viewers too.
    closed = open_poll_for(title=f"Closed van poll {n}", quorum_percent=0)
    for index, member in enumerate([*others, data.reader, data.board]):
        vote(closed, member, answer(index))
    voting.close_poll(factory_board(), closed)
    # A proposal open for support: a support and a new version per unit; the reader supports.
    owner = others[0].user
    supported = make_proposal(owner, title=f"Van to read {n}")
    for unit in range(n):  # edited while a draft: the authors' versions
        proposals.update_proposal(
            owner,
            supported,
            supported.version,
            proposals.ProposalData(
                title=f"Van to read {n}",
                summary=f"We buy a van (version {unit + 2}).",
                what_changes="Fewer trips by bus.",
                body="## Why\n\nThe team loses an hour a day on the bus.",
            ),
        )
    proposals.transition_proposal(owner, supported, "submit")
    proposals.transition_proposal(factory_board(), supported, "open_support")
    for member in [*others[: 3 * n], data.reader]:
        proposals.support_proposal(member.user, supported)
    # A proposal whose vote is closed, not yet recorded (the board sees the button).
    voted = make_proposal(owner, "vote", title=f"Van voted {n}")
    for index, member in enumerate([*others, data.reader]):
        vote(voted.poll, member, answer(index))
    voting.close_poll(factory_board(), voted.poll)
    # A member with a longer life: one suspension and a mandate per unit.
    profile = make_member(given=f"Profile{n}", admitted_on=ADMITTED_ON, team="Kitchen")
    day = date(2025, 3, 1)
    for unit in range(n):
        membership_step(profile, "suspend", on=day + timedelta(days=4 * unit))
        membership_step(profile, "reinstate", on=day + timedelta(days=4 * unit + 1))
    for unit in range(n):  # earlier mandates ended; the last one runs
        starts_on = date(2025, 6, 1) + timedelta(days=10 * unit)
        ends_on = None if unit == n - 1 else starts_on + timedelta(days=5)
        make_mandate(profile, data.committee, "member", starts_on=starts_on, ends_on=ends_on)
    return Subjects(
        {
            "proposals list": "/proposals/",
            "proposal open for support": f"/proposals/{supported.id}",
            "proposal with a closed vote": f"/proposals/{voted.id}",
            "polls list": "/polls/",
            "poll page, open": f"/polls/{open_poll.id}",
            "poll page, closed": f"/polls/{closed.id}",
            "results page": f"/polls/{closed.id}/results",
            "members register": "/members/register",
            "members directory": "/members/",
            "member profile": f"/members/{profile.id}",
            "bodies list": "/bodies/",
            "body page, general assembly": f"/bodies/{general_assembly().id}",
            "body page, board": f"/bodies/{board_body().id}",
            "home": "/",
            "search": "/search?q=van",
        }
    )


PAGES = [
    "proposals list",
    "proposal open for support",
    "proposal with a closed vote",
    "polls list",
    "poll page, open",
    "poll page, closed",
    "results page",
    "members register",
    "members directory",
    "member profile",
    "bodies list",
    "body page, general assembly",
    "body page, board",
    "home",
    "search",
]
BOARD_ONLY = {"members register"}
# Bodies grow too (a committee per unit): the bodies list counts every electorate in one
# statement and finds every chair in another. Out of reach of data this small: the general
# assembly's page lists at most 500 names and loads no account with them (bench/page_cost.py
# shows it on 10,000 members).


def measure(db, client, subjects: Subjects, pages) -> dict[str, tuple[int, list[str]]]:
    """Per page: the count of `count_statements`, and the statements' text (for a failure
    message; recorded by a second listener on the same requests)."""
    results = {}
    for name in pages:
        path = subjects.paths[name]
        client.get(path)  # once first: caches filled per process do not count
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany, seen=seen):
            text = re.sub(r"sa_savepoint_\d+", "sa_savepoint_N", " ".join(statement.split()))
            seen.append(text[:200])

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            number = count_statements(db, client, path)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        results[name] = (number, seen)
    return results


def growth_report(small, large, title: str) -> str:
    """Which pages grew, and the statements that ran more often on the larger data."""
    lines = [title]
    for name in small:
        (few, before), (many, after) = small[name], large[name]
        if few == many:
            continue
        lines.append(f"- {name}: {few} -> {many} statements")
        extra = collections.Counter(after) - collections.Counter(before)
        for statement, times in extra.most_common(4):
            lines.append(f"    +{times} x {statement}")
    return "\n".join(lines)


@pytest.fixture()
def dataset(db) -> Dataset:
    board = member_with_login(given="Bertille", family="Board", roles=(Role.BOARD,))
    make_mandate(board, board_body(), "chair")
    reader = member_with_login(given="Rosalind", family="Reader")
    committee = bodies.create_body(
        None, bodies.BodyData(kind="committee", name="Garden committee", proxy_cap=1)
    )
    make_mandate(reader, committee, "chair")
    return Dataset(board=board, reader=reader, committee=committee)


def grow_and_measure(db, client, data: Dataset, pages):
    for _ in range(SMALL):
        add_unit(data)
    small = measure(db, client, make_subjects(data), pages)
    for _ in range(LARGE - SMALL):
        add_unit(data)
    large = measure(db, client, make_subjects(data), pages)
    return small, large


def assert_same_counts(small, large, title: str) -> None:
    few = {name: number for name, (number, _statements) in small.items()}
    many = {name: number for name, (number, _statements) in large.items()}
    assert few == many, growth_report(small, large, title)


@pytest.mark.parametrize("viewer", ["board", "reader"])
def test_statements_per_page_do_not_grow_with_the_data(db, client, login_as, dataset, viewer):
    login_as(getattr(dataset, viewer).user)
    pages = [name for name in PAGES if viewer == "board" or name not in BOARD_ONLY]
    small, large = grow_and_measure(db, client, dataset, pages)
    assert_same_counts(small, large, f"statements per page grew with the data x{LARGE} ({viewer}):")
