"""The membership register and governing bodies: who may vote where, and with what weight."""

from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/members")
bodies_bp = Blueprint("bodies", __name__, url_prefix="/bodies")

from portal.members import models, views, views_bodies, views_csv  # noqa: E402,F401
