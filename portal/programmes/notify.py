"""E-mails about programmes, through the outbox, each in the member's language: the invitation
when someone is enrolled, and the notice that a session is cancelled.

Only members with an e-mail address get them (on their member record, else their account); the
others get the printed convocation (`convocation.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from portal.core.db import local_today, utcnow
from portal.core.outbox import queue_mail
from portal.members.models import Member
from portal.programmes.models import KIND_TITLES, Enrolment, Programme, ProgrammeKind, Session


def address_of(member: Member) -> str | None:
    return member.email or (member.user.email if member.user is not None else None)


def _language(member: Member) -> str:
    return member.preferred_language or current_app.config["BABEL_DEFAULT_LOCALE"]


def session_line(session: Session) -> str:
    """The day, the slots' times, the place and the topic, on one line."""
    times = _(" and ").join(f"{s.starts_at:%H:%M}–{s.ends_at:%H:%M}" for s in session.slots)
    line = f"{format_date(session.day, 'EEEE d MMMM y')}, {times}"
    if session.place:
        line += f", {session.place}"
    return f"{line}: {session.topic}"


def invite(programme: Programme, rows: Iterable[Enrolment], link=None) -> int:
    """Queue the invitation for each new enrolment whose member has an address; marks
    `invited_at`. Returns how many were queued."""
    from portal.programmes.services import upcoming_sessions

    sessions = upcoming_sessions(programme, local_today())
    sent = 0
    for row in rows:
        member = row.member
        address = address_of(member)
        if not address:
            continue
        with force_locale(_language(member)):
            kind = KIND_TITLES.get(ProgrammeKind(programme.kind), programme.kind)
            subject = _("You are enrolled: %(title)s", title=programme.title)
            lines = [
                _("Hello %(name)s,", name=member.given_name),
                "",
                _("You are enrolled in: %(title)s (%(kind)s).", title=programme.title, kind=kind),
            ]
            if programme.summary:
                lines += ["", _("What you will learn:"), programme.summary[:1500]]
            if sessions:
                lines += ["", _("The sessions:")]
                lines += [f"- {session_line(s)}" for s in sessions[:20]]
            else:
                lines += ["", _("The days of the sessions will be on the portal.")]
            if link is not None:
                lines += ["", _("See the programme:"), link(programme)]
            body = "\n".join(str(line) for line in lines) + "\n"
        queue_mail(address, str(subject), body)
        row.invited_at = utcnow()
        sent += 1
    return sent


def session_cancelled(session: Session, link: Callable | None = None) -> int:
    """Tell the participants with an address that the session will not take place."""
    from portal.programmes.common import participants

    sent = 0
    for member in participants(session):
        address = address_of(member)
        if not address:
            continue
        with force_locale(_language(member)):
            subject = _("Session cancelled: %(topic)s", topic=session.topic)
            lines = [
                _("Hello %(name)s,", name=member.given_name),
                "",
                _(
                    "This session of %(title)s will not take place:",
                    title=session.programme.title,
                ),
                session_line(session),
                "",
                _("Why: %(reason)s", reason=session.cancel_reason),
            ]
            if link is not None:
                lines += ["", link(session)]
            body = "\n".join(str(line) for line in lines) + "\n"
        queue_mail(address, str(subject), body)
        sent += 1
    return sent
