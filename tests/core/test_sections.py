"""The core's page-section registry: order, visibility, replacement, merged context; and the
three pages that use it (meeting, proposal, integration record) registered their sections."""

from __future__ import annotations

from portal.core.sections import PageSections


def test_sections_run_in_order_and_only_when_visible():
    page = PageSections("test")

    @page.page_section("late", "late.html", order=20)
    def late(item):
        return {"late": item, "shared": "late"}

    @page.page_section("early", order=10)
    def early(item):
        return {"early": item, "shared": "early"}

    @page.page_section("hidden", order=15, visible=lambda item: item > 1)
    def hidden(item):
        return {"hidden": item}

    shown, context = page.sections_for(1)
    assert [s.name for s in shown] == ["early", "late"]
    assert shown[1].template == "late.html" and shown[0].template is None
    assert context == {"early": 1, "late": 1, "shared": "late"}  # the later section wins
    assert [s.name for s in page.shown(2)] == ["early", "hidden", "late"]
    assert page.context(2)["hidden"] == 2
    assert page.get("late").context is late


def test_registering_a_name_again_replaces_it_in_the_same_list():
    page = PageSections("test")
    sections = page.sections
    page.page_section("one", order=1)(lambda item: {"v": 1})
    page.page_section("one", order=1)(lambda item: {"v": 2})
    assert page.sections is sections and len(sections) == 1
    assert page.context(None) == {"v": 2}


def test_ties_keep_their_turn():
    page = PageSections("test")
    for name in ("a", "b", "c"):
        page.page_section(name, order=5)(lambda item: {})
    assert [s.name for s in page.sections] == ["a", "b", "c"]


def test_the_domains_pages_are_built_on_it(app):
    from portal.integration.sections import PAGE_SECTIONS, RECORD_PAGE
    from portal.meetings.sections import MEETING_PAGE
    from portal.proposals.sections import PROPOSAL_PAGE

    assert [s.name for s in MEETING_PAGE.sections] == ["agenda", "attendance", "session", "minutes"]
    assert [s.name for s in PROPOSAL_PAGE.sections] == ["comments", "amendments", "attachments"]
    assert PAGE_SECTIONS is RECORD_PAGE.sections
    assert {"details", "goals", "participation", "exit"} <= {s.name for s in PAGE_SECTIONS}
