"""Security headers (R17), request ids, error pages (R16), the htmx render helper."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from portal import create_app
from portal.core.htmx import render
from tests.conftest import csrf_token
from tests.factories import make_user

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def assert_security_headers(response, logged_in: bool):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers.get("X-Request-ID")
    if logged_in:
        assert "no-store" in response.headers["Cache-Control"]


def test_headers_on_pages_fragments_errors_and_downloads(client, login_as, admin):
    assert_security_headers(client.get("/login"), logged_in=False)
    login_as(admin)
    person = make_user(password=None)
    responses = {
        "page": client.get("/"),
        "fragment": client.get("/accounts?q=a", headers={"HX-Request": "true"}),
        "404": client.get("/no/such/page"),
        "403 fragment": client.get("/accounts/999999/nothing", headers={"HX-Request": "true"}),
        "405": client.get("/logout"),
        "download": client.post(
            f"/accounts/{person.id}/setup-code", data={"csrf_token": csrf_token(client, "/")}
        ),
    }
    assert responses["download"].mimetype == "application/pdf"
    for name, response in responses.items():
        assert_security_headers(response, logged_in=True), name


def test_static_files_are_served_locally_and_cacheable(client):
    html = client.get("/login").get_data(as_text=True)
    assert "https://" not in html.split("<body")[0]  # no CDN in the head
    assert "/static/vendor/htmx-2.0.11.min.js" in html
    response = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_request_id_is_in_the_header_and_in_every_log_line(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/login", headers={"X-Request-ID": "abcdef123456"})
    assert response.headers["X-Request-ID"] == "abcdef123456"
    response = client.get("/login", headers={"X-Request-ID": "bad id <with> spaces"})
    assert response.headers["X-Request-ID"] != "bad id <with> spaces"
    assert len(response.headers["X-Request-ID"]) == 32


def test_request_id_appears_in_formatted_log_lines(app, client, capfd):
    from portal.core.web import LOG_FORMAT, RequestIdFilter

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)
    try:
        client.post("/login", data={"username": "x", "password": "y"})  # CSRF failure is logged
    finally:
        logging.getLogger().removeHandler(handler)
    assert any("[" in line and "CSRF" in line for line in records)
    line = next(line for line in records if "CSRF" in line)
    request_id = line.split("[", 1)[1].split("]", 1)[0]
    assert len(request_id) == 32


def test_error_pages_and_fragments(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    response = client.get("/no/such/page", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="error"')
    assert "HX-Request" in response.headers["Vary"]
    response = client.post("/language", data={"locale": "fr"})  # no CSRF token
    assert response.status_code == 400


def test_render_serves_page_or_fragment(app):
    with app.test_request_context("/", headers={"HX-Request": "true"}):
        response = render(
            "errors/error.html",
            fragment="errors/_error.html",
            error_status=404,
            error_title="T",
            error_message="M",
            request_id=None,
        )
        assert response.get_data(as_text=True).lstrip().startswith('<section id="error"')
        assert "HX-Request" in response.vary
    with app.test_request_context(
        "/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    ):
        response = render(
            "errors/error.html",
            fragment="errors/_error.html",
            error_status=404,
            error_title="T",
            error_message="M",
            request_id=None,
        )
        assert "<html" in response.get_data(as_text=True)
    with app.test_request_context("/"):
        response = render(
            "errors/error.html",
            fragment="errors/_error.html",
            status=404,
            error_status=404,
            error_title="T",
            error_message="M",
            request_id=None,
        )
        assert "<html" in response.get_data(as_text=True)
        assert response.status_code == 404
        assert "HX-Request" in response.vary


# --- R16: production errors ------------------------------------------------------------------


def production_app(tmp_path) -> Flask:
    return create_app(
        "production",
        {
            "SECRET_KEY": "a-production-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "PUBLIC_BASE_URL": "https://portal.example.org",
        },
    )


def test_production_error_is_generic_with_a_request_id(tmp_path, caplog):
    app = production_app(tmp_path)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail: password=hunter2")

    caplog.set_level(logging.ERROR)
    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "Traceback" not in html and "hunter2" not in html and "RuntimeError" not in html
    request_id = response.headers["X-Request-ID"]
    assert request_id in html
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and logged[0].request_id == request_id
    assert logged[0].exc_info is not None  # the traceback goes to the log, not the page
    assert_security_headers(response, logged_in=False)


def test_production_cookies_are_secure(tmp_path):
    app = production_app(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.debug is False
    response = app.test_client().get("/login", base_url="https://portal.example.org")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SQLALCHEMY_DATABASE_URI"])
def test_production_refuses_to_start_without_its_settings(tmp_path, missing):
    settings = {
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        "PUBLIC_BASE_URL": "https://portal.example.org",
    }
    settings[missing] = ""
    with pytest.raises(
        RuntimeError, match="SECRET_KEY" if missing == "SECRET_KEY" else "DATABASE_URL"
    ):
        create_app("production", settings)


def test_production_refuses_to_start_from_the_environment(tmp_path):
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "PORTAL_ENV": "production",
        "PORTAL_INSTANCE_PATH": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "DATABASE_URL" in result.stderr


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="PORTAL_ENV"):
        create_app("staging")


def test_proxy_fix_is_configurable(tmp_path):
    plain = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    proxied = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'b.db'}",
            "PROXY_FIX_X_FOR": 1,
            "PROXY_FIX_X_PROTO": 1,
        },
    )
    for app, expected in ((plain, "127.0.0.1"), (proxied, "203.0.113.7")):
        with app.test_request_context("/"):
            pass

        @app.route("/ip")
        def ip():
            from flask import request

            return request.remote_addr

        response = app.test_client().get("/ip", headers={"X-Forwarded-For": "203.0.113.7"})
        assert response.get_data(as_text=True) == expected


def test_control_characters_are_taken_out_of_forms_and_queries(app, client):
    """PostgreSQL refuses NUL in text: a forged or pasted one must not reach a query (a 500)."""
    response = client.get("/search?q=van%00%1b")
    assert response.status_code == 200
    with app.test_request_context("/x?q=a%00b&tab=a%09b", method="POST", data={"t": "l\x00i\nne"}):
        app.preprocess_request()
        from flask import request

        assert request.args["q"] == "ab" and request.args["tab"] == "a\tb"
        assert request.form["t"] == "li\nne"
