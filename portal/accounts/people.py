"""Finding people to share an item with: the directory the shared sharing screens use."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.viewhelpers import like_pattern
from portal.extensions import db


def find(search: str, limit: int = 10) -> list[User]:
    """Active accounts whose name or username contains `search`, by name."""
    like = like_pattern(search)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.active.is_(True))
            .where(
                sa.or_(
                    sa.func.lower(User.display_name).like(like, escape="\\"),
                    User.username.like(like, escape="\\"),
                )
            )
            .order_by(sa.func.lower(User.display_name))
            .limit(limit)
        ).all()
    )


def by_id(ids: Iterable[int]) -> dict[int, User]:
    """The accounts with these ids, by id (one statement; none for no ids)."""
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids))).all()}


def get(user_id: int) -> User | None:
    return db.session.get(User, user_id)
