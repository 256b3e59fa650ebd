"""iCalendar (RFC 5545) files of meetings, written by hand: one VEVENT per meeting.

Lines end with CRLF and are folded at 75 octets (never inside a UTF-8 character); text values
escape backslashes, semicolons, commas and newlines. Times are in UTC ("…Z"), so no VTIMEZONE
is needed. The UID is stable per meeting, so a calendar updates the event instead of adding one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from portal.core.db import utcnow
from portal.meetings.models import Meeting

DEFAULT_LENGTH = timedelta(hours=2)  # when no planned end is given
STATUS = {"cancelled": "CANCELLED", "planned": "TENTATIVE"}


def escape_text(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets: continuation lines start with one space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current, size, limit = [], "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # the leading space counts
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event_lines(
    meeting: Meeting, url: str, host: str, description: str, now: datetime
) -> list[str]:
    try:
        ends_at = meeting.ends_at or meeting.starts_at + DEFAULT_LENGTH
    except OverflowError:  # the last hours of year 9999: the event has no length
        ends_at = meeting.starts_at
    lines = [
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.id}@{host}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(meeting.starts_at)}",
        f"DTEND:{utc_stamp(ends_at)}",
        f"SUMMARY:{escape_text(meeting.title)}",
        f"STATUS:{STATUS.get(meeting.state, 'CONFIRMED')}",
        f"LAST-MODIFIED:{utc_stamp(meeting.updated_at or now)}",
    ]
    location = ", ".join(part for part in (meeting.place, meeting.online_link) if part)
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def calendar(
    meetings: Iterable[Meeting],
    *,
    url: Callable[[Meeting], str],
    describe: Callable[[Meeting], str],
    host: str,
    name: str,
) -> str:
    """A VCALENDAR with one VEVENT per meeting."""
    now = utcnow()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//WISE Portal//Meetings//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for meeting in meetings:
        lines += event_lines(meeting, url(meeting), host, describe(meeting), now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
