"""What the meeting page's modules share: loading a meeting for the viewer, running one step of a
section (`attempt_step`), and the registry of the page's sections (agenda, attendance and quorum,
speakers, minutes), each adding what its template needs to the page's context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal.core.errors import DomainError
from portal.core.lifecycle import REFUSED, attempt
from portal.core.sections import PageSections
from portal.core.security import Permission
from portal.core.viewhelpers import item_or_404, row_or_404
from portal.meetings.models import AgendaItem, Meeting

# Refusals the global handler answers (its error page): the others are shown in the section.
PASSED_ON = frozenset({403, 404})

# `section(meeting) -> dict`, called for the full meeting page (the page's template includes
# each section's template).
MEETING_PAGE = PageSections("meeting")
page_section = MEETING_PAGE.page_section
sections_context = MEETING_PAGE.context


def meeting_or_404(meeting_id: int, permission: Permission = Permission.VIEW) -> Meeting:
    """A meeting the viewer may see (others do not exist for them: 404); then `permission`
    on it (403)."""
    return item_or_404(Meeting, meeting_id, permission)


def agenda_item_or_404(meeting: Meeting, item_id: int | None) -> AgendaItem:
    """An item of this meeting's agenda (an item of another meeting does not exist here)."""
    return row_or_404(AgendaItem, item_id, meeting_id=meeting.id)


def attempt_step(
    service: Callable, /, *args, passed_on: frozenset[int] = PASSED_ON, **kwargs
) -> tuple[Any, DomainError | None]:
    """Run one service as `attempt` does (in a savepoint: nothing of a refused call is kept):
    `(result, None)`, or `(REFUSED, refusal)` for the page to show (status 422).

    Unlike `attempt`, a refusal the meeting's pages always showed in place, such as a step not
    possible in this state (`Conflict`, 409), stays in place; only `passed_on` go on to the
    global handler (the lifecycle commits nothing of a 4xx answer, and keeps nothing of the
    refused call on a redirect)."""
    try:
        return attempt(None, service, *args, **kwargs), None
    except DomainError as error:
        if error.status_code in passed_on:
            raise
        return REFUSED, error
