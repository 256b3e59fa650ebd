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

from collections.abc import Callable
from dataclasses import dataclass

from portal.integration.models import Pathway


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    order: int
    context: Callable[[object, Pathway], dict]
    visible: Callable[[object, Pathway], bool]


PAGE_SECTIONS: list[Section] = []


def _always(user, pathway) -> bool:
    return True


def page_section(
    name: str, template: str, *, order: int, visible: Callable[[object, Pathway], bool] = _always
):
    """Register `function(user, pathway) -> dict` as the context of one section of the page."""

    def register(function: Callable[[object, Pathway], dict]):
        PAGE_SECTIONS[:] = [s for s in PAGE_SECTIONS if s.name != name]
        PAGE_SECTIONS.append(Section(name, template, order, function, visible))
        PAGE_SECTIONS.sort(key=lambda s: s.order)
        return function

    return register


def sections_for(user, pathway: Pathway) -> tuple[list[Section], dict]:
    """The sections this user sees on this record, and their merged context."""
    shown = [s for s in PAGE_SECTIONS if s.visible(user, pathway)]
    context: dict = {}
    for section in shown:
        context.update(section.context(user, pathway))
    return shown, context
