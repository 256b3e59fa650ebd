"""Integration records: each worker's pathway beside their participation — the follow-up team,
goals, support actions, skills, barriers, exit — with the read journal, the member's own view,
their data export, the anonymisation after exit and aggregate reports."""

import importlib
import importlib.util

from flask import Blueprint

bp = Blueprint("integration", __name__, url_prefix="/integration")

from portal.integration import models  # noqa: E402,F401

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
