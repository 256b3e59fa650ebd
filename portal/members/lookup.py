"""The member of an account: read once per request, for every domain that asks "who is this?"."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import lazyload

from portal.extensions import db
from portal.members.models import Member


def member_of(user) -> Member | None:
    """The user's member record, read once per request (a vote asks for it three times)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache = g.setdefault("_member_of", {}) if has_request_context() else {}
    if user.id not in cache:
        # The account is the user in hand: no need to join it (and reload its roles).
        cache[user.id] = db.session.scalar(
            sa.select(Member).where(Member.user_id == user.id).options(lazyload(Member.user))
        )
    return cache[user.id]


def forget_member_of() -> None:
    """Call after linking or unlinking an account, so the same request sees the change."""
    if has_request_context():
        g.pop("_member_of", None)
