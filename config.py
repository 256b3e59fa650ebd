"""Configuration by environment: development (default), testing and production.

Every setting can be overridden by an environment variable of the same name; see README.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_PATH", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def public_base_url_problem(url: str) -> str | None:
    """What is wrong with a PUBLIC_BASE_URL (scheme and host, nothing after them), or None."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "give the scheme and host, e.g. https://portal.example.org"
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        return "give only the scheme and host (and port), with nothing after them"
    return None


def development_secret_key() -> str:
    """A per-checkout secret kept in instance/, so sessions survive a restart of `make run`."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 15000)

    SESSION_COOKIE_NAME = "wise_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = _env_int("SESSION_LIFETIME_SECONDS", 12 * 3600)
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; a worker may type slowly
    WTF_CSRF_SSL_STRICT = True
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)

    LANGUAGES = ("en", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("PORTAL_TIMEZONE", "Europe/Paris")
    PORTAL_NAME = os.environ.get("PORTAL_NAME", "WISE Portal")

    # Proxies in front of the app (for X-Forwarded-*); 0 disables ProxyFix.
    PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _env_int("PROXY_FIX_X_PROTO", 0)
    PROXY_FIX_X_HOST = _env_int("PROXY_FIX_X_HOST", 0)

    # Failed logins within LOGIN_WINDOW_SECONDS, counted in the database (every worker sees them):
    # after LOGIN_MAX_FAILURES for one account, that account waits for the window to pass; after
    # LOGIN_MAX_FAILURES_PER_IP from one address (a workplace shares one), passwords from there
    # are checked LOGIN_SLOWDOWN_SECONDS apart (a sooner try is answered at once: wait and try
    # again); a right password is never refused for longer because of the address.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 10)
    LOGIN_MAX_FAILURES_PER_IP = _env_int("LOGIN_MAX_FAILURES_PER_IP", 50)
    LOGIN_SLOWDOWN_SECONDS = _env_int("LOGIN_SLOWDOWN_SECONDS", 2)
    LOGIN_WINDOW_SECONDS = _env_int("LOGIN_WINDOW_SECONDS", 15 * 60)

    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_KIB = _env_int("ARGON2_MEMORY_KIB", 65536)
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 4)

    SETUP_CODE_VALID_DAYS = _env_int("SETUP_CODE_VALID_DAYS", 14)
    PASSWORD_RESET_VALID_MINUTES = _env_int("PASSWORD_RESET_VALID_MINUTES", 60)

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "portal@localhost")
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 20)
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 10)

    # Absolute base URL for links in e-mails and printed QR codes, e.g. https://portal.example.org
    # (portal.core.urls.public_url). Required in production: links never come from the request's
    # Host header, which anyone can forge.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    # Integration records are anonymised this many months after the pathway's exit date
    # (`flask integration purge`, to run daily); the team is warned this many days before.
    INTEGRATION_RETENTION_MONTHS = _env_int("INTEGRATION_RETENTION_MONTHS", 24)
    INTEGRATION_PURGE_WARNING_DAYS = _env_int("INTEGRATION_PURGE_WARNING_DAYS", 30)

    # A worker's counsellors are told when they miss this many programme sessions in a row
    # (`flask programmes absences`, and when a roll-call is saved).
    PROGRAMME_ABSENCE_ALERT_AFTER = _env_int("PROGRAMME_ABSENCE_ALERT_AFTER", 3)
    # The signatures of attendance sheets (images, scanned paper sheets) are kept this many years
    # after the session, as funders require, then removed by the same daily purge.
    SIGNATURE_RETENTION_YEARS = _env_int("SIGNATURE_RETENTION_YEARS", 6)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    @staticmethod
    def finalise(settings: dict) -> None:
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = development_secret_key()


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    )
    PUBLIC_BASE_URL = "http://portal.test"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 2  # nothing listens there: tests that send mail bring their own server
    MAIL_TIMEOUT_SECONDS = 2
    # argon2id still, at a cost that keeps the suite fast; production keeps the strong default.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    ARGON2_PARALLELISM = 1
    LOGIN_SLOWDOWN_SECONDS = 0  # tests that check the slow-down set it themselves

    @staticmethod
    def finalise(settings: dict) -> None:
        return None


class ProductionConfig(Config):
    ENV_NAME = "production"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("DATABASE_URL", ""))
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @staticmethod
    def finalise(settings: dict) -> None:
        """Refuse to start without the settings that have no safe default."""
        missing = [
            env_name
            for env_name, key in (
                ("SECRET_KEY", "SECRET_KEY"),
                ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
                ("PUBLIC_BASE_URL", "PUBLIC_BASE_URL"),
            )
            if not settings.get(key)
        ]
        if missing:
            raise RuntimeError(
                "Production needs these environment variables: "
                + ", ".join(missing)
                + (
                    " (PUBLIC_BASE_URL is the portal's public address, e.g."
                    " https://portal.example.org: links in e-mails and printed sheets use it)"
                    if "PUBLIC_BASE_URL" in missing
                    else ""
                )
            )
        problem = public_base_url_problem(settings["PUBLIC_BASE_URL"])
        if problem:
            raise RuntimeError(f"PUBLIC_BASE_URL {settings['PUBLIC_BASE_URL']!r}: {problem}")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
