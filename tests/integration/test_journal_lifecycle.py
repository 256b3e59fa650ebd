"""The journal on the request lifecycle (issue 13): a read writes nothing while it reads and
renders, and writes its journal row afterwards; someone not logged in is counted, not journaled
(a flood of them no longer pushes the team's attempts out of the member's view); free text
shaped like a date does not break the PDFs.
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy import event

from portal.core.db import local_today
from portal.extensions import db
from portal.integration import journal
from portal.integration.models import (
    AnonymousAttempts,
    Goal,
    ReadKind,
    ReadOutcome,
    RecordRead,
)
from tests.factories_integration import assign, make_pathway
from tests.factories_members import board_user, counsellor_user, member_with_login


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _rows(pathway_id: int) -> list[RecordRead]:
    return list(
        db.session.scalars(
            sa.select(RecordRead).where(RecordRead.pathway_id == pathway_id).order_by(RecordRead.id)
        )
    )


def _counted(pathway_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(AnonymousAttempts.attempts), 0)).where(
            AnonymousAttempts.pathway_id == pathway_id
        )
    )


# --- Someone not logged in -----------------------------------------------------------------------


def test_a_flood_of_anonymous_attempts_keeps_the_teams_attempts_in_view(db, client, login_as):
    """100 anonymous downloads of the record's PDF: no journal row, one counter; the member
    still sees the colleague who tried, and how many times someone not logged in tried."""
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada)
    nosy = board_user(display_name="Noé Nosy")
    journal.record_read(nosy, pathway.id, ReadKind.PAGE, "record", ReadOutcome.REFUSED)
    before = len(_rows(pathway.id))
    for _ in range(100):
        assert client.get(f"/integration/{pathway.id}/record.pdf").status_code == 404
    assert len(_rows(pathway.id)) == before  # nothing journaled one by one
    (counter,) = db.session.scalars(
        sa.select(AnonymousAttempts).where(AnonymousAttempts.pathway_id == pathway.id)
    ).all()
    assert (counter.counted_on, counter.attempts) == (local_today(), 100)

    login_as(ada.user)
    html = client.get("/integration/mine/reads").get_data(as_text=True)
    refused = html.split('id="refused-title"')[1]
    assert "Noé Nosy" in refused
    assert "Someone who was not logged in tried 100 times." in refused


def test_insiders_are_listed_before_any_anonymous_row(db, client, login_as):
    """Rows journaled one by one for people not logged in (before they were counted) never
    take the place of a colleague's attempt in the list: they are counted with the others."""
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada)
    nosy = board_user(display_name="Noé Nosy")
    journal.record_read(nosy, pathway.id, ReadKind.PAGE, "record", ReadOutcome.REFUSED)
    for _ in range(60):  # more than the list shows
        journal.record_read(None, pathway.id, ReadKind.PDF, "record", ReadOutcome.REFUSED)
    journal.count_anonymous_attempt(pathway.id)
    login_as(ada.user)
    html = client.get("/integration/mine/reads").get_data(as_text=True)
    refused = html.split('id="refused-title"')[1]
    assert "Noé Nosy" in refused
    assert "Someone who was not logged in tried 61 times." in refused


def test_anonymous_attempts_past_the_days_limit_write_nothing(db, client, monkeypatch):
    monkeypatch.setattr(journal, "ANONYMOUS_COUNTED", 5)
    pathway = make_pathway(member_with_login())
    for _ in range(5):
        assert client.get(f"/integration/{pathway.id}").status_code == 404
    writes = []

    def listener(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for _ in range(10):
            assert client.get(f"/integration/{pathway.id}/goals").status_code == 404
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert writes == []  # a flood costs no write once the day's count is full
    assert _counted(pathway.id) == 5


def test_anonymous_attempts_on_other_numbers_write_nothing(db, client):
    gone = make_pathway(None, anonymised_on=local_today())
    for path in (
        "/integration/",
        "/integration/new",
        "/integration/999999",
        f"/integration/{gone.id}",
    ):
        assert client.get(path).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(AnonymousAttempts.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(RecordRead.id))) == 0


# --- A read writes after it has answered ---------------------------------------------------------


def test_a_read_writes_nothing_before_its_answer_is_ready(db, client, login_as, monkeypatch):
    """The printed record: every statement before the PDF is built is a read; the journal row
    is written afterwards (on SQLite a read so never holds the write lock while it renders)."""
    import weasyprint

    pathway = make_pathway(member_with_login())
    counsellor = counsellor_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    login_as(counsellor)
    order: list[str] = []
    write_pdf = weasyprint.HTML.write_pdf

    def marked(self, *args, **kwargs):
        order.append("pdf")
        return write_pdf(self, *args, **kwargs)

    def listener(_conn, _cursor, statement, *_args):
        words = statement.lstrip().upper()
        if words.startswith(("INSERT", "UPDATE", "DELETE")):
            order.append(words.split("(")[0].split(" VALUES")[0].strip())

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", marked)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(f"/integration/{pathway.id}/record.pdf")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert order[0] == "pdf", order
    assert "INSERT INTO RECORD_READS" in order[1:], order
    assert [(r.kind, r.outcome) for r in _rows(pathway.id)] == [("pdf", "allowed")]


def test_a_refused_read_of_a_logged_in_person_is_kept(db, client, login_as):
    pathway = make_pathway(member_with_login())
    stranger = counsellor_user()
    login_as(stranger)
    assert client.get(f"/integration/{pathway.id}/record.pdf").status_code == 404
    assert [(r.user_id, r.kind, r.outcome) for r in _rows(pathway.id)] == [
        (stranger.id, "pdf", "refused")
    ]


# --- Free text shaped like a date ----------------------------------------------------------------


@pytest.mark.parametrize("title", ["2026-02-30", "2026-02-28"])
def test_a_goal_titled_like_a_date_prints_as_written(db, client, login_as, title):
    """Both PDFs (the team's printed record, the member's copy of their data) print free text as
    it was written: an impossible date no longer breaks them, a possible one is not reworded."""
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada)
    counsellor = counsellor_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    db.session.add(Goal(pathway_id=pathway.id, title=title))
    db.session.flush()

    login_as(counsellor)
    printed = client.get(f"/integration/{pathway.id}/record.pdf")
    assert printed.status_code == 200
    assert title in _pdf_text(printed.data)
    client.post("/logout", data={"csrf_token": _token(client)})

    login_as(ada.user)
    mine = client.get("/integration/mine/data.pdf")
    assert mine.status_code == 200
    assert title in _pdf_text(mine.data)


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/")
