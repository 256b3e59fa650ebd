"""Account pages over HTTP: status codes, fragments, htmx headers, bad input, sessions."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portal.accounts import services
from portal.accounts.models import Role, SetupCode, User
from portal.core.outbox import OutboxMessage
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user

HX = {"HX-Request": "true"}


def post_login(client, username, password, headers=None, **params):
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    return client.post(
        "/login" + query,
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        headers=headers or {},
    )


# --- logging in ------------------------------------------------------------------------------


def test_login_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'autocomplete="username"' in html
    assert "I have a setup code on paper" in html


def test_login_and_logout(client, user):
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert user.display_name in client.get("/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 303
    assert client.get("/account").status_code == 302  # to the login page


def test_htmx_login_redirects_with_a_header(client, user):
    response = post_login(client, user.username, PASSWORD, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/"
    assert "HX-Request" in response.headers["Vary"]


def test_wrong_password_gives_the_form_again_with_422(client, user):
    response = post_login(client, user.username, "wrong password")
    assert response.status_code == 422
    assert "Wrong username or password" in response.get_data(as_text=True)
    response = post_login(client, user.username, "wrong password", headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="login-form">')
    assert "<html" not in html


@pytest.mark.parametrize(
    ("username", "password"),
    [("", ""), ("", PASSWORD), ("someone", ""), ("u" * 65, PASSWORD), ("someone", "p" * 300)],
)
def test_login_bad_input_is_a_clear_422(client, username, password):
    response = post_login(client, username, password)
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)


def test_login_ignores_foreign_next_urls(client, user):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = post_login(client, user.username, PASSWORD, next=target)
        assert response.headers["Location"] == "/", target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    response = post_login(client, user.username, PASSWORD, next="/account")
    assert response.headers["Location"] == "/account"


def test_throttled_login_answers_429_with_retry_after(app, client, user):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert post_login(client, user.username, "wrong password").status_code == 422
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(app.config["LOGIN_WINDOW_SECONDS"])
    assert "Too many tries" in response.get_data(as_text=True)


def test_disabled_account_cannot_log_in(client):
    person = make_user(active=False)
    assert post_login(client, person.username, PASSWORD).status_code == 422


# --- R12: a session cookie is worthless after logout, password change, disabling -------------


def session_cookie(client):
    return client.get_cookie("wise_session").value


def replay(app, cookie_value, path="/account"):
    other = app.test_client()
    other.set_cookie("wise_session", cookie_value)
    return other.get(path)


def test_cookie_replayed_after_logout_is_refused(app, client, login_as, user):
    login_as(user)
    stolen = session_cookie(client)
    assert replay(app, stolen).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert replay(app, stolen).status_code == 302


def test_logout_ends_the_sessions_on_other_devices_too(app, client, login_as, user):
    login_as(user)
    phone = app.test_client()
    assert post_login(phone, user.username, PASSWORD).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert phone.get("/account").status_code == 302


def test_cookie_replayed_after_password_change_is_refused(app, client, login_as, user):
    login_as(user)
    stolen = session_cookie(client)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a fresh long phrase",
            "confirm": "a fresh long phrase",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 302
    assert replay(app, stolen).status_code == 302
    assert client.get("/account").status_code == 200  # this device stays logged in


def test_cookie_replayed_after_the_account_is_disabled_is_refused(
    app, client, login_as, user, admin
):
    login_as(user)
    stolen = session_cookie(client)
    admin_client = app.test_client()
    assert post_login(admin_client, admin.username, PASSWORD).status_code == 303
    response = admin_client.post(
        f"/accounts/{user.id}/disable", data={"csrf_token": csrf_token(admin_client, "/")}
    )
    assert response.status_code == 302
    assert replay(app, stolen).status_code == 302


def test_forged_session_ids_are_refused(app, user):
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = f"{user.id}:not-the-token"
    assert other.get("/account").status_code == 302
    with other.session_transaction() as session:
        session["_user_id"] = "garbage"
    assert other.get("/account").status_code == 302


# --- R11: CSRF -------------------------------------------------------------------------------


def post_routes(app):
    """Every route that accepts POST, with sample ids: new routes are covered automatically."""
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint != "static":
            values = {arg: 1 for arg in rule.arguments if arg != "token"}
            if "token" in rule.arguments:
                values["token"] = "sometoken"
            yield rule.rule, values


def test_every_post_without_csrf_token_is_refused(app, client, login_as, admin):
    login_as(admin)
    before = db_counts()
    routes = list(post_routes(app))
    assert len(routes) >= 10
    for rule, values in routes:
        path = rule
        for name, value in values.items():
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
        response = client.post(path, data={"locale": "fr", "username": "x", "password": "y"})
        assert response.status_code == 400, path
        response = client.post(path, headers={**HX, "X-CSRFToken": "forged"}, data={})
        assert response.status_code == 400, path
    assert db_counts() == before


def test_another_sessions_csrf_token_is_refused(app, client, user):
    other = app.test_client()
    foreign = csrf_token(other)
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": foreign}
    )
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_csrf_header_works_for_htmx(client, user):
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD},
        headers={**HX, "X-CSRFToken": token},
    )
    assert response.headers["HX-Redirect"] == "/"


def test_get_requests_change_nothing(app, client, login_as, admin):
    login_as(admin)
    target = make_user()
    before = db_counts()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            path = rule.rule
            for arg in rule.arguments:
                path = re.sub(
                    rf"<(?:[a-z]+:)?{arg}>", str(target.id) if arg == "user_id" else "x", path
                )
            assert client.get(path).status_code < 500, path
    assert db_counts() == before


def db_counts():
    from portal.extensions import db

    tables = ["users", "user_roles", "setup_codes", "password_reset_tokens", "outbox_messages"]
    return {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}  # noqa: S608


# --- own account -----------------------------------------------------------------------------


def test_preferences(client, login_as, user):
    login_as(user)
    token = csrf_token(client, "/account")
    response = client.post(
        "/account", data={"locale": "fr", "email": "me@example.org", "csrf_token": token}
    )
    assert response.status_code == 302
    assert user.locale == "fr" and user.email == "me@example.org"
    response = client.post("/account", data={"locale": "xx", "email": "", "csrf_token": token})
    assert response.status_code == 422
    response = client.post(
        "/account", data={"locale": "", "email": "not an address", "csrf_token": token}
    )
    assert response.status_code == 422
    assert user.email == "me@example.org"  # nothing half-saved
    response = client.post("/account", data={"locale": "", "email": "", "csrf_token": token})
    assert response.status_code == 302
    assert user.email is None


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short", "short", "at least 8"),
        ("password", "password", "too common"),
        ("long phrase one", "long phrase two", "not the same"),
    ],
)
def test_password_change_bad_input(client, login_as, user, new, confirm, message):
    login_as(user)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": new,
            "confirm": confirm,
            "csrf_token": csrf_token(client, "/"),
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


# --- setup codes and password reset ----------------------------------------------------------


def test_redeem_a_setup_code(app, client, admin):
    person = make_user(password=None, display_name="Fatou Ndiaye")
    _, plain = services.issue_setup_code(admin, person, app.config)
    page = client.get(f"/setup?code={plain}").get_data(as_text=True)
    assert f'value="{plain}"' in page  # the QR code's link fills the code in
    response = client.post(
        "/setup",
        data={
            "code": plain,
            "new_password": "my garden is green",
            "confirm": "my garden is green",
            "csrf_token": csrf_token(client, "/setup"),
        },
    )
    assert response.status_code == 302
    assert "Fatou Ndiaye" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("code", ["WRONG-CODE-HERE", "x" * 41, "<script>alert(1)</script>"])
def test_redeem_bad_setup_codes(client, code):
    response = client.post(
        "/setup",
        data={
            "code": code,
            "new_password": "my garden is green",
            "confirm": "my garden is green",
            "csrf_token": csrf_token(client, "/setup"),
        },
    )
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_forgot_password_answers_the_same_for_everyone(client, db):
    make_user(username="has.mail", email="has.mail@example.org")
    answers = []
    for identifier in ("has.mail", "nobody"):
        response = client.post(
            "/password/forgot",
            data={"identifier": identifier, "csrf_token": csrf_token(client, "/password/forgot")},
        )
        assert response.status_code == 200
        page = re.sub(r'value="[^"]+"', "", response.get_data(as_text=True))
        # The CSRF token carries a timestamp: two answers a second apart differ there only.
        answers.append(re.sub(r'"X-CSRFToken": "[^"]+"', "", page))
    assert answers[0] == answers[1]
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1
    response = client.post(
        "/password/forgot",
        data={"identifier": "", "csrf_token": csrf_token(client, "/password/forgot")},
    )
    assert response.status_code == 422


def test_reset_link_flow(app, client, db):
    person = make_user(email="reset.me@example.org")
    client.post(
        "/password/forgot",
        data={
            "identifier": "reset.me@example.org",
            "csrf_token": csrf_token(client, "/password/forgot"),
        },
    )
    body = db.session.scalar(sa.select(OutboxMessage.body_text))
    link = re.search(r"http://portal\.test(/password/reset/\S+)", body).group(1)
    assert client.get(link).status_code == 200
    response = client.post(
        link,
        data={
            "new_password": "reset phrase here",
            "confirm": "reset phrase here",
            "csrf_token": csrf_token(client, link),
        },
    )
    assert response.status_code == 302
    assert client.get(link).status_code == 404  # single use
    assert post_login(client, person.username, "reset phrase here").status_code == 303
    assert client.get("/password/reset/unknown-token").status_code == 404


# --- managing accounts -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/accounts", "/accounts/new", "/setup-codes"])
def test_management_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("roles", [{Role.MEMBER}, {Role.BOARD}, {Role.TRAINER}, {Role.COUNSELLOR}])
def test_only_admins_manage_accounts(client, login_as, roles, user):
    login_as(make_user(roles=roles))
    for path in ("/accounts", "/accounts/new", f"/accounts/{user.id}"):
        assert client.get(path).status_code == 403, path
    response = client.post(
        f"/accounts/{user.id}/disable", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 403
    assert user.active


def test_account_list_search_and_fragment(client, login_as, admin):
    make_user(display_name="Zeynep Kaya")
    make_user(display_name="Lukas Schneider")
    login_as(admin)
    page = client.get("/accounts?q=zey").get_data(as_text=True)
    assert "Zeynep Kaya" in page and "Lukas Schneider" not in page
    response = client.get("/accounts?q=zey", headers=HX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="account-results"')
    assert "Zeynep Kaya" in html
    assert "HX-Request" in response.headers["Vary"]
    for query in (
        "?page=abc",
        "?page=-1",
        "?page=99999999999",
        "?role=nonsense",
        "?q=" + "%" * 300,
    ):
        assert client.get("/accounts" + query).status_code == 200, query


def test_account_list_pages_use_a_constant_number_of_queries(app, client, login_as, admin, db):
    from sqlalchemy import event

    login_as(admin)
    statements = []

    def count(*_args):
        statements.append(1)

    def measure():
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/accounts").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    few = measure()
    for number in range(30):
        make_user(roles={Role.MEMBER, Role.BOARD} if number % 2 else {Role.MEMBER})
    assert measure() == few


def test_admin_creates_an_account_without_email(client, login_as, admin, db):
    login_as(admin)
    response = client.post(
        "/accounts/new",
        data={
            "username": "new.worker",
            "display_name": "New Worker",
            "email": "",
            "locale": "fr",
            "roles": ["member"],
            "csrf_token": csrf_token(client, "/accounts/new"),
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(sa.select(User).where(User.username == "new.worker"))
    assert created.locale == "fr" and created.email is None and created.roles == {Role.MEMBER}


@pytest.mark.parametrize(
    "changes",
    [
        {"username": ""},
        {"username": "a b"},
        {"display_name": ""},
        {"display_name": "x" * 121},
        {"email": "nope"},
        {"roles": []},
        {"roles": ["emperor"]},
        {"locale": "de"},
    ],
)
def test_create_account_bad_input(client, login_as, admin, db, changes):
    login_as(admin)
    data = {
        "username": "bad.input",
        "display_name": "Bad Input",
        "email": "",
        "locale": "",
        "roles": ["member"],
    }
    data.update(changes)
    data["csrf_token"] = csrf_token(client, "/accounts/new")
    response = client.post("/accounts/new", data=data)
    assert response.status_code == 422
    assert db.session.scalar(sa.select(User).where(User.username == "bad.input")) is None


def test_names_with_markup_are_shown_as_text(client, login_as, admin):
    person = make_user(display_name='<script>alert("x")</script><img src=x onerror=alert(1)>')
    login_as(admin)
    for path in ("/accounts", f"/accounts/{person.id}", "/setup-codes"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path


def test_admin_edits_roles_and_disables(client, login_as, admin, user):
    login_as(admin)
    token = csrf_token(client, f"/accounts/{user.id}")
    response = client.post(
        f"/accounts/{user.id}",
        data={
            "username": user.username,
            "display_name": "Renamed",
            "email": "",
            "locale": "",
            "roles": ["member", "board"],
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert user.display_name == "Renamed" and user.roles == {Role.MEMBER, Role.BOARD}
    assert (
        client.post(f"/accounts/{user.id}/disable", data={"csrf_token": token}).status_code == 302
    )
    assert not user.active
    assert client.post(f"/accounts/{user.id}/enable", data={"csrf_token": token}).status_code == 302
    assert user.active
    response = client.post(
        f"/accounts/{admin.id}/disable", data={"csrf_token": token}, follow_redirects=True
    )
    assert "cannot disable your own account" in response.get_data(as_text=True)
    assert admin.active


def test_unknown_accounts_are_404(client, login_as, admin):
    login_as(admin)
    assert client.get("/accounts/999999").status_code == 404
    token = csrf_token(client, "/")
    assert client.post("/accounts/999999/disable", data={"csrf_token": token}).status_code == 404
    assert client.post("/accounts/999999/setup-code", data={"csrf_token": token}).status_code == 404


def test_setup_code_sheet_is_a_pdf_with_the_code(app, client, login_as, admin, db):
    person = make_user(username="zeynep.kaya", display_name="Zeynep Kaya", password=None)
    login_as(admin)
    response = client.post(
        f"/accounts/{person.id}/setup-code", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="setup-code-zeynep.kaya.pdf"'
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "zeynep.kaya" in text and "Zeynep Kaya" in text
    code_text = re.search(r"([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", text).group(1)
    found = services.find_setup_code(code_text)
    assert found is not None and found.user_id == person.id
    assert (
        db.session.scalar(
            sa.select(sa.func.count(SetupCode.id)).where(SetupCode.user_id == person.id)
        )
        == 1
    )


def test_counsellor_prints_codes_for_members_only(client, login_as, db):
    counsellor = make_user(roles={Role.COUNSELLOR})
    member = make_user(display_name="Plain Member")
    board = make_user(display_name="Board Person", roles={Role.MEMBER, Role.BOARD})
    login_as(counsellor)
    page = client.get("/setup-codes").get_data(as_text=True)
    assert "Plain Member" in page and "Board Person" not in page
    token = csrf_token(client, "/")
    assert (
        client.post(f"/accounts/{member.id}/setup-code", data={"csrf_token": token}).status_code
        == 200
    )
    assert (
        client.post(f"/accounts/{board.id}/setup-code", data={"csrf_token": token}).status_code
        == 403
    )


def test_members_cannot_print_setup_codes(client, login_as, user):
    login_as(make_user())
    assert client.get("/setup-codes").status_code == 403
    assert (
        client.post(
            f"/accounts/{user.id}/setup-code", data={"csrf_token": csrf_token(client, "/")}
        ).status_code
        == 403
    )
