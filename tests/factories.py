"""Readable test data: make_user(...)."""

from __future__ import annotations

import itertools

from portal.accounts import services
from portal.accounts.models import Role, User
from portal.extensions import db

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def make_user(
    username: str | None = None,
    *,
    display_name: str | None = None,
    email: str | None = None,
    locale: str | None = None,
    roles: set[Role] | frozenset[Role] = frozenset({Role.MEMBER}),
    password: str | None = PASSWORD,
    active: bool = True,
) -> User:
    number = next(_sequence)
    username = username or f"person{number}"
    user = services.create_user(
        None,
        services.AccountData(
            username=username,
            display_name=display_name or f"Person {number}",
            email=email,
            locale=locale,
            roles=frozenset(roles),
        ),
        password=password,
    )
    user.active = active
    db.session.flush()
    return user


def service_accepts(service, *args) -> bool:
    """Would `service(*args)` go through? Tried in a savepoint: nothing of it is kept. For tests
    that check a page offers an action exactly when its service takes it."""
    from portal.core.errors import DomainError

    savepoint = db.session.begin_nested()
    try:
        service(*args)
    except DomainError:
        return False
    finally:
        savepoint.rollback()
        db.session.expire_all()
    return True
