"""The membership lifecycle: applicant → active → suspended → ended, and readmission.

The statutes give these decisions to the board: only the board role holds "Decide membership".
Every step needs a reason and an effective date (see `services.change_membership`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import AUTHENTICATED, DynamicRole, GlobalRole, Permission
from portal.core.workflow import State, Transition, Workflow

P = Permission
SELF = DynamicRole.SELF
BOARD, ADMIN, COUNSELLOR = GlobalRole.BOARD, GlobalRole.ADMIN, GlobalRole.COUNSELLOR


def roles(*names) -> frozenset[str]:
    return frozenset(str(name) for name in names)


KEEPERS = roles(SELF, BOARD, ADMIN, COUNSELLOR)  # the person, the board, support, admins


def _state(name, title, description, *, directory: bool, welcome: bool, ended: bool = False):
    permissions_view = roles(SELF, BOARD, ADMIN) if ended else KEEPERS
    permissions = {
        P.VIEW: permissions_view,
        P.VIEW_PROFILE: roles(AUTHENTICATED) if directory else permissions_view,
        P.VIEW_HISTORY: roles(SELF, BOARD, ADMIN) if ended else KEEPERS,
        P.EDIT: roles(BOARD, ADMIN),
        P.EDIT_PREFERENCES: roles(BOARD, ADMIN) if ended else roles(SELF, BOARD, ADMIN),
        P.DECIDE_MEMBERSHIP: roles(BOARD),
    }
    if welcome:
        permissions[P.PRINT_WELCOME_SHEETS] = roles(BOARD, ADMIN, COUNSELLOR)
    return State(name, title, permissions, description)


APPLICANT = _state(
    "applicant",
    _l("Applicant"),
    _l("Has asked to become a member. The board decides."),
    directory=False,
    welcome=True,
)
ACTIVE = _state(
    "active",
    _l("Member"),
    _l("A member: votes in the bodies of their college."),
    directory=True,
    welcome=True,
)
SUSPENDED = _state(
    "suspended",
    _l("Suspended"),
    _l("The membership is paused: no vote until the board reinstates it."),
    directory=False,
    welcome=False,
)
ENDED = _state(
    "ended",
    _l("Former member"),
    _l("The membership has ended. The board can readmit."),
    directory=False,
    welcome=False,
    ended=True,
)


def _needs_category(member, _actor):
    if member.category_id is None:
        return _l("Choose the member's college first (edit the member).")
    return None


MEMBERSHIP_WORKFLOW = Workflow(
    name="membership",
    initial="applicant",
    states={s.name: s for s in (APPLICANT, ACTIVE, SUSPENDED, ENDED)},
    transitions={
        t.name: t
        for t in (
            Transition(
                "admit",
                _l("Admit"),
                frozenset({"applicant"}),
                "active",
                P.DECIDE_MEMBERSHIP,
                guard=_needs_category,
                comment_required=True,
            ),
            Transition(
                "refuse",
                _l("Refuse"),
                frozenset({"applicant"}),
                "ended",
                P.DECIDE_MEMBERSHIP,
                comment_required=True,
            ),
            Transition(
                "suspend",
                _l("Suspend"),
                frozenset({"active"}),
                "suspended",
                P.DECIDE_MEMBERSHIP,
                comment_required=True,
            ),
            Transition(
                "reinstate",
                _l("Reinstate"),
                frozenset({"suspended"}),
                "active",
                P.DECIDE_MEMBERSHIP,
                guard=_needs_category,
                comment_required=True,
            ),
            Transition(
                "end",
                _l("End membership"),
                frozenset({"active", "suspended"}),
                "ended",
                P.DECIDE_MEMBERSHIP,
                comment_required=True,
            ),
            Transition(
                "readmit",
                _l("Readmit"),
                frozenset({"ended"}),
                "active",
                P.DECIDE_MEMBERSHIP,
                guard=_needs_category,
                comment_required=True,
            ),
        )
    },
)
