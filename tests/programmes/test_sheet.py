"""The attendance sheet: who reads it, what the trainer does on it (signed on paper, corrections
with a reason, the scanned paper sheet, their own signature), its PDF laid out like the paper
model, and its cost in SQL statements whatever the number of participants."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy import event

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.programmes import signatures
from portal.programmes.models import Attendance, AttendanceCorrection, SessionMaterial
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories_members import (
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark
from tests.programmes.test_sign import DAY, _at, png_data_url, switch

REASON = "Ada came back after lunch, the trainer saw her."


@pytest.fixture()
def story(db):
    with frozen_at(DAY, time(14, 0)) as traveller:
        trainer = trainer_user(display_name="Tina Trainer")
        programme = make_programme(
            trainer, starts_on=date(2026, 12, 1), title="Rights at work", funder="Region"
        )
        ada = member_with_login(given="Ada", family="Lovelace")
        bob = member_with_login(given="Bob", family="Marley")
        enrol(programme, ada)
        enrol(programme, bob)
        session = make_session(programme, day=DAY, slots=[MORNING, AFTERNOON], topic="Your payslip")
        yield type(
            "Story",
            (),
            {
                "trainer": trainer,
                "programme": programme,
                "ada": ada,
                "bob": bob,
                "session": session,
                "morning": session.slots[0],
                "afternoon": session.slots[1],
                "clock": traveller,
            },
        )


def _url(story, tail="") -> str:
    return f"/programmes/sessions/{story.session.id}/sheet{tail}"


def test_who_reads_the_sheet(story, client, login_as):
    signatures.sign_slot(story.ada.user, story.session, story.ada.id, story.morning, png_data_url())
    login_as(story.trainer)
    html = client.get(_url(story)).get_data(as_text=True)
    assert "Ada Lovelace" in html and "Bob Marley" in html and "Your payslip" in html
    assert "signed at 14:00" in html and 'src="data:image/png;base64,' in html
    assert "Sign for Bob Marley" in html  # the trainer's phone
    for reader in (board_user(), counsellor_user()):
        switch(client, login_as, reader)
        page = client.get(_url(story))
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'src="data:image/png;base64,' in html  # they read sheets for a funder
        assert "Sign for" not in html and "Save the change" not in html  # they do not run it
        assert client.get(_url(story, ".pdf")).status_code == 200
    # A participant never sees the sheet (others' signatures): 403; an outsider: 404.
    switch(client, login_as, story.bob.user)
    assert client.get(_url(story)).status_code == 403
    assert client.get(_url(story, ".pdf")).status_code == 403
    switch(client, login_as, member_with_login(given="Cy").user)
    assert client.get(_url(story)).status_code == 404
    assert client.get(_url(story, ".pdf")).status_code == 404
    switch(client, login_as, trainer_user())
    assert client.get(_url(story, ".pdf")).status_code == 404


def test_signed_on_paper_from_the_sheet(story, client, login_as):
    login_as(story.trainer)
    token = csrf_token(client, _url(story))
    done = client.post(
        _url(story, f"/paper/{story.bob.id}"), data={"csrf_token": token, "slot": story.morning.id}
    )
    assert done.status_code == 303
    row = db.session.scalars(sa.select(Attendance)).one()
    assert row.signed_on_paper and row.status == "present" and row.member_id == story.bob.id
    again = client.post(
        _url(story, f"/paper/{story.bob.id}"), data={"csrf_token": token, "slot": story.morning.id}
    )
    assert again.status_code == 422 and "already signed" in again.get_data(as_text=True)
    switch(client, login_as, board_user())
    token = csrf_token(client, _url(story))
    refused = client.post(
        _url(story, f"/paper/{story.ada.id}"), data={"csrf_token": token, "slot": story.morning.id}
    )
    assert refused.status_code == 403


def test_a_signed_slot_is_corrected_only_with_a_reason(story, client, login_as):
    signatures.sign_slot(story.ada.user, story.session, story.ada.id, story.morning, png_data_url())
    login_as(story.trainer)
    token = csrf_token(client, _url(story))
    url = _url(story, f"/correct/{story.ada.id}")
    data = {
        "csrf_token": token,
        "slot": story.morning.id,
        "status": "left_early",
        "left_at": "11:00",
    }
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    assert "say why you change it" in refused.get_data(as_text=True)
    assert client.post(url, data={**data, "reason": "short"}).status_code == 422
    row = db.session.scalars(sa.select(Attendance)).one()
    assert row.status == "present" and row.minutes == 180  # nothing changed silently
    done = client.post(url, data={**data, "reason": REASON})
    assert done.status_code == 303
    row = db.session.scalars(sa.select(Attendance)).one()
    assert (row.status, row.left_at, row.minutes) == ("left_early", time(11), 120)
    assert row.signature is not None  # the signature is kept
    correction = db.session.scalars(sa.select(AttendanceCorrection)).one()
    assert correction.before["status"] == "present" and correction.after["minutes"] == 120
    assert correction.reason == REASON and correction.changed_by_id == story.trainer.id
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "programmes.correct_attendance")
    ).one()
    assert REASON in entry.details and "PNG" not in entry.details and "base64" not in entry.details
    html = client.get(_url(story)).get_data(as_text=True)
    assert "Corrected on" in html and "by Tina Trainer" in html and REASON in html
    pdf = client.get(_url(story, ".pdf"))
    text = _pdf_text(pdf.data)
    assert REASON.split(",")[0] in text and "Corrected on" in text


def test_an_unsigned_slot_changes_without_a_reason(story):
    row = signatures.correct_cell(
        story.trainer,
        story.session,
        story.bob.id,
        story.morning,
        signatures.CellChange(status="late", arrived_at=time(9, 30)),
    )
    assert (row.status, row.minutes) == ("late", 150)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceCorrection)) == 0
    bad = [
        (signatures.CellChange(status="sleeping"), "status"),
        (signatures.CellChange(status="late", arrived_at=time(8)), "arrived_at"),
        (signatures.CellChange(status="absent", minutes=30), "minutes"),
        (signatures.CellChange(status="present", minutes=500), "minutes"),
        (signatures.CellChange(status="absent", signed_on_paper=True), "signed_on_paper"),
        (
            signatures.CellChange(status="present", arrived_at=time(11), left_at=time(10)),
            "left_at",
        ),
    ]
    for change, field in bad:
        with pytest.raises(DomainError) as refused:
            signatures.correct_cell(
                story.trainer, story.session, story.bob.id, story.morning, change
            )
        assert refused.value.field == field, change
    with pytest.raises(NotAllowed):
        signatures.correct_cell(
            story.bob.user,
            story.session,
            story.bob.id,
            story.morning,
            signatures.CellChange("present"),
        )


def test_the_trainers_signature_locks_the_sheet(story, client, login_as):
    login_as(story.trainer)
    html = client.get(_url(story)).get_data(as_text=True)
    assert "Sign the whole sheet" in html
    token = csrf_token(client, _url(story))
    blank = client.post(_url(story, "/sign"), data={"csrf_token": token, "signature": ""})
    assert blank.status_code == 422 and "Sign in the box first." in blank.get_data(as_text=True)
    done = client.post(
        _url(story, "/sign"), data={"csrf_token": token, "signature": png_data_url()}
    )
    assert done.status_code == 303
    db.session.refresh(story.session)
    assert story.session.trainer_signed_at is not None and story.session.trainer_signature
    html = client.get(_url(story)).get_data(as_text=True)
    assert "Signed by Tina Trainer" in html
    assert "Sign for" not in html and "Signed on paper</button>" not in html
    with pytest.raises(DomainError, match="already signed the sheet"):
        signatures.sign_slot(
            story.bob.user, story.session, story.bob.id, story.afternoon, png_data_url()
        )
    with pytest.raises(DomainError, match="change it with a reason"):
        signatures.sign_on_paper(story.trainer, story.session, story.bob.id, story.afternoon)
    # Now even an unsigned slot needs a reason.
    with pytest.raises(DomainError, match="say why"):
        signatures.correct_cell(
            story.trainer,
            story.session,
            story.bob.id,
            story.morning,
            signatures.CellChange("absent"),
        )


def test_the_scanned_paper_sheet(story, client, login_as):
    login_as(story.trainer)
    token = csrf_token(client, _url(story))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    html_file = b"<html><script>alert(1)</script></html>"
    refused = client.post(
        _url(story, "/upload"),
        data={"csrf_token": token, "file": (io.BytesIO(html_file), "sheet.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "must be a PDF, PNG or JPEG file" in refused.get_data(as_text=True)
    done = client.post(
        _url(story, "/upload"),
        data={"csrf_token": token, "file": (io.BytesIO(pdf), "../../feuille.pdf.exe")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 303
    material = db.session.scalars(sa.select(SessionMaterial)).one()
    assert material.paper_sheet and material.filename == "feuille.pdf"
    assert "feuille.pdf" in client.get(_url(story)).get_data(as_text=True)
    download = client.get(_url(story, f"/files/{material.id}"))
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["Content-Disposition"].startswith("attachment")
    switch(client, login_as, story.ada.user)
    assert client.get(_url(story, f"/files/{material.id}")).status_code == 403


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_is_laid_out_like_the_paper_sheet(story, client, login_as):
    signatures.sign_slot(story.ada.user, story.session, story.ada.id, story.morning, png_data_url())
    signatures.sign_on_paper(story.trainer, story.session, story.ada.id, story.afternoon)
    mark(story.morning, story.bob, "absent")
    signatures.sign_sheet(story.trainer, story.session, png_data_url(size=(400, 100)))
    login_as(board_user())
    response = client.get(_url(story, ".pdf"))
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    text = _pdf_text(response.data)
    for expected in (
        "Ada Lovelace",
        "Bob Marley",
        "Rights at work",
        "Your payslip",
        "Region",
        "Tina Trainer",
        "Morning 09:00",
        "Afternoon 13:30",
        "Printed on",
        "signed on paper",
        "Absent",
        "6 h 00",  # Ada's hours
        "Signed by Tina Trainer",
    ):
        assert expected in text, expected
    images = sum(len(p.images) for p in reader.pages)
    assert images == 2  # Ada's signature and the trainer's


def _count_statements(client, path) -> int:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, path
    return len(statements)


def _add_participants(story, number: int, start: int) -> None:
    for index in range(start, start + number):
        member = member_with_login(given=f"Person{index}", family="Test")
        enrol(story.programme, member)
        mark(story.morning, member, "present", signed=True)
        if index % 3 == 0:
            mark(story.afternoon, member, "absent")
        elif index % 3 == 1:
            row = mark(story.afternoon, member, "present")
            row.signed_on_paper = True
            db.session.add(
                AttendanceCorrection(
                    attendance_id=row.id, reason=REASON, before={}, after={}, changed_by_id=None
                )
            )
    db.session.flush()


@pytest.mark.parametrize("tail", ["", ".pdf"])
def test_the_sheet_costs_a_fixed_number_of_statements(story, client, login_as, tail):
    story.session.trainer_signed_at = _at(16)
    story.session.trainer_signed_by_id = story.trainer.id
    story.session.trainer_signature = signatures.clean_signature(png_data_url())
    login_as(story.trainer)
    _add_participants(story, 3, 0)  # with Ada and Bob: 5
    few = _count_statements(client, _url(story, tail))
    _add_participants(story, 35, 3)  # 40
    many = _count_statements(client, _url(story, tail))
    assert many == few, f"{few} statements with 5 participants, {many} with 40"
