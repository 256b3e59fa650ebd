"""The attestation of attendance ("certificat de réalisation") of one participant in one
programme, as a PDF in the PERSON's language: the enterprise, the person, the programme (kind,
title, dates, funder), each session attended (day, topic, minutes), the hours attended against
the planned hours, the learning outcomes with the level the trainer confirmed, and the
trainer's signature.

Who may get it: those who read the programme's sheets (its trainers, the board, counsellors:
`can_read_sheets`) and the member themself (their own only). Someone who may not see the
programme gets 404; so does a member who was never enrolled in it; someone who sees the
programme but not this attestation gets 403.

The signature: the latest signature of a session's sheet of this programme by one of its
trainers (`Session.trainer_signature`), with that day; without one, a line to sign by hand.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, current_app, render_template
from flask_babel import force_locale, format_decimal

from portal.accounts.models import User
from portal.core.db import MAX_ID, local_today
from portal.extensions import db
from portal.integration.models import SKILL_LEVELS, Skill
from portal.members.models import Member
from portal.programmes.common import local_zone
from portal.programmes.models import (
    IN_ROOM,
    KIND_TITLES,
    Attendance,
    Enrolment,
    Evidence,
    Programme,
    ProgrammeKind,
    Session,
    Slot,
)
from portal.programmes.policies import can_read_sheets, can_view_programme


def member_or_404(user, programme: Programme, member_id: int) -> Member:
    """The participant whose attestation `user` asks for (see the module's docstring)."""
    if not can_view_programme(user, programme):
        abort(404)
    enrolled = (
        db.session.scalar(
            sa.select(Enrolment.id).where(
                Enrolment.programme_id == programme.id, Enrolment.member_id == member_id
            )
        )
        if 0 < member_id <= MAX_ID
        else None
    )
    member = db.session.get(Member, member_id) if enrolled is not None else None
    if member is None:
        abort(404)
    own = member.user_id is not None and member.user_id == getattr(user, "id", None)
    if not (own or can_read_sheets(user, programme)):
        abort(403)
    return member


@dataclass(frozen=True)
class SessionLine:
    day: date
    topic: str
    minutes: int


@dataclass(frozen=True)
class OutcomeLine:
    skill: str
    wording: str
    level: int
    level_title: str


@dataclass(frozen=True)
class Signature:
    trainer: str
    signed_on: date | None
    image: str | None  # a data: URI of the PNG


@dataclass(frozen=True)
class Attestation:
    programme: Programme
    member: Member
    kind: str
    sessions: list[SessionLine]
    minutes: int
    planned_hours: Decimal | None
    outcomes: list[OutcomeLine]
    signature: Signature
    enterprise: str
    printed_on: date

    @property
    def hours_text(self) -> str:
        """The hours attended in the reader's language (7,5 in French)."""
        return format_decimal(round(self.minutes / 60, 1), "#,##0.#")

    @property
    def planned_text(self) -> str | None:
        if self.planned_hours is None:
            return None
        return format_decimal(self.planned_hours, "#,##0.#")


def _sessions(programme: Programme, member: Member) -> list[SessionLine]:
    rows = db.session.execute(
        sa.select(Session.day, Session.topic, sa.func.sum(Attendance.minutes))
        .select_from(Attendance)
        .join(Slot, Slot.id == Attendance.slot_id)
        .join(Session, Session.id == Slot.session_id)
        .where(
            Session.programme_id == programme.id,
            Session.cancelled_at.is_(None),
            Attendance.member_id == member.id,
            Attendance.minutes > 0,
            Attendance.status.in_(sorted(IN_ROOM)),
        )
        .group_by(Session.id, Session.day, Session.topic)
        .order_by(Session.day, Session.id)
    ).all()
    return [SessionLine(day, topic, int(minutes)) for day, topic, minutes in rows]


def _outcomes(programme: Programme, member: Member) -> list[OutcomeLine]:
    """The levels the trainer confirmed, the latest decision per skill."""
    wording = {o.skill_id: o.wording for o in programme.outcomes}
    rows = db.session.execute(
        sa.select(Evidence.skill_id, Skill.name, Evidence.level)
        .join(Session, Session.id == Evidence.session_id)
        .join(Skill, Skill.id == Evidence.skill_id)
        .where(
            Session.programme_id == programme.id,
            Evidence.member_id == member.id,
            Evidence.level.is_not(None),
        )
        .order_by(Evidence.decided_at, Evidence.id)
    ).all()
    latest: dict[int, tuple[str, int]] = {}
    for skill_id, name, level in rows:
        latest[skill_id] = (name, level)
    return [
        OutcomeLine(name, wording.get(skill_id, ""), level, str(SKILL_LEVELS.get(level, level)))
        for skill_id, (name, level) in sorted(latest.items(), key=lambda item: item[1][0])
    ]


def _signature(programme: Programme) -> Signature:
    trainer_ids = programme.trainer_ids
    signed = (
        db.session.execute(
            sa.select(Session.trainer_signed_at, Session.trainer_signature, User.display_name)
            .join(User, User.id == Session.trainer_signed_by_id)
            .where(
                Session.programme_id == programme.id,
                Session.trainer_signed_at.is_not(None),
                Session.trainer_signed_by_id.in_(trainer_ids or {0}),
            )
            .order_by(Session.trainer_signed_at.desc(), Session.id.desc())
            .limit(1)
        ).first()
        if trainer_ids
        else None
    )
    if signed is not None:
        at, image, name = signed
        uri = (
            "data:image/png;base64," + base64.b64encode(image).decode("ascii")
            if image and image.startswith(b"\x89PNG")
            else None
        )
        return Signature(name, at.astimezone(local_zone()).date(), uri)
    names = sorted(t.user.display_name for t in programme.trainers)
    return Signature(", ".join(names), None, None)


def attestation(programme: Programme, member: Member) -> Attestation:
    sessions = _sessions(programme, member)
    try:
        kind = str(KIND_TITLES[ProgrammeKind(programme.kind)])
    except ValueError:
        kind = programme.kind
    return Attestation(
        programme=programme,
        member=member,
        kind=kind,
        sessions=sessions,
        minutes=sum(s.minutes for s in sessions),
        planned_hours=programme.planned_hours,
        outcomes=_outcomes(programme, member),
        signature=_signature(programme),
        enterprise=current_app.config["PORTAL_NAME"],
        printed_on=local_today(),
    )


def language_of(member: Member) -> str:
    languages = current_app.config.get("LANGUAGES", ("en", "fr"))
    if member.preferred_language in languages:
        return member.preferred_language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def attestation_html(programme: Programme, member: Member) -> str:
    """The attestation as HTML, in the member's language (the KIND and level titles are lazy:
    they are rendered inside the forced language)."""
    language = language_of(member)
    with force_locale(language):
        data = attestation(programme, member)
        return render_template("programmes/attestation.html", a=data, language=language)


def attestation_pdf(programme: Programme, member: Member, base_url: str) -> bytes:
    from weasyprint import HTML  # imported here: loading WeasyPrint takes a moment

    return HTML(string=attestation_html(programme, member), base_url=base_url).write_pdf()
