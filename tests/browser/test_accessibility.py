"""axe-core on every page there is: no serious or critical accessibility violation."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PUBLIC_PAGES = {
    "/login": "Log in",
    "/setup": "Use my setup code",
    "/password/forgot": "I forgot my password",
    "/no-such-page": "Page not found",
}
ADMIN_PAGES = {
    "/": "Hello, Ada Admin",
    "/account": "My account",
    "/account/password": "Change my password",
    "/accounts": "Accounts",
    "/accounts/new": "Create an account",
    "/setup-codes": "Setup codes",
}


@pytest.mark.parametrize("path", list(PUBLIC_PAGES))
def test_public_pages_on_a_phone(page, check_accessibility, path):
    response = page.goto(path)
    assert response.status == (404 if path == "/no-such-page" else 200)
    assert page.get_by_role("heading", level=1).inner_text() == PUBLIC_PAGES[path]
    check_accessibility(page)


@pytest.mark.parametrize("path", list(ADMIN_PAGES))
def test_administrator_pages(admin_page, check_accessibility, path):
    response = admin_page.goto(path)
    assert response.status == 200
    assert admin_page.get_by_role("heading", level=1).inner_text() == ADMIN_PAGES[path]
    check_accessibility(admin_page)


def test_account_page_of_someone_else(admin_page, site, check_accessibility):
    """The edit page with its actions (print a setup code, disable the account)."""
    response = admin_page.goto(f"/accounts/{site['newcomer'].id}")
    assert response.status == 200
    assert admin_page.get_by_role("heading", level=1).inner_text() == "Zeynep Kaya"
    check_accessibility(admin_page)


def test_forms_showing_their_errors(page, check_accessibility):
    """Error messages are part of the page too: they must be readable and tied to fields."""
    page.goto("/setup")
    page.get_by_role("button", name="Choose my password").click()
    page.wait_for_selector("[aria-invalid='true']")
    check_accessibility(page)
