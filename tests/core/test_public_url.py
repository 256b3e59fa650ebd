"""Absolute links for outside the site come from PUBLIC_BASE_URL, never from the Host header."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.core.outbox import OutboxMessage
from portal.core.urls import public_base_url, public_url
from tests.factories import make_user

EVIL = {"Host": "evil.example"}


def _production_settings(tmp_path, **changes):
    settings = {
        "SECRET_KEY": "a-production-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        "PUBLIC_BASE_URL": "https://portal.example.org",
    }
    settings.update(changes)
    return settings


def test_production_refuses_to_start_without_a_public_base_url(tmp_path):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app("production", _production_settings(tmp_path, PUBLIC_BASE_URL=None))
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app("production", _production_settings(tmp_path, PUBLIC_BASE_URL=""))


@pytest.mark.parametrize(
    "url", ["portal.example.org", "ftp://portal.example.org", "https://", "https://x.org/a?b=1"]
)
def test_production_refuses_a_public_base_url_that_is_not_an_address(tmp_path, url):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app("production", _production_settings(tmp_path, PUBLIC_BASE_URL=url))


def test_production_from_the_environment_names_the_missing_public_base_url(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "PORTAL_ENV": "production",
        "PORTAL_INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "a-production-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL" in result.stderr
    assert "SECRET_KEY" not in result.stderr.split("RuntimeError", 1)[-1]


def test_production_links_ignore_the_host_header(tmp_path):
    app = create_app("production", _production_settings(tmp_path, PUBLIC_BASE_URL="https://w.org/"))
    with app.test_request_context("/password/forgot", headers=EVIL):
        assert public_base_url() == "https://w.org"
        assert public_url("accounts.redeem_setup_code") == "https://w.org/setup"
        # Even if the setting were emptied at run time, production never falls back to the Host.
        app.config["PUBLIC_BASE_URL"] = None
        with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
            public_url("accounts.redeem_setup_code")


@pytest.mark.options(public_base_url=None)
def test_development_and_tests_may_fall_back_to_the_request_address(app):
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert public_url("accounts.login") == "http://127.0.0.1:5000/login"


@pytest.mark.options(env_name="production", public_base_url="https://portal.example.org")
def test_forgot_password_link_uses_the_public_address_not_the_host_header(client, db):
    """Production-like settings: the mailed link starts with PUBLIC_BASE_URL whatever Host says."""
    make_user(username="host.victim", email="host.victim@example.org")
    # The attacker's whole visit goes to Host: evil.example (the cookie is kept for that host).
    page = client.get("/password/forgot", headers=EVIL).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/password/forgot",
        data={"identifier": "host.victim", "csrf_token": token},
        headers=EVIL,
    )
    assert response.status_code == 200
    body = db.session.scalar(sa.select(OutboxMessage.body_text))
    links = re.findall(r"https?://\S+", body)
    assert links, body
    assert all(link.startswith("https://portal.example.org/password/reset/") for link in links)
    assert "evil.example" not in body


def test_only_core_urls_reads_the_request_address():
    """`request.host_url`, `url_root`, `host` and `_external=True` all come from the Host header:
    only `core.urls.public_base_url` may read it (its development fallback). PDFs resolve their
    links against the public address too (WeasyPrint's base_url)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"\b(host_url|url_root|request\.host\b|_external\s*=)")
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("portal", "templates")
        for path in sorted((root / folder).rglob("*"))
        if path.suffix in (".py", ".html", ".txt") and path.name != "urls.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []
