"""An integration record in Chromium: a counsellor records a support action on a worker's
record, the worker reads it in "My pathway" on a phone and sees who opened the record.

The people (a worker-member with a login, her counsellor) and the pathway (the counsellor
assigned with access to personal data, one goal, one difficulty) are written in-process and
committed; the support action goes through the pages: the list "People I follow", the record,
its "Support actions" section (htmx), then the worker's "My pathway" and "Who opened your record"
on a 360 px phone, reached from the menu. axe-core runs on every page visited, before and after
the form is sent; on the phone, no page may scroll sideways. Last, the read journal holds the
counsellor's reads and the worker's own. Names are unusual so that no other browser test finds
them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from portal.core.db import local_today
from portal.extensions import db
from portal.integration.models import (
    Barrier,
    Goal,
    ReadKind,
    ReadOutcome,
    RecordRead,
    SupportAction,
)
from tests.browser.conftest import DESKTOP, PHONE, Person
from tests.browser.conftest import log_in as log_in_as
from tests.factories import PASSWORD, make_user
from tests.factories_integration import assign, make_pathway
from tests.factories_members import make_member

pytestmark = pytest.mark.browser

ADMITTED_ON = date(2025, 2, 3)
GIVEN, FAMILY = "Amina", "Vandersloot"
COUNSELLOR = "Theodora Blackwood-Ferreira"
GOAL = "Find a job in a bakery near Lindenhall"
NOTES = "Wrote the CV together. Next step: Amina calls the Lindenhall bakery on Monday."
KIND = "Job search"
HOURS, MINUTES = 1, 30
# A date and a time as the English pages print them ("Nov 24, 2026, 3:12:05 PM").
WHEN = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class Setup:
    member: Person
    counsellor: Person
    pathway_id: int
    action_on: date


def _person(user) -> Person:
    return Person(user.username, user.display_name, user.id, PASSWORD)


@pytest.fixture(scope="module")
def setup(site) -> Setup:
    """The worker and her login, her counsellor (assigned with personal-data access) and her
    pathway (entered two months ago, one goal, one difficulty); no support action yet."""
    with site.app.app_context():
        worker = make_user(
            f"{GIVEN}.{FAMILY}".lower(),
            display_name=f"{GIVEN} {FAMILY}",
            roles={Role.MEMBER},
            locale="en",
        )
        member = make_member(given=GIVEN, family=FAMILY, admitted_on=ADMITTED_ON, user=worker)
        counsellor = make_user(
            "theodora.blackwood",
            display_name=COUNSELLOR,
            roles={Role.MEMBER, Role.COUNSELLOR},
            locale="en",
        )
        today = local_today()
        pathway = make_pathway(member, entry_on=today - timedelta(days=60), team="Bakery")
        assign(pathway, counsellor, "counsellor", personal_data=True)
        db.session.add(
            Goal(
                pathway_id=pathway.id,
                title=GOAL,
                status="planned",
                created_by_id=counsellor.id,
            )
        )
        db.session.add(
            Barrier(
                pathway_id=pathway.id,
                kind="mobility",
                status="present",
                noted_on=today - timedelta(days=50),
                updated_by_id=counsellor.id,
            )
        )
        db.session.commit()
        found = Setup(_person(worker), _person(counsellor), pathway.id, today - timedelta(days=2))
        db.session.remove()
    return found


# --- Helpers ------------------------------------------------------------------------------------


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def assert_fits_the_screen(page: Page, what: str) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width}px wide on a {PHONE['width']}px screen"


def menu_link(page: Page, name: str):
    return page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name=name, exact=True
    )


def reads_of(site, pathway_id: int) -> list[tuple[str | None, str, str, str]]:
    """The journal of the record: (reader, kind, what, outcome), oldest first; the reader is a
    user id as text, or "member" for the member's own reads (which name nobody)."""
    with site.app.app_context():
        reader = sa.case(
            (RecordRead.by_member, sa.literal("member")),
            else_=sa.cast(RecordRead.user_id, sa.String),
        )
        rows = db.session.execute(
            sa.select(reader, RecordRead.kind, RecordRead.what, RecordRead.outcome)
            .where(RecordRead.pathway_id == pathway_id)
            .order_by(RecordRead.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def actions_of(site, pathway_id: int) -> list[tuple[date, str, int, str, int | None]]:
    with site.app.app_context():
        rows = db.session.execute(
            sa.select(
                SupportAction.happened_on,
                SupportAction.kind,
                SupportAction.minutes,
                SupportAction.notes,
                SupportAction.recorded_by_id,
            ).where(SupportAction.pathway_id == pathway_id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


# --- The flow -----------------------------------------------------------------------------------


def test_counsellor_records_an_action_member_reads_it_and_who_opened_the_record(
    new_context, site, setup, check_accessibility
):
    record_path = f"/integration/{setup.pathway_id}"
    member_name = f"{GIVEN} {FAMILY}"

    # --- The counsellor finds the worker in the list of people she follows -------------------
    counsellor = new_context(DESKTOP).new_page()
    log_in_as(counsellor, setup.counsellor)
    menu_link(counsellor, "Pathways").click()
    counsellor.wait_for_url(re.compile(r"/integration/?$"))
    assert heading(counsellor) == "People I follow"
    row = counsellor.get_by_role("row").filter(has=counsellor.get_by_role("link", name=member_name))
    expect(row).to_contain_text("Bakery")
    check_accessibility(counsellor)

    # --- The record: the goal is there, no support action yet --------------------------------
    row.get_by_role("link", name=member_name).click()
    counsellor.wait_for_url(f"{site.url}{record_path}")
    assert heading(counsellor) == member_name
    expect(counsellor.get_by_role("main")).to_contain_text(GOAL)
    section = counsellor.locator(f"#pathway-{setup.pathway_id}-actions")
    expect(section.get_by_role("heading", level=2)).to_have_text("Support actions")
    expect(section).to_contain_text("No support action yet.")
    check_accessibility(counsellor)

    # --- The support action, sent with htmx ---------------------------------------------------
    section.locator("summary", has_text="Record an action").click()
    adder = section.locator("details").filter(
        has=counsellor.locator("summary", has_text="Record an action")
    )
    adder.get_by_label("Day", exact=True).fill(setup.action_on.isoformat())
    adder.get_by_label("What kind of help").select_option(label=KIND)
    adder.get_by_label("Hours", exact=True).fill(str(HOURS))
    adder.get_by_label("Minutes", exact=True).fill(str(MINUTES))
    adder.get_by_label("Notes (optional)").fill(NOTES)
    check_accessibility(counsellor)  # the form open, filled
    with counsellor.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"{record_path}/actions")
    ) as sent:
        adder.get_by_role("button", name="Record the action").click()
    assert sent.value.status == 200
    assert sent.value.request.headers.get("hx-request") == "true", "the form did not use htmx"
    assert counsellor.url == f"{site.url}{record_path}"  # the section was swapped in place
    section = counsellor.locator(f"#pathway-{setup.pathway_id}-actions")
    expect(section).to_contain_text("1 action, total time: 1 h 30 min.")
    line = section.get_by_role("row").filter(has_text=NOTES)
    expect(line).to_have_count(1)
    expect(line).to_contain_text(KIND)
    expect(line).to_contain_text("1 h 30 min")
    expect(line).to_contain_text(format_date(setup.action_on, "medium", locale="en"))
    expect(line).to_contain_text(COUNSELLOR)
    check_accessibility(counsellor)  # the section after the swap

    assert actions_of(site, setup.pathway_id) == [
        (setup.action_on, "job_search", 90, NOTES, setup.counsellor.id)
    ]

    # --- After a reload, the action is still there --------------------------------------------
    counsellor.reload()
    section = counsellor.locator(f"#pathway-{setup.pathway_id}-actions")
    line = section.get_by_role("row").filter(has_text=NOTES)
    expect(line).to_have_count(1)
    expect(line).to_contain_text(KIND)
    check_accessibility(counsellor)

    # --- The worker, on a phone: "My pathway" from the menu -----------------------------------
    page = new_context(PHONE).new_page()
    log_in_as(page, setup.member)
    link = menu_link(page, "My pathway")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(re.compile(r"/integration/mine$"))
    assert heading(page) == "My pathway"
    main = page.get_by_role("main")
    expect(page.get_by_role("region", name="Your team")).to_contain_text(COUNSELLOR)
    expect(page.get_by_role("region", name="Your goals")).to_contain_text(GOAL)
    together = page.get_by_role("region", name="What we did together")
    item = together.get_by_role("listitem").filter(has_text=NOTES)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(KIND)
    expect(item).to_contain_text("90 minutes")
    expect(item).to_contain_text(format_date(setup.action_on, "long", locale="en"))
    expect(page.get_by_role("region", name="Things that make work harder")).to_contain_text(
        "Getting around: A difficulty"
    )
    # The worker reads; she changes nothing here: no form, no field, no "record" button.
    expect(main.locator("form")).to_have_count(0)
    expect(main.get_by_role("textbox")).to_have_count(0)
    expect(main.get_by_role("combobox")).to_have_count(0)
    expect(main).not_to_contain_text("Record an action")
    expect(main).not_to_contain_text("Correct this action")
    assert_fits_the_screen(page, "My pathway")
    check_accessibility(page)

    # --- Who opened the record: the counsellor, with the day and time ------------------------
    page.get_by_role("button", name="See who opened your record").click()
    page.wait_for_url(re.compile(r"/integration/mine/reads$"))
    assert heading(page) == "Who opened your record"
    others = page.get_by_role("region", name="Other people who opened it")
    rows = others.get_by_role("row").filter(has_text=COUNSELLOR)
    # The record page, the section sent with htmx, the record page again after the reload.
    expect(rows).to_have_count(3)
    for index in range(rows.count()):
        text = rows.nth(index).inner_text()
        assert WHEN.search(text), f"no day and time in {text!r}"
        assert "Counsellor" in text, text
    expect(others).to_contain_text("Looked at the record")
    expect(others).to_contain_text("Looked at a part of the record")
    expect(others).not_to_contain_text(member_name)  # her own reads are counted, not listed
    expect(main).to_contain_text("You opened it 2 times.")  # My pathway, and this page
    expect(
        page.get_by_role("region", name="People who tried without the right to")
    ).to_contain_text("Nobody tried.")
    expect(main.locator("form")).to_have_count(0)
    assert_fits_the_screen(page, "Who opened your record")
    check_accessibility(page)

    # --- The journal: one row per request, for both of them -----------------------------------
    reads = reads_of(site, setup.pathway_id)
    allowed = ReadOutcome.ALLOWED.value
    counsellor_reads = [r[1:] for r in reads if r[0] == str(setup.counsellor.id)]
    member_reads = [r[1:] for r in reads if r[0] == "member"]
    page_kind, fragment = ReadKind.PAGE.value, ReadKind.FRAGMENT.value
    assert counsellor_reads == [
        (page_kind, "record", allowed),  # from the list
        (fragment, "actions", allowed),  # the action sent with htmx
        (page_kind, "record", allowed),  # the reload
    ], reads
    assert member_reads == [
        (page_kind, "my pathway", allowed),
        (page_kind, "who read", allowed),
    ], reads
    assert {r[0] for r in reads} == {str(setup.counsellor.id), "member"}, reads
