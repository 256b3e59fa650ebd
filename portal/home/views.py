"""Home page, language switch and health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, request, session, url_for
from flask_login import current_user

from portal.core.htmx import render
from portal.core.i18n import available_languages
from portal.core.urls import safe_next
from portal.extensions import db
from portal.home import bp


@bp.route("/")
def index():
    return render("home/index.html")


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch language; saved on the account when logged in, else in the session."""
    locale = request.form.get("locale", "")
    if locale not in available_languages():
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("home.index")), code=303)


@bp.route("/healthz")
def health():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
