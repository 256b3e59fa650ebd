"""Listing pages run a fixed number of SQL statements, whatever the number of items."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from portal.accounts.models import Role
from portal.content import services
from portal.core.security import LocalRole, grant_local_role
from portal.core.workflow import apply_transition
from tests.factories import make_user


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
