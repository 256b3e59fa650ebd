"""Proposal services: write (revisions, 409 on conflict), workflow steps, supports, the vote.

Support threshold: each body sets it (`support_percent` of its electorate, rounded up, and
never fewer than `support_minimum`; 10 % and 3 unless changed); the number is frozen when the
proposal opens for support. Reaching it does not move the proposal:
the board puts it to the vote (and may do so without it). While a proposal is open for
support, a member may take their support back (and give it again).

The board's answer is plain text; saving an empty answer removes it. Every change of the
answer is audited with the text it replaced, so nothing the board said is lost.

Follow-up of an adopted proposal: adoption sets it to "to do"; the board then records its
status, the person responsible (an active member of the register) and a due date. A new due
date cannot be in the past; a date that has passed may stay as it is (the proposal is then
shown as late until it is done or abandoned).

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from portal.core import audit, history
from portal.core.db import MAX_ID, local_today, utcnow
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.core.security import GlobalRole, Permission, allowed_clause, can, global_roles
from portal.core.workflow import apply_transition, item_saved
from portal.extensions import db
from portal.members import bodies as body_services
from portal.members.lookup import member_of
from portal.members.models import Body, BodyKind, Member
from portal.proposals import policies
from portal.proposals.models import FollowStatus, Proposal, ProposalSupport
from portal.proposals.workflow import SERVICE_STEPS
from portal.voting import services as voting
from portal.voting.models import Poll

MAX_TITLE, MAX_SUMMARY, MAX_WHAT_CHANGES, MAX_BODY = 200, 280, 1000, 100_000
MAX_ANSWER, MAX_FOLLOW_NOTE = 5000, 2000
# Follow-up states in which a passed due date no longer matters.
FOLLOW_FINISHED = frozenset({FollowStatus.DONE.value, FollowStatus.ABANDONED.value})


class AlreadySupported(Conflict):
    pass


class NotSupported(Conflict):
    pass


@dataclass(frozen=True)
class ProposalData:
    title: str
    summary: str
    what_changes: str = ""
    body: str = ""
    body_id: int | None = None  # None: the general assembly


def _too_long(n: int, field: str) -> DomainError:
    return DomainError(_l("This is too long (at most %(n)d characters).", n=n), field=field)


def default_body() -> Body | None:
    return db.session.scalar(
        sa.select(Body)
        .where(Body.kind == BodyKind.GENERAL_ASSEMBLY.value, Body.active.is_(True))
        .order_by(Body.id)
        .limit(1)
    )


def _clean(data: ProposalData) -> ProposalData:
    title = " ".join((data.title or "").split())
    if not title:
        raise DomainError(_l("Give the proposal a title."), field="title")
    if len(title) > MAX_TITLE:
        raise _too_long(MAX_TITLE, "title")
    summary = " ".join((data.summary or "").split())
    if not summary:
        raise DomainError(_l("Say in a few plain words what you propose."), field="summary")
    if len(summary) > MAX_SUMMARY:
        raise _too_long(MAX_SUMMARY, "summary")
    what_changes = (data.what_changes or "").replace("\r\n", "\n").strip()
    if len(what_changes) > MAX_WHAT_CHANGES:
        raise _too_long(MAX_WHAT_CHANGES, "what_changes")
    body = (data.body or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise _too_long(MAX_BODY, "body")
    if data.body_id is None:
        found = default_body()
    else:
        found = db.session.get(Body, data.body_id) if 0 < data.body_id <= MAX_ID else None
    if found is None or not found.active:
        raise DomainError(_l("Choose a body from the list."), field="body_id")
    return ProposalData(title, summary, what_changes, body, found.id)


def can_create_proposal(user) -> bool:
    """Every member may write a proposal (the register decides who may support and vote)."""
    return GlobalRole.MEMBER.value in global_roles(user)


def create_proposal(actor, data: ProposalData) -> Proposal:
    """A draft proposal owned by the actor. Raises NotAllowed, DomainError on bad data."""
    if not can_create_proposal(actor):
        raise NotAllowed(_l("Only members can write proposals."))
    data = _clean(data)
    proposal = Proposal(
        title=data.title,
        summary=data.summary,
        what_changes=data.what_changes,
        body=data.body,
        body_id=data.body_id,
        owner_id=actor.id,
    )
    db.session.add(proposal)
    db.session.flush()
    proposal.security_path = f"/{proposal.object_key}/"
    db.session.flush()
    history.first_revision(proposal, actor)
    audit.record(
        actor, "proposal.created", f"{proposal.object_key} created", object_key=proposal.object_key
    )
    item_saved.send(proposal)
    return proposal


def _fields(data: ProposalData) -> dict[str, str]:
    return {
        "title": data.title,
        "summary": data.summary,
        "what_changes": data.what_changes,
        "body": data.body,
    }


def update_proposal(actor, proposal: Proposal, base_version: int, data: ProposalData):
    """Save a new version of the text (and the body it is addressed to).

    Raises NotAllowed without Edit; EditConflict (409) when someone saved since `base_version`;
    DomainError on bad data. Returns the new revision, or None when nothing changed.
    """
    if not can(actor, Permission.EDIT, proposal):
        raise NotAllowed(_l("You cannot change this proposal."))
    data = _clean(data)
    if data.body_id != proposal.body_id:
        if base_version != proposal.version:
            raise history.EditConflict(history.latest_revision(proposal), _fields(data))
        audit.record(
            actor,
            "proposal.body",
            f"{proposal.object_key} addressed to body {data.body_id}",
            object_key=proposal.object_key,
            body_id=data.body_id,
        )
        proposal.body_id = data.body_id
        proposal.addressed_to = db.session.get(Body, data.body_id)
    revision = history.save_revision(proposal, actor, base_version, _fields(data))
    item_saved.send(proposal)
    return revision


def revert_proposal(actor, proposal: Proposal, version: int):
    """Bring back an earlier version as a new one. Raises NotAllowed without Edit."""
    if not can(actor, Permission.EDIT, proposal):
        raise NotAllowed(_l("You cannot change this proposal."))
    if history.get_revision(proposal, version) is None:
        raise DomainError(_l("This version does not exist."))
    revision = history.revert(proposal, actor, version)
    item_saved.send(proposal)
    return revision


def transition_proposal(actor, proposal: Proposal, name: str, comment: str = ""):
    """One workflow step from the status box. The vote's steps have their own services.

    Raises DomainError (NotAllowed without the permission).
    """
    if name in SERVICE_STEPS:
        raise DomainError(_l("This step has its own button."))
    entry = apply_transition(proposal, name, actor, comment)
    if proposal.state == "support" and proposal.support_threshold is None:
        proposal.support_threshold = threshold_for(proposal.addressed_to)
        db.session.flush()
    return entry


# --- Supports -------------------------------------------------------------------------------------


def threshold_for(body: Body) -> int:
    voters = body_services.electorate_summary(body, local_today()).voters
    return max(body.support_minimum, math.ceil(voters * body.support_percent / 100))


def support_threshold(proposal: Proposal) -> int:
    """The frozen threshold, or what it would be today (before the proposal opens)."""
    return proposal.support_threshold or threshold_for(proposal.addressed_to)


def support_count(proposal: Proposal) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ProposalSupport)
        .where(ProposalSupport.proposal_id == proposal.id)
    )


def has_supported(proposal: Proposal, member) -> bool:
    if member is None:
        return False
    return bool(
        db.session.scalar(
            sa.select(ProposalSupport.id).where(
                ProposalSupport.proposal_id == proposal.id,
                ProposalSupport.member_id == member.id,
            )
        )
    )


def in_electorate(proposal: Proposal, member) -> bool:
    if member is None:
        return False
    voters = body_services.electorate_query(proposal.addressed_to, local_today()).subquery()
    return bool(db.session.scalar(sa.select(sa.exists().where(voters.c.member_id == member.id))))


def support_proposal(actor, proposal: Proposal) -> ProposalSupport | None:
    """The actor's member supports the proposal, once.

    Raises NotAllowed outside the "support" state, DomainError when the actor is not in the
    body's electorate today, AlreadySupported (409) the second time. The database refuses the
    duplicate (ON CONFLICT DO NOTHING), so two clicks at once count once.
    """
    if not can(actor, Permission.VOTE, proposal):
        raise NotAllowed(_l("This proposal is not open for support."))
    member = member_of(actor)
    if not in_electorate(proposal, member):
        raise DomainError(
            _l(
                "Only members of %(body)s can support this proposal.",
                body=proposal.addressed_to.title,
            )
        )
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = db.session.scalar(
        insert(ProposalSupport)
        .values(proposal_id=proposal.id, member_id=member.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["proposal_id", "member_id"])
        .returning(ProposalSupport.id)
    )
    if inserted is None:
        raise AlreadySupported(_l("You already support this proposal."))
    audit.record(
        actor,
        "proposal.supported",
        f"{proposal.object_key} supported by member {member.id}",
        object_key=proposal.object_key,
        member_id=member.id,
    )
    return db.session.get(ProposalSupport, inserted)


def withdraw_support(actor, proposal: Proposal) -> None:
    """The actor's member takes back their support (they may give it again later).

    Raises NotAllowed outside the "support" state (supports are then part of the record),
    NotSupported (409) when the actor's member does not support the proposal. The row is
    deleted; the audit log keeps that it existed.
    """
    if not can(actor, Permission.VOTE, proposal):
        raise NotAllowed(_l("This proposal is not open for support."))
    member = member_of(actor)
    removed = None
    if member is not None:
        removed = db.session.scalar(
            sa.delete(ProposalSupport)
            .where(
                ProposalSupport.proposal_id == proposal.id,
                ProposalSupport.member_id == member.id,
            )
            .returning(ProposalSupport.id)
        )
    if removed is None:
        raise NotSupported(_l("You do not support this proposal."))
    audit.record(
        actor,
        "proposal.support_withdrawn",
        f"{proposal.object_key}: member {member.id} took back their support",
        object_key=proposal.object_key,
        member_id=member.id,
    )


# --- The vote -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteData:
    secret: bool = True
    majority: str | None = None  # None: the body's default majority


def start_vote(actor, proposal: Proposal, data: VoteData, link=None) -> Poll:
    """Create and open a yes / no / abstain poll of the proposal's body, and move it to "vote".

    The poll's `subject_key` is the proposal's key. `link(poll)` gives the poll's address for
    the e-mails to the electorate. Raises NotAllowed unless the board may review the proposal
    now; DomainError from the voting services (e.g. nobody can vote in the body).
    """
    again = policies.vote_restarts(proposal)  # the board cancelled the poll: a new one replaces it
    if not policies.can_start_vote(actor, proposal):  # the rule the page asks too
        raise NotAllowed(_l("You cannot put this proposal to the vote now."))
    body = proposal.addressed_to
    poll = voting.create_poll(
        actor,
        voting.PollData(
            title=proposal.title,
            body_id=body.id,
            method="yes_no_abstain",
            question=proposal.summary,
            secret=bool(data.secret),
            majority=data.majority or body.default_majority,
            subject_key=proposal.object_key,
        ),
    )
    voting.open_poll(actor, poll, link)
    proposal.poll_id, proposal.poll = poll.id, poll
    db.session.flush()
    if again:
        audit.record(
            actor,
            "proposal.vote_restarted",
            f"{proposal.object_key}: new poll {poll.id}",
            object_key=proposal.object_key,
            poll=poll.id,
        )
    else:
        apply_transition(proposal, "schedule_vote", actor, poll=poll.id)
    return poll


VERDICT_COMMENTS = {
    "adopted": _l("The vote said yes."),
    "rejected": _l("The vote said no."),
    "no_quorum": _l("Not enough people voted (no quorum)."),
    "tie": _l("As many yes as no: a tie is not a yes."),
}


def settle_vote(actor, proposal: Proposal):
    """Record the closed poll's verdict: adopted, or rejected (also for no quorum and a tie).

    Raises DomainError when there is no closed poll; NotAllowed without Manage polls.
    """
    poll = proposal.poll
    if proposal.state != "vote" or poll is None:
        raise DomainError(_l("This proposal is not in a vote."))
    if poll.state == "cancelled":
        raise DomainError(_l("The vote was cancelled. Start a new vote."))
    if poll.state != "closed":
        raise DomainError(_l("The vote is not closed yet."))
    if not policies.can_settle_vote(actor, proposal):  # the rule the page asks too
        raise NotAllowed(_l("You cannot do this step."))
    verdict = (poll.result or {}).get("verdict", "")
    name = "adopt" if verdict == "adopted" else "reject_by_vote"
    comment = str(VERDICT_COMMENTS.get(verdict, verdict))
    entry = apply_transition(proposal, name, actor, comment, poll=poll.id, verdict=verdict)
    if name == "adopt" and proposal.follow_status is None:
        # Adopted: it now has to be carried out (the transition's audit entry says so).
        proposal.follow_status = FollowStatus.TO_DO.value
        proposal.follow_updated_at = utcnow()
        db.session.flush()
    return entry


# --- The board's answer ---------------------------------------------------------------------------


def answer_proposal(actor, proposal: Proposal, text: str) -> Proposal:
    """Save the board's answer (plain text), or remove it when `text` is empty.

    Raises NotAllowed without Answer (the board, from "submitted" on); DomainError (field
    "answer") when the text is too long. Saving the same text again changes nothing.
    """
    if not can(actor, Permission.ANSWER, proposal):
        raise NotAllowed(_l("You cannot answer this proposal."))
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_ANSWER:
        raise _too_long(MAX_ANSWER, "answer")
    before = proposal.board_answer or ""
    if text == before:
        return proposal
    proposal.board_answer = text
    proposal.board_answer_at = utcnow() if text else None
    proposal.board_answer_by_id = actor.id if text else None
    proposal.board_answer_by = actor if text else None
    db.session.flush()
    audit.record(
        actor,
        "proposal.answered" if text else "proposal.answer_removed",
        f"{proposal.object_key}: the board's answer "
        + ("saved" if text else "removed")
        + f" ({len(text)} characters)",
        object_key=proposal.object_key,
        before=before,
        after=text,
    )
    return proposal


# --- Follow-up of an adopted proposal -------------------------------------------------------------


def follow_up_late(proposal: Proposal, today: date | None = None) -> bool:
    """Past its due date and neither done nor abandoned."""
    return (
        proposal.follow_status is not None
        and proposal.follow_status not in FOLLOW_FINISHED
        and proposal.follow_due is not None
        and proposal.follow_due < (today or local_today())
    )


def responsible_candidates() -> list[Member]:
    """Who can be responsible for carrying out a decision: active members, by name."""
    return db.session.scalars(
        sa.select(Member)
        .where(Member.state == "active")
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name), Member.id)
    ).all()


def update_follow_up(
    actor,
    proposal: Proposal,
    status: str,
    responsible_member_id: int | None,
    due: date | None,
    note: str,
) -> Proposal:
    """Record how an adopted proposal is carried out: status, who, by when, a note.

    Raises NotAllowed without Follow up (the board, while the proposal is adopted);
    DomainError naming the field: a status not in the list, a responsible person who is not an
    active member (one already chosen may stay), a new due date before today, a note too long.
    Nothing changed: nothing is written.
    """
    if not can(actor, Permission.FOLLOW_UP, proposal):
        raise NotAllowed(_l("You cannot follow up this proposal."))
    if status not in set(FollowStatus):
        raise DomainError(_l("Choose a status from the list."), field="follow_status")
    if responsible_member_id is not None and responsible_member_id != (
        proposal.follow_responsible_id
    ):
        member = (
            db.session.get(Member, responsible_member_id)
            if 0 < responsible_member_id <= MAX_ID
            else None
        )
        if member is None or member.state != "active":
            raise DomainError(
                _l("Choose an active member from the list, or nobody."),
                field="follow_responsible",
            )
    if due is not None and due != proposal.follow_due and due < local_today():
        raise DomainError(
            _l("This date has passed. Choose today or a later day."), field="follow_due"
        )
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_FOLLOW_NOTE:
        raise _too_long(MAX_FOLLOW_NOTE, "follow_note")
    changes = {}
    for name, new in (
        ("follow_status", str(status)),
        ("follow_responsible_id", responsible_member_id),
        ("follow_due", due),
        ("follow_note", note),
    ):
        old = getattr(proposal, name)
        if old != new:
            changes[name] = [old, new]
            setattr(proposal, name, new)
    if not changes:
        return proposal
    if "follow_responsible_id" in changes:
        db.session.expire(proposal, ["follow_responsible"])
    proposal.follow_updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "proposal.follow_up",
        f"{proposal.object_key}: follow-up {', '.join(sorted(changes))} changed",
        object_key=proposal.object_key,
        changes=changes,
    )
    return proposal


# --- Listing --------------------------------------------------------------------------------------


def visible(user):
    """A select of the proposals `user` may view (the permission is applied in SQL)."""
    return sa.select(Proposal).where(allowed_clause(user, Proposal, Permission.VIEW))
