"""Pages as people use them: write, share, ask for review, publish, read and find, in Chromium.

The flow of the issue: a board member writes a page and marks it public, gives a colleague
the Reviewer role on it through the sharing screen and asks for a review (htmx swaps the
status box, no reload); the colleague publishes it; a visitor without an account reads it and
finds it through the search page and through the live search box in the header. axe-core
checks every screen on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Role
from portal.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, Person, log_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

# Words no other test writes: the search must find this page and nothing else.
TITLE = "Rules of the Quillwort workshop"
SUMMARY = "How we share the sewing machines and the quillwort garden."
BODY = """## Opening hours

The workshop opens at **eight**. Bring your own *thread*.

- Book a sewing machine on the board
- Clean the quillwort beds on Fridays
"""
SEARCH_WORD = "quillwort"
EXTRA = "\nAfter a meeting of the board, tea is served in the garden.\n"

PEOPLE = {
    # key: (username, display name, roles)
    "editor": ("bernard.leroy", "Bernard Leroy", {Role.MEMBER, Role.BOARD}),
    "reviewer": ("chiara.romano", "Chiara Romano", {Role.MEMBER}),
}


@pytest.fixture(scope="module")
def people(site) -> dict[str, Person]:
    """A board member (may write pages anywhere) and a member who will be given the Reviewer
    role on the page through the sharing screen."""
    made = {}
    with site.app.app_context():
        for key, (username, name, roles) in PEOPLE.items():
            user = make_user(username, display_name=name, roles=roles, locale="en")
            made[key] = user
        db.session.commit()
        people = {
            key: Person(u.username, u.display_name, u.id, PASSWORD) for key, u in made.items()
        }
        db.session.remove()
    return people


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def status_box(page: Page):
    return page.locator("section.status-box")


def state_badge(page: Page):
    return status_box(page).locator(".badge")


def test_page_is_written_reviewed_published_read_and_found(
    new_context, site, people, check_accessibility
):
    editor, reviewer = people["editor"], people["reviewer"]

    # --- The editor writes the page -------------------------------------------------------
    page = new_context(DESKTOP).new_page()
    log_in(page, editor)
    page.goto("/pages/")
    check_accessibility(page)
    page.get_by_role("button", name="Write a new page").click()
    page.wait_for_url(f"{site.url}/pages/new")
    assert heading(page) == "Write a new page"
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary in plain words (optional)").fill(SUMMARY)
    page.get_by_label("Text", exact=True).fill(BODY)
    page.get_by_label("Visitors without an account can read it once it is published").check()
    check_accessibility(page)  # the empty-ish form, filled in
    page.get_by_role("button", name="Save").click()

    page.wait_for_url(re.compile(r"/pages/\d+$"))
    page_url = page.url
    page_path = page_url.removeprefix(site.url)
    assert heading(page) == TITLE
    expect(page.get_by_role("status")).to_contain_text("It is private until it is published")
    expect(state_badge(page)).to_have_text("Private")
    expect(status_box(page).locator(".tag")).to_have_text("Public")
    # The Markdown is rendered: a second-level title, bold text and a list.
    prose = page.locator(".prose")
    expect(prose.get_by_role("heading", level=2)).to_have_text("Opening hours")
    expect(prose.locator("strong")).to_have_text("eight")
    expect(prose.get_by_role("listitem")).to_have_count(2)
    check_accessibility(page)

    # A second version, so that the history has something to compare.
    page.get_by_role("button", name="Edit").click()
    page.wait_for_url(f"{page_url}/edit")
    assert heading(page) == f"Edit: {TITLE}"
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    check_accessibility(page)
    body = page.get_by_label("Text", exact=True)
    body.fill(body.input_value() + EXTRA)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(page_url)
    expect(page.get_by_role("status")).to_contain_text("Your changes are saved")

    # --- The editor gives a colleague the Reviewer role on this page ------------------------
    page.get_by_role("button", name="Sharing").click()
    page.wait_for_url(f"{page_url}/sharing")
    assert heading(page) == f"Sharing: {TITLE}"
    expect(page.get_by_text("Nobody has a role on this page yet.")).to_be_visible()
    page.get_by_label("Find a person by name or username").press_sequentially("chiara")
    role = page.get_by_label(f"Role for {reviewer.display_name}")
    expect(role).to_be_visible()  # found as one types (htmx), no button pressed
    check_accessibility(page)
    role.select_option(label="Can review")
    page.locator("#sharing-results li", has_text=reviewer.display_name).get_by_role(
        "button", name="Give"
    ).click()
    page.wait_for_url(f"{page_url}/sharing")
    expect(page.get_by_role("status")).to_contain_text(
        f"{reviewer.display_name} now has this role on the page"
    )
    row = page.get_by_role("row", name=re.compile(reviewer.display_name))
    expect(row).to_contain_text("Can review")
    expect(row).to_contain_text("this page")
    check_accessibility(page)

    # --- The editor asks for a review: htmx swaps the status box -----------------------------
    page.goto(page_path)
    page.evaluate("window.stillTheSamePage = true")
    with page.expect_response(lambda r: r.request.method == "POST") as response_info:
        page.get_by_role("button", name="Ask for review").click()
    response = response_info.value
    assert response.status == 200
    assert response.request.headers.get("hx-request") == "true"
    expect(state_badge(page)).to_have_text("Waiting for review")
    assert page.evaluate("window.stillTheSamePage") is True  # swapped, not reloaded
    assert page.url == page_url
    expect(page.get_by_role("button", name="Take back")).to_be_visible()
    expect(page.get_by_role("button", name="Ask for review")).to_have_count(0)
    check_accessibility(page)

    # --- The reviewer publishes it -----------------------------------------------------------
    review = new_context(DESKTOP).new_page()
    log_in(review, reviewer)
    review.goto(page_path)
    assert heading(review) == TITLE
    expect(state_badge(review)).to_have_text("Waiting for review")
    expect(review.get_by_role("button", name="Edit")).to_be_visible()  # a reviewer may fix typos
    expect(review.get_by_role("button", name="Sharing")).to_have_count(0)  # only the author
    review.get_by_label("Comment (optional)").fill("Clear and short. Thank you!")
    review.evaluate("window.stillTheSamePage = true")
    review.get_by_role("button", name="Publish").click()
    expect(state_badge(review)).to_have_text("Published")
    assert review.evaluate("window.stillTheSamePage") is True
    expect(review.get_by_role("button", name="Unpublish")).to_be_visible()
    check_accessibility(review)

    # The history: both versions, the differences, and the two steps with the comment.
    review.get_by_role("button", name="History").click()
    review.wait_for_url(f"{page_url}/history")
    assert heading(review) == f"History: {TITLE}"
    expect(review.locator("#page-diff")).to_contain_text("From version 1 to version 2")
    expect(review.locator("#page-diff .diff-added", has_text="tea is served")).to_have_count(1)
    steps = review.get_by_role("region", name="Steps").get_by_role("listitem")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("Private → Waiting for review")
    expect(steps.nth(1)).to_contain_text("Waiting for review → Published")
    expect(steps.nth(1)).to_contain_text("Clear and short. Thank you!")
    check_accessibility(review)

    # --- A visitor without an account reads it and finds it ---------------------------------
    visitor = new_context(PHONE).new_page()
    response = visitor.goto(page_path)
    assert response.status == 200
    assert heading(visitor) == TITLE
    expect(visitor.locator(".prose")).to_contain_text("tea is served in the garden")
    expect(status_box(visitor)).to_have_count(0)  # no workflow for visitors
    check_accessibility(visitor)

    visitor.goto("/pages/")
    expect(visitor.get_by_role("link", name=TITLE)).to_be_visible()
    check_accessibility(visitor)

    visitor.goto(f"/search?q={SEARCH_WORD}")
    results = visitor.locator("#search-results")
    expect(results).to_contain_text("1 result")
    hit = results.get_by_role("link", name=TITLE)
    expect(hit).to_have_attribute("href", page_path)
    expect(results.locator("mark").first).to_have_text(re.compile(SEARCH_WORD, re.IGNORECASE))
    check_accessibility(visitor)

    # The search page updates its results as one types (htmx), and keeps the address.
    box = visitor.get_by_label("Words to find")
    box.fill("")
    box.press_sequentially("sewing")
    expect(visitor).to_have_url(re.compile(r"/search\?q=sewing$"))
    expect(results.get_by_role("link", name=TITLE)).to_be_visible()

    # The live search box in the header: a few letters, and the page is in the dropdown.
    visitor.goto("/")
    visitor.get_by_label("Search the portal").press_sequentially("quillw")
    dropdown = visitor.locator("#header-search-results")
    link = dropdown.get_by_role("link", name=TITLE)
    expect(link).to_be_visible()
    expect(dropdown.get_by_role("link", name="See the 1 result")).to_be_visible()
    check_accessibility(visitor)
    link.click()
    visitor.wait_for_url(page_url)
    assert heading(visitor) == TITLE


def add_page(site, author: Person, title: str, body: str, *, steps=(), is_public=False) -> int:
    """Write a page straight into the database (no browser), moved along `steps`."""
    from portal.accounts.models import User
    from portal.content.services import PageData, create_page
    from portal.core.workflow import apply_transition

    with site.app.app_context():
        user = db.session.get(User, author.id)
        page = create_page(user, PageData(title, body=body, is_public=is_public))
        for step in steps:
            apply_transition(page, step, user)
        db.session.commit()
        page_id = page.id
        db.session.remove()
    return page_id


def test_visitors_do_not_find_what_they_may_not_read(new_context, site, people):
    """A private page and a published page that is not public stay out of a visitor's search
    (and out of the header box); the author finds both."""
    add_page(site, people["editor"], "Hornbeam hedge, draft", "Hornbeam ideas.")
    add_page(
        site,
        people["editor"],
        "Hornbeam hedge for members",
        "Hornbeam plan.",
        steps=["submit", "publish"],
    )

    visitor = new_context(PHONE).new_page()
    visitor.goto("/search?q=hornbeam")
    expect(visitor.locator("#search-results")).to_contain_text("Nothing found for “hornbeam”")
    visitor.get_by_label("Search the portal").press_sequentially("hornbeam")
    expect(visitor.locator("#header-search-results")).to_contain_text("Nothing found")

    author_page = new_context(DESKTOP).new_page()
    log_in(author_page, people["editor"])
    author_page.goto("/search?q=hornbeam")
    results = author_page.locator("#search-results")
    expect(results).to_contain_text("2 results")
    expect(results.get_by_role("link", name="Hornbeam hedge, draft")).to_be_visible()
    expect(results.get_by_role("link", name="Hornbeam hedge for members")).to_be_visible()


def test_audit_log_shows_the_steps_to_the_administrator(
    admin_page, site, people, check_accessibility
):
    add_page(site, people["editor"], "Audited page", "Audited.", steps=["submit", "publish"])
    page = admin_page
    response = page.goto("/audit")
    assert response.status == 200
    assert heading(page) == "Audit log"
    check_accessibility(page)
    page.get_by_label("What").select_option("workflow.transition")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"what=workflow\.transition"))
    rows = page.locator("#audit-results tbody tr")
    expect(rows.first).to_be_visible()
    for text in rows.locator("td code").all_inner_texts():
        assert text == "workflow.transition"
    check_accessibility(page)
