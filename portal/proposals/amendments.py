"""Amendments: a proposed change to one part of a proposal, accepted by the authors or voted on.

Rules (services take the acting user explicitly, never commit, raise DomainError subclasses):

- Anyone logged in may propose a change while the proposal is "submitted" or "open for
  support" (Propose amendments). The text is the whole new text of one part; the same limits
  as the proposal apply.
- Its author may take it back while it waits for an answer.
- The authors (owner, co-authors with Can edit) accept it, or decline it with a reason (Decide
  amendments). Nobody decides on their own change: otherwise an author could change a text
  frozen for support alone. An author's own change goes to a co-author or to the board's vote.
- Accepting saves a new revision of the proposal through `history.save_revision` (which checks
  the version, not the Edit permission: in "support" ordinary edits are closed, accepted
  changes are not). When the part changed since the change was written, nothing is written
  and a Conflict asks for the change to be written again on the new text.
- The board (Review) may put a change to a yes / no / abstain vote of the proposal's body
  (poll subject "amendment:ID"). Once the poll is closed, the board records the result: yes
  puts the text in, anything else rejects it. If the part changed meanwhile, a yes cannot be
  applied without overwriting that change: the amendment becomes outdated, with the reason in
  its decision comment (a Conflict would leave it in vote for ever). A cancelled poll gives
  the change back to the authors.
- When the proposal leaves "submitted" / "support" (its own vote starts, it is withdrawn or
  rejected), every change still waiting becomes outdated. Changes already in vote are left to
  finish: their polls belong to the voters. But the proposal's text can no longer change, so
  when their result is recorded they become outdated too, even after a yes (the reason is kept
  in the decision comment). The amendments section warns the board of this before it starts
  the proposal's vote.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from portal.core import audit, history
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.core.security import Permission, can
from portal.core.workflow import item_saved, transition_applied
from portal.extensions import db
from portal.proposals.models import (
    AMENDABLE_FIELDS,
    AmendmentState,
    Proposal,
    ProposalAmendment,
)
from portal.proposals.services import MAX_BODY, MAX_SUMMARY, MAX_WHAT_CHANGES, VoteData
from portal.voting import services as voting
from portal.voting.models import Poll

# The proposal states in which its text may change through an amendment.
AMENDABLE_STATES = ("submitted", "support")
OPEN_STATES = (AmendmentState.PROPOSED.value, AmendmentState.VOTE.value)
MAX_LENGTHS = {"summary": MAX_SUMMARY, "what_changes": MAX_WHAT_CHANGES, "body": MAX_BODY}
MAX_REASON = 1000
PART_TITLES = {
    "summary": _l("In plain words"),
    "what_changes": _l("What changes for me"),
    "body": _l("Full text"),
}


@dataclass(frozen=True)
class AmendmentData:
    field: str
    text: str
    reason: str = ""
    # The proposal version the writer started from (the form's); None: the current one.
    base_version: int | None = None


# --- Reading --------------------------------------------------------------------------------------


def proposal_of(amendment: ProposalAmendment) -> Proposal:
    return db.session.get(Proposal, amendment.proposal_id)


def amendments_of(proposal: Proposal) -> list[ProposalAmendment]:
    """Every amendment of the proposal, oldest first, with the people and polls shown."""
    return db.session.scalars(
        sa.select(ProposalAmendment)
        .where(ProposalAmendment.proposal_id == proposal.id)
        .options(joinedload(ProposalAmendment.decided_by), selectinload(ProposalAmendment.poll))
        .order_by(ProposalAmendment.id)
    ).all()


def texts_at(proposal: Proposal, versions) -> dict[int, dict[str, str]]:
    """The proposal's fields at each of `versions`, in one query."""
    wanted = {v for v in versions if v}
    if not wanted:
        return {}
    rows = db.session.scalars(
        sa.select(history.Revision).where(
            history.Revision.object_key == proposal.object_key,
            history.Revision.version.in_(wanted),
        )
    )
    return {revision.version: revision.fields for revision in rows}


def current_text(proposal: Proposal, field: str) -> str:
    return getattr(proposal, field) or ""


def is_stale(
    proposal: Proposal, amendment: ProposalAmendment, base_text: str | None = None
) -> bool:
    """True when the part changed since the amendment was written (it cannot apply as it is).

    `base_text` is that part at the amendment's base version, when the caller has it.
    """
    if amendment.base_version == proposal.version:
        return False
    if base_text is None:
        base = texts_at(proposal, [amendment.base_version]).get(amendment.base_version)
        if base is None:  # no revision to compare with: assume the worst
            return True
        base_text = base.get(amendment.field, "")
    return base_text != current_text(proposal, amendment.field)


# --- Checks ---------------------------------------------------------------------------------------


def _clean_text(field: str, text: str) -> str:
    """The same shape as the proposal's own fields (see services._clean)."""
    text = text or ""
    if field == "summary":
        return " ".join(text.split())
    text = text.replace("\r\n", "\n")
    return text.strip() if field == "what_changes" else text


def _clean_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").replace("\r\n", "\n").strip()
    if len(reason) > MAX_REASON:
        raise DomainError(_l("This is too long (at most %(n)d characters).", n=MAX_REASON), field)
    return reason


def _lock(amendment: ProposalAmendment) -> None:
    """Lock the amendment's row until the end of the transaction and re-read its state, so
    two decisions at once cannot both pass (SQLite: the write transaction holds the lock)."""
    query = sa.select(ProposalAmendment.state).where(ProposalAmendment.id == amendment.id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    state = db.session.execute(query).scalar_one()
    if state != amendment.state:
        db.session.refresh(amendment)


def _require_state(amendment: ProposalAmendment, *states: str) -> None:
    if amendment.state not in states:
        raise DomainError(
            _l("This change is no longer waiting for an answer. Reload the page to see it.")
        )


def _audit(actor, step: str, proposal: Proposal, amendment: ProposalAmendment, **details):
    audit.record(
        actor,
        f"proposal.amendment_{step}",
        f"{proposal.object_key}: amendment {amendment.id} ({amendment.field}) {step}",
        object_key=proposal.object_key,
        amendment_id=amendment.id,
        **details,
    )


def _set_state(amendment: ProposalAmendment, state: AmendmentState) -> None:
    """The one writer of an amendment's state. Amendments are not workflow items (no roles or
    sharing of their own: the proposal's permissions decide), so apply_transition does not
    apply; the steps above are their transitions, each audited."""
    amendment.state = state.value


def _decide(amendment: ProposalAmendment, state: AmendmentState, actor, comment: str) -> None:
    _set_state(amendment, state)
    amendment.decided_by_id = getattr(actor, "id", None)
    amendment.decided_at = utcnow()
    amendment.decision_comment = comment


def _apply(actor, proposal: Proposal, amendment: ProposalAmendment, note: str):
    """Put the amendment's text into the proposal as a new revision. Raises Conflict when the
    part changed since the amendment was written (nothing is written)."""
    if is_stale(proposal, amendment):
        raise Conflict(
            _l(
                "This part of the proposal changed after the change was written. "
                "It cannot be added as it is: it must be written again on the new text."
            )
        )
    revision = history.save_revision(
        proposal, actor, proposal.version, {amendment.field: amendment.text}, note=note
    )
    item_saved.send(proposal)
    return revision


# --- Steps ----------------------------------------------------------------------------------------


def propose_amendment(actor, proposal: Proposal, data: AmendmentData) -> ProposalAmendment:
    """Propose a new text for one part of the proposal.

    Raises NotAllowed unless the actor may propose changes now; DomainError on bad data or a
    text that changes nothing; Conflict when the part changed since `data.base_version`.
    """
    if not can(actor, Permission.AMEND, proposal):
        raise NotAllowed(_l("You cannot propose a change to this proposal now."))
    field = data.field
    if field not in AMENDABLE_FIELDS:
        raise DomainError(_l("Choose the part of the text you would change."), field="field")
    text = _clean_text(field, data.text)
    if field == "summary" and not text:
        raise DomainError(_l("Say in a few plain words what you propose."), field="text")
    if len(text) > MAX_LENGTHS[field]:
        raise DomainError(
            _l("This is too long (at most %(n)d characters).", n=MAX_LENGTHS[field]), field="text"
        )
    if data.base_version is not None and data.base_version != proposal.version:
        base = texts_at(proposal, [data.base_version]).get(data.base_version)
        if base is None or base.get(field, "") != current_text(proposal, field):
            raise Conflict(
                _l(
                    "The text changed while you were writing. "
                    "Look at the new text below and write your change again."
                )
            )
    if text == current_text(proposal, field):
        raise DomainError(_l("This is the same as the text now. Change something."), field="text")
    reason = _clean_reason(data.reason)
    amendment = ProposalAmendment(
        proposal_id=proposal.id,
        author_id=actor.id,
        field=field,
        text=text,
        reason=reason,
        base_version=proposal.version,
        state=AmendmentState.PROPOSED.value,
    )
    db.session.add(amendment)
    db.session.flush()
    _audit(actor, "proposed", proposal, amendment, base_version=amendment.base_version)
    return amendment


def withdraw_amendment(actor, amendment: ProposalAmendment) -> ProposalAmendment:
    """Its author takes the change back while it waits for an answer.

    Raises NotAllowed for anyone else; DomainError once it is decided or in vote.
    """
    if getattr(actor, "id", None) is None or actor.id != amendment.author_id:
        raise NotAllowed(_l("Only the person who wrote this change can take it back."))
    _lock(amendment)
    _require_state(amendment, AmendmentState.PROPOSED)
    _decide(amendment, AmendmentState.WITHDRAWN, actor, "")
    db.session.flush()
    _audit(actor, "withdrawn", proposal_of(amendment), amendment)
    return amendment


def _require_decider(actor, proposal: Proposal, amendment: ProposalAmendment) -> None:
    if not can(actor, Permission.DECIDE_AMENDMENTS, proposal):
        raise NotAllowed(_l("Only the authors of the proposal can answer this change."))
    if amendment.author_id is not None and amendment.author_id == getattr(actor, "id", None):
        raise DomainError(
            _l(
                "You cannot answer your own change. "
                "Another author answers it, or the board puts it to the vote."
            )
        )


def accept_amendment(actor, amendment: ProposalAmendment, comment: str = "") -> ProposalAmendment:
    """The authors take the change into the text (a new revision of the proposal).

    Raises NotAllowed unless the actor may decide amendments; DomainError when it is not
    waiting or is the actor's own; Conflict when the part changed since it was written.
    """
    proposal = proposal_of(amendment)
    _require_decider(actor, proposal, amendment)
    comment = _clean_reason(comment, "comment")
    _lock(amendment)
    _require_state(amendment, AmendmentState.PROPOSED)
    revision = _apply(actor, proposal, amendment, f"amendment {amendment.id} accepted")
    _decide(amendment, AmendmentState.ACCEPTED, actor, comment)
    db.session.flush()
    _audit(actor, "accepted", proposal, amendment, version=revision.version if revision else None)
    return amendment


def decline_amendment(actor, amendment: ProposalAmendment, reason: str) -> ProposalAmendment:
    """The authors say no, with a reason.

    Raises NotAllowed unless the actor may decide amendments; DomainError without a reason,
    when it is not waiting, or is the actor's own.
    """
    proposal = proposal_of(amendment)
    _require_decider(actor, proposal, amendment)
    reason = _clean_reason(reason)
    if not reason:
        raise DomainError(_l("Please say why, in a few words."), field="reason")
    _lock(amendment)
    _require_state(amendment, AmendmentState.PROPOSED)
    _decide(amendment, AmendmentState.DECLINED, actor, reason)
    db.session.flush()
    _audit(actor, "declined", proposal, amendment)
    return amendment


def _poll_title(proposal: Proposal) -> str:
    title = str(_l("Amendment to: %(title)s", title=proposal.title))
    return title if len(title) <= voting.MAX_TITLE else title[: voting.MAX_TITLE - 1] + "…"


def _poll_question(proposal: Proposal, amendment: ProposalAmendment) -> str:
    head = "\n".join(
        (
            str(_l("Do you agree to change the proposal “%(title)s”?", title=proposal.title)),
            str(_l("Part that changes: %(part)s", part=PART_TITLES[amendment.field])),
            str(_l("New text:")),
        )
    )
    question = f"{head}\n{amendment.text or '—'}"
    if len(question) <= voting.MAX_QUESTION:
        return question
    tail = "…\n" + str(_l("Read the whole change on the proposal page."))
    return question[: voting.MAX_QUESTION - len(tail)] + tail


def start_amendment_vote(
    actor, amendment: ProposalAmendment, data: VoteData | None = None, link=None
) -> Poll:
    """The board puts the change to a yes / no / abstain vote of the proposal's body, now.

    The poll's `subject_key` is the amendment's key; `link(poll)` gives the poll's address for
    the e-mails. Raises NotAllowed unless the actor may review the proposal now; DomainError
    when the change is not waiting, or from the voting services (e.g. nobody can vote).
    """
    proposal = proposal_of(amendment)
    if not can(actor, Permission.REVIEW, proposal) or proposal.state not in AMENDABLE_STATES:
        raise NotAllowed(_l("You cannot put this change to the vote now."))
    _lock(amendment)
    _require_state(amendment, AmendmentState.PROPOSED)
    data = data or VoteData()
    body = proposal.addressed_to
    poll = voting.create_poll(
        actor,
        voting.PollData(
            title=_poll_title(proposal),
            body_id=body.id,
            method="yes_no_abstain",
            question=_poll_question(proposal, amendment),
            secret=bool(data.secret),
            majority=data.majority or body.default_majority,
            subject_key=amendment.object_key,
        ),
    )
    voting.open_poll(actor, poll, link)
    amendment.poll_id, amendment.poll = poll.id, poll
    _set_state(amendment, AmendmentState.VOTE)
    db.session.flush()
    _audit(actor, "vote_started", proposal, amendment, poll=poll.id)
    return poll


def settle_amendment_vote(actor, amendment: ProposalAmendment) -> ProposalAmendment:
    """Record the closed poll's verdict: "adopted" puts the text in, anything else rejects it.

    When the proposal can no longer change (its own vote started, …), the change becomes
    outdated whatever the verdict. A cancelled poll gives the change back to the authors.
    When the vote said yes but the part changed since the change was written, it becomes
    outdated too (nothing is overwritten; the decision comment says why).
    Raises NotAllowed unless the actor manages polls; DomainError when there is no closed poll.
    """
    if not can(actor, Permission.MANAGE_POLLS):
        raise NotAllowed(_l("Only the board records the result of a vote."))
    _lock(amendment)
    poll = amendment.poll
    if amendment.state != AmendmentState.VOTE or poll is None:
        raise DomainError(_l("This change is not in a vote."))
    proposal = proposal_of(amendment)
    amendable = proposal.state in AMENDABLE_STATES
    if poll.state == "cancelled":
        if amendable:
            _set_state(amendment, AmendmentState.PROPOSED)
            db.session.flush()
            _audit(actor, "vote_cancelled", proposal, amendment, poll=poll.id)
        else:
            _decide(amendment, AmendmentState.OUTDATED, actor, "")
            db.session.flush()
            _audit(actor, "outdated", proposal, amendment, poll=poll.id)
        return amendment
    if poll.state != "closed":
        raise DomainError(_l("The vote is not closed yet."))
    verdict = (poll.result or {}).get("verdict", "")
    if verdict != "adopted":
        _decide(amendment, AmendmentState.REJECTED, actor, "")
        db.session.flush()
        _audit(actor, "rejected", proposal, amendment, poll=poll.id, verdict=verdict)
    elif not amendable:
        _decide(
            amendment,
            AmendmentState.OUTDATED,
            actor,
            str(_l("The vote said yes, but the proposal could no longer change.")),
        )
        db.session.flush()
        _audit(actor, "outdated", proposal, amendment, poll=poll.id, verdict=verdict)
    elif is_stale(proposal, amendment):
        # The vote said yes to a text written on an older version of this part: putting it in
        # would overwrite the change made since. Recorded, explained, not applied.
        _decide(
            amendment,
            AmendmentState.OUTDATED,
            actor,
            str(
                _l(
                    "The vote said yes, but this part of the text changed since the change "
                    "was written. It must be written again on the new text."
                )
            ),
        )
        db.session.flush()
        _audit(actor, "outdated", proposal, amendment, poll=poll.id, verdict=verdict, stale=True)
    else:
        revision = _apply(actor, proposal, amendment, f"amendment {amendment.id} adopted by vote")
        _decide(amendment, AmendmentState.ADOPTED, actor, "")
        db.session.flush()
        _audit(
            actor,
            "adopted",
            proposal,
            amendment,
            poll=poll.id,
            verdict=verdict,
            version=revision.version if revision else None,
        )
    return amendment


# --- When the proposal moves on ------------------------------------------------------------------


def outdate_waiting_amendments(actor, proposal: Proposal) -> list[ProposalAmendment]:
    """Every change still waiting for an answer becomes outdated (the proposal moved on)."""
    waiting = db.session.scalars(
        sa.select(ProposalAmendment).where(
            ProposalAmendment.proposal_id == proposal.id,
            ProposalAmendment.state == AmendmentState.PROPOSED.value,
        )
    ).all()
    for amendment in waiting:
        _decide(amendment, AmendmentState.OUTDATED, actor, "")
        _audit(actor, "outdated", proposal, amendment, proposal_state=proposal.state)
    db.session.flush()
    return waiting


def _on_transition(sender, transition=None, actor=None, **_extra) -> None:
    left_amendable = transition is None or set(transition.sources) & set(AMENDABLE_STATES)
    if isinstance(sender, Proposal) and sender.state not in AMENDABLE_STATES and left_amendable:
        outdate_waiting_amendments(actor, sender)


transition_applied.connect(_on_transition)
