"""The French translation: a complete, compiled catalogue, and the language choice at work.

The language is the user's saved preference, else the one chosen with the switch (kept in the
session), else the browser's (Accept-Language), else English.
"""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from pypdf import PdfReader

from portal.accounts.models import Role
from portal.core.outbox import OutboxMessage
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
FRENCH_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FRENCH_MO = FRENCH_PO.with_suffix(".mo")

# The options of `make babel-extract`, plus --ignore-dirs: without it pybabel skips every
# directory whose name starts with "_", such as templates/_macros.
EXTRACT_OPTIONS = [
    "-F",
    "babel.cfg",
    "-k",
    "_l",
    "-k",
    "lazy_gettext",
    "-k",
    "ngettext:1,2",
    "--no-location",
    "--sort-output",
    "--ignore-dirs",
    ".*",
    "--project",
    "WISE Portal",
]
# A printf-style placeholder: %(name)s, %(n)d, %s, and the escaped %%.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")

FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en"}


def french_catalogue():
    with FRENCH_PO.open("rb") as po_file:
        return read_po(po_file, locale="fr")


def french(message: str) -> str:
    """`message` as the compiled French catalogue has it; fails when it is not translated."""
    text = Translations.load(str(TRANSLATIONS), ["fr"]).gettext(message)
    assert text != message, f"no French for {message!r}"
    return text


def page_text(response) -> str:
    """The page as a reader sees it: entities such as &#39; turned back into characters."""
    return html.unescape(response.get_data(as_text=True))


def forms(message) -> tuple[str, ...]:
    """A message's id or string as a tuple: one text, or the singular and plural forms."""
    if isinstance(message, (tuple, list)):
        return tuple(message)
    return (message,)


# --- The catalogue ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every translatable text of the source, extracted afresh as `make babel-extract` does."""
    pot_path = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            *EXTRACT_OPTIONS,
            "-o",
            str(pot_path),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with pot_path.open("rb") as pot_file:
        template = read_po(pot_file)
    messages = [message for message in template if message.id]
    assert len(messages) > 150, "the extraction found too few messages"
    return messages


def test_extraction_includes_the_shared_macros(extracted):
    ids = {forms(message.id)[0] for message in extracted}
    assert "Please check the answers marked below." in ids  # templates/_macros/forms.html
    assert "Please log in to see this page." in ids  # portal/__init__.py
    assert ("%(num)d account", "%(num)d accounts") in {message.id for message in extracted}


def test_every_extracted_text_has_a_french_translation(extracted):
    catalogue = french_catalogue()
    problems = []
    for message in extracted:
        translated = catalogue.get(message.id)
        if translated is None:
            problems.append(f"missing: {message.id!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(text.strip() for text in forms(translated.string)):
            problems.append(f"empty: {message.id!r}")
        elif len(forms(translated.string)) != len(forms(message.id)):
            problems.append(f"wrong number of plural forms: {message.id!r}")
    assert not problems, "\n".join(problems)


def test_the_catalogue_header_is_french_and_final():
    catalogue = french_catalogue()
    assert str(catalogue.locale) == "fr"
    assert not catalogue.fuzzy, 'remove the "#, fuzzy" flag from the header'
    assert catalogue.num_plurals == 2
    assert catalogue.plural_expr.replace(" ", "") in {"(n>1)", "n>1"}
    assert not list(catalogue.obsolete), "obsolete (#~) entries are left in messages.po"


def test_french_keeps_every_placeholder_and_line_break():
    catalogue = french_catalogue()
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        expected = sorted(PLACEHOLDER.findall(forms(message.id)[-1]))
        first_lines = forms(message.id)[0].count("\n")
        for text in forms(message.string):
            if sorted(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"placeholders differ: {message.id!r} -> {text!r}")
            if text.count("\n") != first_lines:
                problems.append(f"line breaks differ: {message.id!r} -> {text!r}")
        if "python-format" not in message.flags and expected:
            problems.append(f"not flagged python-format: {message.id!r}")
    # Babel's own checks (python-format agreement, plural forms).
    for message, errors in catalogue.check():
        problems.extend(f"{message.id!r}: {error}" for error in errors)
    assert not problems, "\n".join(problems)


def test_the_reset_email_keeps_its_layout():
    catalogue = french_catalogue()
    body = next(
        m
        for m in catalogue
        if isinstance(m.id, str) and m.id.startswith("Hello %(name)s,") and "%(link)s" in m.id
    )
    assert body.string.startswith("Bonjour %(name)s,\n\n")
    assert "\n\n%(link)s\n\n" in body.string
    assert body.string.endswith("\n")


def test_the_compiled_catalogue_matches_the_po_file():
    """portal/translations/fr/LC_MESSAGES/messages.mo is what `make babel-compile` gives."""
    fresh = io.BytesIO()
    write_mo(fresh, french_catalogue())
    fresh.seek(0)
    with FRENCH_MO.open("rb") as mo_file:
        committed = read_mo(mo_file)
    compiled = read_mo(fresh)

    def texts(catalogue):
        return {forms(message.id): forms(message.string) for message in catalogue if message.id}

    assert texts(committed) == texts(compiled), "run `make babel-compile` and commit the .mo"
    assert committed.plural_forms == compiled.plural_forms


# --- Choosing the language --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login"])
def test_a_french_browser_gets_french(client, path):
    response = client.get(path, headers=FR)
    assert response.status_code == 200
    text = page_text(response)
    assert '<html lang="fr"' in text
    assert "Se connecter" in text
    assert "Log in" not in text
    assert french("Skip to main content") in text


def test_the_home_and_login_pages_in_french(client):
    home = page_text(client.get("/", headers=FR))
    assert "<h1>Bienvenue</h1>" in home
    assert french("Use my setup code") in home
    login = page_text(client.get("/login", headers=FR))
    assert "<h1>Se connecter</h1>" in login
    assert french("Username") in login and french("Password") in login
    assert french("I forgot my password") in login


@pytest.mark.parametrize("headers", [EN, {}, {"Accept-Language": "de-DE,de;q=0.9"}])
@pytest.mark.parametrize("path", ["/", "/login"])
def test_english_otherwise(client, path, headers):
    """English for an English browser, for none, and for a language the portal does not have."""
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    text = page_text(response)
    assert '<html lang="en"' in text
    assert "Log in" in text
    assert "Se connecter" not in text


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.5", "fr"),
        ("fr-BE", "fr"),
        ("en-GB,en;q=0.9,fr;q=0.8", "en"),
        ("de,fr;q=0.5", "fr"),
    ],
)
def test_the_browser_preference_order_is_followed(client, accept_language, expected):
    text = page_text(client.get("/", headers={"Accept-Language": accept_language}))
    assert f'<html lang="{expected}"' in text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,fr;q=0.3", "en"),
        ("fr-CA,en;q=0.8", "fr"),
        ("de-DE,fr-BE;q=0.9,en;q=0.8", "fr"),
        ("de,it", "en"),
    ],
)
def test_the_best_ranked_language_wins_even_when_regional(client, header, expected):
    text = page_text(client.get("/", headers={"Accept-Language": header}))
    assert f'<html lang="{expected}"' in text


def test_the_language_switch(client, token):
    response = client.post("/language", data={"locale": "fr", "csrf_token": token()})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    text = page_text(client.get("/"))
    assert '<html lang="fr"' in text and "<h1>Bienvenue</h1>" in text
    # The choice beats the browser's language, and can be undone.
    assert '<html lang="fr"' in page_text(client.get("/login", headers=EN))
    client.post("/language", data={"locale": "en", "csrf_token": token()})
    assert '<html lang="en"' in page_text(client.get("/", headers=FR))


def test_the_language_switch_goes_back_to_the_page(client, token):
    response = client.post(
        "/language", data={"locale": "fr", "next": "/login?next=/account", "csrf_token": token()}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/account"
    response = client.post(
        "/language",
        data={"locale": "fr", "next": "https://evil.example/", "csrf_token": token()},
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("locale", ["de", "", "fr-FR", "FR", "x" * 500])
def test_an_unknown_language_is_a_400(client, token, locale):
    response = client.post("/language", data={"locale": locale, "csrf_token": token()})
    assert response.status_code == 400
    assert "This request could not be read" in page_text(response)
    assert '<html lang="en"' in page_text(client.get("/"))  # nothing was changed


def test_a_missing_language_is_a_400(client, token):
    assert client.post("/language", data={"csrf_token": token()}).status_code == 400


def test_the_language_switch_needs_the_csrf_token(client):
    response = client.post("/language", data={"locale": "fr"}, headers=FR)
    assert response.status_code == 400
    assert french(
        "This form has expired or did not come from this site. Reload the page and try again."
    ) in page_text(response)
    assert '<html lang="en"' in page_text(client.get("/"))


def test_a_saved_preference_wins_over_the_browser(client, db, login_as):
    person = make_user(locale="fr")
    login_as(person)
    text = page_text(client.get("/", headers=EN))
    assert '<html lang="fr"' in text
    assert f"<h1>Bonjour {person.display_name}</h1>" in text
    assert french("Log out") in text


def test_a_saved_preference_wins_over_the_session(client, db, login_as):
    """Changed elsewhere (another device, an administrator), the preference applies at once."""
    person = make_user(locale=None)
    login_as(person)
    assert '<html lang="en"' in page_text(client.get("/", headers=EN))
    person.locale = "fr"
    db.session.flush()
    assert '<html lang="fr"' in page_text(client.get("/", headers=EN))


def test_the_switch_saves_the_preference_of_a_logged_in_user(client, db, login_as, token):
    person = make_user(locale=None)
    login_as(person)
    response = client.post("/language", data={"locale": "fr", "csrf_token": token()})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(person), person.id).locale == "fr"
    # Logged out and in again, with an English browser: still French.
    client.post("/logout", data={"csrf_token": token()})
    login_as(person)
    assert '<html lang="fr"' in page_text(client.get("/", headers=EN))


# --- Translated messages beyond the templates -------------------------------------------------


def test_error_pages_are_translated(client):
    response = client.get("/no/such/page", headers=FR)
    assert response.status_code == 404
    text = page_text(response)
    assert '<html lang="fr"' in text
    assert "<h1>Page introuvable</h1>" in text
    assert "<title>Page introuvable" in text
    assert french("This page does not exist, or you cannot see it.") in text
    english = page_text(client.get("/no/such/page", headers=EN))
    assert "<h1>Page not found</h1>" in english


def test_a_405_page_is_translated(client):
    response = client.get("/language", headers=FR)
    assert response.status_code == 405
    assert french("This address does not accept this kind of request.") in page_text(response)


def test_form_errors_are_translated(client, token):
    response = client.post(
        "/login", data={"username": "", "password": "", "csrf_token": token("/login")}, headers=FR
    )
    assert response.status_code == 422
    text = page_text(response)
    assert french("Write your username.") in text
    assert french("Write your password.") in text
    assert french("Please check the answers marked below.") in text  # templates/_macros


def test_a_refused_login_is_explained_in_french(client, db, token):
    person = make_user()
    response = client.post(
        "/login",
        data={"username": person.username, "password": "not it", "csrf_token": token("/login")},
        headers=FR,
    )
    assert response.status_code == 422
    assert french("Wrong username or password. Check them and try again.") in page_text(response)


def test_the_login_reminder_is_translated(client):
    response = client.get("/account", headers=FR)
    assert response.status_code == 302
    text = page_text(client.get(response.headers["Location"], headers=FR))
    assert french("Please log in to see this page.") in text


def test_flash_messages_are_translated(client, db, login_as, token):
    person = make_user()
    login_as(person)
    response = client.post("/logout", data={"csrf_token": token()}, headers=FR)
    assert response.status_code == 303
    text = page_text(client.get(response.headers["Location"], headers=FR))
    assert french("You are logged out. See you soon.") in text


def test_plural_forms_follow_french_rules(client, db, login_as):
    """French uses the singular for 0 and 1: "0 compte", "1 compte", "2 comptes"."""
    admin = make_user(username="zoe.admin", roles={Role.MEMBER, Role.ADMIN})
    make_user(username="dupont.a")
    make_user(username="dupont.b")
    login_as(admin)

    def count_line(query):
        text = page_text(client.get(f"/accounts?q={query}", headers=FR))
        assert '<html lang="fr"' in text
        return re.search(r"<p>(\d+ comptes?)</p>", text).group(1)

    assert count_line("nobody-has-this-name") == "0 compte"
    assert count_line("zoe.admin") == "1 compte"
    assert count_line("dupont") == "2 comptes"


def test_the_reset_email_is_in_the_language_of_the_account(client, db, token):
    """The requester's browser is English; the person reading the e-mail chose French."""
    person = make_user(email="nadia@example.org", locale="fr", display_name="Nadia Benali")
    response = client.post(
        "/password/forgot",
        data={"identifier": person.username, "csrf_token": token("/password/forgot")},
        headers=EN,
    )
    assert response.status_code == 200
    assert "Look at your e-mail" in page_text(response)  # the page: the requester's language
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == "nadia@example.org")
    )
    assert message is not None
    assert message.subject == french("Choose a new password for %(portal)s") % {
        "portal": "WISE Portal"
    }
    lines = message.body_text.split("\n")
    assert lines[0] == "Bonjour Nadia Benali,"
    assert lines[1] == ""
    assert person.username in lines[2]
    link = next(line for line in lines if line.startswith("http"))
    assert "/password/reset/" in link
    assert "60 minutes" in message.body_text
    assert message.body_text.endswith("\n")


def test_the_setup_sheet_is_in_the_language_of_the_person(client, db, login_as, token):
    admin = make_user(username="ada.admin", roles={Role.MEMBER, Role.ADMIN}, locale="en")
    person = make_user(locale="fr", password=None, display_name="Amina Diallo")
    login_as(admin, PASSWORD)
    response = client.post(f"/accounts/{person.id}/setup-code", data={"csrf_token": token()})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = " ".join(pdf_text.split())
    assert "Bonjour Amina Diallo" in flat
    assert "Scan with your phone" not in flat
