"""Paging and loading by id, the helpers every list and page shares (`core.paging`,
`core.viewhelpers`)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden, NotFound

from portal.accounts.models import User
from portal.core.db import MAX_ID
from portal.core.paging import count_rows, page_of, paginate
from portal.core.viewhelpers import item_or_404, row_or_404
from tests.factories import make_user


@pytest.mark.parametrize(
    ("total", "requested", "number", "pages"),
    [(0, 1, 1, 1), (0, 5, 1, 1), (20, 1, 1, 1), (21, 2, 2, 2), (21, 9, 2, 2), (40, 2, 2, 2)],
)
def test_page_of_counts_pages_and_shows_the_last_past_the_end(total, requested, number, pages):
    page = page_of(total, requested, 20)
    assert (page.number, page.pages, page.total) == (number, pages, total)
    assert page.offset == (number - 1) * 20


def test_paginate_counts_then_loads_the_page_in_order(db):
    for letter in "edcba":
        make_user(username=f"paged-{letter}")
    query = sa.select(User).where(User.username.like("paged-%"))
    assert count_rows(query.order_by(User.username)) == 5
    page = paginate(query, 2, 2, User.username)
    assert [u.username for u in page.items] == ["paged-c", "paged-d"]
    assert (page.number, page.pages, page.total) == (2, 3, 5)
    last = paginate(query, 99, 2, User.username)
    assert [u.username for u in last.items] == ["paged-e"] and last.number == 3


def test_row_or_404_refuses_ids_out_of_range_and_of_another_parent(db):
    user = make_user(username="loaded")
    assert row_or_404(User, user.id) is user
    assert row_or_404(User, user.id, username="loaded") is user
    for bad in (0, None, MAX_ID + 1, 10**30):
        with pytest.raises(NotFound):
            row_or_404(User, bad)
    with pytest.raises(NotFound):
        row_or_404(User, user.id, username="someone else")


def test_item_or_404_hides_what_the_viewer_may_not_see_then_asks_the_permission(app, db):
    from flask_login import login_user

    from portal.core.security import Permission
    from portal.proposals.models import Proposal
    from tests.factories_members import member_user
    from tests.factories_proposals import make_proposal

    author = member_user(username="writer")
    other = member_user(username="other")
    proposal = make_proposal(author)  # a draft: its authors only
    with app.test_request_context("/"):
        with pytest.raises(NotFound):  # nobody logged in
            item_or_404(Proposal, proposal.id)
        with pytest.raises(NotFound):
            item_or_404(Proposal, MAX_ID + 1)
    with app.test_request_context("/"):
        login_user(other)
        with pytest.raises(NotFound):
            item_or_404(Proposal, proposal.id)
    with app.test_request_context("/"):
        login_user(author)
        assert item_or_404(Proposal, proposal.id) is proposal
        with pytest.raises(Forbidden):
            item_or_404(Proposal, proposal.id, Permission.MANAGE_POLLS)
