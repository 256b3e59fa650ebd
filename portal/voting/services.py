"""Poll services: prepare, open (freeze the electorate), vote, proxies, close and count.

In-room polls (show of hands or paper ballots) take no vote on the portal: the person managing
the poll enters the people present and a count per answer (`record_room_count`), kept as one
weighted ballot per answer, so the tally, the results and the re-tally file work unchanged.

No double vote is the database's job: `participations` is unique per poll and member, and the
vote inserts its participation with ON CONFLICT DO NOTHING; a second attempt finds nothing
inserted and is told "you have already voted". A vote and a close cannot interleave: a vote
holds a shared lock on the poll row (PostgreSQL) or the database write lock (SQLite, BEGIN
IMMEDIATE) from its check of the state to its commit, and the close must wait for it.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from portal.core import audit
from portal.core.db import local_today, utcnow
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.core.security import Permission, can
from portal.core.workflow import apply_transition
from portal.extensions import db
from portal.members import bodies as body_services
from portal.members.lookup import member_of
from portal.members.models import Body, Majority, Member
from portal.voting import notify
from portal.voting import tally as tallying
from portal.voting.messages import message_for
from portal.voting.models import (
    Ballot,
    CastMode,
    Participation,
    Poll,
    PollElector,
    PollOption,
    Proxy,
)
from portal.voting.policies import can_manage_practice_poll
from portal.voting.signals import poll_counted

MAX_TITLE, MAX_QUESTION, MAX_OPTION, MAX_OPTIONS = 200, 5000, 200, 30
RECEIPT_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # easy to read back from a phone or paper
RECEIPT_LENGTH = 12
# The receipt fingerprint of a ballot entered from a count in the room. A real one is the
# sha-256 of a receipt code, 64 lowercase hexadecimal digits; this text has letters beyond "f"
# and dashes, so no receipt can ever match it, and it is never listed (in-room polls give no
# receipts).
ROOM_FINGERPRINT = "counted-in-the-room"
# The ballots a room can count: an answer, one choice, or a hand raised for each choice
# accepted (approval). Choices in order cannot be counted by a show of hands.
ROOM_BALLOTS = frozenset({"vote", "choice", "choices"})


class AlreadyVoted(Conflict):
    pass


@dataclass(frozen=True)
class PollData:
    title: str
    body_id: int
    method: str
    question: str = ""
    options: tuple[str, ...] = ()
    secret: bool = True
    practice: bool = False
    majority: str = Majority.SIMPLE.value
    abstentions_count: bool = False
    quorum_percent: int | None = None
    seats: int = 1
    min_choices: int | None = None
    max_choices: int | None = None
    subject_key: str | None = None
    closes_at: datetime | None = None
    extra: dict = field(default_factory=dict)
    in_room: bool = False  # counted in the room (show of hands or paper ballots)
    candidates: tuple[int, ...] = ()  # members of the register added to the options by name


# --- Preparing ----------------------------------------------------------------------------------


def _check_poll_data(data: PollData) -> PollData:
    title = " ".join((data.title or "").split())
    if not title:
        raise DomainError(_l("Give the poll a title."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_TITLE), field="title")
    question = (data.question or "").strip()
    if len(question) > MAX_QUESTION:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_QUESTION), field="question")
    body = db.session.get(Body, data.body_id) if data.body_id else None
    if body is None or not body.active:
        raise DomainError(_l("Choose a body from the list."), field="body_id")
    method = tallying.METHODS.get(data.method)
    if method is None:
        raise DomainError(_l("Choose a way of voting from the list."), field="method")
    options = tuple(" ".join(o.split()) for o in data.options if o and o.strip())
    if data.candidates:
        if not method.needs_options:
            raise DomainError(
                _l("Candidates are for a vote between choices, not for yes/no or consent."),
                field="candidates",
            )
        labels = candidate_labels(data.candidates)
        if labels is None:
            raise DomainError(_l("Choose active members from the list."), field="candidates")
        known = {o.casefold() for o in options}
        options += tuple(label for label in labels if label.casefold() not in known)
    if method.needs_options:
        if len(options) < 2:
            raise DomainError(_l("Give at least two choices."), field="options")
        if len(options) > MAX_OPTIONS:
            raise DomainError(_l("At most %(n)d choices.", n=MAX_OPTIONS), field="options")
        if any(len(o) > MAX_OPTION for o in options):
            raise DomainError(
                _l("A choice has at most %(n)d characters.", n=MAX_OPTION), field="options"
            )
        if len({o.casefold() for o in options}) != len(options):
            raise DomainError(_l("Two choices are the same."), field="options")
    else:
        options = ()
    if data.majority not in set(Majority):
        raise DomainError(_l("Choose a majority from the list."), field="majority")
    if data.quorum_percent is not None and not 0 <= data.quorum_percent <= 100:
        raise DomainError(
            _l("A whole number from %(low)d to %(high)d.", low=0, high=100), field="quorum_percent"
        )
    if data.seats > 1 and not method.several_seats:
        raise DomainError(
            _l(
                "Yes/no and consent decide one question: keep 1. "
                "To elect several people, vote between candidates."
            ),
            field="seats",
        )
    if not 1 <= data.seats <= min(50, max(len(options), 1)):
        raise DomainError(_l("There cannot be more seats than choices."), field="seats")
    for name in ("min_choices", "max_choices"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= len(options):
            raise DomainError(_l("At most as many as there are choices."), field=name)
    if data.min_choices and data.max_choices and data.min_choices > data.max_choices:
        raise DomainError(_l("The minimum cannot be more than the maximum."), field="min_choices")
    if data.in_room:
        _check_room_settings(method, data)
    return PollData(
        title=title,
        body_id=data.body_id,
        method=data.method,
        question=question,
        options=options,
        secret=bool(data.secret),
        practice=bool(data.practice),
        majority=data.majority,
        abstentions_count=bool(data.abstentions_count),
        quorum_percent=data.quorum_percent,
        seats=data.seats,
        min_choices=data.min_choices,
        max_choices=data.max_choices,
        subject_key=data.subject_key or None,
        closes_at=data.closes_at,
        in_room=bool(data.in_room),
    )


def _check_room_settings(method: tallying.Method, data: PollData) -> None:
    """What a count in the room can decide: one question, one choice, or approvals, one seat."""
    if method.ballot not in ROOM_BALLOTS:
        raise DomainError(
            _l(
                "Choices in order cannot be counted in the room. "
                "Choose another way of voting, or vote on the portal."
            ),
            field="in_room",
        )
    if data.seats > 1:
        raise DomainError(
            _l(
                "In the room, one seat at a time: put 1 in “How many people to elect”, "
                "or vote on the portal."
            ),
            field="in_room",
        )
    # Each raised hand is kept as a ballot for one choice: a minimum above 1 could not be
    # checked in the room, and a maximum of 0 would refuse every hand.
    if data.min_choices is not None and data.min_choices > 1:
        raise DomainError(
            _l("In the room, the fewest choices per person cannot be checked: leave it empty."),
            field="min_choices",
        )
    if data.max_choices == 0:
        raise DomainError(_l("Allow at least one choice per person."), field="max_choices")


def active_candidates() -> list[tuple[int, str]]:
    """Members active today, as (id, the label they get as a candidate), by family name.

    The label is the person's name; when two active members share a name, their member
    number follows it, so the ballot tells them apart."""
    rows = db.session.execute(
        sa.select(Member.id, Member.given_name, Member.family_name, Member.member_number)
        .where(Member.state == "active")
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name), Member.id)
    ).all()
    names = [" ".join(f"{row.given_name} {row.family_name}".split()) for row in rows]
    seen: dict[str, int] = {}
    for name in names:
        seen[name.casefold()] = seen.get(name.casefold(), 0) + 1
    return [
        (row.id, f"{name} ({row.member_number})" if seen[name.casefold()] > 1 else name)
        for row, name in zip(rows, names, strict=True)
    ]


def candidate_labels(member_ids) -> list[str] | None:
    """The candidate labels of these members, in the order given; None if one is not an
    active member."""
    labels = dict(active_candidates())
    if any(member_id not in labels for member_id in member_ids):
        return None
    return list(dict.fromkeys(labels[member_id] for member_id in member_ids))


def _apply(poll: Poll, data: PollData) -> None:
    for name in (
        "title",
        "question",
        "body_id",
        "method",
        "secret",
        "practice",
        "majority",
        "abstentions_count",
        "quorum_percent",
        "seats",
        "min_choices",
        "max_choices",
        "subject_key",
        "closes_at",
        "in_room",
    ):
        setattr(poll, name, getattr(data, name))
    if poll.option_labels != list(data.options):
        poll.options.clear()
        db.session.flush()
        poll.options.extend(
            PollOption(position=index, label=label) for index, label in enumerate(data.options)
        )


def create_poll(actor, data: PollData) -> Poll:
    if not can(actor, Permission.MANAGE_POLLS):
        raise NotAllowed(_l("Only the board prepares polls."))
    data = _check_poll_data(data)
    poll = Poll(owner_id=actor.id)
    _apply(poll, data)
    if data.quorum_percent is None and "quorum_percent" not in data.extra:
        poll.quorum_percent = db.session.get(Body, data.body_id).quorum_percent
    db.session.add(poll)
    db.session.flush()
    poll.security_path = f"/{poll.object_key}/"
    audit.record(
        actor,
        "poll.created",
        f"poll {poll.id} ({poll.method}, {'secret' if poll.secret else 'named'}) prepared",
        object_key=poll.object_key,
        practice=poll.practice,
        in_room=poll.in_room,
    )
    db.session.flush()
    return poll


def create_practice_poll(actor, data: PollData) -> Poll:
    """Prepare a practice vote ("practice — not counted") owned by `actor`, who need not manage
    polls: a trainer practising a vote with the people of a session. The caller decides who may
    (programmes asks that `actor` runs the session); here `actor` must be logged in and active.
    The poll is always practice, with no quorum unless one is given; its author opens it for a
    list of people (`open_poll(..., practice_electors=...)`), closes and cancels it
    (`policies.can_manage_practice_poll`). Raises NotAllowed, DomainError (as `create_poll`)."""
    if not (getattr(actor, "is_authenticated", False) and getattr(actor, "active", False)):
        raise NotAllowed(_l("Log in first."))
    data = _check_poll_data(replace(data, practice=True))
    poll = Poll(owner_id=actor.id)
    _apply(poll, data)
    db.session.add(poll)
    db.session.flush()
    poll.security_path = f"/{poll.object_key}/"
    audit.record(
        actor,
        "poll.created",
        f"practice poll {poll.id} ({poll.method}) prepared",
        object_key=poll.object_key,
        practice=True,
        in_room=poll.in_room,
        subject=poll.subject_key,
    )
    db.session.flush()
    return poll


def update_poll(actor, poll: Poll, data: PollData) -> Poll:
    """Change a poll being prepared. Once open, nothing about what is voted on may change."""
    if not can(actor, Permission.EDIT, poll):
        raise NotAllowed(_l("You cannot change this poll."))
    _lock(poll)
    if poll.state != "draft" or _has_ballots(poll):
        raise Conflict(
            _l("Voting has started: the question, the choices and the electorate cannot change.")
        )
    data = _check_poll_data(data)
    if poll.practice and not data.practice and not can(actor, Permission.MANAGE_POLLS):
        raise DomainError(
            _l("Only the board turns a practice vote into a real one."), field="practice"
        )
    _apply(poll, data)
    db.session.flush()
    audit.record(actor, "poll.updated", f"poll {poll.id} changed", object_key=poll.object_key)
    return poll


def _has_ballots(poll: Poll) -> bool:
    return bool(
        db.session.scalar(
            sa.select(Participation.id).where(Participation.poll_id == poll.id).limit(1)
        )
    )


def _lock(poll: Poll, *, share: bool = False) -> None:
    """Lock the poll row until the end of the transaction and re-read its state.

    On SQLite the write transaction already holds the database lock (BEGIN IMMEDIATE).
    """
    query = sa.select(Poll.state).where(Poll.id == poll.id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=share)
    state = db.session.execute(query).scalar_one()
    if state != poll.state:
        db.session.refresh(poll)


# --- Opening, closing ------------------------------------------------------------------------------


def _step_name(actor, poll: Poll, step: str) -> str:
    """The workflow step `actor` takes: the usual one, or its practice twin when `actor` runs
    the practice vote as its author without managing polls (`workflow._practice_only`)."""
    if can_manage_practice_poll(actor, poll) and not can(actor, Permission.MANAGE_POLLS, poll):
        return f"{step}_practice"
    return step


def open_poll(
    actor,
    poll: Poll,
    link=None,
    electors: list[body_services.Voter] | None = None,
    *,
    practice_electors: list[int] | None = None,
) -> Poll:
    """Open the vote: the body's electorate of today is frozen for this poll, with weights.

    `electors`: freeze only these people instead (a meeting where only those present vote);
    each must be in the body's electorate of today, and keeps the weight it has there (else
    DomainError); a person given twice counts once.

    `practice_electors`: a practice poll only (else DomainError): freeze these members of the
    register, one vote each, whether or not they are in the body (the people of a training
    session; the body of a practice vote says nothing about who votes). Its author opens it
    this way, and only this way.

    `link(poll)` gives the poll's address for the e-mails to the electorate (none without it;
    none for a poll counted in the room: people vote there, not on the portal).
    """
    _lock(poll)
    step = _step_name(actor, poll, "open")
    if practice_electors is not None:
        if not poll.practice:
            raise DomainError(_l("Only a practice vote is opened for a list of people."))
        if electors is not None:
            raise DomainError(_l("Give one list of people, not two."))
        chosen = sorted({int(m) for m in practice_electors})
        if not chosen:
            raise DomainError(_l("Nobody is here to vote."))
        known = set(db.session.scalars(sa.select(Member.id).where(Member.id.in_(chosen))))
        if known != set(chosen):
            raise DomainError(_l("Someone on the list is not in the register."))
        voters = [body_services.Voter(m, 1) for m in chosen]
    elif step == "open_practice":
        raise DomainError(_l("A practice vote is opened for the people taking part."))
    else:
        voters = body_services.electorate(poll.body, local_today())
        if not voters:
            raise DomainError(_l("Nobody can vote in this body today. Check its members first."))
    if electors is not None:
        weight_of = {v.member_id: v.weight for v in voters}
        chosen = list(dict.fromkeys(v.member_id for v in electors))
        if not chosen:
            raise DomainError(_l("Nobody is here to vote."))
        if any(member_id not in weight_of for member_id in chosen):
            raise DomainError(_l("Someone on the list cannot vote in this body today."))
        voters = [body_services.Voter(m, weight_of[m]) for m in sorted(chosen)]
    apply_transition(
        poll,
        step,
        actor,
        electorate=len(voters),
        **({"electors_chosen": True} if electors is not None else {}),
        **({"practice_electors": True} if practice_electors is not None else {}),
    )
    db.session.execute(
        sa.insert(PollElector),
        [{"poll_id": poll.id, "member_id": v.member_id, "weight": v.weight} for v in voters],
    )
    poll.electorate_count = len(voters)
    poll.electorate_weight = sum(v.weight for v in voters)
    poll.proxy_cap = poll.body.proxy_cap
    poll.opened_at = utcnow()
    db.session.flush()
    if link is not None and not poll.in_room:
        notify.poll_opened(poll, link)
    return poll


def close_poll(actor, poll: Poll, link=None) -> Poll:
    """Close the vote and count it. Votes in progress finish first; later ones are refused.

    `link(poll)` gives the results' address for the e-mails to the electorate. A poll counted
    in the room closes once its counts are entered (else DomainError).

    Once counted, `signals.poll_counted` is sent (synchronously, in this transaction): meetings
    enters an adopted poll that is not practice into the decisions register now, once; the
    approval of the minutes later links that entry to them instead of recording it again.
    """
    _lock(poll)
    if poll.in_room and poll.state == "open" and poll.present_count is None:
        raise DomainError(_l("Enter the counts from the room before closing the vote."))
    apply_transition(poll, _step_name(actor, poll, "close"), actor)
    poll.closed_at = utcnow()
    poll.result = tally_poll(poll).as_dict()
    db.session.flush()
    audit.record(
        actor,
        "poll.counted",
        f"poll {poll.id} counted: {poll.result.get('verdict')}",
        object_key=poll.object_key,
        verdict=poll.result.get("verdict"),
        participation=poll.result.get("participation"),
    )
    poll_counted.send(poll, actor=actor)
    if link is not None:
        notify.poll_results(poll, link)
    return poll


def cancel_poll(actor, poll: Poll, reason: str) -> Poll:
    _lock(poll)
    apply_transition(poll, _step_name(actor, poll, "cancel"), actor, reason)
    poll.closed_at = utcnow()
    db.session.flush()
    return poll


def tally_poll(poll: Poll) -> tallying.Result:
    """Count the ballots of `poll` with its method and rules (pure tally on the rows)."""
    rows = db.session.execute(
        sa.select(Ballot.content, Ballot.weight).where(Ballot.poll_id == poll.id)
    ).all()
    ballots = [tallying.ballot_from_dict({**content, "weight": weight}) for content, weight in rows]
    return tallying.tally(poll.method, poll.option_labels, ballots, rules_of(poll))


def ballots_document(poll: Poll) -> dict:
    """The re-tally file of a closed poll (see docs/retally.md): never names a member."""
    rows = db.session.execute(
        sa.select(Ballot.content, Ballot.weight).where(Ballot.poll_id == poll.id)
    ).all()
    ballots = [tallying.ballot_from_dict({**content, "weight": weight}) for content, weight in rows]
    return tallying.export_document(
        poll.method,
        poll.option_labels,
        ballots,
        rules_of(poll),
        secret=poll.secret,
        poll={
            "id": poll.id,
            "title": poll.title,
            "closed_at": poll.closed_at.isoformat() if poll.closed_at else None,
        },
    )


def rules_of(poll: Poll) -> tallying.Rules:
    """The tally's rules for `poll`. Counted in the room, every person counts once (a raised
    hand carries no college weight): the electorate is the number of people, and the turnout,
    on which the quorum is measured, is the people present."""
    if poll.in_room:
        electorate, turnout = poll.electorate_count or None, poll.present_count
    else:
        electorate, turnout = poll.electorate_weight or None, None
    return tallying.Rules(
        majority=poll.majority,
        abstentions_count=poll.abstentions_count,
        quorum=(poll.quorum_percent / 100) if poll.quorum_percent else None,
        electorate=electorate,
        turnout=turnout,
        seats=poll.seats,
        min_choices=poll.min_choices,
        max_choices=poll.max_choices,
    )


# --- Voting ---------------------------------------------------------------------------------------


def new_receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def fingerprint(receipt: str) -> str:
    normalised = "".join(ch for ch in receipt.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def format_receipt(receipt: str) -> str:
    return "-".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def elector_weight(poll: Poll, member: Member) -> int | None:
    """The member's weight in the poll's frozen electorate (None: not in it). The electorate
    never changes once the poll is open, so the answer is kept for the rest of the request."""
    frozen = poll.state != "draft" and has_request_context()
    cache = g.setdefault("_elector_weight", {}) if frozen else None
    key = (poll.id, member.id)
    if cache is not None and key in cache:
        return cache[key]
    weight = db.session.scalar(
        sa.select(PollElector.weight).where(
            PollElector.poll_id == poll.id, PollElector.member_id == member.id
        )
    )
    if cache is not None:
        cache[key] = weight
    return weight


def _insert_participation(values: dict) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING: the id, or None when the member has already voted."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Participation)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["poll_id", "member_id"])
        .returning(Participation.id)
    )
    return db.session.execute(statement).scalar()


def cast_vote(
    actor,
    poll: Poll,
    member: Member,
    content: dict,
    *,
    mode: CastMode = CastMode.SELF,
    assisted_by=None,
) -> str:
    """Record one vote for `member`, cast by `actor`; returns the voter's receipt code.

    `mode` SELF: the actor is the member. PROXY: the actor holds the member's proxy in force.
    ASSISTED: the actor is the member, who confirms, with `assisted_by` (a trainer or a board
    member) beside them; recorded and audited, not a proxy.
    Raises AlreadyVoted, NotAllowed, DomainError (closed poll, not in the electorate, bad ballot).
    """
    _lock(poll, share=True)
    if poll.state != "open" or not can(actor, Permission.VOTE, poll):
        raise DomainError(_l("This poll is not open for votes."))
    if poll.in_room:
        raise DomainError(_l("This vote is counted in the room, not on the portal."))
    weight = elector_weight(poll, member)
    if weight is None:
        raise NotAllowed(_l("This person is not in the electorate of this poll."))
    actor_member = member_of(actor)
    proxy = None
    if mode in (CastMode.SELF, CastMode.ASSISTED):
        if actor_member is None or actor_member.id != member.id:
            raise NotAllowed(_l("You can only vote for yourself, or with a proxy."))
        if mode is CastMode.ASSISTED and (assisted_by is None or assisted_by.id == actor.id):
            raise DomainError(_l("Say who helped you vote."), field="assisted_by")
    elif mode is CastMode.PROXY:
        proxy = _proxy_in_force(poll, member)
        if proxy is None or actor_member is None or proxy.holder_id != actor_member.id:
            raise NotAllowed(_l("You do not hold a proxy from this person for this poll."))
    else:
        raise DomainError(_l("Unknown way of voting."))
    if not isinstance(content, dict) or not content:
        raise DomainError(_l("Choose an answer first."), field="choice")
    try:
        ballot = tallying.ballot_from_dict({**content, "weight": weight})
        tallying.validate_ballot(poll.method, poll.option_labels, ballot, rules_of(poll))
    except tallying.TallyError as error:
        raise DomainError(message_for(error), field="choice") from error
    participation_id = _insert_participation(
        {
            "poll_id": poll.id,
            "member_id": member.id,
            "mode": mode.value,
            "cast_by_id": actor.id,
            "assisted_by_id": assisted_by.id if assisted_by is not None else None,
            "named_choice": None if poll.secret else ballot.content(),
            "created_at": utcnow(),
        }
    )
    if participation_id is None:
        if mode is CastMode.PROXY:
            raise AlreadyVoted(_l("%(name)s has already voted.", name=member.full_name))
        raise AlreadyVoted(_l("You have already voted in this poll."))
    receipt = new_receipt()
    db.session.execute(
        sa.insert(Ballot).values(
            key=secrets.token_hex(16),
            poll_id=poll.id,
            content=ballot.content(),
            weight=weight,
            receipt_fingerprint=fingerprint(receipt),
        )
    )
    if proxy is not None:
        proxy.used_at = utcnow()
    else:  # the member voted themselves: a proxy they gave no longer applies
        db.session.execute(
            sa.update(Proxy)
            .where(
                Proxy.poll_id == poll.id,
                Proxy.principal_id == member.id,
                Proxy.revoked_at.is_(None),
                Proxy.used_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
    audit.record(
        actor,
        "vote.participation",
        f"poll {poll.id}: member {member.member_number} took part ({mode.value})",
        object_key=poll.object_key,
        member_id=member.id,
        mode=mode.value,
        assisted_by=assisted_by.id if assisted_by is not None else None,
    )
    db.session.flush()
    return receipt


def has_voted(poll: Poll, member: Member) -> bool:
    return bool(
        db.session.scalar(
            sa.select(Participation.id).where(
                Participation.poll_id == poll.id, Participation.member_id == member.id
            )
        )
    )


@dataclass(frozen=True)
class Turnout:
    """On the portal: `voted` of `electorate` (people). In the room: `voted` is the people
    present, None until the counts are entered."""

    voted: int | None
    electorate: int
    in_room: bool = False


def turnout(poll: Poll) -> Turnout:
    if poll.in_room:
        return Turnout(poll.present_count, poll.electorate_count, in_room=True)
    voted = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Participation)
        .where(Participation.poll_id == poll.id)
    )
    return Turnout(int(voted or 0), poll.electorate_count)


def receipt_fingerprints(poll: Poll) -> list[str]:
    """After the close: the fingerprints of every counted ballot, sorted (no choices). None
    for a poll counted in the room: it gives no receipts."""
    if poll.state != "closed" or poll.in_room:
        return []
    return sorted(
        db.session.scalars(sa.select(Ballot.receipt_fingerprint).where(Ballot.poll_id == poll.id))
    )


def receipt_counted(poll: Poll, receipt: str) -> bool:
    if poll.state != "closed":
        return False
    return bool(
        db.session.scalar(
            sa.select(Ballot.key).where(
                Ballot.poll_id == poll.id, Ballot.receipt_fingerprint == fingerprint(receipt)
            )
        )
    )


# --- Counted in the room ------------------------------------------------------------------------


def room_answers(poll: Poll) -> list[str]:
    """What the room counts, in order: the method's answers (yes, no, abstain; agree, stand
    aside, object) or the poll's options."""
    method = tallying.get_method(poll.method)
    return list(method.votes) if method.ballot == "vote" else poll.option_labels


def _room_content(method: tallying.Method, answer: str) -> dict:
    if method.ballot == "vote":
        return {"vote": answer}
    if method.ballot == "choice":
        return {"choice": answer}
    return {"choices": [answer]}  # approval: one ballot per option, weighted by its hands


def room_counts(poll: Poll) -> dict[str, int]:
    """The counts entered for an in-room poll, per answer (0 where nobody), or {} before."""
    if not poll.in_room or poll.present_count is None:
        return {}
    method = tallying.get_method(poll.method)
    counts = dict.fromkeys(room_answers(poll), 0)
    for content, weight in db.session.execute(
        sa.select(Ballot.content, Ballot.weight).where(Ballot.poll_id == poll.id)
    ):
        value = content.get(method.ballot)
        answer = value[0] if isinstance(value, list) and len(value) == 1 else value
        if answer in counts:
            counts[answer] += weight
    return counts


def _whole_number(value) -> bool:
    return type(value) is int and value >= 0


def record_room_count(actor, poll: Poll, present: int, counts: Mapping[str, int]) -> Poll:
    """Enter (or correct) the count of an in-room poll: `present`, the people in the room, and
    `counts`, the hands or paper ballots per answer (`room_answers`; a missing answer is 0).

    Rules: 1 <= present <= the electorate frozen at the opening; every count a whole number,
    0 or more; one answer per person (yes/no/abstain, consent, one choice): the counts
    together at most `present`; approval: each choice at most `present` (and, with a most
    choices per person, all the hands at most `present` times that). The counts replace the
    previous ones (one weighted ballot per answer) until the close; each entry is audited with
    who, the people present and the counts (counting in the room is public).

    Raises NotAllowed (not a manager of this poll, nor the author of this practice vote),
    Conflict (the poll is not open: counts are entered between the opening and the close),
    DomainError (not an in-room poll; a number breaking a rule: field "present",
    "count:<answer>" or "counts").
    """
    practice = can_manage_practice_poll(actor, poll)  # its author counts a practice vote
    if not practice and not can(actor, Permission.MANAGE_POLLS):
        raise NotAllowed(_l("Only the person managing the vote enters the counts."))
    _lock(poll)
    if not poll.in_room:
        raise DomainError(_l("This vote is on the portal: counts are not entered by hand."))
    if poll.state != "open":
        raise Conflict(
            _l("Counts are entered while the vote is open: after the opening, before the close.")
        )
    if not practice and not can(actor, Permission.MANAGE_POLLS, poll):
        raise NotAllowed(_l("Only the person managing the vote enters the counts."))
    if not _whole_number(present):
        raise DomainError(_l("Give a whole number."), field="present")
    if present < 1:
        raise DomainError(_l("At least one person must be present."), field="present")
    if present > poll.electorate_count:
        raise DomainError(
            _l(
                "There cannot be more people present than the %(n)d in the electorate.",
                n=poll.electorate_count,
            ),
            field="present",
        )
    answers = room_answers(poll)
    unknown = [key for key in counts if key not in answers]
    if unknown:
        raise DomainError(
            _l("%(value)s is not one of the choices.", value=unknown[0]), field="counts"
        )
    clean = {answer: counts.get(answer, 0) for answer in answers}
    for answer, value in clean.items():
        if not _whole_number(value):
            raise DomainError(_l("Give a whole number, 0 or more."), field=f"count:{answer}")
    method = tallying.get_method(poll.method)
    total = sum(clean.values())
    if method.ballot == "choices":
        for answer, value in clean.items():
            if value > present:
                raise DomainError(
                    _l(
                        "%(n)d is more than the %(present)d people present.",
                        n=value,
                        present=present,
                    ),
                    field=f"count:{answer}",
                )
        if poll.max_choices is not None and total > present * poll.max_choices:
            raise DomainError(
                _l(
                    "%(total)d hands in all: more than %(present)d people present can raise, "
                    "with at most %(most)d choices each.",
                    total=total,
                    present=present,
                    most=poll.max_choices,
                ),
                field="counts",
            )
    elif total > present:
        raise DomainError(
            _l(
                "The counts add up to %(total)d, more than the %(present)d people present.",
                total=total,
                present=present,
            ),
            field="counts",
        )
    previous = poll.present_count
    db.session.execute(sa.delete(Ballot).where(Ballot.poll_id == poll.id))
    rows = [
        {
            "key": secrets.token_hex(16),
            "poll_id": poll.id,
            "content": _room_content(method, answer),
            "weight": value,
            "receipt_fingerprint": ROOM_FINGERPRINT,
        }
        for answer, value in clean.items()
        if value > 0  # a ballot weighs at least 1: nobody for an answer is no row
    ]
    if rows:
        db.session.execute(sa.insert(Ballot), rows)
    poll.present_count = present
    db.session.flush()
    try:
        tally_poll(poll)  # the counts just entered must be countable at the close
    except tallying.TallyError as error:
        raise DomainError(message_for(error), field="counts") from error
    audit.record(
        actor,
        "poll.room_count",
        f"poll {poll.id} counted in the room: {present} present"
        + (" (corrected)" if previous is not None else ""),
        object_key=poll.object_key,
        present=present,
        counts=clean,
        corrected=previous is not None,
    )
    return poll


# --- Proxies --------------------------------------------------------------------------------------


def _proxy_in_force(poll: Poll, principal: Member) -> Proxy | None:
    return db.session.scalar(
        sa.select(Proxy).where(
            Proxy.poll_id == poll.id,
            Proxy.principal_id == principal.id,
            Proxy.revoked_at.is_(None),
            Proxy.used_at.is_(None),
        )
    )


def proxies_held(poll: Poll, holder: Member) -> list[Proxy]:
    return db.session.scalars(
        sa.select(Proxy)
        .where(Proxy.poll_id == poll.id, Proxy.holder_id == holder.id, Proxy.revoked_at.is_(None))
        .order_by(Proxy.id)
    ).all()


def give_proxy(actor, poll: Poll, principal: Member, holder: Member) -> Proxy:
    """The principal lets the holder vote for them in this open poll.

    Both must be in the poll's electorate; the holder may hold at most the body's cap; the
    principal must not have voted. The principal gives it themselves (or the board records a
    signed paper proxy).
    """
    _lock(poll)
    if poll.state != "open":
        raise DomainError(_l("Proxies are given while the poll is open."))
    if poll.in_room:
        raise DomainError(_l("This vote is counted in the room: there are no proxies here."))
    actor_member = member_of(actor)
    if not (actor_member is not None and actor_member.id == principal.id) and not can(
        actor, Permission.MANAGE_POLLS, poll
    ):
        raise NotAllowed(_l("Only the member themself gives their proxy."))
    if principal.id == holder.id:
        raise DomainError(_l("Choose another person."), field="holder_id")
    if elector_weight(poll, principal) is None:
        raise NotAllowed(_l("This person is not in the electorate of this poll."))
    if elector_weight(poll, holder) is None:
        raise DomainError(
            _l("%(name)s is not in the electorate of this poll.", name=holder.full_name),
            field="holder_id",
        )
    if has_voted(poll, principal):
        raise AlreadyVoted(_l("You have already voted in this poll."))
    if _proxy_in_force(poll, principal) is not None:
        raise Conflict(_l("A proxy is already given. Take it back first."))
    if len(proxies_held(poll, holder)) >= poll.proxy_cap:
        raise DomainError(
            _l(
                "%(name)s already holds %(n)d proxies, the most allowed.",
                name=holder.full_name,
                n=poll.proxy_cap,
            ),
            field="holder_id",
        )
    proxy = Proxy(
        poll_id=poll.id, principal_id=principal.id, holder_id=holder.id, created_by_id=actor.id
    )
    db.session.add(proxy)
    db.session.flush()
    audit.record(
        actor,
        "proxy.given",
        f"poll {poll.id}: member {principal.member_number} gave a proxy to {holder.member_number}",
        object_key=poll.object_key,
        principal_id=principal.id,
        holder_id=holder.id,
    )
    return proxy


def revoke_proxies_of_leaver(actor, member: Member) -> int:
    """The member left: the proxies in force they gave or hold in polls still open, not used
    yet, are taken back (each audited). Returns how many. Called through
    `members.signals.member_left`; a principal whose holder left may give another proxy."""
    proxies = db.session.scalars(
        sa.select(Proxy)
        .join(Poll, Poll.id == Proxy.poll_id)
        .where(
            Poll.state == "open",
            sa.or_(Proxy.principal_id == member.id, Proxy.holder_id == member.id),
            Proxy.revoked_at.is_(None),
            Proxy.used_at.is_(None),
        )
        .order_by(Proxy.id)
    ).all()
    for proxy in proxies:
        proxy.revoked_at = utcnow()
        audit.record(
            actor,
            "proxy.revoked",
            f"poll {proxy.poll_id}: proxy {proxy.id} taken back, member "
            f"{member.member_number} left",
            object_key=f"{Poll.content_type}:{proxy.poll_id}",
            principal_id=proxy.principal_id,
            member_left=member.id,
        )
    db.session.flush()
    return len(proxies)


def revoke_proxy(actor, proxy: Proxy) -> Proxy:
    poll = db.session.get(Poll, proxy.poll_id)
    _lock(poll)
    db.session.refresh(proxy)
    actor_member = member_of(actor)
    if not (actor_member is not None and actor_member.id == proxy.principal_id) and not can(
        actor, Permission.MANAGE_POLLS, poll
    ):
        raise NotAllowed(_l("Only the member themself takes back their proxy."))
    if proxy.used_at is not None:
        raise Conflict(_l("The proxy was already used to vote. It cannot be taken back."))
    if proxy.revoked_at is not None:
        raise Conflict(_l("This proxy was already taken back."))
    proxy.revoked_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "proxy.revoked",
        f"poll {poll.id}: proxy {proxy.id} taken back",
        object_key=poll.object_key,
        principal_id=proxy.principal_id,
    )
    return proxy
