"""Integration records: each worker's pathway beside their participation — the follow-up team,
goals, support actions, skills, barriers, exit — with the read journal, the member's own view,
their data export, the anonymisation after exit and aggregate reports."""

from flask import Blueprint, g

bp = Blueprint("integration", __name__, url_prefix="/integration")

from portal.integration import journal, models, policies  # noqa: E402,F401

# Reads of this blueprint journal who read what, without writing while they read: the journal's
# rows are written once the answer is ready, in a short write of their own (see `journal`).


@bp.app_template_global()
def integration_links(user) -> dict[str, bool]:
    """Which integration entries this user is shown (the menu, the pathways page).

    "My pathway" is for people who have one (one indexed query, once per request); the team's
    list for counsellors, trainers and administrators, which links to the figures and settings;
    the figures have their own menu entry only for board members without that list.
    """
    if not getattr(user, "is_authenticated", False):
        return {"mine": False, "people": False, "reports": False, "configure": False}
    cache = g.setdefault("_integration_links", {})
    if user.id not in cache:
        roles = set(user.roles)
        people = bool(roles & {"counsellor", "trainer", "admin"})
        cache[user.id] = {
            "mine": policies.has_own_pathway(user),
            "people": people,
            "reports": policies.can_view_reports(user),
            "reports_in_menu": policies.can_view_reports(user) and not people,
            "configure": policies.can_configure(user),
        }
    return cache[user.id]


# The routes, and the record page's sections each module registers.
from portal.integration import (  # noqa: E402,F401
    participation,
    rectification,
    views,
    views_content,
    views_export,
    views_mine,
    views_print,
    views_reports,
    views_settings,
)
