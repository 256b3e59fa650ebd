"""Workflows of meetings and of their minutes (data, like every workflow of the portal).

Meeting: planned → convened → in session → closed, or cancelled (with a reason) once convened
and before the session. A planned meeting was never announced: it is deleted, not cancelled
(`services.delete_planned_meeting`), so that a cancelled meeting, which every member reads, is
never the board's draft. `convene` is taken by `services.convene_meeting` only, because it checks the body's
notice period and sends the convocation with it; the status box does not offer it.

Minutes: draft → submitted → approved → published; submitted minutes may be sent back to draft
(with a reason). `approve` is taken by a service only: it links the approving decision (a board
poll, or an item of a later meeting). Published minutes are read by every member, and by anyone
when marked public.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import AUTHENTICATED, DynamicRole, GlobalRole, Permission
from portal.core.workflow import State, Transition, Workflow

P = Permission
OWNER, PUBLIC = DynamicRole.OWNER, DynamicRole.PUBLIC
BOARD, ADMIN = GlobalRole.BOARD, GlobalRole.ADMIN

# Steps taken only by services, because they go with other writes (see the module docstring).
MEETING_SERVICE_STEPS = frozenset({"convene"})
MINUTES_SERVICE_STEPS = frozenset({"approve"})


def roles(*names) -> frozenset[str]:
    return frozenset(str(name) for name in names)


# --- Meetings -------------------------------------------------------------------------------------

_MEMBERS_READ = {P.VIEW: roles(AUTHENTICATED)}

PLANNED = State(
    "planned",
    _l("Planned"),
    {
        P.VIEW: roles(OWNER, BOARD, ADMIN),
        P.EDIT: roles(OWNER, BOARD),
        P.MANAGE_MEETINGS: roles(BOARD),
    },
    _l("The board prepares the date, the place and the agenda. Members are not told yet."),
)
CONVENED = State(
    "convened",
    _l("Convened"),
    {**_MEMBERS_READ, P.EDIT: roles(OWNER, BOARD), P.MANAGE_MEETINGS: roles(BOARD)},
    _l("The members received the convocation. The agenda can still be completed."),
)
IN_SESSION = State(
    "in_session",
    _l("In session"),
    {**_MEMBERS_READ, P.MANAGE_MEETINGS: roles(BOARD), P.CHECK_IN: roles(AUTHENTICATED)},
    _l("The meeting is taking place. Members say they are here with the meeting's code."),
)
CLOSED = State(
    "closed",
    _l("Closed"),
    {**_MEMBERS_READ, P.MANAGE_MEETINGS: roles(BOARD)},
    _l("The meeting is over. The minutes tell what was decided."),
)
CANCELLED = State(
    "cancelled",
    _l("Cancelled"),
    dict(_MEMBERS_READ),
    _l("The meeting will not take place. The reason is in the last steps."),
)

MEETING_WORKFLOW = Workflow(
    name="meeting",
    initial="planned",
    states={s.name: s for s in (PLANNED, CONVENED, IN_SESSION, CLOSED, CANCELLED)},
    transitions={
        t.name: t
        for t in (
            Transition(
                "convene",
                _l("Convene the members"),
                frozenset({"planned"}),
                "convened",
                P.MANAGE_MEETINGS,
            ),
            Transition(
                "open_session",
                _l("Open the session"),
                frozenset({"convened"}),
                "in_session",
                P.MANAGE_MEETINGS,
            ),
            Transition(
                "close_session",
                _l("Close the session"),
                frozenset({"in_session"}),
                "closed",
                P.MANAGE_MEETINGS,
            ),
            Transition(
                "cancel",
                _l("Cancel the meeting"),
                frozenset({"convened"}),
                "cancelled",
                P.MANAGE_MEETINGS,
                comment_required=True,
            ),
        )
    },
)


# --- Minutes --------------------------------------------------------------------------------------

MINUTES_DRAFT = State(
    "draft",
    _l("Draft"),
    {
        P.VIEW: roles(OWNER, BOARD, ADMIN),
        P.EDIT: roles(OWNER, BOARD),
        P.VIEW_HISTORY: roles(OWNER, BOARD, ADMIN),
        P.REQUEST_REVIEW: roles(OWNER, BOARD),
    },
    _l("The secretary writes the minutes. Only the board reads them."),
)
MINUTES_SUBMITTED = State(
    "submitted",
    _l("Submitted for approval"),
    {
        P.VIEW: roles(OWNER, BOARD, ADMIN),
        P.VIEW_HISTORY: roles(OWNER, BOARD, ADMIN),
        P.REVIEW: roles(BOARD),
    },
    _l("The minutes wait for their approval by a board vote or at the next meeting."),
)
MINUTES_APPROVED = State(
    "approved",
    _l("Approved"),
    {
        P.VIEW: roles(OWNER, BOARD, ADMIN),
        P.VIEW_HISTORY: roles(OWNER, BOARD, ADMIN),
        P.REVIEW: roles(BOARD),
    },
    _l("The minutes are approved. Publish them so that the members can read them."),
)
MINUTES_PUBLISHED = State(
    "published",
    _l("Published"),
    {
        P.VIEW: roles(AUTHENTICATED, PUBLIC),
        P.VIEW_HISTORY: roles(BOARD, ADMIN),
    },
    _l("Every member can read the minutes (and anyone, when they are public)."),
)


def _approval_linked(minutes, actor) -> object | None:
    if minutes.approval_poll_id is not None or minutes.approval_item_id is not None:
        return None
    return _l("Say which decision approved the minutes: a board vote or an agenda item.")


MINUTES_WORKFLOW = Workflow(
    name="minutes",
    initial="draft",
    states={
        s.name: s for s in (MINUTES_DRAFT, MINUTES_SUBMITTED, MINUTES_APPROVED, MINUTES_PUBLISHED)
    },
    transitions={
        t.name: t
        for t in (
            Transition(
                "submit",
                _l("Submit for approval"),
                frozenset({"draft"}),
                "submitted",
                P.REQUEST_REVIEW,
            ),
            Transition(
                "send_back",
                _l("Send back to the secretary"),
                frozenset({"submitted"}),
                "draft",
                P.REVIEW,
                comment_required=True,
            ),
            Transition(
                "approve",
                _l("Record the approval"),
                frozenset({"submitted"}),
                "approved",
                P.REVIEW,
                guard=_approval_linked,
            ),
            Transition(
                "publish",
                _l("Publish"),
                frozenset({"approved"}),
                "published",
                P.REVIEW,
            ),
        )
    },
)
