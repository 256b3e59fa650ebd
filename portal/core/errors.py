"""Domain errors and the global error handlers (translated pages and htmx fragments)."""

from __future__ import annotations

import json
import logging

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.core.htmx import render

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule said no. Carries a translated, user-facing message and an HTTP status."""

    status_code = 422

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


# A field's input is not acceptable: DomainError itself (status 422, `field` names the input).
BadField = DomainError


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, message, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


ERROR_TEXTS = {
    400: (
        _l("This request could not be read"),
        _l("Something in the form was not right. Go back and try again."),
    ),
    403: (
        _l("You cannot do this"),
        _l(
            "Your account does not have the right to do this. Ask an administrator if you think it should."
        ),
    ),
    404: (_l("Page not found"), _l("This page does not exist, or you cannot see it.")),
    405: (
        _l("This request could not be read"),
        _l("This address does not accept this kind of request."),
    ),
    409: (
        _l("Someone else changed this"),
        _l("Someone saved a change before you. Look at their change, then try again."),
    ),
    413: (_l("The file is too big"), _l("The file you sent is too big. Send a smaller file.")),
    422: (
        _l("Please check the form"),
        _l("Some answers are missing or not right. Look at the messages and try again."),
    ),
    429: (
        _l("Too many tries"),
        _l("You tried too many times. Wait a few minutes, then try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "This is our fault, not yours. Try again in a moment. If it happens again, give this reference to an administrator."
        ),
    ),
}


def wants_json() -> bool:
    """True for machine clients: the API's addresses, or a request that asks for JSON only."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, message=None, field: str | None = None):
    known = status if status in ERROR_TEXTS else (500 if status >= 500 else 400)
    title, default_message = ERROR_TEXTS[known]
    if wants_json():
        body = {"status": status, "title": str(title), "message": str(message or default_message)}
        if field:
            body["field"] = field
        if g.get("request_id"):
            body["request_id"] = g.request_id
        return current_app.response_class(
            json.dumps(body, ensure_ascii=False), status, mimetype="application/json"
        )
    if g.get("rendering_error"):  # the error page itself failed: answer in plain text
        return current_app.response_class(
            f"Error {status}. Reference: {g.get('request_id', '-')}\n",
            status,
            mimetype="text/plain",
        )
    g.rendering_error = True
    response = render(
        "errors/error.html",
        fragment="errors/_error.html",
        status=status,
        error_status=status,
        error_title=title,
        error_message=message or default_message,
        request_id=g.get("request_id"),
    )
    g.rendering_error = False
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        log.warning(
            "CSRF check failed on %s %s: %s", request.method, request.path, error.description
        )
        return error_response(
            400,
            _l(
                "This form has expired or did not come from this site. Reload the page and try again."
            ),
        )

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        response = error_response(error.status_code, error.message, error.field)
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        response = error_response(error.code or 500)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return handle_http(error)
        # The endpoint, not the path: a path may carry a secret (a calendar feed's token).
        log.exception("Unhandled error on %s %s", request.method, request.endpoint or "-")
        from portal.extensions import db

        db.session.rollback()
        return error_response(500)
