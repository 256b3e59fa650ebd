"""The proposal page's sections that live in their own modules (comments, amendments,
attachments): each adds what its template needs to the page's context, `section(proposal) -> dict`."""

from __future__ import annotations

from portal.core.sections import PageSections

PROPOSAL_PAGE = PageSections("proposal")
page_section = PROPOSAL_PAGE.page_section
sections_context = PROPOSAL_PAGE.context
