"""The core's registries hold each domain's own entries (registered by the domain, not by
integration), in an order that does not depend on which domain is imported first."""

from __future__ import annotations

from dataclasses import dataclass

from portal.core import registries
from portal.core.db import local_today
from portal.core.registries import (
    EXPORT_PARTS,
    PARTICIPATION_SOURCES,
    REPORT_RATES,
    add_sorted,
    export_sections,
)


def _domain(function) -> str:
    return function.__module__


def test_each_domain_registers_its_participation_sources(app):
    found = [(s.name, _domain(s.function)) for s in PARTICIPATION_SOURCES]
    assert found == [
        ("meetings", "portal.meetings.contributions"),
        ("represented", "portal.meetings.contributions"),
        ("polls", "portal.voting.contributions"),
        ("mandates", "portal.members.contributions"),
        ("proposals", "portal.proposals.contributions"),
        ("programmes", "portal.programmes.contributions"),
    ]


def test_each_domain_registers_its_part_of_the_data_export(app):
    found = [(p.name, _domain(p.build)) for p in EXPORT_PARTS]
    assert found == [
        ("register", "portal.members.contributions"),
        ("meetings", "portal.meetings.contributions"),
        ("voting", "portal.voting.contributions"),
        ("proposals", "portal.proposals.contributions"),
        ("programmes", "portal.programmes.contributions"),
    ]
    # The PDF's sections, across the parts, in the order they are printed.
    assert [s.key for s in export_sections()] == [
        "membership_events",
        "mandates",
        "meetings",
        "speaking_requests",
        "login_attempts",
        "logged_actions",
        "polls",
        "proxies_given",
        "proxies_held",
        "proposals",
        "supports",
        "comments",
        "amendments",
        "programme_enrolments",
        "programme_attendance",
        "programme_apologies",
        "programme_evidence",
        "programme_opinions_given",
    ]
    voting = next(p for p in EXPORT_PARTS if p.name == "voting")
    assert set(voting.code_titles()["mode"]) == {"self", "proxy", "assisted"}
    register = next(p for p in EXPORT_PARTS if p.name == "register")
    assert {"state", "transition", "position", "language"} <= set(register.code_titles())


def test_each_domain_registers_its_report_rate(app):
    found = [(r.name, _domain(r.took_part)) for r in REPORT_RATES]
    assert found == [
        ("meeting_rate", "portal.meetings.contributions"),
        ("poll_rate", "portal.voting.contributions"),
        ("session_rate", "portal.programmes.contributions"),
    ]


@dataclass(frozen=True)
class Entry:
    name: str
    order: int


def test_entries_stay_sorted_by_order_and_a_name_is_replaced():
    registry: list[Entry] = []
    for entry in (Entry("c", 30), Entry("a", 10), Entry("b", 20), Entry("b2", 20)):
        add_sorted(registry, entry)
    assert [e.name for e in registry] == ["a", "b", "b2", "c"]
    add_sorted(registry, Entry("a", 40))  # registered again: replaced, at its new place
    assert [e.name for e in registry] == ["b", "b2", "c", "a"]
    assert registries.next_order(registry) == 50


def test_a_new_source_plugs_in_without_editing_integration(app, db):
    from portal.integration.participation import participation
    from tests.factories_members import member_with_login

    saved = list(PARTICIPATION_SOURCES)
    try:
        registries.register_participation_source(
            "sessions", "Citizenship sessions", lambda member, period: registries.Fact(2), order=25
        )
        found = participation(member_with_login(), local_today())
        assert [e.name for e in found.entries][:4] == [
            "meetings",
            "represented",
            "sessions",
            "polls",
        ]
        assert found["sessions"].count == 2
    finally:
        PARTICIPATION_SOURCES[:] = saved
