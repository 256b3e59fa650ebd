"""Who may do what with an account, as data: the permissions of its two states.

An account is "plain" while it holds the member role only, "with_rights" once it holds any
other role (board, trainer, counsellor, admin): the state follows from its roles. Administrators
manage every account and print setup codes for anyone; counsellors print setup codes for plain
member accounts only, since a code lets its holder choose the password: a counsellor must not be
able to take over an account with more rights than a member's (their own included).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import GlobalRole, Permission
from portal.core.workflow import State, Workflow

P = Permission
ADMIN, COUNSELLOR = GlobalRole.ADMIN.value, GlobalRole.COUNSELLOR.value

PLAIN, WITH_RIGHTS = "plain", "with_rights"

ACCOUNT_WORKFLOW = Workflow(
    name="account",
    initial=PLAIN,
    states={
        PLAIN: State(
            PLAIN,
            _l("Member account"),
            {
                P.MANAGE_ACCOUNTS: frozenset({ADMIN}),
                P.ISSUE_SETUP_CODES: frozenset({ADMIN, COUNSELLOR}),
            },
            _l("The account holds the member role only."),
        ),
        WITH_RIGHTS: State(
            WITH_RIGHTS,
            _l("Account with more rights"),
            {
                P.MANAGE_ACCOUNTS: frozenset({ADMIN}),
                P.ISSUE_SETUP_CODES: frozenset({ADMIN}),
            },
            _l("The account holds another role than member."),
        ),
    },
)
