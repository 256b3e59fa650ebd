"""Logging in and out, setup codes and languages, as people do it: in Chromium, on a phone."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import User
from portal.accounts.services import format_setup_code, issue_setup_code
from portal.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, french, log_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "purple tractor under rain"


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def fill_login(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.locator("#login-form").get_by_role("button", name="Log in").click()


def test_french_worker_logs_in_and_out_on_a_phone(page, site, check_accessibility):
    worker = site["worker"]
    page.goto("/login")
    fill_login(page, worker.username, worker.password)

    page.wait_for_url(f"{site.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert heading(page) == french("Hello, %(name)s", name=worker.display_name)
    check_accessibility(page)

    page.get_by_role("banner").get_by_role("button", name=french("Log out")).click()
    page.wait_for_url(f"{site.url}/login")
    assert page.locator("#login-form").is_visible()
    expect(page.get_by_role("status")).to_be_visible()  # "You are logged out. See you soon."

    page.goto("/account")
    assert re.fullmatch(rf"{re.escape(site.url)}/login\?next=%2Faccount", page.url), page.url
    assert page.locator("#login-form").is_visible()


def test_wrong_password_shows_the_message_in_the_form(page, site, check_accessibility):
    counsellor = site["counsellor"]
    page.goto("/login")
    page.evaluate("window.stillTheSamePage = true")
    with page.expect_response(lambda r: r.request.method == "POST") as response_info:
        fill_login(page, counsellor.username, "not the right password")
    response = response_info.value
    assert response.status == 422
    assert response.request.headers.get("hx-request") == "true"

    alert = page.locator("#login-form [role='alert']")
    expect(alert).to_have_text("Wrong username or password. Check them and try again.")
    assert page.evaluate("window.stillTheSamePage") is True  # swapped by htmx, not reloaded
    assert page.url == f"{site.url}/login"
    expect(page.get_by_label("Username")).to_have_value(counsellor.username)
    expect(page.get_by_label("Password")).to_have_value("")
    # The message is announced (role="alert") and the focus waits in the password field.
    expect(page.get_by_label("Password")).to_be_focused()
    check_accessibility(page)


def test_empty_login_marks_the_fields_and_focuses_the_first(page):
    page.goto("/login")
    page.locator("#login-form").get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#username-error")).to_have_text("Write your username.")
    expect(page.get_by_label("Username")).to_have_attribute(
        "aria-describedby", re.compile(r"\busername-error\b")
    )
    expect(page.get_by_label("Username")).to_be_focused()


def test_login_works_without_javascript(new_context, site):
    page = new_context(PHONE, java_script_enabled=False).new_page()
    page.goto("/login")
    fill_login(page, site["counsellor"].username, "still not the right one")
    expect(page.locator("#login-form [role='alert']")).to_contain_text("Wrong username")

    fill_login(page, site["counsellor"].username, site["counsellor"].password)
    page.wait_for_url(f"{site.url}/")
    assert heading(page) == f"Hello, {site['counsellor'].display_name}"


def test_admin_creates_an_account_and_prints_a_setup_code(admin_page, site, check_accessibility):
    from pypdf import PdfReader

    page = admin_page
    page.goto("/accounts/new")
    page.get_by_label("Name", exact=True).fill("Bintou Camara")
    page.get_by_label("Username", exact=True).fill("bintou.camara")
    expect(page.get_by_role("checkbox", name="Member", exact=True)).to_be_checked()
    page.get_by_role("button", name="Create the account").click()

    page.wait_for_url(re.compile(r"/accounts/\d+$"))
    assert heading(page) == "Bintou Camara"
    expect(page.get_by_role("status")).to_contain_text("The account of Bintou Camara is created")
    check_accessibility(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Print a setup code").click()
    download = download_info.value
    assert download.suggested_filename == "setup-code-bintou.camara.pdf"
    pdf = download.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "bintou.camara" in text
    assert re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b", text), text


def test_newcomer_chooses_a_password_with_a_setup_code(page, site):
    newcomer = site["newcomer"]
    with site.app.app_context():
        admin = db.session.get(User, site["admin"].id)
        user = db.session.get(User, newcomer.id)
        _code, plain = issue_setup_code(admin, user, site.app.config)
        db.session.commit()
        db.session.remove()

    page.goto("/setup")
    page.get_by_label("Your setup code").fill(format_setup_code(plain).lower())
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Choose my password").click()

    page.wait_for_url(f"{site.url}/")
    assert heading(page) == f"Hello, {newcomer.display_name}"
    expect(page.get_by_role("status")).to_contain_text("Your password is ready")
    expect(page.get_by_role("banner").get_by_role("button", name="Log out")).to_be_visible()


def test_language_buttons_switch_the_language_of_a_visitor(page):
    page.goto("/login")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    english = page.get_by_role("button", name="English")
    expect(english).to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="Français").click()
    expect(html).to_have_attribute("lang", "fr")
    assert page.url.endswith("/login")
    assert heading(page) == french("Log in")
    expect(page.get_by_role("button", name="Français")).to_have_attribute("aria-current", "true")

    page.goto("/password/forgot")  # the choice is kept for the visit
    assert heading(page) == french("I forgot my password")

    page.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    assert heading(page) == "I forgot my password"


def test_skip_link_comes_first_and_leads_to_the_content(page):
    page.goto("/login")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_have_attribute("href", "#main")
    expect(skip_link).to_be_in_viewport()  # hidden until focused, then on screen

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("path", ["/login", "/setup", "/password/forgot", "/no-such-page"])
def test_no_horizontal_scroll_on_a_phone(page, path):
    page.goto(path)
    assert page.viewport_size == PHONE
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width}px wide on a 360px screen"


def test_no_horizontal_scroll_on_a_phone_logged_in(new_context, admin_state):
    page = new_context(PHONE, storage_state=admin_state).new_page()
    for path in [
        "/",
        "/account",
        "/account/password",
        "/accounts",
        "/accounts/new",
        "/setup-codes",
    ]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a 360px screen"


def test_desktop_layout_shows_the_menu_in_one_row(desktop_page, site):
    page = desktop_page
    log_in(page, site["counsellor"])
    assert page.viewport_size == DESKTOP
    items = page.get_by_role("navigation", name="Main menu").locator("li")
    middles = [
        box["y"] + box["height"] / 2
        for box in (items.nth(i).bounding_box() for i in range(items.count()))
    ]
    assert max(middles) - min(middles) < 16, f"the menu is not one row on a desktop: {middles}"
