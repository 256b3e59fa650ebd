"""Small helpers every domain's views share: the acting user, query arguments, form errors."""

from __future__ import annotations

import re

from flask import request
from flask_login import current_user

from portal.core.errors import DomainError

MAX_ID = 2**31 - 1  # ids in forms and query strings beyond an id column's range: no such row
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
