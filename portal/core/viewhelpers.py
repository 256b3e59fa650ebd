"""Small helpers every domain's views share: the acting user, query arguments, loading a row or
an item by its id (404), form errors."""

from __future__ import annotations

import re

from flask import abort, request
from flask_login import current_user

from portal.core.db import MAX_ID
from portal.core.errors import DomainError
from portal.core.security import Permission, can, require
from portal.extensions import db

__all__ = [
    "MAX_ID",
    "acting_user",
    "form_error",
    "int_arg",
    "item_or_404",
    "like_pattern",
    "row_or_404",
    "whole_number",
]
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def whole_number(text, highest: int = MAX_ID) -> int | None:
    """`text` as a whole number from 0 to `highest`, else None.

    Only ASCII digits: `str.isdigit()` also accepts "²" or "①", which `int()` refuses (a 500),
    and a 5,000-digit string that `int()` refuses too.
    """
    if not isinstance(text, str) or not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= highest else None


def acting_user():
    """The logged-in user itself, not Flask-Login's proxy (services keep and compare it)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def int_arg(name: str, default: int = 1) -> int:
    """A positive integer query argument; anything else (text, 0, huge) gives `default`."""
    value = whole_number(request.args.get(name, ""), 10**6 - 1)
    return value if value else default


def row_or_404(model, row_id: int | None, **belongs):
    """The row of `model` with this id, else 404 (ids beyond an id column's range too).

    `belongs` names the parent it must have, e.g. `meeting_id=meeting.id`: an agenda item of
    another meeting does not exist on this meeting's pages."""
    row = db.session.get(model, row_id) if row_id and 0 < row_id <= MAX_ID else None
    if row is None or any(getattr(row, name) != value for name, value in belongs.items()):
        abort(404)
    return row


def item_or_404(
    model,
    item_id: int,
    permission: Permission = Permission.VIEW,
    *,
    seen_with: Permission = Permission.VIEW,
):
    """Load an item the viewer may see (`seen_with`); items they may not see do not exist for
    them (404). Then require `permission` on it (403)."""
    item = db.session.get(model, item_id) if 0 < item_id <= MAX_ID else None
    if item is None or not can(current_user, seen_with, item):
        abort(404)
    if permission is not seen_with:
        require(current_user, permission, item)
    return item


def like_pattern(text: str) -> str:
    """`%text%` for a case-insensitive LIKE with `escape="\\\\"`: the user's % and _ are literal."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def form_error(form, error: DomainError) -> None:
    """Show a service's refusal next to the field it concerns, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))
