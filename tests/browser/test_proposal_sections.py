"""The sections around a proposal, in Chromium: comments and answers (htmx), a comment hidden by
the board with its reason, a change to the text accepted by the author, an attached file, the
board's answer, and the follow-up of an adopted proposal. axe-core runs on each state of the
page; on the phone, no page may scroll sideways.

The people and proposals are written through the services in-process and committed, with
unusual names so that no other browser test finds them; every step after that goes through the
pages, as a person would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from portal.core.db import local_today
from portal.extensions import db
from portal.members import bodies
from portal.members.lookup import member_of
from portal.proposals import amendments, attachments, comments
from portal.proposals import services as proposals
from portal.voting import services as voting
from tests.browser.conftest import DESKTOP, PHONE, Person, log_in
from tests.factories import PASSWORD, make_user
from tests.factories_members import make_mandate, make_member
from tests.factories_proposals import make_proposal

pytestmark = pytest.mark.browser

ADMITTED_ON = date(2025, 2, 3)
TITLE = "A herb garden behind the Wyndham-Ashgrove kitchen"
SUMMARY = "We plant herbs behind the kitchen, so the cooks pick them fresh."
BETTER_SUMMARY = "We plant herbs and tomatoes behind the kitchen, so the cooks pick them fresh."
ADOPTED_TITLE = "Gloves for the Wyndham-Ashgrove sorting line"


@dataclass(frozen=True)
class Setup:
    author: Person
    reader: Person
    board: Person
    proposal_id: int
    adopted_id: int
    rude_comment_id: int


def _person(user) -> Person:
    return Person(user.username, user.display_name, user.id, PASSWORD)


def _user(username: str, name: str, *roles):
    return make_user(username, display_name=name, roles={Role.MEMBER, *roles}, locale="en")


@pytest.fixture(scope="module")
def setup(site) -> Setup:
    with site.app.app_context():
        board = _user("seraphina.wyndham", "Seraphina Wyndham", Role.BOARD)
        author = _user("leopold.ashgrove", "Leopold Ashgrove")
        reader = _user("marguerite.ashgrove", "Marguerite Ashgrove")
        proposer = _user("cosimo.ashgrove", "Cosimo Ashgrove")
        for user in (author, reader, proposer):
            given, family = user.display_name.split(" ", 1)
            make_member(given=given, family=family, admitted_on=ADMITTED_ON, user=user)
        proposal = make_proposal(author, "submitted", title=TITLE, summary=SUMMARY, board=board)
        attachments.add_attachment(author, proposal, "garden-plan.pdf", b"%PDF-1.4 a plan")
        first = comments.add_comment(reader, proposal, "Basil and parsley, please.")
        comments.add_comment(author, proposal, "Yes, both are on the list.", first)
        rude = comments.add_comment(proposer, proposal, "The cooks never clean up anyway.")
        amendments.propose_amendment(
            proposer,
            proposal,
            amendments.AmendmentData(
                field="summary", text=BETTER_SUMMARY, reason="Tomatoes grow well there."
            ),
        )
        # Adopted by a committee of one (its quorum does not depend on other tests' members).
        committee = bodies.create_body(
            None, bodies.BodyData(kind="committee", name="Wyndham-Ashgrove sorting committee")
        )
        make_mandate(member_of(author), committee, "member")
        adopted = make_proposal(
            author, "vote", title=ADOPTED_TITLE, board=board, body_id=committee.id
        )
        voting.cast_vote(author, adopted.poll, member_of(author), {"vote": "yes"})
        voting.close_poll(board, adopted.poll)
        proposals.settle_vote(board, adopted)
        db.session.commit()
        found = Setup(
            _person(author), _person(reader), _person(board), proposal.id, adopted.id, rude.id
        )
        db.session.remove()
    return found


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"


def test_comments_answers_and_a_change_on_a_phone(new_context, setup, check_accessibility):
    path = f"/proposals/{setup.proposal_id}"
    page = new_context(PHONE).new_page()
    log_in(page, setup.reader)
    page.goto(path)
    section = page.locator(f"#proposal-{setup.proposal_id}-comments")
    expect(section.get_by_role("heading", name="Comments")).to_be_visible()
    expect(section).to_contain_text("3 comments")
    expect(section).to_contain_text("Yes, both are on the list.")
    files = page.locator(".attachments")
    expect(files.get_by_role("link", name="garden-plan.pdf")).to_be_visible()
    assert_fits_the_phone(page)
    check_accessibility(page)

    # A comment, then an answer to another one, each swapped in place by htmx.
    section.get_by_label("Your comment").fill("Mint would be nice for the tea.")
    section.get_by_role("button", name="Publish my comment").click()
    expect(section).to_contain_text("4 comments")
    expect(section).to_contain_text("Mint would be nice for the tea.")
    answer = section.locator("article").filter(has_text="Yes, both are on the list.").last
    answer.locator("summary", has_text="Reply").click()
    answer.get_by_label("Your answer to Leopold Ashgrove").fill("And chives!")
    answer.get_by_role("button", name="Publish my answer").click()
    expect(section).to_contain_text("5 comments")
    expect(section.get_by_role("list", name="Answers to Leopold Ashgrove")).to_contain_text(
        "And chives!"
    )
    assert_fits_the_phone(page)
    check_accessibility(page)

    # The author accepts the change proposed to the summary: the plain words change.
    author = new_context(PHONE).new_page()
    log_in(author, setup.author)
    author.goto(path)
    changes = author.locator(f"#proposal-{setup.proposal_id}-amendments")
    expect(changes).to_contain_text("Tomatoes grow well there.")
    check_accessibility(author)
    changes.get_by_role("button", name="Accept this change").click()
    expect(changes).to_contain_text("Accepted by the authors")
    author.reload()
    expect(author.locator(".plain-words")).to_contain_text(BETTER_SUMMARY)
    assert_fits_the_phone(author)
    check_accessibility(author)


def test_the_board_hides_a_comment_answers_and_follows_up(new_context, setup, check_accessibility):
    path = f"/proposals/{setup.proposal_id}"
    board = new_context(DESKTOP).new_page()
    log_in(board, setup.board)
    board.goto(path)
    rude = board.locator(f"#comment-{setup.rude_comment_id}")
    rude.locator("summary", has_text="Hide").click()
    rude.get_by_label("Why do you hide it?").fill("About people, not about the proposal.")
    rude.get_by_role("button", name="Hide this comment").click()
    expect(board.locator(f"#comment-{setup.rude_comment_id}")).to_contain_text(
        "About people, not about the proposal."
    )
    check_accessibility(board)

    # The board's answer, saved in place: it says so, and the focus is on that message.
    answer = board.locator(f"#proposal-{setup.proposal_id}-answer")
    answer.locator("summary", has_text="Write the board's answer").click()
    answer.get_by_label("The board's answer").fill("Yes: the workshop builds the boxes in May.")
    answer.get_by_role("button", name="Save the answer").click()
    notice = board.locator(f"#proposal-{setup.proposal_id}-answer [role='status']")
    expect(notice).to_be_focused()
    expect(board.locator(f"#proposal-{setup.proposal_id}-answer")).to_contain_text(
        "the workshop builds the boxes in May"
    )
    check_accessibility(board)

    # A reader sees the reason, not the hidden text, and the board's answer.
    reader = new_context(PHONE).new_page()
    log_in(reader, setup.reader)
    reader.goto(path)
    hidden = reader.locator(f"#comment-{setup.rude_comment_id}")
    expect(hidden).to_contain_text("About people, not about the proposal.")
    expect(hidden).not_to_contain_text("never clean up")
    expect(reader.locator(f"#proposal-{setup.proposal_id}-answer")).to_contain_text(
        "the workshop builds the boxes in May"
    )
    check_accessibility(reader)

    # The follow-up of the adopted proposal: in progress, due in two weeks.
    board.goto(f"/proposals/{setup.adopted_id}")
    follow = board.locator(f"#proposal-{setup.adopted_id}-follow-up")
    expect(follow).to_contain_text("To do")
    follow.locator("summary", has_text="Change the follow-up").click()
    follow.get_by_label("Where it stands").select_option(label="In progress")
    due = local_today() + timedelta(days=14)
    follow.get_by_label("To be done by (optional)").fill(due.isoformat())
    follow.get_by_label("Note (optional)").fill("Sizes asked for at the sorting line.")
    follow.get_by_role("button", name="Save the follow-up").click()
    follow = board.locator(f"#proposal-{setup.adopted_id}-follow-up")
    expect(follow.locator("[role='status']")).to_be_focused()
    expect(follow).to_contain_text("In progress")
    expect(follow).to_contain_text("Sizes asked for at the sorting line.")
    check_accessibility(board)
