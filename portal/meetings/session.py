"""The meeting in session: the current agenda item, the speaking queue, polls opened from an item.

Rules:

- Those who run the meeting (`Permission.MANAGE_MEETINGS`, while it is in session) choose the
  current item, or go to the next one; an item's `started_at` is when it was first taken up.
- Members present (checked in, not left) ask to speak and may withdraw. The chair gives the
  floor to the next person: people who have not spoken yet in this meeting first, then in the
  order of their requests (`speaking_order`, a pure function). Giving the floor ends the
  previous turn.
- From a decision item, a poll is opened with `subject_key = item.object_key`, the meeting's
  body, yes/no/abstain and the body's usual majority: counted in the room (`in_room`), or on
  the portal.
- The count of an in-room poll opened from an item takes the number of people present from
  the attendance (`votes_in_room`: the people present now and those they represent, since a
  holder raises a hand for each proxy); the manager enters only the hands per answer.
- Who votes: where the body says that only members present vote in meetings
  (`meeting_votes_present_only`), the poll's electorate is frozen at its opening as the people
  present at that moment and those they represent (`electors_now`), with their weights; people
  arriving later do not vote in it. On the portal, the holder of a represented person votes
  for them: a proxy for this poll is given at the opening from the attendance's holder (the
  attendance already keeps the body's limit of proxies per holder). Otherwise the body's whole
  electorate of the day votes, present or not.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.core.security import Permission, can
from portal.extensions import db
from portal.meetings import attendance
from portal.meetings.models import AgendaItem, ItemKind, Meeting, SpeakingRequest
from portal.members.bodies import Voter
from portal.members.models import Member
from portal.voting import services as voting
from portal.voting.models import Poll

POLL_METHOD = "yes_no_abstain"


# --- Who may do what ------------------------------------------------------------------------------


def can_run_session(user, meeting: Meeting) -> bool:
    return meeting.state == "in_session" and can(user, Permission.MANAGE_MEETINGS, meeting)


def _check_runner(actor, meeting: Meeting) -> None:
    if not can(actor, Permission.MANAGE_MEETINGS, meeting):
        raise NotAllowed(_l("Only the chair, the secretary and the board run the meeting."))
    if meeting.state != "in_session":
        raise Conflict(_l("The meeting is not in session."))


# --- The current item -----------------------------------------------------------------------------


def _take_up(actor, meeting: Meeting, item: AgendaItem) -> AgendaItem:
    meeting.current_item_id = item.id
    if item.started_at is None:
        item.started_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "meeting.current_item",
        f"meeting {meeting.id} now on agenda item {item.id}",
        object_key=meeting.object_key,
        item_id=item.id,
    )
    return item


def set_current_item(actor, meeting: Meeting, item: AgendaItem) -> AgendaItem:
    """Make `item` the current one. Raises NotAllowed, Conflict, DomainError."""
    _check_runner(actor, meeting)
    if item.meeting_id != meeting.id:
        raise DomainError(_l("Choose an item of this meeting."), field="item_id")
    return _take_up(actor, meeting, item)


def next_item(actor, meeting: Meeting) -> AgendaItem:
    """Go to the item after the current one (the first when none is current).
    Raises NotAllowed, Conflict, DomainError (no item left)."""
    _check_runner(actor, meeting)
    items = list(meeting.items)
    ids = [item.id for item in items]
    index = ids.index(meeting.current_item_id) + 1 if meeting.current_item_id in ids else 0
    if index >= len(items):
        raise DomainError(_l("This was the last item.") if items else _l("The agenda is empty."))
    return _take_up(actor, meeting, items[index])


def current_item(meeting: Meeting) -> AgendaItem | None:
    return next((item for item in meeting.items if item.id == meeting.current_item_id), None)


# --- The speaking queue ---------------------------------------------------------------------------


def speaking_order(requests: Iterable[SpeakingRequest], spoken: set[int]) -> list[SpeakingRequest]:
    """Waiting requests in the order the floor goes: people who have not spoken yet in the
    meeting (`spoken`: member ids) first, then by the time of the request (then its id)."""
    return sorted(
        requests,
        key=lambda r: (r.member_id in spoken, r.requested_at, r.id or 0),
    )


def _requests(meeting: Meeting) -> list[SpeakingRequest]:
    return list(
        db.session.scalars(
            sa.select(SpeakingRequest)
            .where(SpeakingRequest.meeting_id == meeting.id)
            .order_by(SpeakingRequest.requested_at, SpeakingRequest.id)
        )
    )


def spoken_ids(requests: Iterable[SpeakingRequest]) -> set[int]:
    return {r.member_id for r in requests if r.started_at is not None}


def waiting(requests: Iterable[SpeakingRequest]) -> list[SpeakingRequest]:
    return [r for r in requests if r.started_at is None and r.done_at is None]


def queue(meeting: Meeting) -> list[SpeakingRequest]:
    """Who waits for the floor, in the order they will get it."""
    requests = _requests(meeting)
    return speaking_order(waiting(requests), spoken_ids(requests))


def speaker(meeting: Meeting) -> SpeakingRequest | None:
    """Who has the floor now."""
    return next(
        (r for r in _requests(meeting) if r.started_at is not None and r.done_at is None), None
    )


def ask_to_speak(actor, meeting: Meeting, member: Member | None) -> SpeakingRequest:
    """Put the member on the list. Raises Conflict (not in session), NotAllowed (not present),
    DomainError (already on the list or speaking)."""
    if meeting.state != "in_session":
        raise Conflict(_l("The meeting is not in session."))
    if member is None or member.id not in attendance.present_member_ids(meeting):
        raise NotAllowed(_l("Check in first: only people present ask to speak."))
    for request in _requests(meeting):
        if request.member_id == member.id and request.done_at is None:
            raise DomainError(_l("You are already on the list."))
    request = SpeakingRequest(
        meeting_id=meeting.id,
        agenda_item_id=meeting.current_item_id,
        member_id=member.id,
        requested_at=utcnow(),
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor,
        "meeting.asked_to_speak",
        f"member {member.id} asked to speak at meeting {meeting.id}",
        object_key=meeting.object_key,
        request_id=request.id,
    )
    return request


def withdraw(actor, meeting: Meeting, member: Member | None) -> SpeakingRequest:
    """Take the member's waiting request off the list. Raises DomainError (none waiting)."""
    mine = [r for r in waiting(_requests(meeting)) if member and r.member_id == member.id]
    if not mine:
        raise DomainError(_l("You are not on the list."))
    request = mine[0]
    request.withdrawn = True
    request.done_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "meeting.withdrew_from_speaking",
        f"member {request.member_id} withdrew at meeting {meeting.id}",
        object_key=meeting.object_key,
        request_id=request.id,
    )
    return request


def give_floor(actor, meeting: Meeting) -> SpeakingRequest | None:
    """End the current turn and give the floor to the next person (None: nobody waits).
    Raises NotAllowed, Conflict."""
    _check_runner(actor, meeting)
    now = utcnow()
    requests = _requests(meeting)
    for request in requests:
        if request.started_at is not None and request.done_at is None:
            request.done_at = now
    order = speaking_order(waiting(requests), spoken_ids(requests))
    chosen = order[0] if order else None
    if chosen is not None:
        chosen.started_at = now
    db.session.flush()
    audit.record(
        actor,
        "meeting.floor_given",
        f"meeting {meeting.id}: floor to " + (f"member {chosen.member_id}" if chosen else "nobody"),
        object_key=meeting.object_key,
        request_id=chosen.id if chosen else None,
    )
    return chosen


# --- Polls from an item ---------------------------------------------------------------------------


def polls_of_item(item: AgendaItem) -> list[Poll]:
    return list(
        db.session.scalars(
            sa.select(Poll).where(Poll.subject_key == item.object_key).order_by(Poll.id)
        )
    )


def open_item_poll(actor, meeting: Meeting, item: AgendaItem, *, in_room: bool) -> Poll:
    """Prepare and open a yes/no/abstain poll on a decision item. Raises NotAllowed, Conflict,
    DomainError (not a decision item; a poll of the item is already open; from voting)."""
    _check_runner(actor, meeting)
    if item.meeting_id != meeting.id:
        raise DomainError(_l("Choose an item of this meeting."))
    if item.kind != ItemKind.DECISION.value:
        raise DomainError(_l("Only a decision item is voted on."))
    if any(poll.state == "open" for poll in polls_of_item(item)):
        raise DomainError(_l("A vote on this item is already open."))
    present_only = bool(meeting.body.meeting_votes_present_only)
    electors, holders = electors_now(meeting) if present_only else (None, {})
    if present_only and not electors:
        raise DomainError(_l("Nobody is checked in: record who is here first."))
    poll = voting.create_poll(
        actor,
        voting.PollData(
            title=item.title,
            body_id=meeting.body_id,
            method=POLL_METHOD,
            question=item.description[: voting.MAX_QUESTION],
            secret=not in_room,
            majority=meeting.body.default_majority,
            subject_key=item.object_key,
            in_room=in_room,
        ),
    )
    voting.open_poll(actor, poll, electors=electors)
    if not in_room:  # in the room, the holder raises a hand for each proxy
        for principal_id, holder_id in holders.items():
            voting.give_proxy(
                actor, poll, db.session.get(Member, principal_id), db.session.get(Member, holder_id)
            )
    audit.record(
        actor,
        "meeting.poll_opened",
        f"poll {poll.id} opened from agenda item {item.id}",
        object_key=meeting.object_key,
        poll_id=poll.id,
        in_room=in_room,
        present_only=present_only,
    )
    return poll


def electors_now(
    meeting: Meeting, at: datetime | None = None
) -> tuple[list[Voter], dict[int, int]]:
    """Who votes in this meeting at `at` (now by default) when only people present vote: the
    people present and those represented by a holder present, with their weights on the
    meeting's list; and the represented people's holders (principal id → holder id)."""
    at = at or utcnow()
    weight_of = attendance.weights(meeting)
    rows = [row for row in attendance.attendances(meeting).values() if row.member_id in weight_of]
    present = {row.member_id for row in rows if attendance.is_present_at(row, at)}
    holders = {
        row.member_id: row.proxy_holder_id
        for row in rows
        if row.status == attendance.REPRESENTED and row.proxy_holder_id in present
    }
    voters = [Voter(m, weight_of[m]) for m in sorted(present | set(holders))]
    return voters, holders


def record_item_count(
    actor, meeting: Meeting, poll: Poll, counts: Mapping[str, int], at: datetime | None = None
) -> Poll:
    """Enter the hands of an in-room poll of this meeting; the people present come from the
    attendance (`votes_in_room`). Raises what `voting.record_room_count` raises, and
    DomainError when the poll is not one of this meeting's items or nobody is present."""
    _check_runner(actor, meeting)
    items = {item.object_key for item in meeting.items}
    if poll.subject_key not in items or not poll.in_room:
        raise DomainError(_l("This is not a vote in the room on an item of this meeting."))
    present = attendance.votes_in_room(meeting, at)
    if present < 1:
        raise DomainError(_l("Nobody is checked in: record who is here first."))
    return voting.record_room_count(actor, poll, min(present, poll.electorate_count), counts)
