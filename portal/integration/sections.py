"""The record page's sections, registered by the modules that own them.

Each section is a template included by `integration/view.html` in `order`, shown when
`visible(user, pathway)` is true, with the context `context(user, pathway)` returns. A module adds
its part of the page without touching the others:

    @page_section("goals", "integration/_goals.html", order=40)
    def goals_section(user, pathway) -> dict:
        return {"goals": ...}

A section's queries must not grow with the record's size (one statement per kind of row, never
one per row): the page-cost test holds every section to it.
"""

from __future__ import annotations

from portal.core.sections import PageSections, Section

RECORD_PAGE = PageSections("integration record")  # sections called with (user, pathway)

PAGE_SECTIONS: list[Section] = RECORD_PAGE.sections
page_section = RECORD_PAGE.page_section
sections_for = RECORD_PAGE.sections_for

__all__ = ["PAGE_SECTIONS", "RECORD_PAGE", "Section", "page_section", "sections_for"]
