"""The htmx contract: one URL serves the page or its fragment."""

from __future__ import annotations

from flask import make_response, render_template, request


def is_htmx() -> bool:
    """True when htmx sent the request (and not a history restore, which wants the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, /, fragment: str | None = None, status: int = 200, **context):
    """Render `fragment` for htmx requests and `page` otherwise; always `Vary: HX-Request`."""
    template = fragment if fragment and is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def hx_redirect(location: str):
    """Redirect that works both for htmx (HX-Redirect) and for plain form posts (303)."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = location
    else:
        response = make_response("", 303)
        response.headers["Location"] = location
    response.vary.add("HX-Request")
    return response
