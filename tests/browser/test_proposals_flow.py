"""A proposal as a member meets it on a phone, in Chromium: the list, the proposal in plain words
("What changes for me" before the full text), the link to its secret vote, the vote and its
receipt; the board closes the vote and records the result; the member finds the receipt among
the counted ballots and the proposal adopted.

The proposal is addressed to a committee of its own (two members, through mandates), so that its
electorate and quorum do not depend on the members that other browser tests add to the general
assembly of the shared live database. The people, the committee and the proposal (open for
support) are written through the services in-process and committed; the board puts it to the
vote, closes the vote and records the result through the pages. Names are unusual so that no
other browser test finds them. axe-core runs on every page visited; on the phone, no page may
scroll sideways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from portal.extensions import db
from portal.members import bodies
from portal.members.models import Member
from portal.proposals.models import Proposal
from portal.voting.models import Poll
from tests.browser.conftest import DESKTOP, PHONE, Person, log_in
from tests.factories import PASSWORD, make_user
from tests.factories_members import make_mandate, make_member
from tests.factories_proposals import make_proposal
from tests.factories_voting import vote

pytestmark = pytest.mark.browser

ADMITTED_ON = date(2025, 2, 3)
RECEIPT = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")

TITLE = "Bicycles for the Thistlewood repair team"
SUMMARY = "We buy three bicycles so the repair team can reach the gardens without the bus."
WHAT_CHANGES = "You can borrow a bicycle for the day. Ask at the front desk in the morning."
FULL_TEXT = (
    "## Why\n\n"
    "The repair team loses forty minutes a day waiting for the bus between the two sites.\n\n"
    "## Cost\n\n"
    "Three bicycles with locks and baskets cost 1,200 euros, paid from the equipment budget."
)


@dataclass(frozen=True)
class Setup:
    member: Person
    member_name: str
    board: Person
    proposal_id: int


def _person(user) -> Person:
    return Person(user.username, user.display_name, user.id, PASSWORD)


@pytest.fixture(scope="module")
def setup(site) -> Setup:
    """A committee of two (the member and a colleague, by mandates), a board member, and a
    proposal of the colleague to the committee, open for support."""
    with site.app.app_context():
        board = make_user(
            "ottoline.marchbanks",
            display_name="Ottoline Marchbanks",
            roles={Role.MEMBER, Role.BOARD},
            locale="en",
        )
        committee = bodies.create_body(
            None,
            bodies.BodyData(
                kind="committee",
                name="Thistlewood repair committee",
                quorum_percent=50,
                default_majority="simple",
            ),
        )
        people = []
        for given, family in (("Perpetua", "Thistlewood"), ("Aurelio", "Quenby-Vance")):
            user = make_user(
                f"{given}.{family}".lower(),
                display_name=f"{given} {family}",
                roles={Role.MEMBER},
                locale="en",
            )
            member = make_member(given=given, family=family, admitted_on=ADMITTED_ON, user=user)
            make_mandate(member, committee, "member")
            people.append((user, member))
        (member_user, member), (colleague_user, _colleague) = people
        proposal = make_proposal(
            colleague_user,
            "support",
            title=TITLE,
            summary=SUMMARY,
            what_changes=WHAT_CHANGES,
            body=FULL_TEXT,
            body_id=committee.id,
        )
        db.session.commit()
        found = Setup(_person(member_user), member.full_name, _person(board), proposal.id)
        db.session.remove()
    return found


# --- Helpers ------------------------------------------------------------------------------------


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def assert_fits_the_screen(page: Page, what: str) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width}px wide on a {PHONE['width']}px screen"


def top_of(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box["y"]


def check_page(page: Page, check_accessibility, what: str) -> None:
    """Every page the member visits: axe clean, and no sideways scrolling on the phone."""
    assert_fits_the_screen(page, what)
    check_accessibility(page)


def poll_of(site, proposal_id: int) -> tuple[int, str, bool]:
    with site.app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        poll = db.session.get(Poll, proposal.poll_id) if proposal.poll_id else None
        found = (poll.id, poll.state, poll.secret) if poll else (0, "", False)
        db.session.remove()
    return found


# --- The flow -----------------------------------------------------------------------------------


def test_member_reads_a_proposal_votes_on_a_phone_and_finds_it_adopted(
    new_context, site, setup, check_accessibility
):
    proposal_path = f"/proposals/{setup.proposal_id}"

    # --- The board puts the proposal to the vote, secret, from its own screen -------------
    board = new_context(DESKTOP).new_page()
    log_in(board, setup.board)
    board.goto(proposal_path)
    status = board.locator(f"#proposal-{setup.proposal_id}-status")
    status.locator("summary", has_text="Put to the vote").click()
    expect(status.get_by_label("Secret vote")).to_be_checked()
    status.get_by_role("button", name="Open the vote now").click()
    expect(status.get_by_role("link", name="The vote on this proposal")).to_be_visible()
    check_accessibility(board)
    poll_id, state, secret = poll_of(site, setup.proposal_id)
    assert (state, secret) == ("open", True)
    poll_path = f"/polls/{poll_id}"
    with site.app.app_context():  # the colleague votes first, yes
        colleague = db.session.scalar(sa.select(Member).where(Member.given_name == "Aurelio"))
        vote(db.session.get(Poll, poll_id), colleague, {"vote": "yes"})
        db.session.commit()
        db.session.remove()

    # --- The member finds the proposal in the list, on a phone ------------------------------
    page = new_context(PHONE).new_page()
    log_in(page, setup.member)
    page.goto("/proposals/")
    assert heading(page) == "Proposals"
    item = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=TITLE))
    expect(item).to_contain_text("In vote")
    expect(item).to_contain_text(SUMMARY)
    check_page(page, check_accessibility, "the list of proposals")

    # --- The proposal: plain words first, then what changes, then the full text ---------------
    item.get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"{site.url}{proposal_path}")
    assert heading(page) == TITLE
    expect(page.locator(".plain-words")).to_contain_text(SUMMARY)
    changes = page.get_by_role("complementary", name="What changes for me")
    expect(changes).to_contain_text(WHAT_CHANGES)
    full_text = page.get_by_role("region", name="Full text")
    expect(full_text).to_contain_text("loses forty minutes a day")
    summary_top = top_of(page, ".plain-words")
    changes_top = top_of(page, ".what-changes")
    full_top = top_of(page, "section[aria-labelledby='full-text-title']")
    assert summary_top < changes_top < full_top, (summary_top, changes_top, full_top)
    # The plain words are on the first screen of the phone, below the menu (not past it).
    assert summary_top < PHONE["height"] - 48, f"the summary starts at {summary_top}px"
    expect(page.locator(f"#proposal-{setup.proposal_id}-status")).to_contain_text("In vote")
    check_page(page, check_accessibility, "the proposal page")

    # --- The link to the vote; the vote; the receipt ---------------------------------------
    page.get_by_role("link", name="The vote on this proposal").click()
    page.wait_for_url(f"{site.url}{poll_path}")
    assert heading(page) == TITLE
    expect(page.locator(".plain-words")).to_contain_text(SUMMARY)  # the question: the summary
    expect(page.get_by_role("main")).to_contain_text("Secret vote")
    expect(page.locator(f"#poll-{poll_id}-turnout")).to_have_text("1 of 2 has voted")
    check_page(page, check_accessibility, "the poll page")

    box = page.locator(f"#poll-{poll_id}-ballot")
    box.get_by_label("Yes").check()
    with page.expect_response(lambda r: r.request.method == "POST" and "/vote" in r.url) as sent:
        box.get_by_role("button", name="Send my vote").click()
    assert sent.value.status == 200
    expect(box.get_by_role("status")).to_contain_text("Your vote is recorded.")
    code = box.locator("code.receipt-code")
    expect(code).to_have_count(1)
    receipt = code.inner_text().strip()
    assert RECEIPT.match(receipt), receipt
    expect(page.locator(f"#poll-{poll_id}-turnout")).to_have_text("2 of 2 have voted")
    check_page(page, check_accessibility, "the poll page with the receipt")

    # --- The board closes the vote and records the result on the proposal -------------------
    board.goto(poll_path)
    board.get_by_role("region", name="For the board").get_by_role(
        "button", name="Close the vote"
    ).click()
    board.wait_for_url(f"{site.url}{poll_path}")
    expect(board.get_by_role("main")).to_contain_text("Done. The poll is now: Closed.")
    board.goto(proposal_path)
    status = board.locator(f"#proposal-{setup.proposal_id}-status")
    expect(status).to_contain_text("Yes: 2 · No: 0 · Abstain: 0")
    status.get_by_role("button", name="Record the result").click()
    expect(status.locator(".badge.state-adopted")).to_have_text("Adopted")
    check_accessibility(board)

    # --- The member checks the receipt from the poll page: counted --------------------------
    page.goto(poll_path)
    expect(page.locator(f"#poll-{poll_id}-ballot")).to_have_count(0)
    check_page(page, check_accessibility, "the closed poll page")
    page.get_by_role("button", name="See the results").click()
    page.wait_for_url(f"{site.url}{poll_path}/results")
    expect(page.locator(".verdict")).to_contain_text("Adopted")
    check = page.get_by_role("region", name="Check my receipt")
    check.get_by_label("Receipt code").fill(receipt)
    check.get_by_role("button", name="Check").click()
    page.wait_for_url(re.compile(r"/results\?receipt="))
    expect(check.get_by_role("status")).to_have_text("Your vote was counted.")
    voters = page.get_by_role("region", name="Who voted")
    expect(voters).to_contain_text(setup.member_name)
    expect(voters).not_to_contain_text("Yes")  # secret: who voted, never what they chose
    check_page(page, check_accessibility, "the results page with the receipt checked")

    # --- And the proposal says so ---------------------------------------------------------
    page.goto(proposal_path)
    badge = page.locator(f"#proposal-{setup.proposal_id}-status .badge.state-adopted")
    expect(badge).to_have_text("Adopted")
    expect(page.locator(f"#proposal-{setup.proposal_id}-status")).to_contain_text(
        "Yes: 2 · No: 0 · Abstain: 0"
    )
    check_page(page, check_accessibility, "the adopted proposal")
    page.goto("/proposals/")
    item = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=TITLE))
    expect(item).to_contain_text("Adopted")
    check_page(page, check_accessibility, "the list of proposals, adopted")
