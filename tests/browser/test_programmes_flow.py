"""A citizenship session in the room, on phones, in French: the trainer calls the roll
("everyone present", then one person late with their arrival time); a participant checks in
with the code read from the trainer's code screen; two participants sign with their finger;
the trainer signs the sheet and downloads its PDF; a participant sees their hours in
"My pathway" and in "My sessions".

The people (a trainer, three members with French as their language, each on an integration
pathway), the running citizenship programme and today's session, whose slot runs now (its times
are built from the real local time in the enterprise's zone), are written in-process and
committed; everything else goes through the pages. axe-core runs on every page visited; each
page is checked for French (its language, its heading, and none of the English sentences the
programme's pages use). Screenshots of each step, at 360 x 780 and at 1366 x 900, go to
/tmp/shots/ (not kept in the repository) for a person to look at.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import sleep

import pytest
import sqlalchemy as sa
from babel.support import Translations
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from portal.accounts.models import Role
from portal.core.db import utcnow
from portal.extensions import db
from portal.programmes.common import local_zone
from portal.programmes.models import Attendance, Session
from tests.browser.conftest import TRANSLATIONS, Person, french
from tests.factories import PASSWORD, make_user
from tests.factories_integration import make_pathway
from tests.factories_members import make_member
from tests.factories_programmes import enrol, make_programme, make_session

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}
WIDE = {"width": 1366, "height": 900}
SHOTS = Path(os.environ.get("PORTAL_SHOTS", "/tmp/shots"))
PROGRAMME = "Quenneville citizenship workshop"
TOPIC = "How a general assembly votes"
TRAINER = ("Théodora", "Vaillancourt-Mbeki")
MEMBERS = (("Ophélie", "Brandvold"), ("Wassim", "Kerhoas"), ("Ludmila", "Ostrowska"))

# English sentences of the pages visited: none may be shown untranslated to a French speaker.
ENGLISH = (
    "Roll-call",
    "Check-in code",
    "Attendance sheet",
    "Sign the sheet",
    "Everyone present",
    "Save the roll-call",
    "Find a name",
    "Not marked",
    "Arrival and departure times",
    "Back to the session",
    "To check in, open this page on your phone and type the code:",
    "The code changes every minute. Log in with your own account to check in.",
    "Type the code shown on the screen in the room.",
    "The code shown in the room",
    "I am here",
    "Sign the attendance sheet",
    "I sign",
    "Clear",
    "If you cannot sign with your finger, sign the paper sheet: the trainer records it.",
    "to sign now",
    "Download the sheet (PDF)",
    "Trainer's signature",
    "Sign the whole sheet",
    "I sign the sheet",
    "Scanned paper sheet",
    "What was covered",
    "Materials",
    "My sessions",
    "My hours",
    "What I attended",
    "What is next",
    "My pathway",
    "Taking part in the cooperative",
    "Programme sessions attended",
    "Morning",
    "Afternoon",
    "Present",
    "Late",
)


@dataclass(frozen=True)
class Setup:
    trainer: Person
    members: tuple[Person, ...]
    member_ids: tuple[int, ...]
    programme_id: int
    session_id: int
    starts: time
    ends: time
    late_at: time


def _catalogue() -> Translations:
    return Translations.load(str(TRANSLATIONS), ["fr"])


def slot_times(now: datetime) -> tuple[time, time]:
    """From 30 minutes ago to 2 hours from now, on today's local date: clamped to the day, and
    still holding "now" near midnight."""
    midnight = datetime.combine(now.date(), time(0), now.tzinfo)
    start = max(now - timedelta(minutes=30), midnight)
    end = min(now + timedelta(hours=2), datetime.combine(now.date(), time(23, 59), now.tzinfo))
    start_t = start.time().replace(second=0, microsecond=0)
    end_t = end.time().replace(second=0, microsecond=0)
    assert end_t > now.time().replace(second=0, microsecond=0), "see after_late_evening"
    return start_t, end_t


def after_late_evening(now: datetime) -> datetime:
    """The flow takes a few minutes and a session belongs to one day: from 23:50 on, wait until
    the next day has begun (a skipped browser test fails the run in CI) and start then."""
    if now.time() < time(23, 50):
        return now
    next_day = datetime.combine(now.date() + timedelta(days=1), time(0, 0, 5), now.tzinfo)
    sleep((next_day - now).total_seconds())
    return utcnow().astimezone(now.tzinfo)


def _person(user) -> Person:
    return Person(user.username, user.display_name, user.id, PASSWORD)


@pytest.fixture(scope="module")
def setup(site) -> Setup:
    with site.app.app_context():
        now = after_late_evening(utcnow().astimezone(local_zone()))
        today = now.date()
        starts, ends = slot_times(now)
        trainer = make_user(
            "theodora.vaillancourt",
            display_name=" ".join(TRAINER),
            roles={Role.MEMBER, Role.TRAINER},
            locale="fr",
        )
        people, ids = [], []
        programme = make_programme(
            trainer,
            kind="citizenship",
            state="running",
            title=PROGRAMME,
            starts_on=today - timedelta(days=30),
        )
        for given, family in MEMBERS:
            user = make_user(
                f"{given}.{family}".lower().replace("é", "e"),
                display_name=f"{given} {family}",
                locale="fr",
            )
            member = make_member(
                given=given,
                family=family,
                admitted_on=date(2025, 2, 3),
                user=user,
                preferred_language="fr",
            )
            enrol(programme, member)
            make_pathway(member, entry_on=today - timedelta(days=90))
            people.append(_person(user))
            ids.append(member.id)
        half = "morning" if starts < time(13, 0) else "afternoon"
        session = make_session(
            programme, day=today, slots=[(half, starts, ends)], topic=TOPIC, place="Salle B"
        )
        db.session.commit()
        # The late person arrived a few minutes after the start, and before now.
        late = min(
            datetime.combine(today, starts) + timedelta(minutes=7),
            datetime.combine(today, now.time().replace(second=0, microsecond=0)),
        ).time()
        found = Setup(
            _person(trainer),
            tuple(people),
            tuple(ids),
            programme.id,
            session.id,
            starts,
            ends,
            late,
        )
        db.session.remove()
    return found


# --- Helpers ------------------------------------------------------------------------------------


def log_in_french(page: Page, person: Person) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label(french("Username")).fill(person.username)
    page.get_by_label(french("Password")).fill(person.password)
    page.locator("#login-form").get_by_role("button", name=french("Log in")).click()
    page.wait_for_url(lambda url: "/login" not in url)


def heading(page: Page) -> str:
    return " ".join(page.get_by_role("heading", level=1).first.inner_text().split())


def assert_french(page: Page, title: str | None = None) -> None:
    """The page is in French: its language, its heading (when it is a sentence of the portal)
    and none of the English sentences of these pages on it."""
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    if title is not None:
        assert heading(page) == french(title), f"{page.url}: heading {heading(page)!r}"
    catalogue = _catalogue()
    text = page.locator("body").inner_text()
    untranslated = []
    for english in ENGLISH:
        if re.search(rf"(?<![\w-]){re.escape(english)}(?![\w-])", text):
            missing = catalogue.gettext(english) == english
            untranslated.append(
                f"{english!r} is shown in English"
                + (" (the French catalogue does not translate it)" if missing else "")
            )
    assert not untranslated, f"{page.url}:\n" + "\n".join(untranslated)


def assert_fits(page: Page, what: str) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width}px wide on a {PHONE['width']}px screen"


def shoot(page: Page, name: str) -> None:
    """The page as it is, on the phone and on a wide screen (then back to the phone)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-360.png"), full_page=True)
    page.set_viewport_size(WIDE)
    page.screenshot(path=str(SHOTS / f"{name}-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)


def visit(page: Page, check_accessibility, name: str, title: str | None = None) -> None:
    """Every page visited: French, axe, fits a phone, screenshots."""
    page.wait_for_load_state()
    assert_french(page, title)
    check_accessibility(page)
    assert_fits(page, name)
    shoot(page, name)


def draw_signature(page: Page, canvas_selector: str) -> None:
    """A finger's stroke across the pad: down, a zigzag, up."""
    canvas = page.locator(canvas_selector)
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 100, f"the signature box is {box} on a phone"
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(x + w * (0.1 + 0.065 * step), y + h * (0.3 if step % 2 else 0.7), steps=3)
    page.mouse.up()


def attendance(site, session_id: int, member_id: int) -> Attendance:
    with site.app.app_context():
        slot_id = db.session.get(Session, session_id).slots[0].id
        row = db.session.scalar(
            sa.select(Attendance).where(
                Attendance.slot_id == slot_id, Attendance.member_id == member_id
            )
        )
        db.session.expunge_all()
        db.session.remove()
    assert row is not None
    return row


def hours_text(minutes: int) -> str:
    """What `hours.format_minutes` writes, with the French catalogue."""
    catalogue = _catalogue()
    hours, rest = divmod(minutes, 60)
    if not hours:
        return catalogue.gettext("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return catalogue.gettext("%(hours)s h") % {"hours": hours}
    return catalogue.gettext("%(hours)s h %(minutes)s") % {"hours": hours, "minutes": f"{rest:02d}"}


# --- The flow -----------------------------------------------------------------------------------


def test_a_session_in_the_room_on_phones_in_french(new_context, site, setup, check_accessibility):
    session_path = f"/programmes/sessions/{setup.session_id}"
    first, second, _third = setup.members
    first_id, second_id, third_id = setup.member_ids

    def phone():
        return new_context(PHONE, locale="fr-FR").new_page()

    # --- The trainer opens the session page ------------------------------------------------
    trainer = phone()
    log_in_french(trainer, setup.trainer)
    trainer.goto(session_path)
    expect(trainer.get_by_role("heading", level=1)).to_have_text(TOPIC)
    visit(trainer, check_accessibility, "01-trainer-session")
    actions = trainer.get_by_role("navigation", name=french("What you can do in this session"))
    for label in ("Roll-call", "Check-in code", "Attendance sheet"):
        # Links shown as buttons (role="button"): large targets.
        expect(actions.get_by_role("button", name=french(label))).to_be_visible()

    # --- The roll-call: everyone present, then one person late ------------------------------
    actions.get_by_role("button", name=french("Roll-call")).click()
    trainer.wait_for_url(lambda url: url.endswith("/roll") or "/roll?" in url)
    visit(trainer, check_accessibility, "02-rollcall", "Roll-call")
    trainer.get_by_role("button", name=french("Everyone present")).click()
    trainer.wait_for_load_state()
    expect(trainer.locator(".flash, [role=status]").first).to_be_visible()
    # Each person is a group of choices named after them (family name first, for the list).
    family = MEMBERS[2][1]
    late_person = trainer.get_by_role("group", name=re.compile(family))
    late_person.get_by_label(french("Late"), exact=True).check()
    late_person.locator("summary").click()
    late_person.get_by_label(french("Arrived at"), exact=True).fill(setup.late_at.strftime("%H:%M"))
    visit(trainer, check_accessibility, "03-rollcall-marked", "Roll-call")
    trainer.get_by_role("button", name=french("Save the roll-call")).click()
    trainer.wait_for_load_state()
    expect(trainer.get_by_role("heading", level=1)).to_have_text(french("Roll-call"))
    late_person = trainer.get_by_role("group", name=re.compile(family))
    expect(late_person.get_by_label(french("Late"), exact=True)).to_be_checked()
    visit(trainer, check_accessibility, "04-rollcall-saved", "Roll-call")
    row = attendance(site, setup.session_id, third_id)
    assert (row.status, row.arrived_at) == ("late", setup.late_at)
    for member_id in (first_id, second_id):
        assert attendance(site, setup.session_id, member_id).status == "present"

    # --- The code screen; participant 1 checks in with the code -----------------------------
    trainer.goto(f"{session_path}/code")
    visit(trainer, check_accessibility, "05-code-screen")
    code = (trainer.locator("svg.check-in-code text").text_content() or "").strip()
    assert re.fullmatch(r"[A-Z0-9]{6}", code), code

    ophelie = phone()
    log_in_french(ophelie, first)
    ophelie.goto("/programmes/check-in")
    visit(ophelie, check_accessibility, "06-checkin", "Check in")
    ophelie.get_by_label(french("The code shown in the room")).fill(code.lower())
    ophelie.get_by_role("button", name=french("I am here")).click()
    ophelie.wait_for_load_state()
    # The trainer had marked her present: the check-in is remembered, her mark stays.
    visit(ophelie, check_accessibility, "07-checked-in", "You are already checked in")
    row = attendance(site, setup.session_id, first_id)
    assert row.checked_in_at is not None and row.status == "present"

    # --- Participants 1 and 2 sign with their finger --------------------------------------
    wassim = phone()
    log_in_french(wassim, second)
    for page, member_id, name in ((ophelie, first_id, "08"), (wassim, second_id, "09")):
        page.goto(f"{session_path}/sign")
        visit(page, check_accessibility, f"{name}-sign", "Sign the attendance sheet")
        draw_signature(page, "#signature-pad")
        page.get_by_role("button", name=french("I sign"), exact=True).click()
        page.wait_for_load_state()
        expect(page.get_by_role("main")).to_contain_text(
            french("Thank you. The signature is saved.")
        )
        visit(page, check_accessibility, f"{name}-signed", "Sign the attendance sheet")
        row = attendance(site, setup.session_id, member_id)
        assert row.signed_at is not None

    # --- The trainer signs the sheet and downloads its PDF ----------------------------------
    trainer.goto(f"{session_path}/sheet")
    visit(trainer, check_accessibility, "10-sheet", "Attendance sheet")
    sheet = trainer.get_by_role("main")
    for person in setup.members:
        expect(sheet).to_contain_text(person.display_name)
    draw_signature(trainer, "#trainer-signature")
    trainer.get_by_role("button", name=french("I sign the sheet")).click()
    trainer.wait_for_load_state()
    expect(sheet).to_contain_text(french("You signed the sheet."))
    visit(trainer, check_accessibility, "11-sheet-signed", "Attendance sheet")
    link = trainer.get_by_role("link", name=french("Download the sheet (PDF)"))
    response = trainer.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.body()[:5] == b"%PDF-"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    text = " ".join(text.split())
    for person in setup.members:
        assert person.display_name in text, person.display_name
    assert TOPIC in text

    # --- Participant 1 sees her hours in My pathway and My sessions -------------------------
    minutes = attendance(site, setup.session_id, first_id).minutes
    assert minutes > 0
    ophelie.goto("/integration/mine")
    visit(ophelie, check_accessibility, "12-my-pathway", "My pathway")
    taking_part = ophelie.locator("[id$=-participation]")
    expect(taking_part).to_contain_text(french("Programme sessions attended"))
    expect(taking_part).to_contain_text(
        french("%(hours)s of citizenship sessions", hours=hours_text(minutes))
    )
    ophelie.goto("/programmes/mine")
    visit(ophelie, check_accessibility, "13-my-sessions", "My sessions")
    mine = ophelie.get_by_role("main")
    expect(mine).to_contain_text(french("Citizenship"))
    expect(mine).to_contain_text(hours_text(minutes))
    expect(mine).to_contain_text(TOPIC)
