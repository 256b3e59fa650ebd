"""The request lifecycle (portal/core/lifecycle.py): one commit point after a success, a rollback
after any refusal or error, a service's refusal undone to before the call, short writes after a
read, writes kept after a refusal, and DomainErrors answered in one place (page or JSON).

The routes are a small blueprint on a second app that shares the suite's database, so the rows
they write are really committed (or not) and read back through a separate connection.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Blueprint, g
from flask_wtf import FlaskForm
from wtforms import StringField

from portal import create_app
from portal.core.errors import Conflict, DomainError, NotAllowed
from portal.core.lifecycle import REFUSED, attempt, keep_even_if_refused, write_after
from portal.extensions import db as _db

PROBE = sa.Table(
    "lifecycle_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", sa.String(40)),
)


def _add(note: str) -> None:
    _db.session.execute(sa.insert(PROBE).values(note=note))


def _refuse_after_adding(note: str, error: DomainError):
    _add(note)
    raise error


class NoteForm(FlaskForm):
    note = StringField()


probe = Blueprint("probe", __name__)


@probe.post("/probe/ok")
def ok():
    _add("ok")
    return "saved", 200


@probe.post("/probe/redirect")
def redirected():
    _add("redirect")
    return "", 303, {"Location": "/"}


@probe.post("/probe/form")
def form_view():
    form = NoteForm()
    _add("before the service")
    result = attempt(form, _refuse_after_adding, "inside the service", DomainError("No.", "note"))
    assert result is REFUSED and not result
    assert form.note.errors == ["No."]
    return "the form again", 422


@probe.post("/probe/form-then-ok")
def form_then_ok():
    """A view that answers 200 after a refusal keeps what came before the call, never the call."""
    form = NoteForm()
    _add("before the service")
    attempt(form, _refuse_after_adding, "inside the service", DomainError("No.", "note"))
    return "shown", 200


@probe.post("/probe/attempt-ok")
def attempt_ok():
    result = attempt(NoteForm(), lambda: _add("by the service") or 42)
    return str(result), 200


@probe.post("/probe/forbidden")
def forbidden():
    attempt(NoteForm(), _refuse_after_adding, "forbidden", NotAllowed("Not you."))
    return "never", 200


@probe.post("/probe/conflict")
def conflict():
    _add("conflict")
    raise Conflict("Someone else saved first.")


@probe.post("/probe/crash")
def crash():
    _add("crash")
    raise RuntimeError("boom")


@probe.post("/probe/kept")
def kept():
    _add("rolled back")
    keep_even_if_refused(lambda: _add("kept"))
    raise NotAllowed("Not you.")


@probe.get("/probe/read")
def read():
    _add("written by a read")  # a GET commits nothing of its own
    return "read", 200


@probe.get("/probe/read-then-write")
def read_then_write():
    write_after(lambda: _add(f"after {g.rendered}"))
    g.rendered = "rendering"  # the write runs once the response is ready
    return "read", 200


@probe.get("/api/v1/probe")
def api_refusal():
    raise DomainError("The date is not right.", "day")


@pytest.fixture(scope="module")
def probe_app(app):
    other = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": False,
        },
    )
    other.register_blueprint(probe)
    with other.app_context():
        PROBE.create(_db.engine)
    yield other
    with other.app_context():
        PROBE.drop(_db.engine)
        _db.engine.dispose()


@pytest.fixture()
def notes(probe_app):
    """The notes committed so far, read through a connection of their own."""
    engine = sa.create_engine(probe_app.config["SQLALCHEMY_DATABASE_URI"])

    def read() -> list[str]:
        with engine.connect() as connection:
            return [n for (n,) in connection.execute(sa.select(PROBE.c.note).order_by("id"))]

    with engine.begin() as connection:
        connection.execute(sa.delete(PROBE))
    yield read
    engine.dispose()


@pytest.fixture()
def probe_client(probe_app):
    return probe_app.test_client()


def test_a_success_is_committed(probe_client, notes):
    assert probe_client.post("/probe/ok").status_code == 200
    assert probe_client.post("/probe/redirect").status_code == 303
    assert notes() == ["ok", "redirect"]


def test_a_refusal_on_a_form_keeps_nothing(probe_client, notes):
    response = probe_client.post("/probe/form", data={"note": "x"})
    assert response.status_code == 422
    assert notes() == []


def test_attempt_undoes_the_refused_call_only(probe_client, notes):
    assert probe_client.post("/probe/form-then-ok").status_code == 200
    assert notes() == ["before the service"]
    assert probe_client.post("/probe/attempt-ok").get_data(as_text=True) == "42"
    assert notes() == ["before the service", "by the service"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/probe/forbidden", 403), ("/probe/conflict", 409), ("/probe/crash", 500)],
)
def test_other_refusals_and_errors_are_answered_once_and_roll_back(
    probe_client, notes, path, status
):
    response = probe_client.post(path)
    assert response.status_code == status
    assert "text/html" in response.content_type
    assert notes() == []


def test_a_write_kept_after_a_refusal(probe_client, notes):
    assert probe_client.post("/probe/kept").status_code == 403
    assert notes() == ["kept"]


def test_a_read_commits_nothing_but_its_short_write_after_rendering(probe_client, notes):
    assert probe_client.get("/probe/read").status_code == 200
    assert notes() == []
    assert probe_client.get("/probe/read-then-write").status_code == 200
    assert notes() == ["after rendering"]


def test_the_api_gets_refusals_as_json(probe_client):
    response = probe_client.get("/api/v1/probe")
    assert response.status_code == 422
    assert response.json["field"] == "day"
    assert response.json["message"] == "The date is not right."


def test_htmx_gets_the_error_fragment(probe_client, notes):
    response = probe_client.post("/probe/conflict", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "<html" not in response.get_data(as_text=True).lower()
    assert notes() == []
