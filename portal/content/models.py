"""Pages and news items: Markdown text, nesting, workflow, sharing, revisions."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.workflow import PAGE_WORKFLOW
from portal.core.db import TimestampMixin
from portal.core.history import Versioned
from portal.core.security import DynamicRole, Securable, register_content_type
from portal.extensions import db


class PageKind(StrEnum):
    PAGE = "page"
    NEWS = "news"


@register_content_type
class Page(Securable, Versioned, TimestampMixin, db.Model):
    """A page (statutes, house rules, guides) or a news item. Pages may contain pages."""

    __tablename__ = "pages"
    content_type = "page"
    workflow = PAGE_WORKFLOW
    versioned_fields = ("title", "summary", "body")

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pages.id", ondelete="RESTRICT"), index=True
    )
    security_path: Mapped[str] = mapped_column(sa.String(500), index=True, default="")
    kind: Mapped[str] = mapped_column(sa.String(10), default=PageKind.PAGE.value)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[str] = mapped_column(sa.String(30), default=PAGE_WORKFLOW.initial, index=True)
    is_public: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    parent: Mapped[Page | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)
    owner = relationship("User", lazy="joined")

    __table_args__ = (sa.CheckConstraint("kind IN ('page', 'news')", name="known_kind"),)

    def __repr__(self) -> str:
        return f"<Page {self.id} {self.title!r} {self.state}>"

    def dynamic_roles(self, user) -> set[str]:
        roles = set()
        if self.is_public:
            roles.add(DynamicRole.PUBLIC.value)
        if getattr(user, "is_authenticated", False) and self.owner_id == user.id:
            roles.add(DynamicRole.OWNER.value)
        return roles

    @classmethod
    def dynamic_role_clauses(cls, user) -> dict[str, sa.ColumnElement[bool]]:
        clauses = {DynamicRole.PUBLIC.value: cls.is_public.is_(True)}
        if getattr(user, "is_authenticated", False):
            clauses[DynamicRole.OWNER.value] = cls.owner_id == user.id
        return clauses
