"""WISE Portal: the application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, INSTANCE_DIR


def create_app(config_name: str | None = None, overrides: Mapping | None = None) -> Flask:
    """Build the app for `config_name` (development, testing, production; default from
    PORTAL_ENV, else development), with `overrides` applied last."""
    config_name = config_name or os.environ.get("PORTAL_ENV", "development")
    if config_name not in CONFIGS:
        raise RuntimeError(f"Unknown PORTAL_ENV {config_name!r}; use one of {sorted(CONFIGS)}")
    config_class = CONFIGS[config_name]
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(root / "templates"),
        static_folder="static",
    )
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)
    config_class.finalise(app.config)
    if (
        app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
        and config_name == "development"
    ):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if any(app.config[k] for k in ("PROXY_FIX_X_FOR", "PROXY_FIX_X_PROTO", "PROXY_FIX_X_HOST")):
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=app.config["PROXY_FIX_X_FOR"],
            x_proto=app.config["PROXY_FIX_X_PROTO"],
            x_host=app.config["PROXY_FIX_X_HOST"],
        )

    from portal.core.urls import IdConverter

    app.url_map.converters["int"] = IdConverter  # ids beyond the column's range: 404
    _init_extensions(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from portal.core import db as core_db
    from portal.core import web
    from portal.core.i18n import select_locale
    from portal.extensions import babel, csrf, db, login_manager, migrate

    web.configure_logging(app)
    web.init_request_hooks(app)  # first: every later hook (CSRF) logs with the request id
    db.init_app(app)
    with app.app_context():
        core_db.configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
        render_as_batch=True,
    )
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from portal.core.lifecycle import init_lifecycle
    from portal.core.templating import init_templating

    init_lifecycle(app)  # after the request hooks: it runs before the security headers

    init_templating(app)


def _register_blueprints(app: Flask) -> None:
    from portal.accounts import bp as accounts_bp
    from portal.content import bp as content_bp
    from portal.core.cli import portal_cli
    from portal.core.errors import register_error_handlers
    from portal.home import bp as home_bp
    from portal.integration import bp as integration_bp
    from portal.integration.cli import integration_cli
    from portal.meetings import bp as meetings_bp
    from portal.members import bodies_bp
    from portal.members import bp as members_bp
    from portal.members.cli import members_cli
    from portal.programmes import bp as programmes_bp
    from portal.programmes.cli import programmes_cli
    from portal.proposals import bp as proposals_bp
    from portal.voting import bp as voting_bp
    from portal.voting.cli import polls_cli

    app.register_blueprint(home_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(content_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(bodies_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(voting_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(integration_bp)
    app.register_blueprint(programmes_bp)
    register_error_handlers(app)
    _connect_domains()

    from portal import demo  # noqa: F401  (adds `flask portal demo`)

    app.cli.add_command(portal_cli)
    app.cli.add_command(members_cli)
    app.cli.add_command(polls_cli)
    app.cli.add_command(integration_cli)
    app.cli.add_command(programmes_cli)


# The domains that listen to others' signals or register with the core's registries
# (participation sources, parts of a person's data export, report figures): in order, each
# after the domains it depends on. Adding a domain adds its name here.
CONNECTED_DOMAINS = ("members", "voting", "proposals", "meetings", "programmes")


def _connect_domains() -> None:
    """Import each domain's `signals` (its receivers connect) and `contributions` (it registers
    with the core), so both are in place before the first request or command."""
    import importlib

    for name in CONNECTED_DOMAINS:
        for module in ("signals", "contributions"):
            try:
                importlib.import_module(f"portal.{name}.{module}")
            except ModuleNotFoundError as error:
                if error.name != f"portal.{name}.{module}":
                    raise
