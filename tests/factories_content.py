"""Readable content test data: make_page(...), built on the real services.

    from tests.factories_content import make_page

    page = make_page(board_user, title="House rules", state="published", is_public=True)
    child = make_page(board_user, title="Safety", parent=page)

Pages are created with `portal.content.services.create_page` and moved along the workflow with
`portal.core.workflow.apply_transition` (never by setting `state`), so revisions, workflow
history, audit entries and the search index are exactly what the application would write.
Nothing is committed: the `db` fixture rolls everything back after the test.

Who does what:
- the owner creates the page when they may (board and admin may add pages anywhere; Owner,
  Contributor and Editor inside a page). A plain member may not: then `by` (default: a
  site administrator, see `factory_admin`) creates it and the page is handed to `owner`
  (`owner_id`); the first revision and the "content.created" audit entry then name `by`;
- "pending" is reached by the "submit" step, taken by the owner (the Owner may always ask for
  review of a private page);
- "published" is "submit" then "publish", the publish step taken by the owner when they hold
  Review (board, admin), otherwise by `by`.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.content import services
from portal.content.models import Page
from portal.core.security import Permission, can
from portal.core.workflow import apply_transition
from portal.extensions import db
from tests.factories import make_user

FACTORY_ADMIN = "factory.admin"

State = Literal["private", "pending", "published"]


def factory_admin() -> User:
    """The administrator that makes pages for owners who may not (created once per test)."""
    found = db.session.scalar(sa.select(User).where(User.username == FACTORY_ADMIN))
    return found or make_user(
        FACTORY_ADMIN, display_name="Factory Admin", roles={Role.MEMBER, Role.ADMIN}
    )


def make_page(
    owner: User,
    title: str = "A page",
    body: str = "Some text.",
    parent: Page | None = None,
    state: State = "private",
    is_public: bool = False,
    *,
    summary: str = "",
    kind: str = "page",
    by: User | None = None,
) -> Page:
    """A page owned by `owner`, in `state` (see the module docstring for who does each step)."""
    if state not in ("private", "pending", "published"):
        raise ValueError(f"unknown page state {state!r}")
    data = services.PageData(
        title=title, summary=summary, body=body, kind=kind, is_public=is_public
    )
    if services.can_add_page(owner, parent):
        page = services.create_page(owner, data, parent)
    else:
        page = services.create_page(by or factory_admin(), data, parent)
        page.owner_id = owner.id
        page.owner = owner
        db.session.flush()
    if state in ("pending", "published"):
        apply_transition(page, "submit", owner)
    if state == "published":
        reviewer = owner if can(owner, Permission.REVIEW, page) else (by or factory_admin())
        apply_transition(page, "publish", reviewer)
    return page
