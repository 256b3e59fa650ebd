"""The evidence of a session's learning outcomes: for each participant who came, for each
learning outcome of the programme (a skill of integration's referential), the trainer picks a
level on the four-step scale or says "not yet". Nothing is assessed automatically.

A confirmed level is also written to the member's pathway (the one running on the session's
day) as a `SkillAssessment` dated the session's day, "From the session <topic> on <day>",
assessed by the trainer. Integration's own service (`content.assess_skill`) asks for an
*assigned* trainer of the pathway; a programme's trainer is usually not one, and confirming the
evidence of their own session is their right here (`can_confirm_evidence`), so the row is
written directly, with the same checks (a skill still in use, a level 1..4, a day inside the
pathway) and an audit entry that holds ids only.

Changing a confirmed level later updates the evidence and adds a new assessment (the history
of the skill is kept). Going back to "not yet" after a confirmation is refused: the assessment
stays in the record.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.integration.models import SKILL_LEVELS, Pathway, SkillAssessment
from portal.members.models import Member
from portal.programmes.common import slot_bounds
from portal.programmes.models import IN_ROOM, Attendance, Evidence, Session, Slot
from portal.programmes.policies import can_confirm_evidence

NOT_YET = "none"  # the form's value for "not yet"
LEVELS = tuple(SKILL_LEVELS)  # 1..4, titled as integration titles them

NOT_ALLOWED = _l("Only the programme's trainers confirm what was learned.")
NOT_STARTED = _l("You can confirm what was learned once the session has begun.")
CANCELLED = _l("This session was cancelled.")
CHOOSE = _l("Choose one of the answers in the list.")


def field_name(member_id: int, skill_id: int) -> str:
    return f"ev-{member_id}-{skill_id}"


def attendees(session: Session) -> list[Member]:
    """The members who were in the room for at least one slot, by name. One statement."""
    came = (
        sa.select(Attendance.member_id)
        .join(Slot, Slot.id == Attendance.slot_id)
        .where(Slot.session_id == session.id, Attendance.status.in_(sorted(IN_ROOM)))
    )
    return list(
        db.session.scalars(
            sa.select(Member)
            .where(Member.id.in_(came))
            .order_by(Member.family_name, Member.given_name, Member.id)
        )
    )


def evidence_of(session: Session) -> dict[tuple[int, int], Evidence]:
    """The session's evidence rows by (member, skill). One statement."""
    return {
        (row.member_id, row.skill_id): row
        for row in db.session.scalars(sa.select(Evidence).where(Evidence.session_id == session.id))
    }


@dataclass(frozen=True)
class Grid:
    members: list[Member]
    outcomes: list  # ProgrammeOutcome, with its skill
    evidence: dict[tuple[int, int], Evidence]

    def value(self, member_id: int, skill_id: int) -> str:
        row = self.evidence.get((member_id, skill_id))
        if row is None:
            return ""
        return NOT_YET if row.level is None else str(row.level)


def grid(session: Session) -> Grid:
    return Grid(attendees(session), list(session.programme.outcomes), evidence_of(session))


def _pathway_on(member_id: int, day) -> Pathway | None:
    """The member's pathway running on `day` (not anonymised), the newest if several."""
    return db.session.scalar(
        sa.select(Pathway)
        .where(
            Pathway.member_id == member_id,
            Pathway.anonymised_on.is_(None),
            Pathway.entry_on <= day,
            sa.or_(Pathway.exit_on.is_(None), Pathway.exit_on >= day),
        )
        .order_by(Pathway.entry_on.desc(), Pathway.id.desc())
        .limit(1)
    )


def _note(session: Session) -> str:
    """The assessment's note, in the enterprise's language (read by the follow-up team)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _(
            "From the session “%(topic)s” on %(day)s",
            topic=session.topic,
            day=format_date(session.day, "long"),
        )[:500]


def _assess(actor, session: Session, member_id: int, skill, level: int) -> int | None:
    pathway = _pathway_on(member_id, session.day)
    if pathway is None:
        return None  # no pathway that day: the evidence is kept, no record to write to
    assessment = SkillAssessment(
        pathway_id=pathway.id,
        skill_id=skill.id,
        level=level,
        assessed_on=session.day,
        note=_note(session),
        assessed_by_id=actor.id,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        actor,
        "programmes.confirm_evidence",
        "Skill assessed from a programme session",
        object_key=f"pathway:{pathway.id}",
        assessment_id=assessment.id,
        skill_id=skill.id,
        session_id=session.id,
    )
    return assessment.id


def save_evidence(actor, session: Session, answers: dict[str, str]) -> int:
    """Save the trainer's decisions: `answers` maps `field_name(member, skill)` to "" (leave
    as it is), "none" (not yet) or "1".."4". Returns the number of rows changed.

    Raises NotAllowed unless `actor` may confirm the programme's evidence; DomainError for a
    cancelled session, one that has not begun, an answer not in the list (or for someone who
    did not come, or a skill that is not an outcome), a skill no longer in use, or "not yet"
    after a confirmed level."""
    if not can_confirm_evidence(actor, session.programme):
        raise NotAllowed(NOT_ALLOWED)
    if session.cancelled:
        raise DomainError(CANCELLED)
    if not session.slots or utcnow() < slot_bounds(session, session.slots[0])[0]:
        raise DomainError(NOT_STARTED)
    shown = grid(session)
    members = {m.id: m for m in shown.members}
    skills = {o.skill_id: o.skill for o in shown.outcomes}
    allowed_names = {field_name(m, s): (m, s) for m in members for s in skills}
    for name in answers:
        if name not in allowed_names:
            raise DomainError(CHOOSE)
    changed = 0
    now = utcnow()
    for name, (member_id, skill_id) in allowed_names.items():
        raw = answers.get(name, "") or ""
        if raw == "":
            continue
        if raw != NOT_YET and raw not in {str(level) for level in LEVELS}:
            raise DomainError(CHOOSE, name)
        level = None if raw == NOT_YET else int(raw)
        row = shown.evidence.get((member_id, skill_id))
        if row is not None and row.level == level:
            continue
        skill = skills[skill_id]
        if level is None and row is not None and row.level is not None:
            member = members[member_id]
            raise DomainError(
                _l(
                    "A level was already confirmed for %(name)s (%(skill)s). It stays in the "
                    "record: choose a level, not “not yet”.",
                    name=f"{member.given_name} {member.family_name}".strip(),
                    skill=skill.name,
                ),
                name,
            )
        if level is not None and not skill.active:
            raise DomainError(
                _l("This skill is no longer used: %(skill)s.", skill=skill.name), name
            )
        if row is None:
            row = Evidence(session_id=session.id, member_id=member_id, skill_id=skill_id)
            db.session.add(row)
        row.level = level
        row.decided_by_id = actor.id
        row.decided_at = now
        if level is not None:
            row.assessment_id = _assess(actor, session, member_id, skill, level)
        changed += 1
    db.session.flush()
    return changed
