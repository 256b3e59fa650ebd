"""Votes as members cast them, in Chromium: a secret poll on a phone, from the menu to the
receipt and, after the close, the receipt found among the counted ballots; a proxy given on the
poll page and used by its holder, who votes twice; a ranked vote with a number given twice.

Proposals are not built yet: the poll's question is the plain-words text the member reads.

The people and the polls are written straight into the worker's live database through the
in-process app (and committed) before the poll opens: opening freezes the electorate, so the
voters must already be active members of a college that votes in the general assembly. The
names are unusual so that no other browser test finds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect

from portal.accounts.models import Role
from portal.extensions import db
from portal.members.models import Member
from portal.voting.models import Poll
from tests.browser.conftest import DESKTOP, PHONE, Person, log_in
from tests.factories import PASSWORD, make_user
from tests.factories_members import make_member
from tests.factories_voting import open_poll_for, vote

pytestmark = pytest.mark.browser

ADMITTED_ON = date(2025, 2, 3)
# WCAG 2.5.5 (AAA) asks 44 x 44 CSS px for a target; what a thumb presses on a phone is checked
# against it, as in the member flow.
TOUCH_TARGET = 44
RECEIPT = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")
TURNOUT = re.compile(r"(\d+) of (\d+) ha(?:s|ve) voted")

QUESTION = (
    "Should the café stay open on Saturday mornings?\n"
    "If the answer is yes, two people from the kitchen team work on Saturdays from 9 to 13, "
    "and they get a free Monday instead."
)


@dataclass(frozen=True)
class Voter:
    """A member of the general assembly with a login."""

    id: int
    given_name: str
    family_name: str
    login: Person

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def listed_as(self) -> str:
        """How the proxy list shows them: family name first."""
        return f"{self.family_name} {self.given_name}"


def _voter(site, given: str, family: str) -> Voter:
    """An active member of the "worker" college (so in the general assembly) with a login."""
    username = f"{given}.{family}".lower().replace(" ", "-")
    with site.app.app_context():
        user = make_user(
            username, display_name=f"{given} {family}", roles={Role.MEMBER}, locale="en"
        )
        member = make_member(given=given, family=family, admitted_on=ADMITTED_ON, user=user)
        db.session.commit()
        voter = Voter(
            member.id,
            member.given_name,
            member.family_name,
            Person(user.username, user.display_name, user.id, PASSWORD),
        )
        db.session.remove()
    return voter


def _open_poll(site, title: str, *, method="yes_no_abstain", options=(), already=()) -> int:
    """An open (secret) poll of the general assembly; `already` are (voter, content) pairs
    voted before the test starts. The electorate is frozen now: create the voters first."""
    with site.app.app_context():
        # No quorum: the general assembly of this shared live database also holds the members
        # other browser tests made, so two votes would not reach the body's 25 %.
        poll = open_poll_for(
            method=method, options=options, title=title, question=QUESTION, quorum_percent=0
        )
        for somebody, content in already:
            vote(poll, db.session.get(Member, somebody.id), content)
        db.session.commit()
        poll_id = poll.id
        assert poll.secret and poll.state == "open"
        db.session.remove()
    return poll_id


@pytest.fixture(scope="module")
def board(site) -> Person:
    """A board member: opens and closes the votes."""
    with site.app.app_context():
        user = make_user(
            "leocadie.fairweather",
            display_name="Léocadie Fairweather",
            roles={Role.MEMBER, Role.BOARD},
            locale="en",
        )
        db.session.commit()
        person = Person(user.username, user.display_name, user.id, PASSWORD)
        db.session.remove()
    return person


# --- Helpers ----------------------------------------------------------------------------------


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def menu(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main menu")


def ballot(page: Page, poll_id: int) -> Locator:
    return page.locator(f"#poll-{poll_id}-ballot")


def turnout(page: Page, poll_id: int) -> tuple[int, int]:
    """(voted, electorate) from the line "3 of 12 have voted"."""
    text = page.locator(f"#poll-{poll_id}-turnout").inner_text()
    found = TURNOUT.search(text)
    assert found, f"no turnout in {text!r}"
    return int(found.group(1)), int(found.group(2))


def expect_turnout(page: Page, poll_id: int, voted: int, electorate: int) -> None:
    verb = "has" if voted == 1 else "have"
    expect(page.locator(f"#poll-{poll_id}-turnout")).to_have_text(
        f"{voted} of {electorate} {verb} voted"
    )


def receipt_of(box: Locator) -> str:
    code = box.locator("code.receipt-code")
    expect(code).to_have_count(1)
    text = code.inner_text().strip()
    assert RECEIPT.match(text), f"{text!r} does not look like a receipt code"
    return text


def mark_the_page(page: Page) -> None:
    page.evaluate("window.stillTheSamePage = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.stillTheSamePage") is True, "the page was reloaded"


def send(page: Page, button: Locator, status: int = 200) -> None:
    """Press a vote button and check that htmx (not a page load) sent it."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/vote" in r.url) as info:
        button.click()
    response = info.value
    assert response.status == status
    assert response.request.headers.get("hx-request") == "true"


def assert_fits_the_screen(page: Page, what: str) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{what} is {width}px wide on a {viewport}px screen"


def assert_big_enough(page: Page, locator: Locator, what: str) -> None:
    """On the screen, and at least TOUCH_TARGET px high and wide: one presses it with a thumb."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, f"{what} is not displayed"
    viewport = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport + 0.5, (
        f"{what} sticks out of the {viewport}px screen: {box}"
    )
    assert box["height"] >= TOUCH_TARGET and box["width"] >= TOUCH_TARGET, (
        f"{what} is {box['width']:.0f} x {box['height']:.0f}px, less than {TOUCH_TARGET}px"
    )


# --- A member votes in a secret poll on a phone -------------------------------------------------


def test_member_votes_on_a_phone_and_finds_the_vote_counted(
    new_context, site, board, check_accessibility
):
    member = _voter(site, "Philippa", "Wolstenholme")
    early = _voter(site, "Anatole", "Brightwater")  # voted before: the turnout is not empty
    title = "Saturday mornings at the Wolstenholme café"
    poll_id = _open_poll(site, title, already=[(early, {"vote": "yes"})])
    poll_path = f"/polls/{poll_id}"

    page = new_context(PHONE).new_page()
    log_in(page, member.login)

    # --- Votes, from the menu ------------------------------------------------------------
    menu(page).get_by_role("link", name="Votes", exact=True).click()
    page.wait_for_url(f"{site.url}/polls/")
    assert heading(page) == "Votes"
    item = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=title))
    expect(item).to_contain_text("Open for votes")
    expect(item).to_contain_text("Secret vote")
    expect(item.get_by_role("link", name="Vote now")).to_be_visible()
    assert_fits_the_screen(page, "the list of votes")
    check_accessibility(page)

    # --- The poll: the question in plain words ---------------------------------------------
    item.get_by_role("link", name=title).click()
    page.wait_for_url(f"{site.url}{poll_path}")
    assert heading(page) == title
    question = page.locator(".plain-words")
    expect(question).to_contain_text("Should the café stay open on Saturday mornings?")
    expect(question).to_contain_text("they get a free Monday instead.")
    expect(page.get_by_role("main")).to_contain_text("Secret vote")
    voted, electorate = turnout(page, poll_id)
    assert voted == 1 and electorate >= 2
    assert_fits_the_screen(page, "the poll page")
    check_accessibility(page)

    box = ballot(page, poll_id)
    answers = box.locator("label.choice")
    expect(answers).to_have_text(["Yes", "No", "Abstain"])
    for label in ("Yes", "No", "Abstain"):
        assert_big_enough(
            page, box.locator("label.choice", has_text=label), f"the {label!r} answer"
        )
    send_button = box.get_by_role("button", name="Send my vote")
    assert_big_enough(page, send_button, "the 'Send my vote' button")

    # --- The vote: htmx swaps the ballot, the receipt comes, the turnout goes up ------------
    mark_the_page(page)
    box.get_by_label("Yes").check()
    send(page, send_button)
    expect(box.get_by_role("status")).to_contain_text("Your vote is recorded.")
    receipt = receipt_of(box)
    expect(box).to_contain_text("The receipt does not show what you chose.")
    expect(box.get_by_role("button", name="Send my vote")).to_have_count(0)
    expect(box).to_contain_text("You have voted. Thank you.")
    expect_turnout(page, poll_id, voted + 1, electorate)  # refreshed by the "vote-cast" event
    assert_not_reloaded(page)
    assert page.url == f"{site.url}{poll_path}"
    assert_fits_the_screen(page, "the poll page with the receipt")
    check_accessibility(page)

    # Loaded again: voted, no form, and no receipt (it is shown once).
    page.reload()
    expect(ballot(page, poll_id)).to_contain_text("You have voted. Thank you.")
    expect(ballot(page, poll_id).locator("form")).to_have_count(0)
    expect(page.locator("code.receipt-code")).to_have_count(0)
    expect_turnout(page, poll_id, voted + 1, electorate)

    # --- The board closes the vote on its own screen --------------------------------------
    board_page = new_context(DESKTOP).new_page()
    log_in(board_page, board)
    board_page.goto(poll_path)
    manage = board_page.get_by_role("region", name="For the board")
    manage.get_by_role("button", name="Close the vote").click()
    board_page.wait_for_url(f"{site.url}{poll_path}")
    expect(board_page.get_by_role("main")).to_contain_text("Done. The poll is now: Closed.")
    check_accessibility(board_page)

    # --- The member finds the results and their receipt among the counted ballots ----------
    page.reload()
    expect(ballot(page, poll_id)).to_have_count(0)
    page.get_by_role("button", name="See the results").click()
    page.wait_for_url(f"{site.url}{poll_path}/results")
    assert heading(page) == f"Results: {title}"
    expect(page.locator(".verdict")).to_contain_text("Adopted")  # two yes, nothing else
    expect(page.locator("svg.chart")).to_be_visible()
    expect(page.get_by_role("img", name="Votes per answer")).to_be_visible()
    table = page.get_by_role("table", name="Votes per answer")
    expect(table.get_by_role("row", name=re.compile(r"^Yes\b"))).to_contain_text("2")
    # Secret: who voted, never what they chose.
    voters = page.get_by_role("region", name="Who voted")
    expect(voters).to_contain_text(member.full_name)
    expect(voters).not_to_contain_text(f"{member.full_name}:")
    assert_fits_the_screen(page, "the results page")
    check_accessibility(page)

    check = page.get_by_role("region", name="Check my receipt")
    check.get_by_label("Receipt code").fill(receipt)
    check.get_by_role("button", name="Check").click()
    page.wait_for_url(re.compile(r"/results\?receipt="))
    expect(check.get_by_role("status")).to_have_text("Your vote was counted.")
    expect(check.get_by_label("Receipt code")).to_have_value(receipt)
    assert_fits_the_screen(page, "the results page with the receipt checked")
    check_accessibility(page)

    # A code that was never given is not found.
    check.get_by_label("Receipt code").fill("AAAA-CCCC-DDDD")
    check.get_by_role("button", name="Check").click()
    expect(check.get_by_role("status")).to_contain_text("This receipt is not in the list.")

    # The results page on a desktop too, with the receipt checked.
    desktop = new_context(DESKTOP).new_page()
    log_in(desktop, member.login)
    desktop.goto(f"{poll_path}/results?receipt={receipt}")
    expect(desktop.get_by_role("status").filter(has_text="Your vote was counted.")).to_be_visible()
    check_accessibility(desktop)


# --- A proxy: given on the poll page, used by its holder ----------------------------------------


def test_member_gives_a_proxy_and_the_holder_votes_twice(new_context, site, check_accessibility):
    principal = _voter(site, "Berenike", "Ashbourne-Tully")
    holder = _voter(site, "Cornelius", "Pendergast-Hale")
    title = "A new van for the Ashbourne garden team"
    poll_id = _open_poll(site, title)
    poll_path = f"/polls/{poll_id}"

    # --- The principal gives the proxy ----------------------------------------------------
    page = new_context(PHONE).new_page()
    log_in(page, principal.login)
    page.goto(poll_path)
    voted, electorate = turnout(page, poll_id)
    section = page.get_by_role("region", name="Someone else votes for you (proxy)")
    expect(section).to_contain_text("One person may hold 1 proxy.")
    who = section.get_by_label("Who votes for you")
    assert_big_enough(page, who, "the 'Who votes for you' list")
    assert_big_enough(
        page, section.get_by_role("button", name="Give my proxy"), "the 'Give my proxy' button"
    )
    check_accessibility(page)

    def give_the_proxy() -> None:
        section.get_by_label("Who votes for you").select_option(label=holder.listed_as)
        section.get_by_role("button", name="Give my proxy").click()
        page.wait_for_url(f"{site.url}{poll_path}")
        expect(page.get_by_role("main")).to_contain_text(
            f"{holder.full_name} can now vote for you in this poll."
        )

    give_the_proxy()
    expect(section).to_contain_text(f"{holder.full_name} holds your proxy.")
    expect(section.get_by_role("button", name="Take my proxy back")).to_be_visible()
    expect(section.get_by_label("Who votes for you")).to_have_count(0)
    expect(ballot(page, poll_id)).to_contain_text(f"{holder.full_name} votes for you.")
    expect(ballot(page, poll_id).get_by_role("button", name="Send my vote")).to_have_count(0)
    assert_fits_the_screen(page, "the poll page with a proxy given")
    check_accessibility(page)

    # Taken back: the member can vote again; then given again.
    section.get_by_role("button", name="Take my proxy back").click()
    page.wait_for_url(f"{site.url}{poll_path}")
    expect(page.get_by_role("main")).to_contain_text(
        "You took your proxy back. You can vote yourself."
    )
    expect(ballot(page, poll_id).get_by_role("button", name="Send my vote")).to_be_visible()
    give_the_proxy()
    expect(section).to_contain_text(f"{holder.full_name} holds your proxy.")

    # --- The holder votes for the principal, then for themself ------------------------------
    other = new_context(PHONE).new_page()
    log_in(other, holder.login)
    other.goto(poll_path)
    expect_turnout(other, poll_id, voted, electorate)
    box = ballot(other, poll_id)
    forms = box.locator("form")
    expect(forms).to_have_count(2)
    for_principal = forms.filter(
        has=other.get_by_role("button", name=f"Send the vote of {principal.full_name}")
    )
    own = forms.filter(has=other.get_by_role("button", name="Send my vote"))
    expect(for_principal).to_have_count(1)
    expect(own).to_have_count(1)
    expect(for_principal.get_by_role("group")).to_have_accessible_name(
        f"The choice of {principal.full_name} (you hold the proxy)"
    )
    expect(own.get_by_role("group")).to_have_accessible_name("Your choice")
    assert_fits_the_screen(other, "the holder's poll page")
    check_accessibility(other)

    mark_the_page(other)
    for_principal.get_by_label("No").check()
    send(other, for_principal.get_by_role("button", name=f"Send the vote of {principal.full_name}"))
    status = box.get_by_role("status")
    expect(status).to_contain_text("Your vote is recorded.")
    expect(status).to_contain_text(f"You voted for {principal.full_name}.")
    first = receipt_of(box)
    expect(box.get_by_role("button", name=f"Send the vote of {principal.full_name}")).to_have_count(
        0
    )
    expect(box.locator("form")).to_have_count(1)
    expect_turnout(other, poll_id, voted + 1, electorate)
    check_accessibility(other)

    box.get_by_label("Yes").check()
    send(other, box.get_by_role("button", name="Send my vote"))
    expect(box.get_by_role("status")).to_contain_text("Your vote is recorded.")
    expect(box.get_by_role("status")).not_to_contain_text("You voted for")
    second = receipt_of(box)
    assert second != first
    expect(box).to_contain_text("You have voted. Thank you.")
    expect(box.locator("form")).to_have_count(0)
    expect_turnout(other, poll_id, voted + 2, electorate)
    assert_not_reloaded(other)
    assert_fits_the_screen(other, "the holder's poll page after both votes")
    check_accessibility(other)

    # The principal's page: voted (through the proxy), nothing left to take back.
    page.reload()
    expect(ballot(page, poll_id)).to_contain_text("You have voted. Thank you.")
    expect(ballot(page, poll_id).locator("form")).to_have_count(0)
    expect(page.get_by_role("button", name="Take my proxy back")).to_have_count(0)
    expect_turnout(page, poll_id, voted + 2, electorate)
    check_accessibility(page)

    with site.app.app_context():
        assert db.session.get(Poll, poll_id).state == "open"
        db.session.remove()


# --- A ranked vote -----------------------------------------------------------------------------


def test_ranked_vote_with_a_number_given_twice(new_context, site, check_accessibility):
    member = _voter(site, "Hyacinthe", "Drummond-Oakes")
    options = ("Bakery on Tuesdays", "Repair café on Thursdays", "Garden day on Fridays")
    title = "Which new activity first, at the Drummond workshop?"
    poll_id = _open_poll(site, title, method="schulze", options=options)

    page = new_context(PHONE).new_page()
    log_in(page, member.login)
    page.goto(f"/polls/{poll_id}")
    expect(page.get_by_role("main")).to_contain_text("Choices in order (Schulze)")
    voted, electorate = turnout(page, poll_id)
    box = ballot(page, poll_id)
    expect(box).to_contain_text("Put a number: 1 for your first choice")
    for option in options:
        assert_big_enough(page, box.get_by_label(option), f"the number for {option!r}")
    assert_fits_the_screen(page, "the ranked poll page")
    check_accessibility(page)

    # The same number twice: the fragment says so (422), the page stays.
    mark_the_page(page)
    box.get_by_label(options[0]).select_option("1")
    box.get_by_label(options[1]).select_option("1")
    send(page, box.get_by_role("button", name="Send my vote"), status=422)
    expect(box.get_by_role("alert")).to_have_text("Give each number only once.")
    expect(box.get_by_role("status")).to_have_count(0)
    expect(box.get_by_role("button", name="Send my vote")).to_be_visible()
    expect_turnout(page, poll_id, voted, electorate)
    assert_not_reloaded(page)
    assert heading(page) == title
    assert_fits_the_screen(page, "the ranked poll page with the error")
    check_accessibility(page)

    # Corrected: 2, 1, 3.
    for option, number in zip(options, ("2", "1", "3"), strict=True):
        box.get_by_label(option).select_option(number)
    send(page, box.get_by_role("button", name="Send my vote"))
    expect(box.get_by_role("status")).to_contain_text("Your vote is recorded.")
    receipt_of(box)
    expect(box.get_by_role("alert")).to_have_count(0)
    expect_turnout(page, poll_id, voted + 1, electorate)
    assert_not_reloaded(page)
    check_accessibility(page)
