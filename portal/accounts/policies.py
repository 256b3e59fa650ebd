"""Who may do what with accounts: named predicates over `core.security.can`.

The rules are data: the site-wide permissions in `core.security` and, for one account, the
permissions of its state in `workflow.py` (a plain member account, or one with more rights).
Views, templates and services all use these predicates.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.security import Permission, allowed_clause, can

P = Permission


def can_manage_accounts(user) -> bool:
    return can(user, P.MANAGE_ACCOUNTS)


def can_issue_setup_codes(user) -> bool:
    """May open the setup-code screen at all."""
    return can(user, P.ISSUE_SETUP_CODES)


def can_issue_setup_code(user, target: User) -> bool:
    """Admins for anyone; counsellors only for plain member accounts.

    A code lets its holder choose the password, so a counsellor must not be able to take over an
    account with more rights than a member's (their own account, which holds the counsellor role,
    is not a plain one either).
    """
    return can(user, P.ISSUE_SETUP_CODES, target)


def setup_code_accounts_clause(user) -> sa.ColumnElement[bool]:
    """SQL: the accounts `user` may print a setup code for (the twin of `can_issue_setup_code`)."""
    return allowed_clause(user, User, P.ISSUE_SETUP_CODES)
