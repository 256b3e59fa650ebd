"""Integration records: each worker's pathway beside their participation — the follow-up team,
goals, support actions, skills, barriers, exit — with the read journal, the member's own view,
their data export, the anonymisation after exit and aggregate reports."""

import importlib
import importlib.util

from flask import Blueprint

bp = Blueprint("integration", __name__, url_prefix="/integration")

from portal.integration import models, policies  # noqa: E402,F401


@bp.app_template_global()
def integration_links(user) -> dict[str, bool]:
    """Which integration entries the menu shows this user (no query: roles only)."""
    roles = set(getattr(user, "roles", ())) if getattr(user, "is_authenticated", False) else set()
    return {
        "mine": "member" in roles,
        "people": bool(roles & {"counsellor", "trainer", "admin"}),
        "reports": policies.can_view_reports(user),
    }


# Modules still being written are imported when present (made explicit once they all exist).
for _name in (
    "views",
    "views_content",
    "views_settings",
    "participation",
    "views_mine",
    "views_export",
    "views_reports",
    "cli",
):
    if importlib.util.find_spec(f"portal.integration.{_name}") is not None:
        importlib.import_module(f"portal.integration.{_name}")
