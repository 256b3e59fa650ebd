"""Version history: every save of a versioned item is a revision; diffs; revert; 409 on conflict.

A versioned model has a `version` counter (SQLAlchemy's version_id_col, so the UPDATE itself
checks it) and lists its `versioned_fields`. `save_revision` takes the version the editor
started from: if someone saved in between, it raises `EditConflict` carrying the other change,
and nothing is written.
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from portal.core import audit
from portal.core.db import UTCDateTime, utcnow
from portal.core.errors import Conflict
from portal.extensions import db


class Versioned:
    """Mixin: a `version` counter and the list of fields kept in each revision."""

    versioned_fields: ClassVar[tuple[str, ...]]
    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        # Every UPDATE says "WHERE version = <the version we read>": a concurrent save makes it
        # match no row (StaleDataError) instead of silently overwriting. We set the new value
        # ourselves, so only saves of the text count as versions (not workflow steps).
        return {"version_id_col": cls.version, "version_id_generator": False}

    def snapshot(self) -> dict[str, str]:
        return {
            name: "" if getattr(self, name) is None else str(getattr(self, name))
            for name in self.versioned_fields
        }


class Revision(db.Model):
    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_key: Mapped[str] = mapped_column(sa.String(80))
    version: Mapped[int]
    data: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author = sa.orm.relationship("User", lazy="joined")

    __table_args__ = (sa.UniqueConstraint("object_key", "version"),)

    def __repr__(self) -> str:
        return f"<Revision {self.object_key} v{self.version}>"

    @property
    def fields(self) -> dict[str, str]:
        return json.loads(self.data)


class EditConflict(Conflict):
    """Someone saved first. Carries their revision so the page can show their change."""

    def __init__(self, theirs: Revision | None, mine: dict[str, str]):
        super().__init__(
            _l(
                "Someone saved a change while you were editing. Look at their change below, then save again."
            )
        )
        self.theirs = theirs
        self.mine = mine


def _record(obj: Versioned, actor, note: str) -> Revision:
    revision = Revision(
        object_key=obj.object_key,  # type: ignore[attr-defined]
        version=obj.version,
        data=json.dumps(obj.snapshot(), ensure_ascii=False, sort_keys=True),
        author_id=getattr(actor, "id", None),
        note=note[:300],
    )
    db.session.add(revision)
    return revision


def first_revision(obj: Versioned, actor) -> Revision:
    """Call once, after the item is created and flushed."""
    revision = _record(obj, actor, "created")
    db.session.flush()
    return revision


def latest_revision(obj: Versioned) -> Revision | None:
    return db.session.scalar(
        sa.select(Revision)
        .where(Revision.object_key == obj.object_key)
        .order_by(Revision.version.desc())
        .limit(1)  # type: ignore[attr-defined]
    )


def save_revision(
    obj: Versioned, actor, base_version: int, changes: dict[str, object], note: str = ""
) -> Revision | None:
    """Apply `changes` made from `base_version` and record a revision.

    Returns None when nothing changed. Raises EditConflict when the item moved on since
    `base_version` (also when a concurrent request wins the race at the UPDATE itself).
    """
    if base_version != obj.version:
        raise EditConflict(latest_revision(obj), {k: str(v) for k, v in changes.items()})
    if all(getattr(obj, name) == value for name, value in changes.items()):
        return None
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.version = base_version + 1
    try:
        db.session.flush()  # UPDATE … WHERE version = base_version
    except sa.orm.exc.StaleDataError as error:  # the caller rolls back, as for any DomainError
        raise EditConflict(None, {k: str(v) for k, v in changes.items()}) from error
    revision = _record(obj, actor, note)
    audit.record(
        actor,
        "content.saved",
        f"{obj.object_key} saved as version {obj.version}",
        object_key=obj.object_key,
        version=obj.version,
    )  # type: ignore[attr-defined]
    db.session.flush()
    return revision


def revisions_of(obj: Versioned) -> list[Revision]:
    return db.session.scalars(
        sa.select(Revision)
        .where(Revision.object_key == obj.object_key)
        .order_by(Revision.version.desc())  # type: ignore[attr-defined]
    ).all()


def get_revision(obj: Versioned, version: int) -> Revision | None:
    return db.session.scalar(
        sa.select(Revision).where(
            Revision.object_key == obj.object_key, Revision.version == version
        )  # type: ignore[attr-defined]
    )


def revert(obj: Versioned, actor, version: int) -> Revision | None:
    """Bring back the text of `version` as a new revision (history is never rewritten)."""
    old = get_revision(obj, version)
    if old is None:
        return None
    fields = {name: value for name, value in old.fields.items() if name in obj.versioned_fields}
    return save_revision(obj, actor, obj.version, fields, note=f"reverted to version {version}")


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A line diff as (kind, text) pairs; kind is "same", "added" or "removed"."""
    rows: list[tuple[str, str]] = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "  ":
            rows.append(("same", text))
        elif tag == "+ ":
            rows.append(("added", text))
        elif tag == "- ":
            rows.append(("removed", text))
    return rows


def diff_fields(old: dict[str, str], new: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Per field, its line diff; fields that did not change are left out."""
    return {
        name: diff_lines(old.get(name, ""), new.get(name, ""))
        for name in sorted(set(old) | set(new))
        if old.get(name, "") != new.get(name, "")
    }
