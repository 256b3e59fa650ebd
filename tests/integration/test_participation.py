"""The participation section: derived from real meetings, polls, mandates and proposals, counted
over the pathway's dates, in a constant number of statements, and never a vote's choice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from portal.core.db import local_today
from portal.extensions import db as _db
from portal.integration import participation as module
from portal.integration.participation import (
    PARTICIPATION_SOURCES,
    Fact,
    participation,
    pathway_participation,
    register_source,
)
from portal.integration.sections import PAGE_SECTIONS, sections_for
from portal.meetings.models import Attendance
from tests.factories_integration import assign, make_pathway
from tests.factories_meetings import make_meeting
from tests.factories_members import (
    board_body,
    counsellor_user,
    factory_board,
    general_assembly,
    make_mandate,
    member_with_login,
    trainer_user,
)
from tests.factories_proposals import make_proposal
from tests.factories_voting import open_poll_for, vote, voter


def attend(meeting, member, status="present", holder=None):
    row = Attendance(
        meeting_id=meeting.id,
        member_id=member.id,
        status=status,
        proxy_holder_id=holder.id if holder is not None else None,
    )
    _db.session.add(row)
    _db.session.flush()
    return row


def busy_member(start: date):
    """A member who did a little of everything since `start`, and some things outside it."""
    ada = voter(given="Ada")
    holder = voter(given="Hugo")
    # Meetings: two attended and one represented in the period; one cancelled, one before.
    for days in (-10, -5):
        attend(make_meeting(state="closed", days_ahead=days), ada)
    attend(
        make_meeting(general_assembly(), state="closed", days_ahead=-3), ada, "represented", holder
    )
    attend(make_meeting(state="cancelled", days_ahead=-2), ada)
    attend(make_meeting(state="closed", days_ahead=-400), ada)
    attend(make_meeting(state="closed", days_ahead=-4), ada, "excused")
    # Polls: two secret votes (one with distinctive choices), and a practice one not counted.
    poll = open_poll_for(ada, holder, method="single", options=("Orchard", "Riverbank"))
    vote(poll, ada, {"choice": "Orchard"})
    vote(open_poll_for(ada), ada, {"vote": "yes"})
    vote(open_poll_for(ada, practice=True), ada, {"vote": "no"})
    # Mandates: one running, one ended before the period.
    make_mandate(ada, board_body(), "chair", starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 31))
    make_mandate(ada, board_body(), "treasurer", starts_on=start - timedelta(days=60))
    # Proposals: one sent to the board, one still a draft.
    make_proposal(ada.user, "submitted", title="More shade in the yard")
    make_proposal(ada.user, "draft", title="A secret draft")
    return ada


def test_counts_come_from_the_real_tables(db):
    start = local_today() - timedelta(days=30)
    ada = busy_member(start)
    found = participation(ada, start)
    assert found["meetings"].count == 2
    assert found["represented"].count == 1
    assert found["polls"].count == 2
    assert found["mandates"].count == 1
    assert "Treasurer" in str(found["mandates"].items[0])
    assert found["proposals"].count == 1
    assert found.anything


def test_the_period_bounds_what_is_counted(db):
    start = local_today() - timedelta(days=30)
    ada = busy_member(start)
    # A closed period that ends before the recent activity: only the old meeting.
    old = participation(
        ada, local_today() - timedelta(days=500), local_today() - timedelta(days=100)
    )
    assert old["meetings"].count == 1
    assert old["polls"].count == 0 and old["proposals"].count == 0
    assert old["mandates"].count == 0
    march = participation(ada, date(2025, 3, 10), date(2025, 3, 20))
    assert march["mandates"].count == 1 and "Chair" in str(march["mandates"].items[0])
    assert "to March 31, 2025" in str(march["mandates"].items[0])
    # The pathway's dates: entry to today while it runs.
    pathway = make_pathway(ada, entry_on=start)
    assert pathway_participation(pathway)["meetings"].count == 2


def test_a_member_who_did_nothing(db):
    bob = member_with_login(given="Bob")
    found = participation(bob, local_today() - timedelta(days=30))
    assert [entry.count for entry in found.entries] == [0] * len(PARTICIPATION_SOURCES)
    assert not found.anything


def test_the_registry_adds_a_source_later(db, monkeypatch):
    monkeypatch.setattr(module, "PARTICIPATION_SOURCES", list(PARTICIPATION_SOURCES))
    names = [s.name for s in module.PARTICIPATION_SOURCES]
    assert names == ["meetings", "represented", "polls", "mandates", "proposals", "programmes"]
    assert "citizenship" not in names  # the sessions are one source, "programmes"
    register_source("citizenship", "Citizenship sessions", lambda member, period: Fact(3))
    found = module.participation(member_with_login(), local_today())
    assert found["citizenship"].count == 3
    assert found.entries[-1].name == "citizenship"
    with pytest.raises(KeyError):
        found["nothing"]


def test_the_section_is_registered_after_the_barriers(app, db):
    section = next(s for s in PAGE_SECTIONS if s.name == "participation")
    assert section.order == 80 and section.template == "integration/_participation.html"
    ada = member_with_login()
    pathway = make_pathway(ada)
    counsellor = counsellor_user()
    assign(pathway, counsellor)
    with app.test_request_context("/"):
        shown, context = sections_for(counsellor, pathway)
    assert "participation" in [s.name for s in shown]
    assert context["participation"].period.start == pathway.entry_on


def test_statements_do_not_grow_with_what_the_member_did(db):
    start = local_today() - timedelta(days=30)
    quiet = member_with_login(given="Quiet")
    busy = busy_member(start)
    make_meeting(state="closed", days_ahead=-7)

    def statements(member):
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            participation(member, start)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements(quiet) == statements(busy) <= len(PARTICIPATION_SOURCES)


def test_the_pages_show_counts_and_never_a_choice(db, client, login_as):
    start = local_today() - timedelta(days=30)
    ada = busy_member(start)
    pathway = make_pathway(ada, entry_on=start)
    counsellor = counsellor_user()
    assign(pathway, counsellor)
    assign(pathway, trainer_user(), "trainer")
    login_as(ada.user)
    mine = client.get("/integration/mine").get_data(as_text=True)
    assert "Meetings attended" in mine and "Votes taken part in" in mine
    assert "From " in mine and "to today" in mine
    for page in (mine,):
        assert "Orchard" not in page and "Riverbank" not in page
    client.post("/logout", data={"csrf_token": _token(client)})
    login_as(counsellor)
    record = client.get(f"/integration/{pathway.id}")
    assert record.status_code == 200
    html = record.get_data(as_text=True)
    assert f'id="pathway-{pathway.id}-participation"' in html
    assert "Orchard" not in html and "Riverbank" not in html
    assert "Treasurer" in html


def test_a_closed_pathway_says_its_dates(db, client, login_as):
    ada = member_with_login()
    make_pathway(ada, entry_on=date(2026, 1, 5), outcome_code="training")
    login_as(ada.user)
    html = client.get("/integration/mine").get_data(as_text=True)
    assert "From January 5, 2026 to January 5, 2027." in html


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def test_anonymised_pathway_has_no_participation(db):
    pathway = make_pathway(None, entry_on=date(2025, 1, 6))
    assert pathway_participation(pathway) is None
    section = next(s for s in PAGE_SECTIONS if s.name == "participation")
    assert not section.visible(factory_board(), pathway)
