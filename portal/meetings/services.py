"""Meeting services: plan a meeting, convene it (notice period, e-mails), run its steps, and the
members' calendar feeds.

Times: the board types a day and a time where the enterprise is (`BABEL_DEFAULT_TIMEZONE`);
they are stored in UTC. The notice period counts calendar days in that time zone: a body with
15 days' notice may convene on the 15th day before the meeting, not on the 14th.

Convocation e-mails go to every member of the body's electorate on the meeting day who has an
e-mail address and agreed to be contacted, each in their language. The others get the printed
convocation (see `pdf.py`): `paper_recipients` says who they are.

Services take the acting user explicitly, never commit, and raise DomainError subclasses.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import lazyload

from portal.core import audit, search
from portal.core.db import MAX_ID, local_today, utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.core.outbox import queue_mail
from portal.core.security import LocalRoleGrant, Permission, allowed_clause, can
from portal.core.workflow import apply_transition, history_of, item_saved
from portal.extensions import db
from portal.meetings.models import (
    MEETING_KIND_TITLES,
    AgendaItem,
    CalendarToken,
    Meeting,
    MeetingKind,
)
from portal.meetings.workflow import MEETING_SERVICE_STEPS
from portal.members import bodies as body_services
from portal.members.lookup import member_of
from portal.members.models import Body, BodyKind, Member
from portal.voting.services import RECEIPT_ALPHABET

MAX_TITLE, MAX_PLACE, MAX_LINK, MAX_DESCRIPTION, MAX_REASON = 200, 300, 500, 20_000, 1000
CHECK_IN_LENGTH = 6
MAX_DAYS_AHEAD = 3653  # a meeting is planned at most ten years ahead
FIRST_YEAR, LAST_YEAR = 1900, 2200  # the days a meeting's form accepts at all
# States a member's calendar shows (a planned meeting is the board's draft).
FEED_STATES = ("convened", "in_session", "closed", "cancelled")

# The kinds of meeting each kind of body holds.
KINDS_OF_BODY: dict[str, tuple[MeetingKind, ...]] = {
    BodyKind.GENERAL_ASSEMBLY.value: (MeetingKind.ORDINARY_GA, MeetingKind.EXTRAORDINARY_GA),
    BodyKind.BOARD.value: (MeetingKind.BOARD,),
    BodyKind.WORKERS_COUNCIL.value: (MeetingKind.WORKERS_COUNCIL,),
    BodyKind.COMMITTEE.value: (MeetingKind.COMMITTEE,),
}

Link = Callable[[Meeting], str]


@dataclass(frozen=True)
class MeetingData:
    body_id: int | None
    kind: str
    title: str
    day: date | None
    start: time | None
    end: time | None = None
    place: str = ""
    online_link: str = ""
    description: str = ""
    chair_id: int | None = None
    secretary_id: int | None = None


@dataclass(frozen=True)
class Convocation:
    """What a convocation did: e-mails queued, and members who need the printed letter."""

    emailed: int
    on_paper: int


# --- Time -------------------------------------------------------------------------------------


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_time(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def to_utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=local_zone()).astimezone(UTC)


def meeting_day(meeting: Meeting) -> date:
    return local_time(meeting.starts_at).date()


def days_until(meeting: Meeting, today: date | None = None) -> int:
    """Calendar days from today to the meeting day (where the enterprise is)."""
    return (meeting_day(meeting) - (today or local_today())).days


def notice_too_short(meeting: Meeting, today: date | None = None) -> bool:
    return days_until(meeting, today) < meeting.body.notice_days


# --- Reading ------------------------------------------------------------------------------------


def visible(user) -> sa.Select:
    """A select of the meetings `user` may see (the permission is applied in SQL)."""
    return sa.select(Meeting).where(allowed_clause(user, Meeting, Permission.VIEW))


def can_create_meeting(user) -> bool:
    return can(user, Permission.MANAGE_MEETINGS)


def kind_title(kind: str) -> str:
    return str(MEETING_KIND_TITLES.get(kind, kind))


def people_choices() -> list[Member]:
    """Who may chair or take the minutes: active members of the register, by name."""
    return db.session.scalars(
        sa.select(Member)
        .where(Member.state == "active")
        .options(lazyload(Member.user), lazyload(Member.category))
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name), Member.id)
    ).all()


def cancel_reason(meeting: Meeting) -> str:
    """The reason given when the meeting was cancelled ("" otherwise)."""
    if meeting.state != "cancelled":
        return ""
    steps = [step for step in history_of(meeting) if step.transition == "cancel"]
    return steps[-1].comment if steps else ""


# --- Writing ------------------------------------------------------------------------------------


def _too_long(n: int, field: str) -> DomainError:
    return DomainError(_l("This is too long (at most %(n)d characters).", n=n), field=field)


def _text(value: str | None, limit: int, field: str, *, one_line: bool = True) -> str:
    value = value or ""
    value = " ".join(value.split()) if one_line else value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise _too_long(limit, field)
    return value


def _check_link(link: str) -> str:
    if not link:
        return ""
    if len(link) > MAX_LINK:
        raise _too_long(MAX_LINK, "online_link")
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", link):
        raise DomainError(
            _l("Give a web address that starts with https:// (or http://)."), field="online_link"
        )
    return link


def _person(member_id: int | None, field: str) -> int | None:
    if member_id is None:
        return None
    found = db.session.get(Member, member_id) if 0 < member_id <= MAX_ID else None
    if found is None:
        raise DomainError(_l("Choose a person from the list."), field=field)
    return found.id


def _clean(data: MeetingData) -> dict:
    body = (
        db.session.get(Body, data.body_id) if data.body_id and 0 < data.body_id <= MAX_ID else None
    )
    if body is None or not body.active:
        raise DomainError(_l("Choose a body from the list."), field="body_id")
    if data.kind not in KINDS_OF_BODY.get(body.kind, ()):
        raise DomainError(
            _l(
                "This kind of meeting does not fit %(body)s. Choose: %(kinds)s.",
                body=body.title,
                kinds=", ".join(kind_title(k) for k in KINDS_OF_BODY.get(body.kind, ())),
            ),
            field="kind",
        )
    title = _text(data.title, MAX_TITLE, "title")
    if not title:
        raise DomainError(_l("Give the meeting a title."), field="title")
    if data.day is None:
        raise DomainError(_l("Choose the day of the meeting."), field="day")
    if not FIRST_YEAR <= data.day.year <= LAST_YEAR:
        # Before this, the zone's old local mean time (Paris: +0:09:21) can put the UTC time
        # before year 1 (an OverflowError, not a refusal).
        raise DomainError(
            _l(
                "Choose a day between the years %(first)d and %(last)d.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
            ),
            field="day",
        )
    if data.day > local_today() + timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError(_l("Choose a day within the next ten years."), field="day")
    if data.start is None:
        raise DomainError(_l("Choose the time the meeting starts."), field="start")
    starts_at = to_utc(data.day, data.start)
    ends_at = None
    if data.end is not None:
        ends_at = to_utc(data.day, data.end)
        if ends_at <= starts_at:
            raise DomainError(_l("The end must be after the start."), field="end")
    return {
        "body_id": body.id,
        "kind": data.kind,
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": _text(data.place, MAX_PLACE, "place"),
        "online_link": _check_link((data.online_link or "").strip()),
        "description": _text(data.description, MAX_DESCRIPTION, "description", one_line=False),
        "chair_id": _person(data.chair_id, "chair_id"),
        "secretary_id": _person(data.secretary_id, "secretary_id"),
    }


def create_meeting(actor, data: MeetingData) -> Meeting:
    """A planned meeting owned by the actor. Raises NotAllowed, DomainError on bad data."""
    if not can_create_meeting(actor):
        raise NotAllowed(_l("Only the board can plan meetings."))
    fields = _clean(data)
    if fields["starts_at"] < utcnow():
        raise DomainError(_l("Choose a day and time that have not passed yet."), field="day")
    meeting = Meeting(**fields, owner_id=actor.id)
    db.session.add(meeting)
    db.session.flush()
    meeting.security_path = f"/{meeting.object_key}/"
    db.session.flush()
    audit.record(
        actor,
        "meeting.created",
        f"{meeting.object_key} of body {meeting.body_id} planned for {meeting.starts_at:%Y-%m-%d %H:%M} UTC",
        object_key=meeting.object_key,
        body_id=meeting.body_id,
    )
    item_saved.send(meeting)
    return meeting


def moving_too_late(meeting: Meeting, starts_at: datetime, today: date | None = None) -> bool:
    """Whether moving a convened meeting to `starts_at` breaks its body's notice period."""
    new_day = local_time(starts_at).date()
    return (new_day - (today or local_today())).days < meeting.body.notice_days


def update_meeting(
    actor, meeting: Meeting, data: MeetingData, link: Link | None = None
) -> list[str]:
    """Change a meeting's details; returns the names of the fields that changed.

    Raises NotAllowed without Edit; DomainError on bad data, when the body changes after the
    convocation, when a meeting is moved to a day that has passed, or when a convened meeting
    is moved to a day inside its body's notice period (counted from today). A convened meeting
    that moves is announced again: every convened member with an address gets an e-mail.
    """
    if not can(actor, Permission.EDIT, meeting):
        raise NotAllowed(_l("You cannot change this meeting."))
    fields = _clean(data)
    if fields["body_id"] != meeting.body_id and meeting.state != "planned":
        raise DomainError(
            _l("The members are already convened: the body cannot change now."), field="body_id"
        )
    if fields["starts_at"] != meeting.starts_at and fields["starts_at"] < utcnow():
        raise DomainError(_l("Choose a day and time that have not passed yet."), field="day")
    old_start = meeting.starts_at
    moved = meeting.state == "convened" and fields["starts_at"] != old_start
    if moved and moving_too_late(meeting, fields["starts_at"]):
        raise DomainError(
            _l(
                "It was convened: moving it needs %(num)d days of notice. Cancel it and "
                "convene a new meeting, or choose a later day.",
                num=meeting.body.notice_days,
            ),
            field="day",
        )
    changed = [name for name, value in fields.items() if getattr(meeting, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(meeting, name, fields[name])
    if "body_id" in changed:
        meeting.body = db.session.get(Body, fields["body_id"])
    db.session.flush()
    audit.record(
        actor,
        "meeting.updated",
        f"{meeting.object_key} changed: {', '.join(changed)}",
        object_key=meeting.object_key,
        fields=changed,
    )
    if moved:
        emailed = _send(
            meeting,
            email_recipients(meeting),
            _convocation_mail(meeting, link, moved_from=old_start),
        )
        audit.record(
            actor,
            "meeting.moved",
            f"{meeting.object_key} moved from {old_start:%Y-%m-%d %H:%M} to "
            f"{meeting.starts_at:%Y-%m-%d %H:%M} UTC: {emailed} e-mails queued",
            object_key=meeting.object_key,
            old_starts_at=old_start.isoformat(),
            new_starts_at=meeting.starts_at.isoformat(),
            emailed=emailed,
        )
    item_saved.send(meeting)
    return changed


def new_check_in_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(CHECK_IN_LENGTH))


def _ensure_check_in_code(meeting: Meeting) -> None:
    if not meeting.check_in_code:
        meeting.check_in_code = new_check_in_code()


def notice_message(meeting: Meeting, today: date | None = None) -> str:
    """Why the convocation is late, in plain words."""
    days = days_until(meeting, today)
    body = meeting.body
    first = ngettext(
        "%(body)s must be convened %(num)d day before.",
        "%(body)s must be convened %(num)d days before.",
        body.notice_days,
        body=body.title,
    )
    if days <= 0:
        second = _("The meeting is today.")
    else:
        second = ngettext("The meeting is in %(num)d day.", "The meeting is in %(num)d days.", days)
    return " ".join(
        (
            first,
            second,
            _("Choose a later date, or give the board's reason to convene anyway."),
        )
    )


def convene_meeting(actor, meeting: Meeting, override_reason: str = "", link: Link | None = None):
    """Convene the members: the step, the check-in code, the e-mails. Returns a Convocation.

    Raises NotAllowed without Manage meetings; DomainError when the meeting is not planned,
    when its day has passed, or when the notice period is too short and no reason is given
    (field "override_reason").
    """
    if not can(actor, Permission.MANAGE_MEETINGS, meeting):
        raise NotAllowed(_l("You cannot convene this meeting."))
    if meeting.state != "planned":
        raise DomainError(
            _l("This step is not possible now. Reload the page to see the current state.")
        )
    days = days_until(meeting)
    if days < 0 or meeting.starts_at <= utcnow():
        raise DomainError(_l("The day of this meeting has passed. Choose a later date first."))
    reason = " ".join((override_reason or "").split())
    if len(reason) > MAX_REASON:
        raise _too_long(MAX_REASON, "override_reason")
    short = days < meeting.body.notice_days
    if short and not reason:
        raise DomainError(notice_message(meeting), field="override_reason")
    apply_transition(
        meeting,
        "convene",
        actor,
        reason if short else "",
        days_before=days,
        notice_days=meeting.body.notice_days,
    )
    meeting.convened_at = utcnow()
    meeting.convened_by_id = actor.id
    meeting.notice_override_reason = reason if short else ""
    _ensure_check_in_code(meeting)
    if short:
        audit.record(
            actor,
            "meeting.notice_overridden",
            f"{meeting.object_key} convened {days} days before instead of "
            f"{meeting.body.notice_days}",
            object_key=meeting.object_key,
            reason=reason,
            days_before=days,
            notice_days=meeting.body.notice_days,
        )
    db.session.flush()
    emailed = _send(meeting, email_recipients(meeting), _convocation_mail(meeting, link))
    audit.record(
        actor,
        "meeting.convocation_sent",
        f"{meeting.object_key}: {emailed} convocation e-mails queued",
        object_key=meeting.object_key,
        emailed=emailed,
    )
    return Convocation(emailed=emailed, on_paper=len(paper_recipients(meeting)))


def open_session(actor, meeting: Meeting):
    """Open the session (in session): members can check in. Raises DomainError, NotAllowed."""
    entry = apply_transition(meeting, "open_session", actor)
    meeting.opened_at = utcnow()
    _ensure_check_in_code(meeting)
    db.session.flush()
    return entry


def close_session(actor, meeting: Meeting):
    """Close the session. Raises DomainError, NotAllowed."""
    entry = apply_transition(meeting, "close_session", actor)
    meeting.closed_at = utcnow()
    db.session.flush()
    return entry


def cancel_meeting(actor, meeting: Meeting, reason: str, link: Link | None = None):
    """Cancel a convened meeting, with a reason (field "comment"); its members are told by
    e-mail. A planned meeting is not cancelled but deleted (`delete_planned_meeting`).
    Raises DomainError, NotAllowed."""
    if meeting.state == "planned" and can(actor, Permission.MANAGE_MEETINGS, meeting):
        raise DomainError(
            _l("Nobody was told about this meeting yet: delete the plan instead of cancelling it.")
        )
    if not (reason or "").strip() and can(actor, Permission.MANAGE_MEETINGS, meeting):
        raise DomainError(_l("Say why the meeting is cancelled."), field="comment")
    entry = apply_transition(meeting, "cancel", actor, reason)
    _send(meeting, email_recipients(meeting), _cancellation_mail(meeting, entry.comment, link))
    return entry


def _still_referenced(meeting: Meeting) -> bool:
    """Whether anything but its agenda points at the meeting or at one of its items."""
    from portal.meetings.models import (
        Attendance,
        Decision,
        Minutes,
        MinutesSection,
        SpeakingRequest,
    )
    from portal.voting.models import Poll

    item_ids = list(
        db.session.scalars(sa.select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id))
    )
    checks = [
        sa.exists().where(Attendance.meeting_id == meeting.id),
        sa.exists().where(SpeakingRequest.meeting_id == meeting.id),
        sa.exists().where(Minutes.meeting_id == meeting.id),
        sa.exists().where(Decision.meeting_id == meeting.id),
    ]
    if item_ids:
        checks += [
            sa.exists().where(SpeakingRequest.agenda_item_id.in_(item_ids)),
            sa.exists().where(Decision.agenda_item_id.in_(item_ids)),
            sa.exists().where(Minutes.approval_item_id.in_(item_ids)),
            sa.exists().where(MinutesSection.agenda_item_id.in_(item_ids)),
            sa.exists().where(Poll.subject_key.in_([f"agenda_item:{i}" for i in item_ids])),
        ]
    return any(db.session.scalar(sa.select(check)) for check in checks)


def delete_planned_meeting(actor, meeting: Meeting) -> None:
    """Delete a meeting still being planned, with its agenda: the members were never told.

    Raises NotAllowed without Manage meetings; DomainError once the meeting is convened (it is
    cancelled then, with a reason) or when anything else already refers to it.
    """
    if not can(actor, Permission.MANAGE_MEETINGS, meeting):
        raise NotAllowed(_l("You cannot delete this meeting."))
    if meeting.state != "planned":
        raise DomainError(
            _l(
                "The members were convened: cancel the meeting with a reason instead of deleting it."
            )
        )
    if _still_referenced(meeting):
        raise DomainError(
            _l("Attendance, minutes, a decision or a vote refer to this meeting: it stays.")
        )
    key = meeting.object_key
    items = len(meeting.items)
    audit.record(
        actor,
        "meeting.deleted",
        f"{key} of body {meeting.body_id}, planned for {meeting.starts_at:%Y-%m-%d %H:%M} UTC, "
        f"deleted before the convocation with {items} agenda items",
        object_key=key,
        title=meeting.title,
        body_id=meeting.body_id,
        starts_at=meeting.starts_at.isoformat(),
        items=items,
    )
    search.unindex(meeting)
    # Grants on the deleted meeting must not pass to a later meeting given the same id.
    db.session.execute(sa.delete(LocalRoleGrant).where(LocalRoleGrant.object_key == key))
    meeting.current_item_id = None
    db.session.flush()
    db.session.delete(meeting)
    db.session.flush()


def transition_meeting(actor, meeting: Meeting, name: str, comment: str = "", link=None):
    """One step from the status box (convening has its own form). Raises DomainError."""
    if name in MEETING_SERVICE_STEPS:
        raise DomainError(_l("This step has its own button."))
    if name == "open_session":
        return open_session(actor, meeting)
    if name == "close_session":
        return close_session(actor, meeting)
    if name == "cancel":
        return cancel_meeting(actor, meeting, comment, link)
    raise DomainError(
        _l("This step is not possible now. Reload the page to see the current state.")
    )


# --- Convocation recipients and e-mails -----------------------------------------------------------


def address_of(member: Member) -> str | None:
    return member.email or (member.user.email if member.user is not None else None)


def electorate_members(meeting: Meeting) -> list[Member]:
    """Everyone convened: the body's electorate on the meeting day, by name."""
    query = body_services.electorate_query(meeting.body, meeting_day(meeting)).subquery()
    return db.session.scalars(
        sa.select(Member)
        .join(query, query.c.member_id == Member.id)
        .options(lazyload(Member.category))
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name), Member.id)
    ).all()


def gets_email(member: Member) -> bool:
    """A convocation is owed to every member: by e-mail when they have an address (whether
    or not they show it in the directory, which is what `contact_consent` is about), else on
    paper."""
    return bool(address_of(member))


def email_recipients(meeting: Meeting) -> list[Member]:
    return [m for m in electorate_members(meeting) if gets_email(m)]


def paper_recipients(meeting: Meeting) -> list[Member]:
    """The members convened who get no e-mail: they need the printed convocation."""
    return [m for m in electorate_members(meeting) if not gets_email(m)]


def when_text(meeting: Meeting) -> str:
    """The day and time in plain words, in the current language: "Thursday 18 December
    2026, 18:00", and the planned end when there is one."""
    return _when(meeting.starts_at, meeting.ends_at)


def _when(starts_at: datetime, ends_at: datetime | None = None) -> str:
    from flask_babel import format_date, format_time

    start = local_time(starts_at)
    # format_time converts to the enterprise's zone itself: give it the UTC moment.
    text = _(
        "%(day)s, %(time)s",
        day=format_date(start.date(), "EEEE d MMMM y"),
        time=format_time(starts_at, "HH:mm"),
    )
    if ends_at:
        text += " – " + format_time(ends_at, "HH:mm")
    return text


def _agenda_lines(meeting: Meeting) -> str:
    return "\n".join(f"{n}. {item.title}" for n, item in enumerate(meeting.items, start=1))


def _send(meeting: Meeting, members: Iterable[Member], write) -> int:
    sent = 0
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for member in members:
        address = address_of(member)
        if not address:
            continue
        with force_locale(member.preferred_language or default):
            subject, body = write(member)
        queue_mail(address, subject, body)
        sent += 1
    return sent


def _convocation_mail(meeting: Meeting, link: Link | None, moved_from: datetime | None = None):
    """The convocation; with `moved_from` (the old start), the notice that the meeting moved."""

    def write(member: Member) -> tuple[str, str]:
        lines = [_("Hello %(name)s,", name=member.given_name), ""]
        if moved_from is not None:
            lines += [
                _(
                    "This meeting has moved: %(title)s (%(body)s). You are convened to the new "
                    "date.",
                    title=meeting.title,
                    body=meeting.body.title,
                ),
                _("It was planned for: %(when)s", when=_when(moved_from)),
            ]
        else:
            lines.append(
                _(
                    "You are convened to: %(title)s (%(body)s).",
                    title=meeting.title,
                    body=meeting.body.title,
                )
            )
        lines += ["", _("When: %(when)s", when=when_text(meeting))]
        if meeting.place:
            lines.append(_("Where: %(place)s", place=meeting.place))
        if meeting.online_link:
            lines.append(_("Online: %(link)s", link=meeting.online_link))
        agenda = _agenda_lines(meeting)
        if agenda:
            lines += ["", _("Agenda:"), agenda]
        if link is not None:
            lines += ["", _("All the details, and the agenda as it changes:"), link(meeting)]
        if meeting.body.proxy_cap > 0:
            lines += ["", _("If you cannot come, you can give a proxy to another member.")]
        if moved_from is not None:
            subject = _(
                "Moved: %(title)s, now %(when)s", title=meeting.title, when=when_text(meeting)
            )
        else:
            subject = _(
                "Convocation: %(title)s, %(when)s", title=meeting.title, when=when_text(meeting)
            )
        return subject, "\n".join(lines) + "\n"

    return write


def _cancellation_mail(meeting: Meeting, reason: str, link: Link | None):
    def write(member: Member) -> tuple[str, str]:
        lines = [
            _("Hello %(name)s,", name=member.given_name),
            "",
            _(
                "This meeting is cancelled: %(title)s, %(when)s.",
                title=meeting.title,
                when=when_text(meeting),
            ),
            _("Why: %(reason)s", reason=reason),
        ]
        if link is not None:
            lines += ["", link(meeting)]
        return _("Cancelled: %(title)s", title=meeting.title), "\n".join(lines) + "\n"

    return write


# --- Calendar feeds -------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_calendar_token(member: Member | None) -> CalendarToken | None:
    if member is None:
        return None
    return db.session.scalar(
        sa.select(CalendarToken)
        .where(CalendarToken.member_id == member.id, CalendarToken.revoked_at.is_(None))
        .order_by(CalendarToken.id.desc())
        .limit(1)
    )


def _revoke_all(member: Member) -> int:
    now = utcnow()
    tokens = db.session.scalars(
        sa.select(CalendarToken).where(
            CalendarToken.member_id == member.id, CalendarToken.revoked_at.is_(None)
        )
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def create_calendar_token(actor) -> str:
    """A new secret feed address for the actor's member record (the old one stops working).
    Returns the secret: it is shown once, only its hash is kept. Raises DomainError."""
    member = member_of(actor)
    if member is None:
        raise DomainError(_l("Only people in the member register have a meeting calendar."))
    replaced = _revoke_all(member)
    secret = secrets.token_urlsafe(24)
    db.session.add(CalendarToken(member_id=member.id, token_hash=_hash(secret)))
    db.session.flush()
    audit.record(
        actor,
        "calendar.token_created",
        f"calendar feed address created for member {member.id}"
        + (" (the old one stops)" if replaced else ""),
        object_key=member.object_key,
    )
    return secret


def revoke_calendar_token(actor) -> bool:
    """Stop the actor's feed address. Returns False when there was none."""
    member = member_of(actor)
    if member is None:
        return False
    revoked = _revoke_all(member)
    if revoked:
        db.session.flush()
        audit.record(
            actor,
            "calendar.token_revoked",
            f"calendar feed address of member {member.id} stopped",
            object_key=member.object_key,
        )
    return bool(revoked)


def member_for_token(secret: str) -> Member | None:
    """The member whose active feed address this is, else None."""
    if not secret or len(secret) > 100:
        return None
    token = db.session.scalar(
        sa.select(CalendarToken).where(
            CalendarToken.token_hash == _hash(secret), CalendarToken.revoked_at.is_(None)
        )
    )
    return db.session.get(Member, token.member_id) if token is not None else None


def feed_meetings(member: Member, today: date | None = None) -> list[Meeting]:
    """The convened, running, past and cancelled meetings of the bodies `member` belongs to
    (their electorate today), soonest last."""
    today = today or local_today()
    body_ids = []
    for body in body_services.bodies():
        voters = body_services.electorate_query(body, today).subquery()
        if db.session.scalar(sa.select(sa.exists().where(voters.c.member_id == member.id))):
            body_ids.append(body.id)
    if not body_ids:
        return []
    return db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.body_id.in_(body_ids), Meeting.state.in_(FEED_STATES))
        .where(Meeting.starts_at >= utcnow() - timedelta(days=400))
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
