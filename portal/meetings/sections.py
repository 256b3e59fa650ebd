"""What the meeting page's modules share: loading a meeting for the viewer, and the registry of
the page's sections (agenda, attendance and quorum, speakers, minutes), each adding what its
template needs to the page's context."""

from __future__ import annotations

from collections.abc import Callable

from portal.core import itemviews
from portal.core.security import Permission
from portal.meetings.models import Meeting

# `section(meeting) -> dict`, called for the full meeting page (in registration order).
PAGE_SECTIONS: list[Callable[[Meeting], dict]] = []


def page_section(function: Callable[[Meeting], dict]) -> Callable[[Meeting], dict]:
    """Register `function(meeting) -> dict` as part of the meeting page's context."""
    PAGE_SECTIONS.append(function)
    return function


def sections_context(meeting: Meeting) -> dict:
    context: dict = {}
    for section in PAGE_SECTIONS:
        context.update(section(meeting))
    return context


def meeting_or_404(meeting_id: int, permission: Permission = Permission.VIEW) -> Meeting:
    """A meeting the viewer may see (others do not exist for them: 404); then `permission`
    on it (403)."""
    return itemviews.item_or_404(Meeting, meeting_id, permission)
