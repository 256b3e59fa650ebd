"""The poll workflow: draft → open → closed, or cancelled.

Opening snapshots the electorate (`services.open_poll`); closing makes the results and the list
of who voted visible. Who may vote is decided by the snapshot, not by a role: the `Vote`
permission only says that voting happens while the poll is open.

A practice vote ("practice — not counted") opened in a training session is run by its author
(Owner), who is a trainer and not on the board: `Run sessions` on a poll, held by Owner while it
is prepared or open, is the permission of the three practice steps (open, close, cancel), whose
guard refuses any poll that is not practice (and the board, which takes the usual steps). It
gives nothing on a real poll: no other step or page of a poll asks for it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import AUTHENTICATED, DynamicRole, GlobalRole, Permission, can
from portal.core.workflow import State, Transition, Workflow

P = Permission
OWNER = DynamicRole.OWNER
BOARD, ADMIN = GlobalRole.BOARD, GlobalRole.ADMIN
# The permission of a practice vote's steps (see the module's docstring).
RUN_PRACTICE = P.RUN_SESSIONS


def roles(*names) -> frozenset[str]:
    return frozenset(str(name) for name in names)


DRAFT = State(
    "draft",
    _l("Being prepared"),
    {
        P.VIEW: roles(OWNER, BOARD, ADMIN),
        P.EDIT: roles(OWNER, BOARD),
        P.MANAGE_POLLS: roles(BOARD),
        RUN_PRACTICE: roles(OWNER),
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
        RUN_PRACTICE: roles(OWNER),
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


def _practice_only(poll, actor) -> object | None:
    """The practice steps: a practice vote only, run by its author when not on the board."""
    if not poll.practice:
        return _l("Only a practice vote is run this way.")
    if can(actor, P.MANAGE_POLLS, poll):
        return _l("The board takes the usual steps.")
    return None


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
            Transition(
                "open_practice",
                _l("Open the practice vote"),
                frozenset({"draft"}),
                "open",
                RUN_PRACTICE,
                guard=_practice_only,
            ),
            Transition(
                "close_practice",
                _l("Close the practice vote"),
                frozenset({"open"}),
                "closed",
                RUN_PRACTICE,
                guard=_practice_only,
            ),
            Transition(
                "cancel_practice",
                _l("Cancel the practice vote"),
                frozenset({"draft", "open"}),
                "cancelled",
                RUN_PRACTICE,
                guard=_practice_only,
                comment_required=True,
            ),
        )
    },
)
