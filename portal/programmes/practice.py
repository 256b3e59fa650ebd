"""Practice of democracy inside a session: a practice meeting and a practice vote.

- The practice meeting: participants take roles in turn (chair, secretary, teller). The trainer
  saves a turn at once (`save_turn`): each role to a participant of the session, one role per
  person and turn; the next turn is proposed so that everyone gets a role in turn
  (`suggest_turn`: people who had no role yet first, then those who held fewest, each
  preferably in a role they have not held). Rows: `PracticeRole` (unique session, turn, role).
- The practice vote: a normal `Poll` of the voting domain with `practice=True` ("practice — not
  counted"), linked by `Session.practice_poll_id`, `subject_key="programme_session:<id>"`,
  owned by the trainer, who opens, counts (in the room) and closes it without managing polls
  (`voting.policies.can_manage_practice_poll`). Its electorate is the session's participants,
  one vote each: on the portal, those with a login; in the room, all of them (the trainer enters
  the people present and the hands). Its body is the general assembly (or, without one, the
  first active body): a poll needs a body, but a practice vote's electorate is its own list, so
  the body decides nothing (no quorum, no college weights, no e-mails to the body).
- Taking part is credited, never a choice: a role held is a line of the participant's record
  (`practice_roles_of`: "Chair in a practice meeting on <day>"); for the vote, only whether the
  person took part (`took_part`) and the turnout. Practice polls never count in participation
  figures (voting's contributions leave them out).

Services take the acting user, never commit, and raise DomainError (bad input, 422),
NotAllowed (403), Conflict (409).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from portal.core import audit
from portal.core.db import MAX_ID
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.members.models import Body, BodyKind, Member
from portal.programmes.common import is_participant_on, participants
from portal.programmes.models import (
    PRACTICE_ROLE_TITLES,
    PracticeRole,
    PracticeRoleKind,
    Programme,
    Session,
)
from portal.programmes.policies import can_run_session
from portal.voting import services as voting
from portal.voting.models import Participation, Poll

ROLES = tuple(PracticeRoleKind)
MAX_TURN = 20  # the table's check: turn BETWEEN 1 AND 20

# What each role does, in plain words, for participants to read on their phone.
ROLE_CARDS = {
    PracticeRoleKind.CHAIR: _l(
        "The chair opens the meeting and gives the floor. "
        "They follow the agenda and watch the time."
    ),
    PracticeRoleKind.SECRETARY: _l(
        "The secretary writes what is decided. They read it out at the end."
    ),
    PracticeRoleKind.TELLER: _l("The teller counts the votes and says the result aloud."),
}

# The credit line of a role held, in the participant's record.
CREDIT_LINES = {
    PracticeRoleKind.CHAIR: lambda day: _("Chair in a practice meeting on %(day)s", day=day),
    PracticeRoleKind.SECRETARY: lambda day: _(
        "Secretary in a practice meeting on %(day)s", day=day
    ),
    PracticeRoleKind.TELLER: lambda day: _("Teller in a practice meeting on %(day)s", day=day),
}

METHODS = ("yes_no_abstain", "single")
SUBJECT_PREFIX = "programme_session:"


def subject_key(session: Session) -> str:
    return f"{SUBJECT_PREFIX}{session.id}"


def _check_runner(actor, session: Session) -> None:
    if not can_run_session(actor, session):
        raise NotAllowed(_l("Only the trainers of this session run the practice."))


# --- The practice meeting ----------------------------------------------------------------------


def turns(session: Session) -> dict[int, dict[str, PracticeRole]]:
    """The roles held, turn by turn: {turn: {role: row}}, turns in order."""
    rows = db.session.scalars(
        sa.select(PracticeRole)
        .where(PracticeRole.session_id == session.id)
        .order_by(PracticeRole.turn, PracticeRole.id)
        .execution_options(populate_existing=True)  # rows changed by `_upsert_role`
    ).all()
    found: dict[int, dict[str, PracticeRole]] = {}
    for row in rows:
        found.setdefault(row.turn, {})[row.role] = row
    return found


def last_turn(session: Session) -> int:
    """The number of the last turn saved (0: none yet)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.max(PracticeRole.turn)).where(PracticeRole.session_id == session.id)
        )
        or 0
    )


def suggest_turn(session: Session, people: list[Member] | None = None) -> dict[str, int | None]:
    """Who could take each role in the next turn, so that everyone gets a role in turn: people
    who had no role yet first, then those who held fewest roles, those of the last turn last;
    each role preferably to someone who has not held it. None when there is nobody left."""
    people = participants(session) if people is None else people
    held = turns(session)
    counts = {p.id: 0 for p in people}
    had_role: dict[int, set[str]] = {p.id: set() for p in people}
    for roles in held.values():
        for role, row in roles.items():
            if row.member_id in counts:
                counts[row.member_id] += 1
                had_role[row.member_id].add(role)
    last = held[max(held)] if held else {}
    in_last = {row.member_id for row in last.values()}
    order = {p.id: index for index, p in enumerate(people)}
    ranked = sorted(counts, key=lambda m: (counts[m], m in in_last, order[m]))
    suggestion: dict[str, int | None] = {}
    taken: set[int] = set()
    for role in ROLES:
        free = [m for m in ranked if m not in taken]
        # Among those who come first (the fewest roles), one who has not held this role.
        if free:
            fewest = counts[free[0]]
            fresh = [m for m in free if counts[m] == fewest and role.value not in had_role[m]]
            choice = fresh[0] if fresh else free[0]
            taken.add(choice)
            suggestion[role.value] = choice
        else:
            suggestion[role.value] = None
    return suggestion


def _upsert_role(session: Session, turn: int, role: str, member_id: int) -> None:
    """One row per session, turn and role; two saves at once leave one (the last)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PracticeRole).values(
        session_id=session.id, turn=turn, role=role, member_id=member_id
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["session_id", "turn", "role"],
            set_={"member_id": statement.excluded.member_id},
        )
    )


def save_turn(
    actor, session: Session, turn: int | None, choices: Mapping[str, int | None]
) -> dict[str, PracticeRole]:
    """Save who holds each role in `turn` (a role left empty: nobody). `choices` maps a role
    ("chair", "secretary", "teller") to a member's id, or None.

    Rules: a turn from 1 to the next one (at most 20), no gap; each person a participant of the
    session; a person holds one role per turn. Emptying every role removes the turn, for the
    last turn only. Raises NotAllowed (not a trainer of the session), DomainError (field
    "turn", a role's name, or "roles")."""
    _check_runner(actor, session)
    last = last_turn(session)
    if turn is None or not 1 <= turn <= min(last + 1, MAX_TURN):
        if turn is not None and turn > MAX_TURN:
            raise DomainError(_l("At most %(n)d turns.", n=MAX_TURN), field="turn")
        raise DomainError(_l("Choose a turn from the page."), field="turn")
    unknown = [role for role in choices if role not in {r.value for r in ROLES}]
    if unknown:
        raise DomainError(_l("Choose a role from the list."), field="roles")
    chosen = {role: member_id for role, member_id in choices.items() if member_id is not None}
    names: dict[int, str] = {}
    for role, member_id in chosen.items():
        member = db.session.get(Member, member_id) if 0 < member_id <= MAX_ID else None
        if member is None or not is_participant_on(session, member_id):
            raise DomainError(_l("Choose a person taking part in this session."), field=role)
        names[member_id] = member.full_name
    seen: dict[int, str] = {}
    for role in ROLES:
        member_id = chosen.get(role.value)
        if member_id is None:
            continue
        if member_id in seen:
            raise DomainError(
                _l(
                    "%(name)s already has a role in this turn. One role per person and turn.",
                    name=names[member_id],
                ),
                field=role.value,
            )
        seen[member_id] = role.value
    if not chosen and turn < last:
        raise DomainError(
            _l("Choose at least one person. Only the last turn can be emptied."), field="roles"
        )
    if not chosen and turn == last + 1:
        raise DomainError(_l("Choose at least one person."), field="roles")
    db.session.execute(
        sa.delete(PracticeRole).where(
            PracticeRole.session_id == session.id,
            PracticeRole.turn == turn,
            PracticeRole.role.not_in(list(chosen)),
        )
    )
    for role, member_id in chosen.items():
        _upsert_role(session, turn, role, member_id)
    db.session.flush()
    audit.record(
        actor,
        "programme.practice_turn",
        f"session {session.id}: practice turn {turn} saved",
        object_key=session.programme.object_key,
        session_id=session.id,
        turn=turn,
        roles={role: chosen.get(role.value) for role in ROLES},
    )
    return turns(session).get(turn, {})


@dataclass(frozen=True)
class PracticeCredit:
    """A role held in a practice meeting: what a participant's record shows (never a choice)."""

    session_id: int
    programme_id: int
    programme_title: str
    day: date
    role: str

    @property
    def role_title(self) -> str:
        return str(PRACTICE_ROLE_TITLES[PracticeRoleKind(self.role)])

    def line(self, day_text: str | None = None) -> str:
        """'Chair in a practice meeting on <day>' (the day as given, else in the viewer's
        language)."""
        return CREDIT_LINES[PracticeRoleKind(self.role)](day_text or format_date(self.day, "long"))


def practice_roles_of(member_id: int) -> list[PracticeCredit]:
    """The roles `member_id` held in practice meetings, by day: one line per session and role
    (a role held in two turns of a session counts once); sessions cancelled left out."""
    rows = db.session.execute(
        sa.select(
            PracticeRole.session_id,
            PracticeRole.role,
            Session.day,
            Programme.id,
            Programme.title,
        )
        .join(Session, Session.id == PracticeRole.session_id)
        .join(Programme, Programme.id == Session.programme_id)
        .where(PracticeRole.member_id == member_id, Session.cancelled_at.is_(None))
        .distinct()
        .order_by(Session.day, PracticeRole.session_id, PracticeRole.role)
    ).all()
    order = {role.value: index for index, role in enumerate(ROLES)}
    credits = [PracticeCredit(row.session_id, row.id, row.title, row.day, row.role) for row in rows]
    return sorted(credits, key=lambda c: (c.day, c.session_id, order.get(c.role, 9)))


# --- The practice vote ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticePollInput:
    question: str
    method: str = "yes_no_abstain"
    options: tuple[str, ...] = ()
    in_room: bool = False


def practice_body() -> Body | None:
    """The body a practice vote is attached to: the general assembly, else the first active
    body. It decides nothing: the electorate is the session's list (see the module doc)."""
    active = sa.select(Body).where(Body.active.is_(True))
    return db.session.scalar(
        active.where(Body.kind == BodyKind.GENERAL_ASSEMBLY.value).order_by(Body.id).limit(1)
    ) or db.session.scalar(active.order_by(Body.id).limit(1))


def practice_poll(session: Session) -> Poll | None:
    if session.practice_poll_id is None:
        return None
    return db.session.get(Poll, session.practice_poll_id)


def practice_electors(session: Session, in_room: bool) -> list[Member]:
    """Who votes in a practice vote: in the room, every participant; on the portal, those who
    can log in (the others vote in the room)."""
    people = participants(session)
    return people if in_room else [p for p in people if p.user_id is not None]


def open_practice_poll(actor, session: Session, data: PracticePollInput) -> Poll:
    """Prepare and open a practice vote for the people of the session (see the module doc); it
    becomes the session's practice vote. Raises NotAllowed (not a trainer of the session),
    DomainError (another practice vote still open; nobody can vote; no body; a question or
    choices the voting domain refuses: fields "question", "options", "method")."""
    _check_runner(actor, session)
    current = practice_poll(session)
    if current is not None and current.state in ("draft", "open"):
        raise DomainError(_l("A practice vote is still open. Close it first."))
    if data.method not in METHODS:
        raise DomainError(_l("Choose a way of voting from the list."), field="method")
    body = practice_body()
    if body is None:
        raise DomainError(_l("Set up the general assembly first: a vote needs a body."))
    electors = practice_electors(session, data.in_room)
    if not electors:
        if data.in_room:
            raise DomainError(_l("Nobody takes part in this session yet."))
        raise DomainError(
            _l("Nobody in this session can log in. Choose a vote in the room."),
            field="in_room",
        )
    question = " ".join((data.question or "").split())
    if not question:
        raise DomainError(_l("Write the question."), field="question")
    title = (
        question if len(question) <= voting.MAX_TITLE else question[: voting.MAX_TITLE - 1] + "…"
    )
    poll = voting.create_practice_poll(
        actor,
        voting.PollData(
            title=title,
            question=question,
            body_id=body.id,
            method=data.method,
            options=data.options if data.method == "single" else (),
            secret=True,
            practice=True,
            subject_key=subject_key(session),
            in_room=data.in_room,
        ),
    )
    voting.open_poll(actor, poll, practice_electors=[m.id for m in electors])
    session.practice_poll_id = poll.id
    db.session.flush()
    audit.record(
        actor,
        "programme.practice_poll_opened",
        f"session {session.id}: practice poll {poll.id} opened",
        object_key=session.programme.object_key,
        session_id=session.id,
        poll_id=poll.id,
        in_room=data.in_room,
        electorate=len(electors),
    )
    return poll


def _open_poll_of(session: Session) -> Poll:
    poll = practice_poll(session)
    if poll is None or poll.state != "open":
        raise DomainError(_l("There is no practice vote open in this session."))
    return poll


def count_practice_poll(actor, session: Session, present: int, counts: Mapping[str, int]) -> Poll:
    """Enter the people present and the hands of the session's practice vote in the room.
    Raises what `voting.record_room_count` raises, NotAllowed, DomainError (none open)."""
    _check_runner(actor, session)
    return voting.record_room_count(actor, _open_poll_of(session), present, counts)


def close_practice_poll(actor, session: Session) -> Poll:
    """Close and count the session's practice vote (no e-mails: people are in the room).
    Raises NotAllowed, DomainError (none open; in the room, counts not entered yet)."""
    _check_runner(actor, session)
    poll = voting.close_poll(actor, _open_poll_of(session))
    audit.record(
        actor,
        "programme.practice_poll_closed",
        f"session {session.id}: practice poll {poll.id} closed",
        object_key=session.programme.object_key,
        session_id=session.id,
        poll_id=poll.id,
    )
    return poll


def took_part(poll: Poll | None, member_id: int | None) -> bool:
    """Did the member vote in the practice vote (on the portal)? Never what they chose."""
    if poll is None or member_id is None:
        return False
    return (
        db.session.scalar(
            sa.select(Participation.id).where(
                Participation.poll_id == poll.id, Participation.member_id == member_id
            )
        )
        is not None
    )


def in_electorate(poll: Poll | None, member: Member | None) -> bool:
    return (
        poll is not None and member is not None and voting.elector_weight(poll, member) is not None
    )
