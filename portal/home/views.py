"""Home page, language switch, site search, the audit log view and the health check."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import abort, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.core.htmx import render
from portal.core.i18n import available_languages
from portal.core.paging import paginate
from portal.core.search import search as run_search
from portal.core.security import Permission, require
from portal.core.urls import safe_next
from portal.core.viewhelpers import int_arg
from portal.extensions import db
from portal.home import bp

AUDIT_PAGE_SIZE = 50
# Dates the audit filters accept: any later one would overflow the day after it (9999-12-31).
FIRST_FILTER_DAY, LAST_FILTER_DAY = date(1900, 1, 1), date(2999, 12, 31)


@bp.route("/")
def index():
    from portal.content.services import latest_news

    return render("home/index.html", news=latest_news(current_user))


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch language; saved on the account when logged in, else in the session."""
    locale = request.form.get("locale", "")
    if locale not in available_languages():
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale  # the redirect (3xx) commits it: core.lifecycle
    return redirect(safe_next(request.form.get("next"), url_for("home.index")), code=303)


@bp.route("/search")
def search():
    query = request.args.get("q", "").strip()[:200]
    results = run_search(current_user, query, page=int_arg("page")) if query else None
    live = request.headers.get("HX-Target") == "header-search-results"  # the box in the header
    fragment = "home/_search_live.html" if live else "home/_search_results.html"
    return render("home/search.html", fragment=fragment, query=query, results=results)


def _date(name: str, label: str, problems: list[str]) -> date | None:
    """The date filter `name`, or None; a date that is not one, or out of range, is left out and
    said so in `problems` (never a 500: 9999-12-31 would overflow the day after it)."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    day = None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            day = None
    if day is None or not FIRST_FILTER_DAY <= day <= LAST_FILTER_DAY:
        problems.append(
            _(
                "The date in “%(field)s” is not right, so it is not used."
                " Choose a real day between the years %(first)d and %(last)d.",
                field=label,
                first=FIRST_FILTER_DAY.year,
                last=LAST_FILTER_DAY.year,
            )
        )
        return None
    return day


@bp.route("/audit")
@login_required
def audit_log():
    require(current_user, Permission.VIEW_AUDIT_LOG)
    who = request.args.get("who", "").strip().lower()[:60]
    what = request.args.get("what", "").strip()[:60]
    problems: list[str] = []
    since = _date("since", _("From (date)"), problems)
    until = _date("until", _("Until (date)"), problems)
    query = sa.select(AuditEntry)
    if who:
        query = query.where(AuditEntry.actor_name == who)
    if what:
        query = query.where(AuditEntry.action.startswith(what, autoescape=True))
    if since:
        query = query.where(
            AuditEntry.created_at >= datetime.combine(since, time(), tzinfo=utcnow().tzinfo)
        )
    if until:
        query = query.where(
            AuditEntry.created_at
            < datetime.combine(until + timedelta(days=1), time(), tzinfo=utcnow().tzinfo)
        )
    shown = paginate(query, int_arg("page"), AUDIT_PAGE_SIZE, AuditEntry.id.desc())
    entries, total, page, pages = shown.items, shown.total, shown.number, shown.pages
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    return render(
        "home/audit.html",
        fragment="home/_audit_results.html",
        status=422 if problems else 200,  # a filter not used: said, with what it could find
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        actions=actions,
        problems=problems,
        filters={
            "who": who,
            "what": what,
            "since": request.args.get("since", "") if since else "",
            "until": request.args.get("until", "") if until else "",
        },
    )


@bp.route("/healthz")
def health():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
