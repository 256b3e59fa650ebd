"""The named predicates that replaced `user.has_role(...)` tests in views and services give the
same answer as those tests, for every set of roles, active or disabled (issue 13, one permission
model). Who holds them is pinned in tests/core/permissions_matrix.txt (site-wide)."""

from __future__ import annotations

from itertools import combinations

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from portal.accounts import policies as account_policies
from portal.accounts.models import Role, User, UserRole
from portal.core.security import Permission, can
from portal.integration import policies
from tests.factories import make_user

ROLE_SETS = [
    frozenset(combo) for size in range(1, len(Role) + 1) for combo in combinations(list(Role), size)
]


def everyone() -> list[User]:
    return [
        make_user(roles=roles, password=None, active=active)
        for roles in ROLE_SETS
        for active in (True, False)
    ]


def test_integration_site_predicates_match_the_role_tests_they_replace(db):
    for user in [*everyone(), None, AnonymousUserMixin()]:
        logged_in = user is not None and getattr(user, "is_authenticated", False) and user.active
        roles = user.roles if logged_in else set()
        label = (sorted(roles), logged_in)
        # views.index: the list of the people one follows, and the list of all pathways.
        follows = bool(roles & {Role.COUNSELLOR, Role.TRAINER})
        assert policies.can_follow_people(user) is follows, label
        assert policies.can_list_all_pathways(user) is (Role.ADMIN in roles), label
        # views.new_pathway: a counsellor follows the pathway they open.
        assert policies.opens_as_counsellor(user) is (Role.COUNSELLOR in roles), label
        # export.exporter_for: an administrator exports a member who has no record.
        assert policies.can_export_without_record(user) is (Role.ADMIN in roles), label


def test_members_rules_match_the_role_tests_they_replace(db):
    """For an active account, the same answer; a disabled one never gets that far: the service
    refuses it first (Manage members, Print welcome sheets, which need an active account)."""
    plain, with_rights = make_user(password=None), make_user(roles={Role.ADMIN}, password=None)
    for actor in everyone():
        if not actor.active:
            assert not can(actor, Permission.MANAGE_MEMBERS)
            assert not can(actor, Permission.PRINT_WELCOME_SHEETS)
            continue
        # services.create_member / csvio: only the board admits a member on entry.
        assert can(actor, Permission.DECIDE_MEMBERSHIP) is actor.has_role(Role.BOARD)
        # services.issue_welcome_code: only an administrator, for an account with more rights.
        for account in (plain, with_rights):
            assert can(actor, Permission.MANAGE_ACCOUNTS, account) is actor.has_role(Role.ADMIN)


@pytest.mark.parametrize("roles", [{Role.ADMIN}, {Role.COUNSELLOR}, {Role.ADMIN, Role.COUNSELLOR}])
def test_setup_code_list_clause_matches_the_former_query(db, roles):
    """accounts.views.list_setup_codes: administrators list every account, counsellors the plain
    member accounts only."""
    viewer = make_user(roles=roles, password=None)
    for role_set in ROLE_SETS:
        make_user(roles=role_set, password=None)
    active = sa.select(User.id).where(User.active.is_(True))
    former = active
    if not account_policies.can_manage_accounts(viewer):
        former = former.where(~User.role_grants.any(UserRole.role != Role.MEMBER.value))
    expected = set(db.session.scalars(former))
    assert expected and (Role.ADMIN in roles or len(expected) < len(ROLE_SETS))
    now = active.where(account_policies.setup_code_accounts_clause(viewer))
    assert set(db.session.scalars(now)) == expected
