"""A whole meeting cycle in Chromium: the secretary checks the people in and the quorum line says
it is reached; a vote is counted in the room on the decision item and closed; the secretary
drafts the minutes and submits them; the chair approves them (by an item of the committee's
next meeting) and publishes them; a member reads them on a phone and downloads the PDF.

The meeting is one of a committee of its own (four members, through mandates), so that its list
and quorum do not depend on what other browser tests add to the shared live database. The
people, the committee, today's meeting (convened, with a decision item) and the next meeting
(convened, with an item "Minutes of the last meeting") are written through the services
in-process and committed; everything else goes through the pages. Names are unusual so that no
other browser test finds them. axe-core runs on every page visited; on the phone, no page may
scroll sideways.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from portal.accounts.models import Role
from portal.core.db import utcnow
from portal.extensions import db
from portal.meetings import agenda, services
from portal.meetings.models import Minutes
from portal.members import bodies
from tests.browser.conftest import DESKTOP, PHONE, Person, log_in
from tests.factories import PASSWORD, make_user
from tests.factories_members import make_mandate, make_member

pytestmark = pytest.mark.browser

ADMITTED_ON = date(2025, 2, 3)
COMMITTEE = "Quillfeather garden committee"
MEETING = "Quillfeather committee, autumn meeting"
NEXT_MEETING = "Quillfeather committee, winter meeting"
ITEM = "New seeds for the Quillfeather beds"
APPROVAL_ITEM = "Minutes of the last meeting"
DISCUSSION = "Everyone agrees the old seeds did not grow. Bartholomew found a cheaper seller."
DECISION = "The committee buys new seeds for 140 euros from the cooperative seller."
MEMBERS = (
    ("Ysolde", "Quillfeather"),
    ("Bartholomew", "Nettlecombe"),
    ("Clementine", "Ashgrove-Pike"),
    ("Ferdinand", "Wollaston"),
)


@dataclass(frozen=True)
class Setup:
    secretary: Person
    chair: Person
    member: Person
    member_ids: tuple[int, ...]
    meeting_id: int
    next_meeting_id: int


def _person(user) -> Person:
    return Person(user.username, user.display_name, user.id, PASSWORD)


def _convened(actor, committee, title: str, starts, item_title: str, kind: str) -> int:
    local = services.local_time(starts)
    meeting = services.create_meeting(
        actor,
        services.MeetingData(
            body_id=committee.id,
            kind="committee",
            title=title,
            day=local.date(),
            start=local.time().replace(second=0, microsecond=0),
            place="The garden shed",
        ),
    )
    agenda.add_item(actor, meeting, agenda.ItemData(title=item_title, kind=kind))
    services.convene_meeting(actor, meeting, "The committee agreed to meet at short notice.")
    return meeting.id


@pytest.fixture(scope="module")
def setup(site) -> Setup:
    """The committee of four, the secretary and the chair (board), today's meeting in a few
    minutes (convened, one decision item) and the next one a week later (convened, an item to
    approve the minutes)."""
    with site.app.app_context():
        secretary = make_user(
            "wilhelmina.quarrington",
            display_name="Wilhelmina Quarrington",
            roles={Role.MEMBER, Role.BOARD},
            locale="en",
        )
        chair = make_user(
            "evander.pettigrew",
            display_name="Evander Pettigrew",
            roles={Role.MEMBER, Role.BOARD},
            locale="en",
        )
        committee = bodies.create_body(
            None,
            bodies.BodyData(
                kind="committee", name=COMMITTEE, quorum_percent=50, notice_days=7, proxy_cap=1
            ),
        )
        users, ids = [], []
        for given, family in MEMBERS:
            user = make_user(
                f"{given}.{family}".lower(),
                display_name=f"{given} {family}",
                roles={Role.MEMBER},
                locale="en",
            )
            member = make_member(given=given, family=family, admitted_on=ADMITTED_ON, user=user)
            make_mandate(member, committee, "member")
            users.append(user)
            ids.append(member.id)
        starts = utcnow() + timedelta(minutes=5)
        meeting_id = _convened(secretary, committee, MEETING, starts, ITEM, "decision")
        next_id = _convened(
            secretary,
            committee,
            NEXT_MEETING,
            starts + timedelta(days=7),
            APPROVAL_ITEM,
            "decision",
        )
        db.session.commit()
        found = Setup(
            _person(secretary),
            _person(chair),
            _person(users[0]),
            tuple(ids),
            meeting_id,
            next_id,
        )
        db.session.remove()
    return found


# --- Helpers ------------------------------------------------------------------------------------


def assert_fits_the_screen(page: Page, what: str) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width}px wide on a {PHONE['width']}px screen"


def minutes_id_of(site, meeting_id: int) -> int:
    with site.app.app_context():
        found = db.session.scalar(sa.select(Minutes.id).where(Minutes.meeting_id == meeting_id))
        db.session.remove()
    return found or 0


def set_status(page: Page, meeting_id: int, member_id: int, status: str) -> None:
    """Choose the person's status and save it; wait for the attendance section to come back."""
    line = page.locator(f"#attendance-{meeting_id}-{member_id}")
    line.get_by_label("Status").select_option(status)
    with page.expect_response(lambda r: r.request.method == "POST" and "/status" in r.url) as sent:
        line.get_by_role("button", name="Save").click()
    assert sent.value.status == 200
    expect(line.locator("p").first).to_contain_text(status.capitalize())


# --- The flow -----------------------------------------------------------------------------------


def test_secretary_runs_the_meeting_chair_publishes_member_reads_the_minutes(
    new_context, site, setup, check_accessibility
):
    meeting_path = f"/meetings/{setup.meeting_id}"

    # --- The secretary opens the session -----------------------------------------------------
    secretary = new_context(DESKTOP).new_page()
    log_in(secretary, setup.secretary)
    secretary.goto(meeting_path)
    expect(secretary.get_by_role("heading", level=1)).to_have_text(MEETING)
    check_accessibility(secretary)
    status = secretary.locator(f"#meeting-{setup.meeting_id}-status")
    status.get_by_role("button", name="Open the session").click()
    expect(status).to_contain_text("In session")
    secretary.goto(meeting_path)  # the whole page, with the session's sections
    quorum = secretary.locator(f"#meeting-{setup.meeting_id}-quorum")
    expect(quorum).to_contain_text("0 of 4")
    expect(quorum).to_contain_text("not reached")
    check_accessibility(secretary)

    # --- Attendance: three present, one excused; the quorum line says reached ----------------
    first, second, third, fourth = setup.member_ids
    set_status(secretary, setup.meeting_id, first, "present")
    expect(quorum).to_contain_text("not reached")  # 1 of 4, 50 % needed
    set_status(secretary, setup.meeting_id, second, "present")
    set_status(secretary, setup.meeting_id, third, "present")
    set_status(secretary, setup.meeting_id, fourth, "excused")
    quorum = secretary.locator(f"#meeting-{setup.meeting_id}-quorum")
    expect(quorum).to_contain_text("3 of 4 present or represented")
    expect(quorum).to_contain_text("reached")
    expect(quorum).not_to_contain_text("not reached")
    check_accessibility(secretary)

    # --- The decision item; a vote in the room, the hands entered, the vote closed -----------
    session = secretary.locator(f"#meeting-{setup.meeting_id}-session")
    session.get_by_role("button", name="Next item").click()
    session = secretary.locator(f"#meeting-{setup.meeting_id}-session")
    expect(session).to_contain_text(f"1. {ITEM}")
    session.get_by_label("In the room", exact=False).check()
    session.get_by_role("button", name="Open the vote").click()
    session = secretary.locator(f"#meeting-{setup.meeting_id}-session")
    expect(session).to_contain_text("3 people can vote in the room")
    session.get_by_label("Yes", exact=True).fill("2")
    session.get_by_label("No", exact=True).fill("0")
    session.get_by_label("Abstain", exact=True).fill("1")
    session.get_by_role("button", name="Save the count").click()
    session = secretary.locator(f"#meeting-{setup.meeting_id}-session")
    expect(session.get_by_label("Yes", exact=True)).to_have_value("2")
    check_accessibility(secretary)
    session.get_by_role("link", name=ITEM).click()
    secretary.wait_for_url(lambda url: "/polls/" in url)
    check_accessibility(secretary)
    secretary.get_by_role("button", name="Close the vote").click()
    expect(secretary.get_by_role("main")).to_contain_text("Done. The poll is now: Closed.")
    check_accessibility(secretary)

    # --- The secretary closes the session and drafts the minutes ---------------------------
    secretary.goto(meeting_path)
    status = secretary.locator(f"#meeting-{setup.meeting_id}-status")
    status.get_by_role("button", name="Close the session").click()
    expect(status).to_contain_text("Closed")
    secretary.goto(meeting_path)
    secretary.get_by_role("button", name="Start the minutes").click()
    secretary.wait_for_url(lambda url: "/minutes/" in url)
    minutes_id = minutes_id_of(site, setup.meeting_id)
    assert minutes_id
    minutes_path = f"/meetings/minutes/{minutes_id}"
    expect(secretary.get_by_role("main")).to_contain_text("Yes: 2 · No: 0 · Abstain: 1")
    check_accessibility(secretary)
    secretary.get_by_role("link", name=f"Write this item: {ITEM}").click()
    check_accessibility(secretary)
    secretary.get_by_label("What was said").fill(DISCUSSION)
    secretary.get_by_label("What was decided (optional)").fill(DECISION)
    secretary.get_by_role("button", name="Save").click()
    secretary.wait_for_load_state()
    secretary.goto(minutes_path)
    expect(secretary.get_by_role("main")).to_contain_text(DISCUSSION)
    expect(secretary.get_by_role("main")).to_contain_text(DECISION)
    secretary.get_by_role("button", name="Submit for approval").click()
    expect(secretary.locator(f"#minutes-{minutes_id}-status")).to_contain_text(
        "Submitted for approval"
    )
    check_accessibility(secretary)

    # --- The chair: the next meeting approves the minutes; published -----------------------
    chair = new_context(DESKTOP).new_page()
    log_in(chair, setup.chair)
    chair.goto(f"/meetings/{setup.next_meeting_id}")
    next_status = chair.locator(f"#meeting-{setup.next_meeting_id}-status")
    next_status.get_by_role("button", name="Open the session").click()
    expect(next_status).to_contain_text("In session")
    chair.goto(minutes_path)
    check_accessibility(chair)
    approval = chair.get_by_label("Or: the item of a later meeting that approved them")
    option = approval.locator("option", has_text=APPROVAL_ITEM)
    approval.select_option(option.get_attribute("value"))
    chair.get_by_role("button", name="Record the approval").click()
    status_box = chair.locator(f"#minutes-{minutes_id}-status")
    expect(status_box).to_contain_text("Approved")
    expect(chair.get_by_role("main")).to_contain_text("The approval is recorded.")
    check_accessibility(chair)
    chair.get_by_role("button", name="Publish").click()
    expect(chair.locator(f"#minutes-{minutes_id}-status")).to_contain_text("Published")
    check_accessibility(chair)

    # --- A member reads the published minutes on a phone and downloads the PDF --------------
    page = new_context(PHONE).new_page()
    log_in(page, setup.member)
    page.goto(meeting_path)
    assert_fits_the_screen(page, "the meeting page")
    check_accessibility(page)
    page.get_by_role("link", name="Read the minutes").click()
    page.wait_for_url(f"{site.url}{minutes_path}")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Present: 3 · Represented: 0 · Excused: 1 · Absent: 0")
    expect(main).to_contain_text("Ysolde Quillfeather")
    expect(main).to_contain_text("Quorum reached:")
    expect(main).to_contain_text(DECISION)
    expect(main.locator("#minutes-decisions-title")).to_be_visible()
    expect(main).to_contain_text("Adopted")
    assert_fits_the_screen(page, "the published minutes")
    check_accessibility(page)
    link = page.get_by_role("link", name="Download the PDF")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.body()[:5] == b"%PDF-"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    text = " ".join(text.split())
    assert "Ysolde Quillfeather" in text and "cooperative seller" in text
