"""One request lifecycle: the request's transaction is committed in one place, after the view
succeeded, and rolled back otherwise.

How a view is written (see docs/architecture.md):

    form = MeetingForm()
    if form.validate_on_submit():
        meeting = attempt(form, services.create_meeting, acting_user(), _data(form))
        if meeting is not REFUSED:
            flash(...)
            return redirect(...)          # 3xx: the lifecycle commits
    return render(..., status=422 if form.is_submitted() else 200, form=form)   # 4xx: rolls back

- **Commit**: after a response below 400 (200, 3xx), the lifecycle commits. A response of 400 or
  more, or an exception, rolls everything back. Views never call `db.session.commit()`.
- **Refusals**: `attempt(form, service, ...)` runs one service in a savepoint. A `DomainError`
  that concerns the form (status 422) is rolled back to before the call and shown next to its
  field; any other kind (`NotAllowed` 403, `NotFound` 404, `Conflict` 409) is re-raised and the
  global handler in `core.errors` answers it (page, htmx fragment or JSON).
- **Writes that must survive a refusal** (a read journal, a failed login counted for the
  throttle): `keep_even_if_refused(fn)`; `fn()` runs after the rollback, in a short write of its
  own.
- **Short writes after a read** (an export that audits who downloaded it): `write_after(fn)`;
  `fn()` runs once the response is ready. On SQLite the read transaction is ended first and the
  write waits for the write lock (BEGIN IMMEDIATE), so a GET never holds the lock while it renders
  a PDF and never fails with "database is locked" when someone else writes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, g, has_request_context

from portal.core.db import reset_sqlite_begin, set_sqlite_read_only
from portal.core.errors import DomainError
from portal.core.viewhelpers import form_error
from portal.extensions import db

log = logging.getLogger(__name__)


class _Refused:
    """What `attempt` gives back when the service refused (falsy, unlike any real result)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "REFUSED"


REFUSED: Any = _Refused()

# Statuses a form shows next to its fields; other refusals become the error page.
FORM_STATUSES = frozenset({422})


def attempt(form, service: Callable, /, *args, **kwargs):
    """Call one service for `form` in a savepoint: its result, or `REFUSED` with the refusal
    shown on the form (and nothing of the call kept). Refusals that are not about the form's
    input (403, 404, 409, 429) are raised again for the global handler."""
    try:
        with db.session.begin_nested():
            return service(*args, **kwargs)
    except DomainError as error:
        if error.status_code not in FORM_STATUSES or form is None:
            raise
        form_error(form, error)
        return REFUSED


def write_after(fn: Callable[[], Any]) -> None:
    """Run `fn()` at the end of a successful request, in a short write of its own."""
    g.setdefault("_writes_after", []).append(fn)


def keep_even_if_refused(fn: Callable[[], Any]) -> None:
    """Run `fn()` at the end of the request whatever its answer, in a short write of its own
    (after the rest of a refused request was rolled back)."""
    g.setdefault("_writes_always", []).append(fn)


def _short_write(functions: list[Callable[[], Any]]) -> None:
    """End the current transaction, then run `functions` in one write transaction and commit.
    On SQLite the write waits for the lock (BEGIN IMMEDIATE) instead of failing."""
    token = set_sqlite_read_only(False)
    try:
        for fn in functions:
            fn()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        with contextlib.suppress(ValueError):
            reset_sqlite_begin(token)


def finish(response):
    """Commit after a success, roll back otherwise; then the short writes (see the module)."""
    after = g.pop("_writes_after", []) if has_request_context() else []
    always = g.pop("_writes_always", []) if has_request_context() else []
    if response.status_code < 400 and not g.get("read_only_request"):
        try:
            for fn in after:
                fn()
            for fn in always:
                fn()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return response
    # A read (or a refusal): end the read transaction, then write what must be written on its
    # own, so a GET holds no write lock while it renders and waits for it when it writes.
    db.session.rollback()
    if response.status_code < 400:
        always = [*after, *always]
    if always:
        _short_write(always)
    return response


def init_lifecycle(app: Flask) -> None:
    """Install the commit point: after every request, before the security headers."""

    @app.after_request
    def _finish(response):
        return finish(response)

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()
