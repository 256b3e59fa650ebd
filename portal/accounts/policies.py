"""Who may do what with accounts. Views, templates and services all use these predicates."""

from __future__ import annotations

from portal.accounts.models import Role, User


def can_manage_accounts(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.ADMIN))


def can_issue_setup_codes(user) -> bool:
    """May open the setup-code screen at all."""
    return bool(user and user.is_authenticated and user.has_role(Role.ADMIN, Role.COUNSELLOR))


def can_issue_setup_code(user, target: User) -> bool:
    """Admins for anyone; counsellors only for plain member accounts.

    A code lets its holder choose the password, so a counsellor must not be able to take over an
    account with more rights than a member's.
    """
    if can_manage_accounts(user):
        return True
    if not can_issue_setup_codes(user):
        return False
    return target.roles <= {Role.MEMBER} and target.id != user.id
