"""Browser tests: Chromium (Debian's, through Playwright) against the portal on a fresh database.

One server and one seeded database per pytest process (each xdist worker gets its own through
`fresh_database_url`). The server is pytest-flask's `live_server`, one process serving `app`,
which here is the browser tests' own app (development configuration) on that database: what the
tests commit through `site.app` is what the server reads. Chromium that cannot start is an
error, never a skip: these tests are the proof that the pages work for people on phones and
with assistive technology.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.support import Translations
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from portal.accounts.models import Role
from portal.extensions import db
from tests.factories import PASSWORD, make_user
from tests.live import ROOT, live_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
TRANSLATIONS = ROOT / "portal" / "translations"
# axe findings at these levels fail a test; "moderate" and "minor" are left to review.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    id: int
    password: str | None = PASSWORD


@dataclass
class Site:
    """The running portal: its address, the in-process app on its database, the seeded people."""

    url: str
    app: Flask
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Person:
        return self.people[key]


def french(message: str, **values: str) -> str:
    """`message` as the French catalogue has it; fails when it is not translated."""
    translations = Translations.load(str(TRANSLATIONS), ["fr"])
    text = translations.gettext(message)
    assert text != message, f"the French catalogue does not translate {message!r}"
    return text % values if values else text


SEED = {
    # key: (username, display name, make_user keywords)
    "admin": ("ada.admin", "Ada Admin", {"roles": {Role.MEMBER, Role.ADMIN}, "locale": "en"}),
    "worker": ("amina.diallo", "Amina Diallo", {"locale": "fr", "email": None}),
    "counsellor": ("anne.moreau", "Anne Moreau", {"roles": {Role.COUNSELLOR}, "locale": "en"}),
    "newcomer": ("zeynep.kaya", "Zeynep Kaya", {"password": None, "locale": "en"}),
}


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Flask:
    """Overrides the suite's `app` for the browser tests (and so for pytest-flask's
    `live_server`): the development configuration on a database of their own, where commits
    are real, so the suite's rolled-back database is never touched."""
    with live_database("browser", tmp_path_factory.mktemp("browser")) as (_url, app):
        # The server's access log would land in whichever test's captured output is open.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        yield app


@pytest.fixture(scope="session")
def site(app: Flask, live_server) -> Site:
    """The running portal and its seeded people (seeded once the server has started: the
    server process is a fork of this one, which must then hold no open database connection)."""
    people = {}
    with app.app_context():
        users = {
            key: make_user(username, display_name=name, **options)
            for key, (username, name, options) in SEED.items()
        }
        db.session.commit()
        for key, user in users.items():
            password = SEED[key][2].get("password", PASSWORD)
            people[key] = Person(user.username, user.display_name, user.id, password)
        db.session.remove()
    return Site(live_server.url(), app, people)


@pytest.fixture(scope="session")
def browser(site: Site) -> Browser:
    # After `site`: the server process is forked before Playwright starts its driver.
    # No skip on failure: a missing or broken Chromium makes every browser test error out.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def new_context(browser: Browser, site: Site):
    """`new_context(viewport=PHONE|DESKTOP, storage_state=None, **options)`: a fresh browser
    context on the site (English-speaking browser), closed after the test."""
    contexts: list[BrowserContext] = []

    def _new_context(viewport=PHONE, **options) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        context = browser.new_context(base_url=site.url, viewport=viewport, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield _new_context
    for context in contexts:
        context.close()


@pytest.fixture()
def page(new_context) -> Page:
    """A page on a phone-sized screen (360 x 740), not logged in."""
    return new_context(PHONE).new_page()


@pytest.fixture()
def desktop_page(new_context) -> Page:
    """A page on a desktop-sized screen, not logged in."""
    return new_context(DESKTOP).new_page()


def log_in(page: Page, person: Person, password: str | None = None) -> None:
    """Log in through the form like a person would, and wait for the home page."""
    page.goto("/login")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(password or person.password)
    page.locator("#login-form").get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: not url.rstrip("/").endswith("/login") and "/login?" not in url)


@pytest.fixture(scope="session")
def admin_state(browser: Browser, site: Site) -> dict:
    """The cookies of a logged-in administrator, to start contexts already logged in."""
    context = browser.new_context(base_url=site.url, locale="en-GB")
    try:
        page = context.new_page()
        log_in(page, site["admin"])
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture()
def admin_page(new_context, admin_state) -> Page:
    """A desktop page, logged in as the administrator."""
    return new_context(DESKTOP, storage_state=admin_state).new_page()


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture()
def check_accessibility(axe: Axe):
    """`check_accessibility(page)`: run axe-core on the page as it is now; fail on any
    serious or critical violation, listing each rule, its help text and the elements.

    axe is injected with page.evaluate, which the page's Content-Security-Policy does not
    restrict, so the contexts keep the real CSP (no bypass_csp)."""

    def _check(page: Page) -> None:
        response = axe.run(page).response
        assert response["url"] == page.url, "axe did not run on this page"
        violations = response["violations"]
        blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
        if blocking:
            lines = [f"axe found {len(blocking)} serious/critical violation(s) on {page.url}:"]
            for violation in blocking:
                lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
                lines.append(f"  {violation.get('helpUrl', '')}")
                for node in violation["nodes"]:
                    lines.append(f"    at {node['target']}: {node.get('failureSummary', '')}")
            pytest.fail("\n".join(lines), pytrace=False)

    return _check
