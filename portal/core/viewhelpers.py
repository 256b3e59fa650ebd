"""Small helpers every domain's views share: the acting user, query arguments, form errors."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from portal.core.errors import DomainError

MAX_ID = 2**31 - 1  # ids in forms and query strings beyond an id column's range: no such row


def acting_user():
    """The logged-in user itself, not Flask-Login's proxy (services keep and compare it)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def int_arg(name: str, default: int = 1) -> int:
    """A positive integer query argument; anything else (text, 0, huge) gives `default`."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and 0 < int(value) < 10**6 else default


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
