"""The proposal workflow: draft → submitted → open for support → in vote → adopted / rejected.

Side branches: the author withdraws before the vote; the board rejects before the vote (with a
reason); the board archives what is finished. The board may schedule a vote directly from
"submitted". Three steps are taken only by services, because they go with other writes:
`schedule_vote` (with the poll `services.start_vote` creates and opens) and `adopt` /
`reject_by_vote` (from the closed poll's verdict, `services.settle_vote`). Their guards make
sure they cannot be taken otherwise.

Supporting uses the `Vote` permission: in the "support" state, logged-in people may support;
the service then checks that they are in the body's electorate today.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.security import AUTHENTICATED, DynamicRole, GlobalRole, LocalRole, Permission
from portal.core.workflow import State, Transition, Workflow

P = Permission
OWNER = DynamicRole.OWNER
READER, EDITOR = LocalRole.READER, LocalRole.EDITOR
BOARD, ADMIN = GlobalRole.BOARD, GlobalRole.ADMIN

# Taken by services only (see the module docstring); the status box does not offer them.
SERVICE_STEPS = frozenset({"schedule_vote", "adopt", "reject_by_vote"})


def roles(*names) -> frozenset[str]:
    return frozenset(str(name) for name in names)


# Once submitted, every logged-in member may read a proposal and its history: decisions are
# made in the open. Before that, only its authors (and the people it is shared with).
_PUBLIC_READ = {
    P.VIEW: roles(AUTHENTICATED),
    P.VIEW_HISTORY: roles(AUTHENTICATED),
    P.MANAGE_SHARING: roles(OWNER, ADMIN),
    P.MODERATE: roles(BOARD, ADMIN),
}
# While a proposal is discussed: members comment and the board may answer.
_DISCUSSED = {**_PUBLIC_READ, P.COMMENT: roles(AUTHENTICATED), P.ANSWER: roles(BOARD)}
# Before the vote, anyone may propose a change to the text; the authors accept or decline it,
# and the board may put it to a vote instead (Review).
_AMENDABLE = {
    **_DISCUSSED,
    P.AMEND: roles(AUTHENTICATED),
    P.DECIDE_AMENDMENTS: roles(OWNER, EDITOR),
}

DRAFT = State(
    "draft",
    _l("Draft"),
    {
        P.VIEW: roles(OWNER, READER, EDITOR, ADMIN),
        P.EDIT: roles(OWNER, EDITOR),
        P.REQUEST_REVIEW: roles(OWNER, EDITOR),
        P.MANAGE_SHARING: roles(OWNER, ADMIN),
        P.VIEW_HISTORY: roles(OWNER, READER, EDITOR, ADMIN),
        P.COMMENT: roles(OWNER, READER, EDITOR),
    },
    _l("Only the authors can see it. Send it to the board when it is ready."),
)
SUBMITTED = State(
    "submitted",
    _l("Sent to the board"),
    {
        **_AMENDABLE,
        P.EDIT: roles(OWNER, EDITOR),
        P.REQUEST_REVIEW: roles(OWNER, EDITOR),
        P.REVIEW: roles(BOARD),
    },
    _l("Members can read it. The board decides what happens next."),
)
SUPPORT = State(
    "support",
    _l("Open for support"),
    {
        **_AMENDABLE,
        P.VOTE: roles(AUTHENTICATED),
        P.REQUEST_REVIEW: roles(OWNER, EDITOR),
        P.REVIEW: roles(BOARD),
    },
    _l("Members of the body can support it. With enough supports, it goes to a vote."),
)
VOTE = State(
    "vote",
    _l("In vote"),
    {**_DISCUSSED, P.MANAGE_POLLS: roles(BOARD)},
    _l("The members of the body are voting on it."),
)
ADOPTED = State(
    "adopted",
    _l("Adopted"),
    {**_DISCUSSED, P.REVIEW: roles(BOARD), P.FOLLOW_UP: roles(BOARD)},
    _l("The vote said yes. The board follows up how it is carried out."),
)
REJECTED = State(
    "rejected",
    _l("Rejected"),
    {**_DISCUSSED, P.REVIEW: roles(BOARD)},
    _l("The vote or the board said no. The reason is in the last steps."),
)
WITHDRAWN = State(
    "withdrawn",
    _l("Withdrawn"),
    {**_PUBLIC_READ, P.REVIEW: roles(BOARD)},
    _l("The author took it back."),
)
ARCHIVED = State("archived", _l("Archived"), dict(_PUBLIC_READ), _l("Kept for the record."))


def _owner_only(proposal, actor) -> object | None:
    if getattr(actor, "id", None) is not None and proposal.owner_id == actor.id:
        return None
    return _l("Only the author can withdraw the proposal.")


def _has_open_poll(proposal, actor) -> object | None:
    poll = proposal.poll
    if poll is not None and poll.state == "open":
        return None
    return _l("Start the vote with the vote form.")


def _follow_up_finished(proposal, actor) -> object | None:
    # An adopted proposal is archived once carried out (or given up): nobody follows up an
    # archived one, so it would stay "late" for ever.
    if proposal.follow_status in (None, "done", "abandoned"):
        return None
    return _l("First record how it was carried out: done, or abandoned.")


def _verdict_is(*verdicts):
    def guard(proposal, actor) -> object | None:
        poll = proposal.poll
        if poll is None or poll.state != "closed":
            return _l("The vote is not closed yet.")
        if (poll.result or {}).get("verdict") not in verdicts:
            return _l("The result of the vote says otherwise.")
        return None

    return guard


PROPOSAL_WORKFLOW = Workflow(
    name="proposal",
    initial="draft",
    states={
        s.name: s for s in (DRAFT, SUBMITTED, SUPPORT, VOTE, ADOPTED, REJECTED, WITHDRAWN, ARCHIVED)
    },
    transitions={
        t.name: t
        for t in (
            Transition(
                "submit",
                _l("Send to the board"),
                frozenset({"draft"}),
                "submitted",
                P.REQUEST_REVIEW,
            ),
            Transition(
                "withdraw",
                _l("Withdraw"),
                frozenset({"submitted", "support"}),
                "withdrawn",
                P.REQUEST_REVIEW,
                guard=_owner_only,
            ),
            Transition(
                "open_support",
                _l("Open for support"),
                frozenset({"submitted"}),
                "support",
                P.REVIEW,
            ),
            Transition(
                "schedule_vote",
                _l("Put to the vote"),
                frozenset({"submitted", "support"}),
                "vote",
                P.REVIEW,
                guard=_has_open_poll,
            ),
            Transition(
                "reject",
                _l("Reject"),
                frozenset({"submitted", "support"}),
                "rejected",
                P.REVIEW,
                comment_required=True,
            ),
            Transition(
                "adopt",
                _l("Record: adopted"),
                frozenset({"vote"}),
                "adopted",
                P.MANAGE_POLLS,
                guard=_verdict_is("adopted"),
            ),
            Transition(
                "reject_by_vote",
                _l("Record: rejected"),
                frozenset({"vote"}),
                "rejected",
                P.MANAGE_POLLS,
                guard=_verdict_is("rejected", "no_quorum", "tie"),
            ),
            Transition(
                "archive",
                _l("Archive"),
                frozenset({"adopted", "rejected", "withdrawn"}),
                "archived",
                P.REVIEW,
                guard=_follow_up_finished,
            ),
        )
    },
)
