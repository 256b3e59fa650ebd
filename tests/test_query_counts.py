"""Listing pages run a fixed number of SQL statements, whatever the number of items."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from portal.accounts.models import Role
from portal.content import services
from portal.core.security import LocalRole, grant_local_role
from portal.core.workflow import apply_transition
from portal.voting import services as services_voting
from tests.factories import make_user
from tests.factories_members import (
    board_body,
    board_user,
    general_assembly,
    make_mandate,
    make_member,
)
from tests.factories_proposals import make_proposal
from tests.factories_voting import open_poll_for, voter


def count_statements(db, client, path):
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, path
    return len(statements)


def add_pages(author, number, reviewer):
    for index in range(number):
        page = services.create_page(
            author,
            services.PageData(
                f"Page {index}",
                "summary",
                "Some words about work.",
                "news" if index % 3 else "page",
                bool(index % 2),
            ),
        )
        if index % 2:
            apply_transition(page, "publish", author)
        elif index % 5 == 0:
            grant_local_role(author, page, reviewer, LocalRole.READER.value)


@pytest.mark.parametrize("path", ["/pages/", "/pages/?kind=news", "/", "/search?q=work"])
def test_listing_statements_do_not_grow_with_items(db, client, login_as, path):
    author = make_user(roles={Role.MEMBER, Role.ADMIN})
    reader = make_user()
    login_as(reader)
    add_pages(author, 3, reader)
    few = count_statements(db, client, path)
    add_pages(author, 40, reader)
    many = count_statements(db, client, path)
    assert many == few, f"{path}: {few} statements with few pages, {many} with many"


def add_members(number, body):
    for index in range(number):
        member = make_member(
            given=f"Person{index}",
            category=("worker", "staff", "volunteer")[index % 3],
            admitted_on=date(2025, 2, 3),
            team=("Kitchen", "Cleaning")[index % 2],
            contact_consent=bool(index % 2),
            phone="+33 6 00 00 00 00",
        )
        if index % 4 == 0:
            make_mandate(member, body, "member", starts_on=date(2025, 3, 1))


@pytest.mark.parametrize(
    "path",
    [
        "/members/",
        "/members/?q=person",
        "/members/register",
        "/bodies/",
        "/bodies/{board}",
        "/bodies/{ga}",
    ],
)
def test_register_listings_do_not_grow_with_members(db, client, login_as, path):
    login_as(board_user())
    board, ga = board_body(), general_assembly()
    path = path.format(board=board.id, ga=ga.id)
    add_members(4, board)
    few = count_statements(db, client, path)
    add_members(36, board)
    many = count_statements(db, client, path)
    assert many == few, f"{path}: {few} statements with few members, {many} with many"


@pytest.mark.parametrize("path", ["/proposals/", "/polls/"])
def test_proposal_and_poll_listings_do_not_grow(db, client, login_as, path):
    reader = voter(given="Reader")
    login_as(reader.user)

    def add(number):
        for index in range(number):
            make_proposal(reader.user, state="support" if index % 2 else "submitted")
            poll = open_poll_for(reader, title=f"Poll {index}")
            if index % 3 == 0:
                services_voting.cast_vote(reader.user, poll, reader, {"vote": "yes"})

    add(3)
    few = count_statements(db, client, path)
    add(12)
    many = count_statements(db, client, path)
    assert many == few, f"{path}: {few} statements with few items, {many} with many"
