"""Lists shown a page at a time: how many pages, which one is shown, and that page's rows.

    page = paginate(query.order_by(...), int_arg("page"), 20)
    render(..., items=page.items, page=page.number, pages=page.pages, total=page.total)

A page number past the end shows the last page; an empty list has one (empty) page. Where the
rows are counted or fetched in a way of their own, `page_of(total, requested, size)` gives the
numbers and `page.window(query)` the page's slice of a query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from portal.extensions import db


@dataclass(frozen=True)
class Page:
    number: int  # the page shown, from 1
    pages: int  # at least 1
    total: int  # rows in the whole list
    size: int  # rows per page
    items: Sequence[Any] = ()

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def window(self, query: sa.Select) -> sa.Select:
        """This page's rows of `query` (ordered by the caller)."""
        return query.limit(self.size).offset(self.offset)


def page_of(total: int, requested: int, size: int) -> Page:
    """The page `requested` of a list of `total` rows (the last one when past the end)."""
    pages = max((total + size - 1) // size, 1)
    return Page(number=min(max(requested, 1), pages), pages=pages, total=total, size=size)


def count_rows(query: sa.Select) -> int:
    """How many rows `query` selects (one COUNT statement)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )


def paginate(query: sa.Select, requested: int, size: int, *order_by) -> Page:
    """Count `query`'s rows, then load the page `requested` of it, ordered by `order_by`
    (the count is made without it): two statements."""
    page = page_of(count_rows(query), requested, size)
    ordered = query.order_by(*order_by) if order_by else query
    return replace(page, items=db.session.scalars(page.window(ordered)).all())
