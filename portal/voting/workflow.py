"""The poll workflow: draft → open → closed, or cancelled.

Opening snapshots the electorate (`services.open_poll`); closing makes the results and the list
of who voted visible. Who may vote is decided by the snapshot, not by a role: the `Vote`
permission only says that voting happens while the poll is open.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import AUTHENTICATED, DynamicRole, GlobalRole, Permission
from portal.core.workflow import State, Transition, Workflow

P = Permission
OWNER = DynamicRole.OWNER
BOARD, ADMIN = GlobalRole.BOARD, GlobalRole.ADMIN


def roles(*names) -> frozenset[str]:
    return frozenset(str(name) for name in names)


DRAFT = State(
    "draft",
    _l("Being prepared"),
    {
        P.VIEW: roles(OWNER, BOARD, ADMIN),
        P.EDIT: roles(OWNER, BOARD),
        P.MANAGE_POLLS: roles(BOARD),
    },
    _l("The question and the choices can still change. Nobody votes yet."),
)
OPEN = State(
    "open",
    _l("Open for votes"),
    {
        P.VIEW: roles(AUTHENTICATED),
        P.VOTE: roles(AUTHENTICATED),
        P.MANAGE_POLLS: roles(BOARD),
    },
    _l("The members of the electorate can vote. Results come after the close."),
)
CLOSED = State(
    "closed",
    _l("Closed"),
    {
        P.VIEW: roles(AUTHENTICATED),
        P.VIEW_RESULTS: roles(AUTHENTICATED),
    },
    _l("Voting is over. The results are shown."),
)
CANCELLED = State(
    "cancelled",
    _l("Cancelled"),
    {
        P.VIEW: roles(OWNER, BOARD, ADMIN),
    },
    _l("The poll was stopped. Nothing is counted."),
)

POLL_WORKFLOW = Workflow(
    name="poll",
    initial="draft",
    states={s.name: s for s in (DRAFT, OPEN, CLOSED, CANCELLED)},
    transitions={
        t.name: t
        for t in (
            Transition("open", _l("Open the vote"), frozenset({"draft"}), "open", P.MANAGE_POLLS),
            Transition(
                "close", _l("Close the vote"), frozenset({"open"}), "closed", P.MANAGE_POLLS
            ),
            Transition(
                "cancel",
                _l("Cancel"),
                frozenset({"draft", "open"}),
                "cancelled",
                P.MANAGE_POLLS,
                comment_required=True,
            ),
        )
    },
)
