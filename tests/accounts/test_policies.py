"""Who may manage accounts and print setup codes: the predicates over `core.security.can`.

An account is "plain" (the member role only) or "with_rights" (any other role): administrators
act on every account, counsellors print setup codes for plain member accounts only.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from portal.accounts import policies
from portal.accounts.models import Role, User
from portal.extensions import db
from tests.factories import make_user


def person(*roles: Role, **kwargs) -> User:
    return make_user(roles=set(roles), password=None, **kwargs)


def no_role() -> User:
    """An account whose last role was taken away (accounts are created with one at least)."""
    user = person(Role.MEMBER)
    user.role_grants = []
    db.session.flush()
    return user


@pytest.fixture()
def accounts(db):
    return {
        "member": person(Role.MEMBER),
        "no role": no_role(),
        "board": person(Role.MEMBER, Role.BOARD),
        "trainer": person(Role.MEMBER, Role.TRAINER),
        "counsellor": person(Role.MEMBER, Role.COUNSELLOR),
        "admin": person(Role.MEMBER, Role.ADMIN),
        "disabled member": person(Role.MEMBER, active=False),
    }


PLAIN = {"member", "no role", "disabled member"}


def test_the_state_of_an_account_follows_from_its_roles(accounts):
    for name, user in accounts.items():
        assert user.state == ("plain" if name in PLAIN else "with_rights"), name
    ids = {user.id: name for name, user in accounts.items()}
    in_sql = dict(db.session.execute(sa.select(User.id, User.state).where(User.id.in_(ids))).all())
    assert {ids[i]: state for i, state in in_sql.items()} == {
        name: user.state for name, user in accounts.items()
    }


@pytest.mark.parametrize(
    ("actor", "manage", "codes"),
    [
        ("member", False, False),
        ("board", False, False),
        ("trainer", False, False),
        ("counsellor", False, True),
        ("admin", True, True),
    ],
)
def test_site_wide_predicates(accounts, actor, manage, codes):
    user = accounts[actor]
    assert policies.can_manage_accounts(user) is manage
    assert policies.can_issue_setup_codes(user) is codes


@pytest.mark.parametrize("visitor", [None, AnonymousUserMixin()])
def test_visitors_may_do_nothing(accounts, visitor):
    assert not policies.can_manage_accounts(visitor)
    assert not policies.can_issue_setup_codes(visitor)
    assert not any(policies.can_issue_setup_code(visitor, t) for t in accounts.values())


@pytest.mark.parametrize(
    ("actor", "targets"),
    [
        (
            "admin",
            {"member", "no role", "board", "trainer", "counsellor", "admin", "disabled member"},
        ),
        ("counsellor", PLAIN),  # never an account with more rights, their own included
        ("trainer", set()),
        ("board", set()),
        ("member", set()),
    ],
)
def test_setup_codes_admins_for_anyone_counsellors_for_plain_members(accounts, actor, targets):
    user = accounts[actor]
    allowed = {name for name, t in accounts.items() if policies.can_issue_setup_code(user, t)}
    assert allowed == targets
    listed = set(
        db.session.scalars(
            sa.select(User.id).where(
                User.id.in_([t.id for t in accounts.values()]),
                policies.setup_code_accounts_clause(user),
            )
        )
    )
    assert listed == {accounts[name].id for name in targets}


def test_a_counsellor_loses_the_right_once_the_target_gets_a_role(accounts):
    counsellor, target = accounts["counsellor"], accounts["member"]
    assert policies.can_issue_setup_code(counsellor, target)
    target.role_grants.append(type(target.role_grants[0])(role=Role.TRAINER.value))
    db.session.flush()
    assert not policies.can_issue_setup_code(counsellor, target)
    assert policies.can_issue_setup_code(accounts["admin"], target)
