"""Programme services: set a programme up (its trainers and learning outcomes), move it through
its states, enrol and withdraw participants (one by one, a whole team, a body), invite them,
and plan its sessions (half-day slots, trainers, place), cancel one with a reason, write what
was covered, and keep its materials.

Rules on input (each refused with a `DomainError` naming its field, shown on the form, 422):
- a slot that ends before (or when) it starts;
- a trainer who already runs a session whose slot overlaps, on the same day, in any programme;
- a member enrolled twice (the message names them);
- a new session on a cancelled or finished programme;
- a material that is empty, too big or of a kind that cannot be attached (the proposals' checks:
  `portal.proposals.attachments`).

Services take the acting user explicitly, never commit, and raise DomainError subclasses
(NotAllowed 403 when the actor lacks the right).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import lazyload, undefer

from portal.accounts.models import Role, User, UserRole
from portal.core import audit
from portal.core.db import MAX_ID, local_today, utcnow
from portal.core.errors import DomainError, NotAllowed, NotFound
from portal.core.workflow import apply_transition, item_saved
from portal.extensions import db
from portal.integration.models import Skill
from portal.members import bodies as body_services
from portal.members.models import Body, Member
from portal.programmes import notify
from portal.programmes.common import local_zone
from portal.programmes.models import (
    HALF_TITLES,
    Attendance,
    Enrolment,
    EnrolmentSource,
    Half,
    Programme,
    ProgrammeKind,
    ProgrammeOutcome,
    ProgrammeTrainer,
    Session,
    SessionMaterial,
    SessionTrainer,
    Slot,
)
from portal.programmes.policies import (
    can_create_programme,
    can_edit_programme,
    can_enrol,
    can_name_trainers,
    can_read_sheets,
    can_run,
    can_run_session,
    can_view_programme,
    forget_cached_roles,
    is_trainer_account,
)
from portal.programmes.workflow import CANCELLED, FINISHED
from portal.proposals.attachments import ALLOWED_TYPES_TEXT as MATERIAL_TYPES_TEXT
from portal.proposals.attachments import MAX_FILE_BYTES, clean_filename, sniff

MAX_TITLE, MAX_SUMMARY, MAX_TEAM, MAX_FUNDER = 200, 5000, 80, 200
MAX_PLACE, MAX_TOPIC, MAX_COVERED, MAX_REASON = 200, 200, 10_000, 500
MAX_HOURS = Decimal("5000")
MAX_MATERIALS = 20  # per session
MAX_YEARS_AHEAD = 10
ACTIVE = "active"  # the members' state that may be enrolled

Link = Callable[[Programme], str]

__all__ = ["MATERIAL_TYPES_TEXT"]


# --- Reading ---------------------------------------------------------------------------------


def trainer_accounts() -> list[User]:
    """Active accounts that hold the trainer role, by name: who may be named a trainer."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.TRAINER.value, User.active.is_(True))
            .order_by(User.display_name, User.id)
            .distinct()
        )
    )


def active_skills() -> list[Skill]:
    """The referential's active skills, by area and order."""
    return list(
        db.session.scalars(
            sa.select(Skill)
            .where(Skill.active.is_(True))
            .order_by(Skill.area, Skill.sort_order, Skill.name, Skill.id)
        )
    )


def enrolments(programme: Programme, *, current_only: bool = True) -> list[Enrolment]:
    """The programme's enrolments (not withdrawn ones when `current_only`), by name. One
    statement whatever their number."""
    query = (
        sa.select(Enrolment)
        .join(Member, Member.id == Enrolment.member_id)
        .where(Enrolment.programme_id == programme.id)
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name), Member.id)
    )
    if current_only:
        query = query.where(Enrolment.withdrawn_on.is_(None))
    # The member (with its account) comes in the same statement (joined loading).
    return list(db.session.scalars(query).unique())


def sessions_of(programme: Programme) -> list[Session]:
    """The programme's sessions by day (slots and trainers: one statement each)."""
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(Session.programme_id == programme.id)
            .order_by(Session.day, Session.id)
        )
    )


def split_sessions(sessions: list[Session], today: date | None = None):
    """(to come, soonest first; past, latest first)."""
    today = today or local_today()
    coming = [s for s in sessions if s.day >= today]
    past = [s for s in sessions if s.day < today]
    return coming, list(reversed(past))


def materials_of(session: Session) -> list[SessionMaterial]:
    """The session's files, without their bytes."""
    return list(
        db.session.scalars(
            sa.select(SessionMaterial)
            .where(SessionMaterial.session_id == session.id)
            .order_by(SessionMaterial.created_at, SessionMaterial.id)
        )
    )


def teams() -> list[str]:
    """The teams members belong to (active members), by name."""
    return [
        t
        for t in db.session.scalars(
            sa.select(Member.team)
            .where(Member.state == ACTIVE, Member.team != "")
            .distinct()
            .order_by(Member.team)
        )
        if t
    ]


def find_members(text: str, limit: int = 20) -> list[Member]:
    """Active members whose name or number contains `text`, by name."""
    text = " ".join((text or "").split())[:80]
    if not text:
        return []
    from portal.core.viewhelpers import like_pattern

    pattern = like_pattern(text)
    full = sa.func.lower(Member.given_name + " " + Member.family_name)
    reverse = sa.func.lower(Member.family_name + " " + Member.given_name)
    return list(
        db.session.scalars(
            sa.select(Member)
            .where(
                Member.state == ACTIVE,
                sa.or_(
                    full.like(pattern, escape="\\"),
                    reverse.like(pattern, escape="\\"),
                    sa.func.lower(Member.member_number).like(pattern, escape="\\"),
                ),
            )
            .options(lazyload(Member.category))
            .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name))
            .limit(limit)
        )
    )


def session_started(session: Session, now: datetime | None = None) -> bool:
    """Has the session's first slot begun (where the enterprise is)?"""
    if not session.slots:
        return session.day <= local_today()
    start = datetime.combine(session.day, session.slots[0].starts_at, local_zone())
    return (now or utcnow()) >= start.astimezone(UTC)


# --- Checking input ----------------------------------------------------------------------------


def _too_long(n: int, name: str) -> DomainError:
    return DomainError(_l("This is too long (at most %(n)d characters).", n=n), field=name)


def _text(value: str | None, limit: int, name: str, *, one_line: bool = True) -> str:
    value = value or ""
    value = " ".join(value.split()) if one_line else value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise _too_long(limit, name)
    return value


@dataclass(frozen=True)
class ProgrammeData:
    kind: str
    title: str
    summary: str = ""
    team: str = ""
    body_id: int | None = None
    planned_hours: Decimal | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    funder: str = ""
    outcome_ids: list[int] = field(default_factory=list)
    trainer_ids: list[int] | None = None  # None: leave the trainers as they are


def _clean_programme(data: ProgrammeData) -> dict:
    if data.kind not in {k.value for k in ProgrammeKind}:
        raise DomainError(_l("Choose what kind of programme it is."), field="kind")
    title = _text(data.title, MAX_TITLE, "title")
    if not title:
        raise DomainError(_l("Give the programme a title."), field="title")
    summary = _text(data.summary, MAX_SUMMARY, "summary", one_line=False)
    team = _text(data.team, MAX_TEAM, "team")
    body_id = None
    if data.body_id:
        body = db.session.get(Body, data.body_id) if 0 < data.body_id <= MAX_ID else None
        if body is None or not body.active:
            raise DomainError(_l("Choose a body from the list."), field="body_id")
        body_id = body.id
    if team and body_id:
        raise DomainError(_l("Choose a team or a body, not both."), field="body_id")
    hours = data.planned_hours
    if hours is not None and not (0 < hours <= MAX_HOURS):
        raise DomainError(
            _l("Give the hours as a number from 1 to %(n)d.", n=int(MAX_HOURS)),
            field="planned_hours",
        )
    if data.starts_on is None:
        raise DomainError(_l("Choose the day the programme starts."), field="starts_on")
    today = local_today()
    for day, name in ((data.starts_on, "starts_on"), (data.ends_on, "ends_on")):
        if day is not None and not (
            today.replace(year=today.year - 50, day=1)
            <= day
            <= today.replace(year=today.year + MAX_YEARS_AHEAD, day=1)
        ):
            raise DomainError(_l("Choose a day within the next ten years."), field=name)
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise DomainError(_l("The end must be on or after the start."), field="ends_on")
    return {
        "kind": data.kind,
        "title": title,
        "summary": summary,
        "team": team,
        "body_id": body_id,
        "planned_hours": hours,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "funder": _text(data.funder, MAX_FUNDER, "funder"),
    }


def _skills(ids: Iterable[int]) -> list[Skill]:
    wanted = sorted({i for i in ids if 0 < i <= MAX_ID})
    if not wanted:
        return []
    found = list(
        db.session.scalars(sa.select(Skill).where(Skill.id.in_(wanted), Skill.active.is_(True)))
    )
    if len(found) != len(wanted):
        raise DomainError(_l("Choose the learning outcomes from the list."), field="outcome_ids")
    return found


def _trainers(ids: Iterable[int], programme: Programme | None = None) -> list[User]:
    """The accounts chosen: active trainers, or trainers already named on the programme (a
    trainer who lost the role may stay named: they run nothing until they have it again)."""
    wanted = sorted({i for i in ids if 0 < i <= MAX_ID})
    allowed = {u.id: u for u in trainer_accounts()}
    if programme is not None:
        allowed.update({t.user_id: t.user for t in programme.trainers})
    if any(i not in allowed for i in wanted):
        raise DomainError(
            _l("Choose the trainers from the list (accounts with the trainer role)."),
            field="trainer_ids",
        )
    return [allowed[i] for i in wanted]


def _set_outcomes(programme: Programme, skills: list[Skill]) -> None:
    wanted = {s.id for s in skills}
    for outcome in list(programme.outcomes):
        if outcome.skill_id not in wanted:
            programme.outcomes.remove(outcome)
    have = {o.skill_id for o in programme.outcomes}
    for skill in skills:
        if skill.id not in have:
            programme.outcomes.append(ProgrammeOutcome(skill_id=skill.id, skill=skill))


def _set_trainers(programme: Programme, users: list[User]) -> None:
    wanted = {u.id for u in users}
    for trainer in list(programme.trainers):
        if trainer.user_id not in wanted:
            programme.trainers.remove(trainer)
    have = {t.user_id for t in programme.trainers}
    for user in users:
        if user.id not in have:
            programme.trainers.append(ProgrammeTrainer(user_id=user.id, user=user))


# --- Programmes --------------------------------------------------------------------------------


def create_programme(actor, data: ProgrammeData) -> Programme:
    """A planned programme. Its trainers: those chosen, when the actor may name trainers; an
    actor who holds the trainer role is named automatically.

    Raises NotAllowed without `can_create_programme`; DomainError on bad input."""
    if not can_create_programme(actor):
        raise NotAllowed(_l("You cannot create programmes."))
    fields = _clean_programme(data)
    skills = _skills(data.outcome_ids)
    programme = Programme(**fields, owner_id=actor.id)
    db.session.add(programme)
    db.session.flush()
    trainers: list[User] = []
    if data.trainer_ids is not None and can_name_trainers(actor, programme):
        trainers = _trainers(data.trainer_ids)
    if is_trainer_account(actor) and actor.id not in {u.id for u in trainers}:
        trainers.append(actor)
    _set_trainers(programme, trainers)
    _set_outcomes(programme, skills)
    db.session.flush()
    forget_cached_roles()
    audit.record(
        actor,
        "programme.created",
        f"{programme.object_key} created ({programme.kind})",
        object_key=programme.object_key,
        trainers=sorted(programme.trainer_ids),
    )
    item_saved.send(programme)
    return programme


def update_programme(actor, programme: Programme, data: ProgrammeData) -> list[str]:
    """Change the programme; returns the names of what changed. The trainers change only when
    `data.trainer_ids` is given and the actor may name trainers.

    Raises NotAllowed without Edit (or without Name trainers when changing them); DomainError
    on bad input."""
    if not can_edit_programme(actor, programme):
        raise NotAllowed(_l("You cannot change this programme."))
    fields = _clean_programme(data)
    skills = _skills(data.outcome_ids)
    changed = [name for name, value in fields.items() if getattr(programme, name) != value]
    for name in changed:
        setattr(programme, name, fields[name])
    if {o.skill_id for o in programme.outcomes} != {s.id for s in skills}:
        _set_outcomes(programme, skills)
        changed.append("outcomes")
    if data.trainer_ids is not None and set(data.trainer_ids) != programme.trainer_ids:
        if not can_name_trainers(actor, programme):
            raise NotAllowed(_l("You cannot choose the trainers of this programme."))
        _set_trainers(programme, _trainers(data.trainer_ids, programme))
        changed.append("trainers")
    if changed:
        db.session.flush()
        forget_cached_roles()
        audit.record(
            actor,
            "programme.updated",
            f"{programme.object_key} changed: {', '.join(changed)}",
            object_key=programme.object_key,
            fields=changed,
        )
        item_saved.send(programme)
    return changed


def transition_programme(actor, programme: Programme, name: str, comment: str = ""):
    """Start, finish, cancel (a reason is needed) or run again: `workflow.py`.

    Raises DomainError when the step is not possible now or the reason is missing;
    NotAllowed without the step's permission."""
    entry = apply_transition(programme, name, actor, comment)
    forget_cached_roles()
    return entry


def cancel_reason(programme: Programme) -> str:
    if programme.state != CANCELLED:
        return ""
    from portal.core.workflow import history_of

    steps = [s for s in history_of(programme) if s.transition == "cancel"]
    return steps[-1].comment if steps else ""


# --- Participants --------------------------------------------------------------------------------


@dataclass
class Enrolled:
    """What an enrolment did: who was added, who was already there, who got an e-mail."""

    added: list[Member] = field(default_factory=list)
    already: list[Member] = field(default_factory=list)
    emailed: int = 0

    @property
    def on_paper(self) -> list[Member]:
        return [m for m in self.added if not notify.address_of(m)]


def _require_enrol(actor, programme: Programme) -> None:
    if not can_enrol(actor, programme):
        raise NotAllowed(_l("You cannot enrol people in this programme."))


def _enrol(
    actor, programme: Programme, members: list[Member], source: str, link: Link | None
) -> Enrolled:
    result = Enrolled()
    if not members:
        return result
    # Two people enrolling the same person at once: the second waits for the first and then
    # finds the enrolment (PostgreSQL; SQLite serialises writing requests already).
    db.session.execute(
        sa.select(Programme.id).where(Programme.id == programme.id).with_for_update()
    )
    existing = {
        e.member_id: e
        for e in db.session.scalars(
            sa.select(Enrolment).where(
                Enrolment.programme_id == programme.id,
                Enrolment.member_id.in_([m.id for m in members]),
            )
        )
    }
    today = local_today()
    fresh: list[Enrolment] = []
    for member in members:
        row = existing.get(member.id)
        if row is not None and row.withdrawn_on is None:
            result.already.append(member)
            continue
        if row is None:
            row = Enrolment(programme_id=programme.id, member_id=member.id)
            db.session.add(row)
        # Enrolled again after a withdrawal: the enrolment starts again today.
        row.withdrawn_on = None
        row.enrolled_on = today
        row.source = source
        row.enrolled_by_id = actor.id
        row.member = member
        fresh.append(row)
        result.added.append(member)
    db.session.flush()
    forget_cached_roles()
    if fresh:
        result.emailed = notify.invite(programme, fresh, link)
        audit.record(
            actor,
            "programme.enrolled",
            f"{programme.object_key}: {len(fresh)} enrolled ({source})",
            object_key=programme.object_key,
            members=[m.id for m in result.added],
            source=source,
        )
    return result


def enrol_member(actor, programme: Programme, member_id: int | None, link: Link | None = None):
    """Enrol one member (an active member of the register).

    Raises NotAllowed without Enrol; DomainError for an unknown or inactive member, or one
    already enrolled (named)."""
    _require_enrol(actor, programme)
    member = db.session.get(Member, member_id) if member_id and 0 < member_id <= MAX_ID else None
    if member is None:
        raise DomainError(_l("Choose a person from the list."), field="member_id")
    if member.state != ACTIVE:
        raise DomainError(
            _l("%(name)s is not an active member: they cannot be enrolled.", name=member.full_name),
            field="member_id",
        )
    result = _enrol(actor, programme, [member], EnrolmentSource.PERSON.value, link)
    if result.already:
        raise DomainError(
            _l("%(name)s is already enrolled.", name=member.full_name), field="member_id"
        )
    return result


def enrol_team(actor, programme: Programme, team: str, link: Link | None = None) -> Enrolled:
    """Enrol every active member of `team`; those already enrolled are skipped and reported.

    Raises NotAllowed without Enrol; DomainError for a team nobody is in."""
    _require_enrol(actor, programme)
    team = " ".join((team or "").split())
    members = (
        list(
            db.session.scalars(
                sa.select(Member)
                .where(Member.team == team, Member.state == ACTIVE)
                .order_by(Member.family_name, Member.given_name, Member.id)
            )
        )
        if team
        else []
    )
    if not members:
        raise DomainError(_l("Nobody is in this team. Choose a team from the list."), field="team")
    return _enrol(actor, programme, members, EnrolmentSource.TEAM.value, link)


def enrol_body(actor, programme: Programme, body_id: int | None, link: Link | None = None):
    """Enrol the body's current members (its electorate today); those already enrolled are
    skipped and reported.

    Raises NotAllowed without Enrol; DomainError for an unknown body, or one with nobody."""
    _require_enrol(actor, programme)
    body = db.session.get(Body, body_id) if body_id and 0 < body_id <= MAX_ID else None
    if body is None or not body.active:
        raise DomainError(_l("Choose a body from the list."), field="body_id")
    ids = [voter.member_id for voter in body_services.electorate(body, local_today())]
    members = (
        list(
            db.session.scalars(
                sa.select(Member)
                .where(Member.id.in_(ids))
                .order_by(Member.family_name, Member.given_name, Member.id)
            )
        )
        if ids
        else []
    )
    if not members:
        raise DomainError(_l("This body has no members today."), field="body_id")
    return _enrol(actor, programme, members, EnrolmentSource.BODY.value, link)


def withdraw(actor, programme: Programme, enrolment_id: int | None) -> Enrolment:
    """Withdraw a participant from today (their past attendance is kept).

    Raises NotAllowed without Enrol; NotFound for an enrolment of another programme;
    DomainError when already withdrawn."""
    _require_enrol(actor, programme)
    row = (
        db.session.get(Enrolment, enrolment_id)
        if enrolment_id and 0 < enrolment_id <= MAX_ID
        else None
    )
    if row is None or row.programme_id != programme.id:
        raise NotFound(_l("This person is not enrolled in this programme."))
    if row.withdrawn_on is not None:
        raise DomainError(
            _l("%(name)s is already withdrawn.", name=row.member.full_name), field="enrolment_id"
        )
    row.withdrawn_on = max(local_today(), row.enrolled_on)
    db.session.flush()
    forget_cached_roles()
    audit.record(
        actor,
        "programme.withdrawn",
        f"{programme.object_key}: member {row.member_id} withdrawn",
        object_key=programme.object_key,
        member=row.member_id,
    )
    return row


# --- Sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotData:
    half: str
    starts_at: time | None
    ends_at: time | None


@dataclass(frozen=True)
class SessionData:
    day: date | None
    slots: list[SlotData]
    place: str = ""
    topic: str = ""
    trainer_ids: list[int] | None = None  # None: the programme's trainers


def _slot_field(half: str, end: str) -> str:
    return f"{half}_{end}"


def _clean_slots(slots: list[SlotData]) -> list[SlotData]:
    if not slots:
        raise DomainError(_l("Choose the morning, the afternoon, or both."), field="morning")
    seen = set()
    for slot in slots:
        if slot.half not in {h.value for h in Half} or slot.half in seen:
            raise DomainError(_l("Choose the morning, the afternoon, or both."), field="morning")
        seen.add(slot.half)
        if slot.starts_at is None:
            raise DomainError(_l("Give the time it starts."), field=_slot_field(slot.half, "start"))
        if slot.ends_at is None:
            raise DomainError(_l("Give the time it ends."), field=_slot_field(slot.half, "end"))
        if slot.ends_at <= slot.starts_at:
            raise DomainError(
                _l("The session ends before it starts. Check the times."),
                field=_slot_field(slot.half, "end"),
            )
    ordered = sorted(slots, key=lambda s: s.half != Half.MORNING.value)
    if len(ordered) == 2 and ordered[0].ends_at > ordered[1].starts_at:
        raise DomainError(
            _l("The morning must end before the afternoon starts."), field="afternoon_start"
        )
    return ordered


def _fmt(value: time) -> str:
    return value.strftime("%H:%M")


def _check_overlap(
    day: date, slots: list[SlotData], users: list[User], session_id: int | None
) -> None:
    """Refuse when one of `users` runs another session that day whose slot overlaps."""
    if not users:
        return
    clauses = [
        sa.and_(Slot.starts_at < slot.ends_at, slot.starts_at < Slot.ends_at) for slot in slots
    ]
    query = (
        sa.select(SessionTrainer.user_id, Session, Slot)
        .join(Session, Session.id == SessionTrainer.session_id)
        .join(Slot, Slot.session_id == Session.id)
        .where(
            Session.day == day,
            Session.cancelled_at.is_(None),
            SessionTrainer.user_id.in_([u.id for u in users]),
            sa.or_(*clauses),
        )
        .order_by(Slot.starts_at)
    )
    if session_id is not None:
        query = query.where(Session.id != session_id)
    row = db.session.execute(query).first()
    if row is not None:
        user = next(u for u in users if u.id == row[0])
        other, slot = row[1], row[2]
        raise DomainError(
            _l(
                "%(name)s already runs a session at this time: %(topic)s (%(programme)s), "
                "%(start)s–%(end)s. Choose other times or another trainer.",
                name=user.display_name,
                topic=other.topic,
                programme=other.programme.title,
                start=_fmt(slot.starts_at),
                end=_fmt(slot.ends_at),
            ),
            field="trainer_ids",
        )


def _session_trainers(programme: Programme, ids: list[int] | None) -> list[User]:
    named = {t.user_id: t.user for t in programme.trainers}
    if ids is None:
        return list(named.values())
    wanted = sorted(set(ids))
    if any(i not in named for i in wanted):
        raise DomainError(
            _l("Choose the trainers among the programme's trainers."), field="trainer_ids"
        )
    return [named[i] for i in wanted]


def refuse_closed(programme: Programme) -> None:
    if programme.state == CANCELLED:
        raise DomainError(
            _l("This programme is cancelled: it cannot have sessions any more."), field="day"
        )
    if programme.state == FINISHED:
        raise DomainError(
            _l("This programme is finished: run it again to add sessions."), field="day"
        )


def _clean_session(programme: Programme, data: SessionData) -> dict:
    if data.day is None:
        raise DomainError(_l("Choose the day of the session."), field="day")
    if data.day < programme.starts_on or (programme.ends_on and data.day > programme.ends_on):
        raise DomainError(
            _l("Choose a day while the programme runs (from its start to its end)."), field="day"
        )
    topic = _text(data.topic, MAX_TOPIC, "topic")
    if not topic:
        raise DomainError(_l("Say what the session is about."), field="topic")
    return {
        "day": data.day,
        "slots": _clean_slots(list(data.slots)),
        "place": _text(data.place, MAX_PLACE, "place"),
        "topic": topic,
    }


def create_session(actor, programme: Programme, data: SessionData) -> Session:
    """A session of the programme, with its slots and trainers (the programme's by default)
    and a fresh secret for its check-in codes.

    Raises DomainError on a cancelled or finished programme and on bad input (slot times, a
    trainer busy elsewhere at that time); NotAllowed without Run sessions."""
    if not can_view_programme(actor, programme):
        raise NotAllowed(_l("You cannot add sessions to this programme."))
    refuse_closed(programme)
    if not can_run(actor, programme):
        raise NotAllowed(_l("You cannot add sessions to this programme."))
    fields = _clean_session(programme, data)
    users = _session_trainers(programme, data.trainer_ids)
    _check_overlap(fields["day"], fields["slots"], users, None)
    session = Session(
        programme_id=programme.id,
        day=fields["day"],
        place=fields["place"],
        topic=fields["topic"],
        code_secret=secrets.token_hex(16),
        created_by_id=actor.id,
    )
    session.programme = programme
    db.session.add(session)
    db.session.flush()
    for slot in fields["slots"]:
        session.slots.append(Slot(half=slot.half, starts_at=slot.starts_at, ends_at=slot.ends_at))
    for user in users:
        session.trainers.append(SessionTrainer(user_id=user.id, user=user))
    db.session.flush()
    audit.record(
        actor,
        "programme.session_created",
        f"{programme.object_key}: session {session.id} on {session.day}",
        object_key=programme.object_key,
        session=session.id,
    )
    return session


def _signed_slot_ids(session: Session) -> set[int]:
    """The slots someone signed (finger or paper); all of them once the trainer signed."""
    if session.trainer_signed_at is not None:
        return {slot.id for slot in session.slots}
    return set(
        db.session.scalars(
            sa.select(Attendance.slot_id).where(
                Attendance.slot_id.in_([slot.id for slot in session.slots] or [0]),
                sa.or_(Attendance.signed_at.is_not(None), Attendance.signed_on_paper.is_(True)),
            )
        )
    )


def _refuse_moving_recorded(session: Session, day: date, wanted: dict) -> None:
    """A half-day where someone is marked or signed (or a sheet the trainer signed) keeps the
    day and times it was recorded for: its minutes were counted from them, and changing what
    was signed is a correction on the sheet, not an edit."""
    signed_slots = _signed_slot_ids(session) | set(
        db.session.scalars(
            sa.select(Attendance.slot_id).where(
                Attendance.slot_id.in_([slot.id for slot in session.slots] or [0]),
                Attendance.status.is_not(None),
            )
        )
    )
    if not signed_slots:
        return
    moved = day != session.day or any(
        slot.id in signed_slots
        and slot.half in wanted  # removing a marked half-day is refused below, by name
        and (wanted[slot.half].starts_at, wanted[slot.half].ends_at)
        != (slot.starts_at, slot.ends_at)
        for slot in session.slots
    )
    if moved:
        raise DomainError(
            _l(
                "People are already marked or signed in this session: its day and the times of"
                " their half-days cannot change."
            ),
            field="day",
        )


def update_session(actor, session: Session, data: SessionData) -> Session:
    """Change a session's day, slots, place, topic or trainers. A slot where people were
    already marked keeps its rows: it cannot be removed.

    Raises NotAllowed without `can_run_session`; DomainError on bad input."""
    programme = session.programme
    if session.cancelled:
        raise DomainError(_l("This session is cancelled: it cannot change."), field="day")
    refuse_closed(programme)
    if not can_run_session(actor, session):
        raise NotAllowed(_l("You cannot change this session."))
    fields = _clean_session(programme, data)
    users = _session_trainers(programme, data.trainer_ids)
    _check_overlap(fields["day"], fields["slots"], users, session.id)
    wanted = {s.half: s for s in fields["slots"]}
    _refuse_moving_recorded(session, fields["day"], wanted)
    for slot in list(session.slots):
        if slot.half in wanted:
            slot.starts_at = wanted[slot.half].starts_at
            slot.ends_at = wanted[slot.half].ends_at
            continue
        marked = db.session.scalar(
            sa.select(sa.func.count()).select_from(Attendance).where(Attendance.slot_id == slot.id)
        )
        if marked:
            raise DomainError(
                _l(
                    "People were already marked in the %(half)s: it cannot be removed.",
                    half=str(HALF_TITLES[Half(slot.half)]).lower(),
                ),
                field=slot.half,
            )
        session.slots.remove(slot)
    have = {s.half for s in session.slots}
    for half, slot in wanted.items():
        if half not in have:
            session.slots.append(Slot(half=half, starts_at=slot.starts_at, ends_at=slot.ends_at))
    session.slots.sort(key=lambda s: s.starts_at)
    session.day = fields["day"]
    session.place = fields["place"]
    session.topic = fields["topic"]
    wanted_users = {u.id: u for u in users}
    for trainer in list(session.trainers):
        if trainer.user_id not in wanted_users:
            session.trainers.remove(trainer)
    for user_id, user in wanted_users.items():
        if user_id not in session.trainer_ids:
            session.trainers.append(SessionTrainer(user_id=user_id, user=user))
    db.session.flush()
    audit.record(
        actor,
        "programme.session_updated",
        f"{programme.object_key}: session {session.id} changed",
        object_key=programme.object_key,
        session=session.id,
    )
    return session


def cancel_session(actor, session: Session, reason: str, link=None) -> Session:
    """Cancel a session with a reason; participants with an e-mail are told.

    Raises NotAllowed without `can_run_session`; DomainError without a reason or when the
    session is already cancelled."""
    if session.cancelled:
        raise DomainError(_l("This session is already cancelled."), field="reason")
    if not can_run_session(actor, session):
        raise NotAllowed(_l("You cannot cancel this session."))
    reason = _text(reason, MAX_REASON, "reason")
    if not reason:
        raise DomainError(_l("Please say why, in a few words."), field="reason")
    if _signed_slot_ids(session):  # it took place: its signed hours are not wiped out
        raise DomainError(
            _l(
                "People signed this session: it took place and cannot be cancelled."
                " Correct the sheet instead, with a reason."
            ),
            field="reason",
        )
    session.cancelled_at = utcnow()
    session.cancel_reason = reason
    db.session.flush()
    notify.session_cancelled(session, link)
    audit.record(
        actor,
        "programme.session_cancelled",
        f"{session.programme.object_key}: session {session.id} cancelled",
        object_key=session.programme.object_key,
        session=session.id,
    )
    return session


def record_covered(actor, session: Session, text: str) -> Session:
    """Write what was covered, once the session has started.

    Raises NotAllowed without `can_run_session`; DomainError before the start or when too
    long."""
    if not can_run_session(actor, session):
        raise NotAllowed(_l("You cannot change this session."))
    if not session_started(session):
        raise DomainError(_l("You can write this once the session has started."), field="covered")
    session.covered = _text(text, MAX_COVERED, "covered", one_line=False)
    db.session.flush()
    return session


# --- Materials -----------------------------------------------------------------------------------


def _material_refused(message) -> DomainError:
    return DomainError(message, field="material")


def add_material(
    actor, session: Session, filename: str, data: bytes, *, paper_sheet: bool = False
) -> SessionMaterial:
    """Keep a file of the session (the proposals' checks: kind from the content, size, clean
    name). A scanned paper sheet is only downloaded by those who read sheets.

    Raises NotAllowed without `can_run_session`; DomainError for an empty, too big or
    unknown file, the MAX_MATERIALS+1st, or the same file twice."""
    if not can_run_session(actor, session):
        raise NotAllowed(_l("You cannot add files to this session."))
    if not data:
        raise _material_refused(_l("This file is empty. Choose another file."))
    if len(data) > MAX_FILE_BYTES:
        raise _material_refused(
            _l(
                "This file is too big. A file can be at most %(size)d MB.",
                size=MAX_FILE_BYTES // (1024 * 1024),
            )
        )
    sniffed = sniff(data, filename)
    if sniffed is None:
        raise _material_refused(
            _l(
                "This kind of file cannot be attached. You can attach: %(types)s.",
                types=MATERIAL_TYPES_TEXT,
            )
        )
    db.session.execute(sa.select(Session.id).where(Session.id == session.id).with_for_update())
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SessionMaterial)
        .where(SessionMaterial.session_id == session.id)
    )
    if count >= MAX_MATERIALS:
        raise _material_refused(
            _l(
                "This session already has %(n)d files, the most it can have. Remove one to "
                "add another.",
                n=MAX_MATERIALS,
            )
        )
    digest = hashlib.sha256(data).hexdigest()
    same = db.session.scalar(
        sa.select(SessionMaterial.filename).where(
            SessionMaterial.session_id == session.id, SessionMaterial.sha256 == digest
        )
    )
    if same is not None:
        raise _material_refused(_l("This file is already attached, as %(name)s.", name=same))
    material = SessionMaterial(
        session_id=session.id,
        filename=clean_filename(filename, sniffed.kind),
        content_type=sniffed.content_type,
        size=len(data),
        sha256=digest,
        data=data,
        paper_sheet=bool(paper_sheet),
        uploaded_by_id=actor.id,
    )
    db.session.add(material)
    db.session.flush()
    audit.record(
        actor,
        "programme.material_added",
        f"session {session.id}: file {material.id} added",
        object_key=session.programme.object_key,
        session=session.id,
        material=material.id,
        filename=material.filename,
        size=material.size,
        sha256=digest,
        paper_sheet=material.paper_sheet,
    )
    return material


def _material(session: Session, material_id: int, *options) -> SessionMaterial:
    found = None
    if 0 < material_id <= MAX_ID:
        found = db.session.scalar(
            sa.select(SessionMaterial)
            .where(SessionMaterial.id == material_id, SessionMaterial.session_id == session.id)
            .options(*options)
        )
    if found is None:
        raise NotFound(_l("This file does not exist."))
    return found


def remove_material(actor, session: Session, material_id: int) -> SessionMaterial:
    """Remove one of the session's files (audited with its name, size and SHA-256).

    Raises NotAllowed without `can_run_session`; NotFound for a file of another session."""
    if not can_run_session(actor, session):
        raise NotAllowed(_l("You cannot remove files from this session."))
    material = _material(session, material_id)
    audit.record(
        actor,
        "programme.material_removed",
        f"session {session.id}: file {material.id} removed",
        object_key=session.programme.object_key,
        session=session.id,
        material=material.id,
        filename=material.filename,
        size=material.size,
        sha256=material.sha256,
    )
    db.session.delete(material)
    db.session.flush()
    return material


def may_download(actor, session: Session, material: SessionMaterial) -> bool:
    if material.paper_sheet:
        return can_read_sheets(actor, session.programme)
    return can_view_programme(actor, session.programme)


def material_for_download(actor, session: Session, material_id: int) -> SessionMaterial:
    """One of the session's files with its bytes.

    Raises NotFound for a file of another session; NotAllowed for a scanned sheet without
    Read sheets (or without View)."""
    material = _material(session, material_id, undefer(SessionMaterial.data))
    if not may_download(actor, session, material):
        raise NotAllowed(_l("You cannot download this file."))
    return material


def upcoming_sessions(programme: Programme, today: date | None = None) -> list[Session]:
    """The sessions still to come (not cancelled), soonest first."""
    today = today or local_today()
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(
                Session.programme_id == programme.id,
                Session.day >= today,
                Session.cancelled_at.is_(None),
            )
            .order_by(Session.day, Session.id)
        )
    )
