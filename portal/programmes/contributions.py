"""What programmes contribute to the core's registries."""

from __future__ import annotations

from portal.core.registries import register_purge_step

# --- Retention of signatures ---------------------------------------------------------------------


def _purge_signatures(today, dry_run: bool = False, actor=None) -> str:
    from portal.programmes.signatures import purge_signatures

    return purge_signatures(today, dry_run=dry_run, actor=actor).summary()


register_purge_step("programmes.signatures", _purge_signatures)


# --- Credit to the pathway: hours of sessions attended (H4) --------------------------------------
# One participation source: the number of sessions attended over the period, with one line per
# kind of programme, "12 h 30 of citizenship sessions" (`hours.attended_by_kind`, one statement).

from typing import Any  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from flask_babel import gettext as _  # noqa: E402
from flask_babel import lazy_gettext as _l  # noqa: E402

from portal.core.registries import (  # noqa: E402
    ExportPart,
    ExportSection,
    Fact,
    Period,
    jsonable,
    register_export_part,
    register_participation_source,
    register_report_rate,
)
from portal.extensions import db  # noqa: E402


def hours_line(kind: str, minutes: int) -> str:
    """ "12 h 30 of citizenship sessions", in the viewer's language."""
    from portal.programmes.hours import format_minutes

    hours = format_minutes(minutes)
    lines = {
        "socialization": _("%(hours)s of socialization sessions", hours=hours),
        "training": _("%(hours)s of professional training sessions", hours=hours),
        "workplace": _("%(hours)s of sessions on integration at the workplace", hours=hours),
        "citizenship": _("%(hours)s of citizenship sessions", hours=hours),
    }
    return lines.get(kind, f"{hours} ({kind})")


def sessions_attended(member, period: Period) -> Fact:
    """Programme sessions attended in the period (not cancelled), with the hours per kind."""
    from portal.programmes.hours import attended_by_kind, kinds_in_order

    found = attended_by_kind(member.id, period.start, period.last_day)
    return Fact(
        sum(sessions for _minutes, sessions in found.values()),
        tuple(hours_line(kind, found[kind][0]) for kind in kinds_in_order(found)),
    )


register_participation_source(
    "programmes", _l("Programme sessions attended"), sessions_attended, order=60
)


# --- The data export (H4) -----------------------------------------------------------------------
# Enrolments, attendance per slot (whether signed, never the signature's image), apologies,
# evidence, and the sessions the member gave an opinion on (never what they said: it is kept
# with no name).


def programmes_export(member) -> dict[str, Any]:
    from portal.integration.models import Skill
    from portal.programmes.models import (
        Apology,
        Attendance,
        Enrolment,
        Evidence,
        FeedbackGiven,
        Programme,
        Session,
        Slot,
    )

    enrolments = [
        {
            "programme": title,
            "programme_kind": kind,
            "enrolled_on": jsonable(row.enrolled_on),
            "enrolment_source": row.source,
            "withdrawn_on": jsonable(row.withdrawn_on),
        }
        for row, title, kind in db.session.execute(
            sa.select(Enrolment, Programme.title, Programme.kind)
            .join(Programme, Programme.id == Enrolment.programme_id)
            .where(Enrolment.member_id == member.id)
            .order_by(Enrolment.enrolled_on, Enrolment.id)
        )
    ]
    attendance = [
        {
            "programme": title,
            "session_on": jsonable(day),
            "topic": topic,
            "half_day": half,
            "session_status": status,
            "arrived_at": jsonable(arrived_at),
            "left_at": jsonable(left_at),
            "minutes": minutes,
            "checked_in_at": jsonable(checked_in_at),
            "signed": signed_at is not None or signed_on_paper,
            "signed_on_paper": signed_on_paper,
            "signed_at": jsonable(signed_at),
            "signature_removed_on": jsonable(removed_on),
        }
        for (
            title,
            day,
            topic,
            half,
            status,
            arrived_at,
            left_at,
            minutes,
            checked_in_at,
            signed_at,
            signed_on_paper,
            removed_on,
        ) in db.session.execute(
            # Named columns: the signature's image (deferred) is never read.
            sa.select(
                Programme.title,
                Session.day,
                Session.topic,
                Slot.half,
                Attendance.status,
                Attendance.arrived_at,
                Attendance.left_at,
                Attendance.minutes,
                Attendance.checked_in_at,
                Attendance.signed_at,
                Attendance.signed_on_paper,
                Attendance.signature_removed_on,
            )
            .select_from(Attendance)
            .join(Slot, Slot.id == Attendance.slot_id)
            .join(Session, Session.id == Slot.session_id)
            .join(Programme, Programme.id == Session.programme_id)
            .where(Attendance.member_id == member.id)
            .order_by(Session.day, Slot.starts_at, Attendance.id)
        )
    ]
    apologies = [
        {
            "programme": title,
            "session_on": jsonable(day),
            "topic": topic,
            "apology_reason": reason,
            "said_at": jsonable(said_at),
        }
        for title, day, topic, reason, said_at in db.session.execute(
            sa.select(
                Programme.title, Session.day, Session.topic, Apology.reason, Apology.created_at
            )
            .select_from(Apology)
            .join(Session, Session.id == Apology.session_id)
            .join(Programme, Programme.id == Session.programme_id)
            .where(Apology.member_id == member.id)
            .order_by(Session.day, Apology.id)
        )
    ]
    evidence = [
        {
            "programme": title,
            "session_on": jsonable(day),
            "topic": topic,
            "skill": skill,
            "skill_level": level,
            "decided_at": jsonable(decided_at),
        }
        for title, day, topic, skill, level, decided_at in db.session.execute(
            sa.select(
                Programme.title,
                Session.day,
                Session.topic,
                Skill.name,
                Evidence.level,
                Evidence.decided_at,
            )
            .select_from(Evidence)
            .join(Session, Session.id == Evidence.session_id)
            .join(Programme, Programme.id == Session.programme_id)
            .join(Skill, Skill.id == Evidence.skill_id)
            .where(Evidence.member_id == member.id)
            .order_by(Session.day, Skill.name, Evidence.id)
        )
    ]
    opinions = [
        {"programme": title, "session_on": jsonable(day), "topic": topic}
        for title, day, topic in db.session.execute(
            sa.select(Programme.title, Session.day, Session.topic)
            .select_from(FeedbackGiven)
            .join(Session, Session.id == FeedbackGiven.session_id)
            .join(Programme, Programme.id == Session.programme_id)
            .where(FeedbackGiven.member_id == member.id)
            .order_by(Session.day, FeedbackGiven.id)
        )
    ]
    return {
        "programme_enrolments": enrolments,
        "programme_attendance": attendance,
        "programme_apologies": apologies,
        "programme_evidence": evidence,
        "programme_opinions_given": opinions,
    }


def _programmes_titles() -> dict[str, dict]:
    from portal.integration.models import SKILL_LEVELS
    from portal.programmes.models import (
        APOLOGY_TITLES,
        HALF_TITLES,
        KIND_TITLES,
        STATUS_TITLES,
    )

    return {
        "programme_kind": KIND_TITLES,
        "half_day": HALF_TITLES,
        "session_status": STATUS_TITLES,
        "apology_reason": APOLOGY_TITLES,
        "skill_level": SKILL_LEVELS,
        "enrolment_source": {
            "person": _l("One by one"),
            "team": _l("With the team"),
            "body": _l("With the body"),
        },
    }


register_export_part(
    ExportPart(
        "programmes",
        programmes_export,
        order=50,
        sections=(
            ExportSection("programme_enrolments", _l("Programmes you took part in"), 140),
            ExportSection("programme_attendance", _l("Your attendance at sessions"), 150),
            ExportSection(
                "programme_apologies", _l("Sessions you said you could not come to"), 160
            ),
            ExportSection("programme_evidence", _l("What the trainers confirmed you learned"), 170),
            ExportSection("programme_opinions_given", _l("Sessions you gave your opinion on"), 180),
        ),
        titles=_programmes_titles,
        labels={
            "programme": _l("Programme"),
            "programme_kind": _l("Type"),
            "enrolment_source": _l("How you were enrolled"),
            "session_on": _l("Day of the session"),
            "topic": _l("Topic"),
            "half_day": _l("Half-day"),
            "session_status": _l("Attendance"),
            "minutes": _l("Minutes"),
            "checked_in_at": _l("Checked in at"),
            "signed": _l("Signed"),
            "signed_on_paper": _l("Signed on paper"),
            "signed_at": _l("Signed at"),
            "signature_removed_on": _l("Signature removed on"),
            "apology_reason": _l("Reason"),
            "said_at": _l("Said on"),
            "skill": _l("Skill"),
            "skill_level": _l("Level"),
        },
    )
)


# --- Report figures (H4) ------------------------------------------------------------------------


def came_to_a_session(since, until) -> sa.Select:
    """Members in the room for a programme session held in [since, until) (any time without
    bounds); cancelled sessions do not count."""
    from portal.programmes.models import IN_ROOM, Attendance, Session, Slot

    attended = (
        sa.select(Attendance.member_id)
        .join(Slot, Slot.id == Attendance.slot_id)
        .join(Session, Session.id == Slot.session_id)
        .where(Attendance.status.in_(sorted(IN_ROOM)), Session.cancelled_at.is_(None))
    )
    if since is not None:
        from portal.programmes.common import local_zone

        zone = local_zone()
        first = since.astimezone(zone).date()
        after = until.astimezone(zone).date()
        attended = attended.where(Session.day >= first, Session.day < after)
    return attended


register_report_rate("session_rate", came_to_a_session, order=30)
