"""Pages made of sections that their modules register: one registry per kind of page.

A page (the meeting page, the proposal page, an integration record) declares its registry once,

    MEETING_PAGE = PageSections("meeting")

and each module that owns a part of it registers that part where it lives, without touching the
others:

    @MEETING_PAGE.page_section("agenda", order=20)
    def agenda_section(meeting) -> dict:
        return {"agenda_section": ...}

A section gives the context its template needs from the page's arguments (the same for every
section of a page: `(meeting)`, `(proposal)`, `(user, pathway)`); it may name the template the page
includes for it and a `visible(*args)` test. Sections run in `order` (then in registration order);
registering a name again replaces the section of that name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _always(*args) -> bool:
    return True


@dataclass(frozen=True)
class Section:
    name: str
    template: str | None
    order: int
    context: Callable[..., dict]
    visible: Callable[..., bool]


class PageSections:
    """The registered sections of one kind of page."""

    def __init__(self, page: str) -> None:
        self.page = page
        # Kept as the same list (modules and tests hold it): updated in place.
        self.sections: list[Section] = []

    def __repr__(self) -> str:
        return f"<PageSections {self.page}: {', '.join(s.name for s in self.sections)}>"

    def page_section(
        self,
        name: str,
        template: str | None = None,
        *,
        order: int,
        visible: Callable[..., bool] = _always,
    ):
        """Register `function(*args) -> dict` as the context of the section `name`."""

        def register(function: Callable[..., dict]) -> Callable[..., dict]:
            kept = [s for s in self.sections if s.name != name]
            kept.append(Section(name, template, order, function, visible))
            self.sections[:] = sorted(kept, key=lambda s: s.order)  # stable: ties keep their turn
            return function

        return register

    def get(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)

    def shown(self, *args) -> list[Section]:
        """The sections visible on this page (for these arguments)."""
        return [s for s in self.sections if s.visible(*args)]

    def sections_for(self, *args) -> tuple[list[Section], dict]:
        """The sections shown for these arguments, and their merged context."""
        shown = self.shown(*args)
        context: dict = {}
        for section in shown:
            context.update(section.context(*args))
        return shown, context

    def context(self, *args) -> dict:
        """The merged context of the sections shown for these arguments."""
        return self.sections_for(*args)[1]
