"""The page workflow: private → pending review → published, with withdraw, reject and retract."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import AUTHENTICATED, DynamicRole, GlobalRole, LocalRole, Permission
from portal.core.workflow import State, Transition, Workflow

P = Permission
OWNER, PUBLIC = DynamicRole.OWNER, DynamicRole.PUBLIC
READER, CONTRIBUTOR, EDITOR, REVIEWER = (
    LocalRole.READER,
    LocalRole.CONTRIBUTOR,
    LocalRole.EDITOR,
    LocalRole.REVIEWER,
)
BOARD, ADMIN = GlobalRole.BOARD, GlobalRole.ADMIN


def roles(*names) -> frozenset[str]:
    return frozenset(str(name) for name in names)


PRIVATE = State(
    "private",
    _l("Private"),
    {
        P.VIEW: roles(OWNER, READER, CONTRIBUTOR, EDITOR, ADMIN),
        P.EDIT: roles(OWNER, EDITOR, ADMIN),
        P.ADD_CONTENT: roles(OWNER, CONTRIBUTOR, EDITOR, ADMIN),
        P.REQUEST_REVIEW: roles(OWNER, EDITOR, ADMIN),
        P.REVIEW: roles(ADMIN),
        P.MANAGE_SHARING: roles(OWNER, ADMIN),
        P.VIEW_HISTORY: roles(OWNER, EDITOR, ADMIN),
    },
    _l("Only the author and the people it is shared with can see it."),
)
PENDING = State(
    "pending",
    _l("Waiting for review"),
    {
        P.VIEW: roles(OWNER, READER, CONTRIBUTOR, EDITOR, REVIEWER, BOARD, ADMIN),
        P.EDIT: roles(EDITOR, REVIEWER, ADMIN),
        P.ADD_CONTENT: roles(OWNER, CONTRIBUTOR, EDITOR, ADMIN),
        P.REQUEST_REVIEW: roles(OWNER, EDITOR, ADMIN),
        P.REVIEW: roles(REVIEWER, BOARD, ADMIN),
        P.MANAGE_SHARING: roles(OWNER, ADMIN),
        P.VIEW_HISTORY: roles(OWNER, EDITOR, REVIEWER, BOARD, ADMIN),
    },
    _l("A reviewer checks it before it is published."),
)
PUBLISHED = State(
    "published",
    _l("Published"),
    {
        P.VIEW: roles(AUTHENTICATED, PUBLIC),
        P.EDIT: roles(EDITOR, ADMIN),
        P.ADD_CONTENT: roles(OWNER, CONTRIBUTOR, EDITOR, ADMIN),
        P.REVIEW: roles(REVIEWER, BOARD, ADMIN),
        P.MANAGE_SHARING: roles(OWNER, ADMIN),
        P.VIEW_HISTORY: roles(OWNER, EDITOR, REVIEWER, BOARD, ADMIN),
    },
    _l("Members can read it. Visitors too, when it is marked public."),
)

PAGE_WORKFLOW = Workflow(
    name="page",
    initial="private",
    states={s.name: s for s in (PRIVATE, PENDING, PUBLISHED)},
    transitions={
        t.name: t
        for t in (
            Transition(
                "submit", _l("Ask for review"), frozenset({"private"}), "pending", P.REQUEST_REVIEW
            ),
            Transition(
                "withdraw", _l("Take back"), frozenset({"pending"}), "private", P.REQUEST_REVIEW
            ),
            Transition(
                "publish", _l("Publish"), frozenset({"private", "pending"}), "published", P.REVIEW
            ),
            Transition(
                "reject",
                _l("Send back"),
                frozenset({"pending"}),
                "private",
                P.REVIEW,
                comment_required=True,
            ),
            Transition("retract", _l("Unpublish"), frozenset({"published"}), "private", P.REVIEW),
        )
    },
)
