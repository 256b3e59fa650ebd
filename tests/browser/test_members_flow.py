"""The member register as people use it, in Chromium: the board admits an applicant, who then
votes in the general assembly; a member finds a colleague in the directory without seeing the
register's data; a member switches the portal to French from their own choices.

The flow of the issue: a board member logs in through the form, opens the register from the
menu, finds the applicant as they type (htmx), opens their page, gives the date and the reason
and presses "Admit" — htmx swaps the membership box, no reload — then goes to Bodies → General
assembly and finds the new member in "Who votes", one more than before. axe-core checks every
screen on the way, and the member page with its lifecycle form must fit a 360 px phone.

The people are written straight into the worker's live database through the in-process app
(and committed); the names are unusual so that no other browser test finds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect

from portal.accounts.models import Role
from portal.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, Person, french, log_in
from tests.factories import PASSWORD, make_user
from tests.factories_members import make_member

pytestmark = pytest.mark.browser

APPLIED_ON = date(2025, 1, 6)
ADMITTED_ON = date(2025, 3, 3)  # the board meeting: after the application, before today
REASON = "Board meeting of 3 March: welcomed in the Orchard team."
# WCAG 2.5.5 (AAA) asks 44 x 44 CSS px for a target; 2.5.8 (AA) 24 px. Buttons one presses
# with a thumb on a phone are checked against the larger one.
TOUCH_TARGET = 44
TRANSITION_TITLES = ("Admit", "Refuse", "Suspend", "Reinstate", "End membership", "Readmit")


@dataclass(frozen=True)
class Somebody:
    """A person in the register (and their login, when they have one)."""

    id: int
    full_name: str
    family_name: str
    given_name: str
    member_number: str
    login: Person | None = None


def _add(site, given: str, family: str, *, admitted_on=None, login=None, **fields) -> Somebody:
    """Enter `given family` in the register (an applicant unless `admitted_on`), linked to a new
    plain member account `login=(username, locale)` if given. Committed: the server sees it."""
    with site.app.app_context():
        user = None
        if login is not None:
            username, locale = login
            user = make_user(
                username, display_name=f"{given} {family}", roles={Role.MEMBER}, locale=locale
            )
        member = make_member(
            given=given,
            family=family,
            applied_on=APPLIED_ON,
            admitted_on=admitted_on,
            user=user,
            **fields,
        )
        db.session.commit()
        person = Somebody(
            member.id,
            member.full_name,
            member.family_name,
            member.given_name,
            member.member_number,
            None if user is None else Person(user.username, user.display_name, user.id, PASSWORD),
        )
        db.session.remove()
    return person


@pytest.fixture(scope="module")
def board(site) -> Person:
    """A board member: keeps the register and decides on admissions."""
    with site.app.app_context():
        user = make_user(
            "hortense.vauquelin",
            display_name="Hortense Vauquelin",
            roles={Role.MEMBER, Role.BOARD},
            locale="en",
        )
        db.session.commit()
        person = Person(user.username, user.display_name, user.id, PASSWORD)
        db.session.remove()
    return person


@pytest.fixture(scope="module")
def voters(site) -> list[Somebody]:
    """Two members already admitted: the general assembly is not empty before the flow."""
    return [
        _add(site, "Perpetua", "Goldthwaite", admitted_on=date(2025, 2, 3)),
        _add(site, "Casimir", "Ollerenshaw", admitted_on=date(2025, 2, 3)),
    ]


# --- Helpers ----------------------------------------------------------------------------------


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def menu(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main menu")


def lifecycle(page: Page, member: Somebody) -> Locator:
    return page.locator(f"#member-{member.id}-lifecycle")


def voters_today(page: Page) -> int:
    """The count in the body page's "Who votes" section."""
    text = page.locator("#electorate").get_by_text(re.compile(r"\d+ (person votes|people vote)"))
    return int(re.match(r"\d+", text.inner_text()).group())


def voter_list(page: Page) -> Locator:
    """The list of voters, opened (it is folded in a <details>)."""
    electorate = page.locator("#electorate")
    details = electorate.locator("details")
    if details.get_attribute("open") is None:
        electorate.get_by_text("See the list").click()
    expect(details).to_have_attribute("open", "")
    return details.get_by_role("listitem")


def assert_fits_the_screen(page: Page, what: str) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{what} is {width}px wide on a {viewport}px screen"


def assert_inside_the_screen(page: Page, locator: Locator, what: str) -> dict:
    box = locator.bounding_box()
    assert box is not None, f"{what} is not displayed"
    viewport = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport + 0.5, (
        f"{what} sticks out of the {viewport}px screen: {box}"
    )
    return box


# --- The board admits an applicant ------------------------------------------------------------


def test_board_admits_an_applicant_who_then_votes_in_the_general_assembly(
    new_context, site, board, voters, check_accessibility
):
    applicant = _add(site, "Ottilie", "Brackenridge", team="Orchard")
    page = new_context(DESKTOP).new_page()
    log_in(page, board)

    # --- Before: the general assembly, without the applicant ------------------------------
    menu(page).get_by_role("link", name="Bodies").click()
    page.wait_for_url(f"{site.url}/bodies/")
    assert heading(page) == "Bodies"
    check_accessibility(page)
    assembly_item = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="General assembly")
    )
    listed_before = int(
        re.search(r"(\d+) (person votes|people vote) today", assembly_item.inner_text()).group(1)
    )
    assembly_item.get_by_role("link", name="General assembly").click()
    page.wait_for_url(re.compile(r"/bodies/\d+$"))
    assembly_path = page.url.removeprefix(site.url)
    assert heading(page) == "General assembly"
    before = voters_today(page)
    assert before == listed_before
    assert before >= len(voters)
    names = voter_list(page)
    expect(names.filter(has_text=voters[0].full_name)).to_have_count(1)
    expect(names.filter(has_text=applicant.full_name)).to_have_count(0)
    check_accessibility(page)  # with the list open

    # --- The register: the applicant is found as one types ---------------------------------
    menu(page).get_by_role("link", name="Register").click()
    page.wait_for_url(f"{site.url}/members/register")
    assert heading(page) == "Member register"
    check_accessibility(page)
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("State").select_option(label="Applicant")
    page.get_by_label("Name, team or number").press_sequentially("brackenr")
    expect(page).to_have_url(re.compile(r"/members/register\?.*q=brackenr"))
    results = page.locator("#register-results")
    expect(results).to_contain_text("1 person")
    row = results.get_by_role("row", name=re.compile(applicant.family_name))
    expect(row).to_contain_text("Applicant")
    expect(row).to_contain_text(applicant.member_number)
    expect(row).to_contain_text("Orchard")
    assert page.evaluate("window.stillTheSamePage") is True  # filtered by htmx, not reloaded
    check_accessibility(page)

    row.get_by_role("link", name=f"{applicant.family_name} {applicant.given_name}").click()
    page.wait_for_url(f"{site.url}/members/{applicant.id}")
    member_path = f"/members/{applicant.id}"
    assert heading(page) == applicant.full_name
    box = lifecycle(page, applicant)
    expect(box.get_by_role("heading", name="Membership")).to_be_visible()
    expect(box.locator(".badge")).to_have_text("Applicant")
    expect(box.get_by_role("button", name="Admit")).to_be_visible()
    expect(box.get_by_role("button", name="Refuse")).to_be_visible()
    check_accessibility(page)

    # --- Admit without a reason: the box says what is missing, still no reload ---------------
    page.evaluate("window.stillTheSamePage = true")
    box.get_by_label("From").fill(ADMITTED_ON.isoformat())
    with page.expect_response(lambda r: r.request.method == "POST") as response_info:
        box.get_by_role("button", name="Admit").click()
    response = response_info.value
    assert response.status == 422
    assert response.request.headers.get("hx-request") == "true"
    reason = box.get_by_label("Reason")
    expect(box).to_contain_text("Please say why, in a few words.")
    expect(box.locator(".badge")).to_have_text("Applicant")
    expect(box.get_by_label("From")).to_have_value(ADMITTED_ON.isoformat())  # kept
    assert page.evaluate("window.stillTheSamePage") is True
    check_accessibility(page)

    # --- Admit with the date and the reason: htmx swaps the box -----------------------------
    reason.fill(REASON)
    with page.expect_response(lambda r: r.request.method == "POST") as response_info:
        box.get_by_role("button", name="Admit").click()
    response = response_info.value
    assert response.status == 200
    assert response.request.headers.get("hx-request") == "true"
    expect(box.locator(".badge")).to_have_text("Member")
    expect(box).to_contain_text("votes in the bodies of their college")
    expect(box.get_by_role("button", name="Admit")).to_have_count(0)
    expect(box.get_by_role("button", name="Suspend")).to_be_visible()
    expect(box.get_by_role("button", name="End membership")).to_be_visible()
    expect(box.get_by_label("Reason")).to_have_value("")  # a fresh form for the next step
    assert page.evaluate("window.stillTheSamePage") is True  # swapped, not reloaded
    assert page.url == f"{site.url}{member_path}"
    check_accessibility(page)

    # The page as it is now, loaded again: the date and the reason are in the history.
    page.reload()
    history = page.get_by_role("region", name="Membership history")
    step = history.get_by_role("row").filter(has_text=REASON)
    expect(step).to_have_count(1)
    expect(step).to_contain_text("Admit → Member")
    expect(step).to_contain_text(board.display_name)

    # --- After: the new member votes in the general assembly --------------------------------
    menu(page).get_by_role("link", name="Bodies").click()
    page.wait_for_url(f"{site.url}/bodies/")
    assembly_item = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="General assembly")
    )
    expect(assembly_item).to_contain_text(f"{before + 1} people vote today")
    check_accessibility(page)
    assembly_item.get_by_role("link", name="General assembly").click()
    page.wait_for_url(f"{site.url}{assembly_path}")
    assert voters_today(page) == before + 1
    names = voter_list(page)
    expect(names.filter(has_text=applicant.full_name)).to_have_count(1)
    check_accessibility(page)

    # On the day before the admission, the assembly is as it was (the date field, htmx).
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("On this day").fill("2025-03-02")
    page.locator("#electorate").get_by_role("button", name="Show").click()
    expect(page.locator("#electorate")).to_contain_text(re.compile(r"March 2, 2025|2 March 2025"))
    expect(voter_list(page).filter(has_text=applicant.full_name)).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True

    # --- And in the directory -------------------------------------------------------------
    menu(page).get_by_role("link", name="Members").click()
    page.wait_for_url(f"{site.url}/members/")
    assert heading(page) == "Members"
    directory = page.locator("#directory-results")
    expect(directory.get_by_role("link", name=applicant.full_name)).to_be_visible()
    check_accessibility(page)


def test_member_page_and_lifecycle_form_fit_a_phone(new_context, site, board):
    """The same decision taken on a 360 px phone: nothing scrolls sideways, the fields and
    buttons are on the screen and big enough for a thumb. (axe on these screens on a phone:
    `test_register_screens_on_a_phone_pass_axe`.)"""
    applicant = _add(site, "Leopoldine", "Marchbank-Quist", team="Bakery and deliveries")
    page = new_context(PHONE).new_page()
    log_in(page, board)

    page.goto(f"/members/{applicant.id}")
    assert page.viewport_size == PHONE
    assert heading(page) == applicant.full_name
    assert_fits_the_screen(page, "the member page")

    box = lifecycle(page, applicant)
    box.scroll_into_view_if_needed()
    date_field = box.get_by_label("From")
    reason = box.get_by_label("Reason")
    buttons = box.get_by_role("button")
    expect(buttons).to_have_count(2)  # Admit, Refuse
    targets = [(date_field, "the date field"), (reason, "the reason field")] + [
        (buttons.nth(i), f"the {buttons.nth(i).inner_text()!r} button")
        for i in range(buttons.count())
    ]
    for target, what in targets:
        found = assert_inside_the_screen(page, target, what)
        assert found["height"] >= TOUCH_TARGET, (
            f"{what} is {found['height']:.0f}px high, less than {TOUCH_TARGET}px"
        )

    date_field.fill(ADMITTED_ON.isoformat())
    reason.fill("Admitted at the board meeting.")
    page.evaluate("window.stillTheSamePage = true")
    box.get_by_role("button", name="Admit").click()
    expect(box.locator(".badge")).to_have_text("Member")
    assert page.evaluate("window.stillTheSamePage") is True
    assert_fits_the_screen(page, "the member page after the decision")
    for name in ("Suspend", "End membership"):
        found = assert_inside_the_screen(
            page, box.get_by_role("button", name=name), f"the {name} button"
        )
        assert found["height"] >= TOUCH_TARGET


@pytest.mark.parametrize(
    "screen",
    [
        "member page",
        "register",
        "preferences",
        "directory",
        "bodies",
        "general assembly",
    ],
)
def test_register_screens_on_a_phone_pass_axe(
    new_context, site, board, voters, check_accessibility, screen
):
    """The board's screens of the flow, on a 360 px phone: axe, and no sideways scroll."""
    applicant = _add(site, "Gwendolyn", f"Pettifer-{screen.title().replace(' ', '')}")
    path = {
        "member page": f"/members/{applicant.id}",
        "register": "/members/register",
        "preferences": f"/members/{applicant.id}/preferences",
        "directory": "/members/",
        "bodies": "/bodies/",
        "general assembly": "/bodies/1",
    }[screen]
    page = new_context(PHONE).new_page()
    log_in(page, board)
    assert page.goto(path).status == 200
    if screen == "general assembly":
        voter_list(page)
    assert_fits_the_screen(page, f"the {screen}")
    check_accessibility(page)


# --- A member in the directory ----------------------------------------------------------------


def test_member_finds_a_colleague_without_seeing_the_register(
    new_context, site, voters, check_accessibility
):
    colleague = _add(
        site,
        "Wendeline",
        "Thistlewood",
        admitted_on=date(2025, 2, 3),
        team="Repair café",
        member_number="WT-0815",
        email="wendeline@example.org",
        phone="+33 6 12 34 56 78",
        contact_consent=False,
    )
    reader = _add(
        site, "Ilse", "Quennell", admitted_on=date(2025, 2, 3), login=("ilse.quennell", "en")
    )
    page = new_context(PHONE).new_page()
    log_in(page, reader.login)
    expect(menu(page).get_by_role("link", name="Register")).to_have_count(0)

    menu(page).get_by_role("link", name="Members").click()
    page.wait_for_url(f"{site.url}/members/")
    assert heading(page) == "Members"
    assert_fits_the_screen(page, "the directory")
    check_accessibility(page)

    # The live search: a few letters, the list follows without a reload.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Find a person or a team").press_sequentially("thistle")
    expect(page).to_have_url(re.compile(r"/members/\?.*q=thistle"))
    results = page.locator("#directory-results")
    expect(results).to_contain_text("1 member")
    link = results.get_by_role("link", name=colleague.full_name)
    expect(link).to_be_visible()
    expect(results).to_contain_text("Repair café")
    expect(results).not_to_contain_text("wendeline@example.org")  # no consent, no contact
    assert page.evaluate("window.stillTheSamePage") is True
    check_accessibility(page)

    link.click()
    page.wait_for_url(f"{site.url}/members/{colleague.id}")
    assert heading(page) == colleague.full_name
    main = page.get_by_role("main")
    expect(main).to_contain_text("Repair café")
    # Not the register's data: no number, no college, no state, no history, no contact.
    expect(main).not_to_contain_text("Member number")
    expect(main).not_to_contain_text(colleague.member_number)
    expect(main).not_to_contain_text("wendeline@example.org")
    expect(page.get_by_role("region", name="Membership history")).to_have_count(0)
    # Nor the lifecycle: no membership box, no form, no step button.
    expect(lifecycle(page, colleague)).to_have_count(0)
    expect(page.get_by_label("Reason")).to_have_count(0)
    for title in TRANSITION_TITLES:
        expect(page.get_by_role("button", name=title, exact=True)).to_have_count(0)
    assert_fits_the_screen(page, "a member's profile")
    check_accessibility(page)

    # Nor by typing the addresses, or by posting a step with the page's own CSRF token.
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    response = page.request.post(
        f"/members/{colleague.id}/transition",
        form={"transition": "suspend", "effective_on": "2025-06-02", "reason": "No."},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status == 403
    assert page.goto("/members/register").status == 403


# --- A member switches the portal to French ---------------------------------------------------


def test_member_chooses_french_and_the_portal_speaks_it(new_context, site, check_accessibility):
    member = _add(
        site, "Gaspard", "Orlovski", admitted_on=date(2025, 2, 3), login=("gaspard.orlovski", "en")
    )
    # On a desktop; the phone layout of these screens is checked above.
    page = new_context(DESKTOP).new_page()
    log_in(page, member.login)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")

    menu(page).get_by_role("link", name="Members").click()
    page.wait_for_url(f"{site.url}/members/")
    page.get_by_role("button", name="My page").click()
    page.wait_for_url(f"{site.url}/members/{member.id}")
    assert heading(page) == member.full_name
    # Their own membership box: the state, and no step to take.
    expect(lifecycle(page, member).locator(".badge")).to_have_text("Member")
    expect(lifecycle(page, member).get_by_role("button")).to_have_count(0)
    check_accessibility(page)

    page.get_by_role("button", name="My language and contact choices").click()
    page.wait_for_url(f"{site.url}/members/{member.id}/preferences")
    assert heading(page) == "My choices"
    check_accessibility(page)
    language = page.get_by_label("My language")
    expect(language).to_have_value("en")
    language.select_option(label="Français")
    page.get_by_role("button", name="Save").click()

    page.wait_for_url(f"{site.url}/members/{member.id}")
    expect(html).to_have_attribute("lang", "fr")
    expect(page.get_by_role("status")).to_contain_text(french("Your choices are saved."))
    nav = page.get_by_role("navigation", name=french("Main menu"))
    expect(nav.get_by_role("link", name=french("My account"), exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name=french("Log out"))).to_be_visible()
    check_accessibility(page)

    # It sticks: another page, and the next time they log in, from an English browser.
    nav.get_by_role("link", name=french("My account"), exact=True).click()
    page.wait_for_url(f"{site.url}/account")
    expect(html).to_have_attribute("lang", "fr")
    other = new_context(PHONE).new_page()  # a new browser
    log_in(other, member.login)
    expect(other.locator("html")).to_have_attribute("lang", "fr")
    assert heading(other) == french("Hello, %(name)s", name=member.full_name)


def test_the_member_screens_speak_french(new_context, site):
    """A French-speaking member sees the member screens in French: "Membres" in the menu."""
    member = _add(
        site, "Solange", "Verbeeck", admitted_on=date(2025, 2, 3), login=("solange.verbeeck", "fr")
    )
    page = new_context(PHONE).new_page()
    log_in(page, member.login)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert french("Members") == "Membres"
    nav = page.get_by_role("navigation", name=french("Main menu"))
    nav.get_by_role("link", name="Membres", exact=True).click()
    page.wait_for_url(f"{site.url}/members/")
    assert heading(page) == "Membres"
    page.get_by_role("button", name=french("My page")).click()
    page.get_by_role("button", name=french("My language and contact choices")).click()
    assert heading(page) == french("My choices")
    expect(nav.get_by_role("link", name=french("Bodies"), exact=True)).to_be_visible()
