"""Minutes: start, sections, optimistic locking (R14 over HTTP), the workflow for the board, a
member and an anonymous visitor, the approval link, poll results inserted, and the PDF."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.core.search import search as run_search
from portal.extensions import db
from portal.meetings import minutes as services
from portal.meetings.models import Attendance, Decision, Minutes, MinutesSection
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import board_body, board_user, factory_board, make_mandate, member_user
from tests.factories_voting import make_poll, voter


def login(client, user):
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    return client


def closed_poll(subject_key: str, verdict: str = "adopted", *, practice: bool = False, **kw):
    """A board poll already counted (the voting module's own tests cover the count)."""
    poll = make_poll(board_body(), subject_key=subject_key, practice=practice, **kw)
    poll.state = "closed"
    poll.closed_at = utcnow()
    poll.result = {"verdict": verdict, "counts": {"yes": 4, "no": 1, "abstain": 0}}
    db.session.flush()
    return poll


def held_meeting(**kwargs):
    meeting = make_meeting(state="closed", days_ahead=-3, **kwargs)
    add_item(meeting, "Buy a second van", kind="decision")
    add_item(meeting, "Summer timetable", kind="discussion")
    return meeting


def started(meeting=None):
    return services.start_minutes(factory_board(), meeting or held_meeting())


# --- Services -------------------------------------------------------------------------------


def test_starting_makes_a_section_per_item_and_a_first_revision(db):
    minutes = started()
    assert minutes.state == "draft"
    assert minutes.security_path == f"/minutes:{minutes.id}/"
    assert [s.agenda_item.title for s in services.sections_in_order(minutes)] == [
        "Buy a second van",
        "Summer timetable",
    ]
    assert minutes.version == 1


def test_minutes_start_only_once_the_meeting_has_begun_and_only_by_the_board(db):
    with pytest.raises(DomainError):
        services.start_minutes(factory_board(), make_meeting(state="convened"))
    with pytest.raises(NotAllowed):
        services.start_minutes(member_user(), held_meeting())
    minutes = started()
    with pytest.raises(DomainError):
        services.start_minutes(factory_board(), minutes.meeting)


def test_items_added_later_get_their_section_when_asked_or_on_submit(db):
    minutes = started()
    add_item(minutes.meeting, "Any other business")
    assert [i.title for i in services.missing_items(minutes)] == ["Any other business"]
    services.submit_minutes(factory_board(), minutes)
    assert services.missing_items(minutes) == []
    assert len(services.sections_in_order(minutes)) == 3


def test_approval_needs_an_adopted_board_poll_about_these_minutes(db):
    minutes = started()
    board = factory_board()
    services.submit_minutes(board, minutes)
    with pytest.raises(DomainError):
        services.approve_minutes(board, minutes)
    with pytest.raises(DomainError):
        services.approve_minutes(board, minutes, poll=closed_poll("minutes:999999"))
    with pytest.raises(DomainError):
        services.approve_minutes(
            board, minutes, poll=closed_poll(f"minutes:{minutes.id}", "rejected")
        )
    with pytest.raises(DomainError):
        services.approve_minutes(
            board, minutes, poll=closed_poll(f"minutes:{minutes.id}", practice=True)
        )
    assert minutes.state == "submitted"
    services.approve_minutes(board, minutes, poll=closed_poll(f"minutes:{minutes.id}"))
    assert minutes.state == "approved"
    assert minutes.approved_by_id == board.id and minutes.approved_at is not None


def test_approval_by_an_item_of_a_later_meeting_of_the_same_body(db):
    minutes = started()
    board = factory_board()
    services.submit_minutes(board, minutes)
    earlier = make_meeting(state="closed", days_ahead=-40)
    with pytest.raises(DomainError):
        services.approve_minutes(board, minutes, item=add_item(earlier, "Old item"))
    later = make_meeting(state="in_session", days_ahead=0)
    item = add_item(later, "Approve the minutes of the last meeting")
    assert item in services.approval_items(minutes)
    services.approve_minutes(board, minutes, item=item)
    assert minutes.state == "approved" and minutes.approval_item_id == item.id


def test_approval_records_each_decision_once_and_never_practice_polls(db):
    minutes = started()
    board = factory_board()
    first, second = services.sections_in_order(minutes)
    services.save_section(board, first, 1, "Long talk.", "We buy a second van.")
    vote_item = closed_poll(f"agenda_item:{first.agenda_item_id}")
    closed_poll(f"agenda_item:{second.agenda_item_id}", practice=True)
    services.submit_minutes(board, minutes)
    services.approve_minutes(board, minutes, poll=closed_poll(f"minutes:{minutes.id}"))
    decisions = db.session.scalars(
        sa.select(Decision).where(Decision.minutes_id == minutes.id)
    ).all()
    assert [(d.title, d.text, d.poll_id) for d in decisions] == [
        ("Buy a second van", "We buy a second van.", vote_item.id)
    ]
    from portal.meetings.decisions import record_minuted_decisions

    assert record_minuted_decisions(board, minutes) == []


# --- Over HTTP ------------------------------------------------------------------------------


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def test_whole_workflow_for_board_member_and_anonymous_visitor(app, client, db):
    board = board_user()
    reader = member_user()
    meeting = held_meeting()
    db.session.flush()
    outsider = app.test_client()
    member = login(app.test_client(), reader)

    c = app.test_client()
    login(c, board)
    response = _post(c, f"/meetings/{meeting.id}/minutes/start")
    assert response.status_code == 303
    minutes = db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == meeting.id))
    url = f"/meetings/minutes/{minutes.id}"
    assert c.get(url).status_code == 200
    section = services.sections_in_order(minutes)[0]
    response = _post(
        c,
        f"{url}/sections/{section.id}",
        version="1",
        discussion="The team explained the routes.",
        decision_text="The board buys a second van.",
    )
    assert response.status_code == 303

    # A member does not see a draft; an anonymous visitor is asked to log in.
    assert member.get(url).status_code == 404
    assert outsider.get(url).status_code == 302

    assert _post(c, f"{url}/step", transition="submit").status_code == 303
    # The approval needs its link.
    response = _post(c, f"{url}/approve", poll_id="", item_id="")
    assert response.status_code == 422
    assert "Say which decision approved the minutes" in response.get_data(as_text=True)
    poll = closed_poll(f"minutes:{minutes.id}")
    db.session.flush()
    assert _post(c, f"{url}/approve", poll_id=str(poll.id), item_id="").status_code == 303
    assert member.get(url).status_code == 404
    assert _post(c, f"{url}/publish", public="y").status_code == 303

    m = member
    page = m.get(url).get_data(as_text=True)
    assert "The board buys a second van." in page
    assert _post(m, f"{url}/step", transition="send_back", comment="No").status_code == 422
    assert db.session.get(Minutes, minutes.id).state == "published"
    assert m.get(f"{url}/sections/{section.id}").status_code == 403
    page = outsider.get(url)
    assert page.status_code == 200 and "The team explained the routes." in page.get_data(
        as_text=True
    )
    decision = db.session.scalar(sa.select(Decision).where(Decision.minutes_id == minutes.id))
    assert decision is not None and decision.text == "The board buys a second van."
    page = member.get(f"/meetings/decisions/{decision.id}").get_data(as_text=True)
    assert f'href="/meetings/minutes/{minutes.id}"' in page
    assert f'href="/meetings/{meeting.id}"' in page
    pdf = outsider.get(f"{url}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_published_minutes_that_are_not_public_need_a_login(app, client, db):
    minutes = started()
    board = factory_board()
    services.submit_minutes(board, minutes)
    services.approve_minutes(board, minutes, poll=closed_poll(f"minutes:{minutes.id}"))
    services.publish_minutes(board, minutes, public=False)
    db.session.flush()
    assert app.test_client().get(f"/meetings/minutes/{minutes.id}").status_code == 302
    assert app.test_client().get(f"/meetings/minutes/{minutes.id}/minutes.pdf").status_code == 302


def test_r14_two_people_saving_the_same_section_from_the_same_version(app, client, db):
    minutes = started()
    section = services.sections_in_order(minutes)[0]
    db.session.flush()
    url = f"/meetings/minutes/{minutes.id}/sections/{section.id}"
    first = app.test_client()
    second = app.test_client()
    login(first, board_user())
    login(second, board_user())
    # Both open the form at version 1.
    assert 'value="1"' in first.get(url).get_data(as_text=True)
    assert 'value="1"' in second.get(url).get_data(as_text=True)
    saved = _post(first, url, version="1", discussion="Alice's summary.", decision_text="")
    assert saved.status_code == 303
    late = _post(second, url, version="1", discussion="Bob's summary.", decision_text="")
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "Alice&#39;s summary." in page  # their change is shown
    assert "Bob&#39;s summary." in page  # my text is still in the form
    db.session.expire_all()
    assert db.session.get(MinutesSection, section.id).discussion == "Alice's summary."


def test_bad_input_is_refused_with_a_message_and_kept(app, client, db):
    minutes = started()
    db.session.flush()
    c = app.test_client()
    login(c, board_user())
    response = _post(c, f"/meetings/minutes/{minutes.id}/notes", version="x", notes="Kept text")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Reload the page and try again." in page and "Kept text" in page
    response = _post(c, f"/meetings/minutes/{minutes.id}/step", transition="send_back")
    assert response.status_code == 422


def test_poll_results_and_attendance_are_inserted_and_in_the_pdf(app, client, db):
    board_members = [voter(given=name, family="Durand") for name in ("Ana", "Bilal", "Chloe")]
    for member in board_members:
        make_mandate(member)
    meeting = held_meeting(chair_id=board_members[0].id, secretary_id=board_members[1].id)
    db.session.add_all(
        [
            Attendance(meeting_id=meeting.id, member_id=board_members[0].id, status="present"),
            Attendance(meeting_id=meeting.id, member_id=board_members[1].id, status="present"),
            Attendance(meeting_id=meeting.id, member_id=board_members[2].id, status="excused"),
        ]
    )
    minutes = started(meeting)
    first = services.sections_in_order(minutes)[0]
    services.save_section(factory_board(), first, 1, "Talked.", "We buy the van.")
    closed_poll(f"agenda_item:{first.agenda_item_id}", title="Second van vote")
    services.submit_minutes(factory_board(), minutes)
    services.approve_minutes(factory_board(), minutes, poll=closed_poll(f"minutes:{minutes.id}"))
    line = services.quorum_line(meeting)
    assert (line.electorate, line.counted) == (3, 2) and line.reached
    db.session.flush()
    decision = db.session.scalar(sa.select(Decision).where(Decision.minutes_id == minutes.id))

    c = app.test_client()
    login(c, board_user())
    page = c.get(f"/meetings/minutes/{minutes.id}").get_data(as_text=True)
    assert "Vote: Second van vote" in page
    assert re.search(r"Result:\s*<strong>Adopted</strong>", page)
    assert "Quorum reached:" in page
    response = c.get(f"/meetings/minutes/{minutes.id}/minutes.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "Ana Durand" in text and "Bilal Durand" in text  # attendance, chair, secretary
    assert "Excused: 1" in text
    assert decision.reference in text and "We buy the van." in text
    assert "Approval date" in text


def test_published_minutes_are_found_by_members_only(app, db):
    minutes = started()
    board = factory_board()
    first = services.sections_in_order(minutes)[0]
    services.save_section(board, first, 1, "Zanzibarian logistics were discussed.", "")
    reader = member_user()
    with app.test_request_context():
        assert run_search(reader, "zanzibarian").total == 0
    services.submit_minutes(board, minutes)
    services.approve_minutes(board, minutes, poll=closed_poll(f"minutes:{minutes.id}"))
    services.publish_minutes(board, minutes, public=False)
    with app.test_request_context():
        found = run_search(reader, "zanzibarian")
    assert found.total == 1 and found.hits[0].url == f"/meetings/minutes/{minutes.id}"


def test_a_section_has_its_history_and_an_old_version_comes_back(app, client, db):
    minutes = started()
    section = services.sections_in_order(minutes)[0]
    board = factory_board()
    services.save_section(board, section, 1, "First summary.", "")
    services.save_section(board, section, 2, "Second summary.", "")
    db.session.flush()
    base = f"/meetings/minutes/{minutes.id}/sections/{section.id}"
    login(client, board_user())
    page = client.get(f"{base}/history", query_string={"a": 2, "b": 3}).get_data(as_text=True)
    assert "First summary." in page and "Second summary." in page
    response = _post(client, f"{base}/revert/2")
    assert response.status_code == 303
    db.session.expire_all()
    section = db.session.get(MinutesSection, section.id)
    assert (section.discussion, section.version) == ("First summary.", 4)
    assert _post(client, f"{base}/revert/99").status_code == 303  # refused with a message
    assert db.session.get(MinutesSection, section.id).version == 4
    notes = client.get(f"/meetings/minutes/{minutes.id}/history")
    assert notes.status_code == 200
    reader = login(app.test_client(), member_user())
    assert reader.get(f"{base}/history").status_code == 404


def test_the_meeting_page_section_offers_to_start_then_to_read(app, db):
    from flask import render_template

    from portal.meetings.views_minutes import minutes_section

    meeting = held_meeting()
    board = board_user()
    with app.test_request_context():
        from flask_login import login_user

        login_user(board)
        html = render_template(
            "meetings/_minutes_link.html", meeting=meeting, **minutes_section(meeting)
        )
        assert "Start the minutes" in html
        started(meeting)
        html = render_template(
            "meetings/_minutes_link.html", meeting=meeting, **minutes_section(meeting)
        )
        assert "Read the minutes" in html and "Draft" in html
    with app.test_request_context():
        from flask_login import login_user

        login_user(member_user())
        html = render_template(
            "meetings/_minutes_link.html", meeting=meeting, **minutes_section(meeting)
        )
        assert html.strip() == ""  # a member does not see draft minutes, nor may start them


def test_a_vote_already_in_the_register_is_linked_not_recorded_twice(db):
    from portal.meetings.decisions import record_poll_decision

    minutes = started()
    board = factory_board()
    first = services.sections_in_order(minutes)[0]
    services.save_section(board, first, 1, "", "We buy a second van.")
    poll = closed_poll(f"agenda_item:{first.agenda_item_id}")
    counted = record_poll_decision(board, poll)
    assert counted is not None and counted.agenda_item_id == first.agenda_item_id
    assert record_poll_decision(board, poll) is None  # once
    assert record_poll_decision(board, closed_poll("agenda_item:1", practice=True)) is None
    services.submit_minutes(board, minutes)
    services.approve_minutes(board, minutes, poll=closed_poll(f"minutes:{minutes.id}"))
    entries = db.session.scalars(
        sa.select(Decision).where(Decision.agenda_item_id == first.agenda_item_id)
    ).all()
    assert [(d.id, d.minutes_id) for d in entries] == [(counted.id, minutes.id)]


def test_the_last_steps_and_their_comments_are_shown_to_the_board_only(app, client, db):
    board, reader = board_user(), member_user()
    minutes = started()
    actor = factory_board()
    services.submit_minutes(actor, minutes)
    services.send_back_minutes(actor, minutes, "Figures of the van are wrong")
    services.submit_minutes(actor, minutes)
    services.approve_minutes(actor, minutes, poll=closed_poll(f"minutes:{minutes.id}"))
    services.publish_minutes(actor, minutes, public=True)
    db.session.flush()
    url = f"/meetings/minutes/{minutes.id}"
    for visitor in (app.test_client(), login(app.test_client(), reader)):
        response = visitor.get(url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Figures of the van are wrong" not in page and "Last steps" not in page
    page = login(app.test_client(), board).get(url).get_data(as_text=True)
    assert "Figures of the van are wrong" in page


def _weighted_assembly():
    """6 workers (weight 1) and 4 founders (weight 3) at a held general assembly, 50 %."""
    from datetime import date, timedelta

    from tests.factories_members import category, general_assembly, make_member

    founders = category("staff")
    founders.vote_weight = 3
    assembly = general_assembly()
    assembly.quorum_percent = 50
    assembly.proxies_count_for_quorum = True
    db.session.flush()
    admitted = date(2025, 2, 3)
    workers = [
        make_member(given=f"W{i}", category="worker", admitted_on=admitted) for i in range(6)
    ]
    bosses = [make_member(given=f"F{i}", category="staff", admitted_on=admitted) for i in range(4)]
    meeting = make_meeting(assembly, state="closed", days_ahead=-3)
    opened = utcnow() - timedelta(hours=3)
    meeting.opened_at, meeting.closed_at = opened, opened + timedelta(hours=2)
    db.session.flush()
    return meeting, workers, bosses, opened


def test_the_minutes_quorum_counts_college_weights(db):
    from portal.meetings import attendance

    meeting, workers, bosses, _opened = _weighted_assembly()
    rows = [
        Attendance(meeting_id=meeting.id, member_id=w.id, status="present") for w in workers[:5]
    ]
    # Represented by a holder who was not there: does not count.
    rows.append(
        Attendance(
            meeting_id=meeting.id,
            member_id=bosses[0].id,
            status="represented",
            proxy_holder_id=bosses[1].id,
        )
    )
    db.session.add_all(rows)
    db.session.flush()
    total = sum(attendance.weights(meeting).values())
    line = services.quorum_line(meeting)
    assert line.weighted and line.electorate == total >= 18
    assert line.counted == 5 and not line.reached  # 5 heads of 10, but 5 votes of 18
    minutes = started(meeting)
    db.session.flush()
    assert not services.report(minutes).quorum.reached


def test_the_minutes_quorum_is_the_highest_of_the_session(app, client, db):
    from datetime import timedelta

    meeting, workers, bosses, opened = _weighted_assembly()
    rows = [
        Attendance(meeting_id=meeting.id, member_id=w.id, status="present") for w in workers[:5]
    ]
    # One founder arrives after the opening and leaves before the closing.
    rows.append(
        Attendance(
            meeting_id=meeting.id,
            member_id=bosses[0].id,
            status="present",
            arrived_at=opened + timedelta(minutes=20),
            left_at=opened + timedelta(minutes=90),
        )
    )
    # Another was there from the opening and left before the peak.
    rows.append(
        Attendance(
            meeting_id=meeting.id,
            member_id=bosses[1].id,
            status="present",
            arrived_at=opened,
            left_at=opened + timedelta(minutes=10),
        )
    )
    # A third arrives at the peak; a fourth after the closing (not counted).
    rows.append(
        Attendance(
            meeting_id=meeting.id,
            member_id=bosses[2].id,
            status="present",
            arrived_at=opened + timedelta(minutes=30),
        )
    )
    rows.append(
        Attendance(
            meeting_id=meeting.id,
            member_id=bosses[3].id,
            status="present",
            arrived_at=opened + timedelta(hours=4),
        )
    )
    db.session.add_all(rows)
    db.session.flush()
    line = services.quorum_line(meeting)
    assert line.counted == 5 + 3 + 3 and line.reached  # at 30 minutes
    assert line.at == opened + timedelta(minutes=30)
    minutes = started(meeting)
    db.session.flush()
    c = login(app.test_client(), board_user())
    page = c.get(f"/meetings/minutes/{minutes.id}").get_data(as_text=True)
    assert "Quorum reached:" in page and "votes counted" in page
    assert "at its highest" in page
