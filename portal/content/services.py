"""Page services: create, edit (with revisions and conflict detection), move along the workflow.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.content.models import Page, PageKind
from portal.core import audit, history
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import Permission, can
from portal.core.workflow import item_saved
from portal.extensions import db

MAX_TITLE, MAX_SUMMARY, MAX_BODY = 200, 300, 100_000
MAX_DEPTH = 8


@dataclass(frozen=True)
class PageData:
    title: str
    summary: str = ""
    body: str = ""
    kind: str = PageKind.PAGE.value
    is_public: bool = False


def _clean(data: PageData) -> PageData:
    title = " ".join((data.title or "").split())
    if not title:
        raise DomainError(_l("Give the page a title."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(
            _l("The title is too long (at most %(n)d characters).", n=MAX_TITLE), field="title"
        )
    summary = " ".join((data.summary or "").split())
    if len(summary) > MAX_SUMMARY:
        raise DomainError(
            _l("The summary is too long (at most %(n)d characters).", n=MAX_SUMMARY),
            field="summary",
        )
    body = (data.body or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise DomainError(
            _l("The text is too long (at most %(n)d characters).", n=MAX_BODY), field="body"
        )
    if data.kind not in {k.value for k in PageKind}:
        raise DomainError(_l("Choose one of the answers in the list."), field="kind")
    return PageData(title, summary, body, data.kind, bool(data.is_public))


def can_add_page(user, parent: Page | None) -> bool:
    return (
        can(user, Permission.ADD_CONTENT, parent) if parent else can(user, Permission.ADD_CONTENT)
    )


def create_page(actor, data: PageData, parent: Page | None = None) -> Page:
    """Create a private page (inside `parent` when given); the actor becomes its owner.

    Raises NotAllowed without Add content (site-wide, or on the parent), DomainError on bad data.
    """
    if not can_add_page(actor, parent):
        raise NotAllowed(_l("You cannot add a page here."))
    data = _clean(data)
    if parent is not None and len(parent.path_keys()) >= MAX_DEPTH:
        raise DomainError(_l("Pages cannot be nested this deep."))
    page = Page(
        parent_id=parent.id if parent else None,
        kind=data.kind,
        title=data.title,
        summary=data.summary,
        body=data.body,
        is_public=data.is_public,
        owner_id=actor.id,
    )
    db.session.add(page)
    db.session.flush()
    page.security_path = (parent.security_path if parent else "/") + f"{page.object_key}/"
    db.session.flush()
    history.first_revision(page, actor)
    audit.record(actor, "content.created", f"{page.object_key} created", object_key=page.object_key)
    item_saved.send(page)
    return page


def update_page(actor, page: Page, base_version: int, data: PageData):
    """Save a new version of the page's text.

    Raises NotAllowed without Edit; EditConflict (409) when someone saved since `base_version`;
    DomainError on bad data. Returns the new revision, or None when nothing changed.
    """
    if not can(actor, Permission.EDIT, page):
        raise NotAllowed(_l("You cannot edit this page."))
    data = _clean(data)
    if page.is_public != data.is_public or page.kind != data.kind:
        if base_version != page.version:
            raise history.EditConflict(
                history.latest_revision(page),
                {"title": data.title, "summary": data.summary, "body": data.body},
            )
        audit.record(
            actor,
            "content.settings",
            f"{page.object_key}: public={data.is_public}, kind={data.kind}",
            object_key=page.object_key,
            is_public=data.is_public,
            kind=data.kind,
        )
        page.is_public, page.kind = data.is_public, data.kind
    revision = history.save_revision(
        page, actor, base_version, {"title": data.title, "summary": data.summary, "body": data.body}
    )
    item_saved.send(page)
    return revision


def revert_page(actor, page: Page, version: int):
    """Bring back an earlier version as a new one. Raises NotAllowed without Edit."""
    if not can(actor, Permission.EDIT, page):
        raise NotAllowed(_l("You cannot edit this page."))
    revision = history.revert(page, actor, version)
    if revision is None and history.get_revision(page, version) is None:
        raise DomainError(_l("This version does not exist."))
    item_saved.send(page)
    return revision


def children_of(user, page: Page | None, limit: int = 100) -> list[Page]:
    from portal.core.security import allowed_clause

    query = sa.select(Page).where(allowed_clause(user, Page, Permission.VIEW))
    query = (
        query.where(Page.parent_id == page.id) if page else query.where(Page.parent_id.is_(None))
    )
    return db.session.scalars(query.order_by(sa.func.lower(Page.title)).limit(limit)).all()


def latest_news(user, limit: int = 5) -> list[Page]:
    """The newest published news the user may read (for the home page)."""
    from portal.core.security import allowed_clause

    return db.session.scalars(
        sa.select(Page)
        .where(
            Page.kind == PageKind.NEWS.value,
            Page.state == "published",
            allowed_clause(user, Page, Permission.VIEW),
        )
        .order_by(Page.updated_at.desc(), Page.id.desc())
        .limit(limit)
    ).all()
