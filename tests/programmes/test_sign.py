"""Signing the attendance sheet: a participant signs a half-day from its start until the end of
its day (never before, never later), on their phone or on the trainer's; the picture is checked
and cleaned; a signed half-day is never signed again; someone marked absent cannot sign."""

from __future__ import annotations

import base64
import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw, PngImagePlugin

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.programmes import signatures
from portal.programmes.models import Attendance
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories_members import board_user, member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark

DAY = date(2026, 12, 7)  # a Monday; the clock is set on it, in Paris, in each test
PARIS = ZoneInfo("Europe/Paris")


def png_data_url(size=(300, 120), blank=False, text_chunk=None) -> str:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(10, 10), (size[0] - 10, size[1] - 10)], fill="black", width=4)
    out = io.BytesIO()
    info = None
    if text_chunk:
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", text_chunk)
    image.save(out, format="PNG", pnginfo=info)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def switch(client, login_as, user):
    """Log out whoever is logged in, then log `user` in."""
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(user)


def _at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS)


@pytest.fixture()
def story(db):
    """A trainer, a programme with Ada and Bob, a session on DAY with a morning and an
    afternoon; the clock at 09:30 that day."""
    with frozen_at(DAY, time(9, 30)) as traveller:
        trainer = trainer_user()
        programme = make_programme(trainer, starts_on=date(2026, 12, 1))
        ada = member_with_login(given="Ada", family="Lovelace")
        bob = member_with_login(given="Bob", family="Marley")
        enrol(programme, ada)
        enrol(programme, bob)
        session = make_session(programme, day=DAY, slots=[MORNING, AFTERNOON])
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


# --- The picture ---------------------------------------------------------------------------------


def test_a_signature_is_checked_and_cleaned(app):
    with app.test_request_context():
        png = signatures.clean_signature(png_data_url(text_chunk="secret metadata"))
        assert png.startswith(b"\x89PNG") and b"secret metadata" not in png
        with Image.open(io.BytesIO(png)) as image:
            assert image.size == (300, 120)
        bad = {
            "": "Sign in the box first.",
            "data:image/jpeg;base64,AAAA": "must be a picture",
            "data:image/png;base64,not base64!": "must be a picture",
            "data:image/png;base64,"
            + base64.b64encode(b"GIF89a....").decode(): "must be a picture",
            "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode(): (
                "must be a picture"
            ),
            png_data_url(blank=True): "The box is empty",
            png_data_url(size=(1500, 200)): "too large",
            "data:image/png;base64," + "A" * 300_000: "too large",
        }
        for value, message in bad.items():
            with pytest.raises(signatures.SignatureRefused) as refused:
                signatures.clean_signature(value)
            assert message in str(refused.value.message), value[:40]
            assert refused.value.field == "signature"


def test_a_white_background_is_blank_too(app):
    image = Image.new("RGB", (200, 100), "white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    with app.test_request_context(), pytest.raises(signatures.SignatureRefused):
        signatures.clean_signature(url)


# --- When ----------------------------------------------------------------------------------------


def test_a_participant_signs_from_the_start_until_the_end_of_the_day(story):
    ada = story.ada
    # Before the afternoon starts: refused (no signing in advance).
    with pytest.raises(signatures.SignatureRefused, match="once the half-day has started"):
        signatures.sign_slot(ada.user, story.session, ada.id, story.afternoon, png_data_url())
    row = signatures.sign_slot(ada.user, story.session, ada.id, story.morning, png_data_url())
    assert row.signed_at is not None and row.signature.startswith(b"\x89PNG")
    assert row.status == "present" and row.minutes == 180
    assert row.recorded_by_id == ada.user.id
    # Never signed twice: the signature is not replaced.
    first = row.signature
    with pytest.raises(signatures.SignatureRefused, match="already signed"):
        signatures.sign_slot(ada.user, story.session, ada.id, story.morning, png_data_url())
    assert row.signature == first
    # The afternoon, late in the evening of the same day: still the day.
    story.clock.move_to(_at(23, 50))
    signatures.sign_slot(ada.user, story.session, ada.id, story.afternoon, png_data_url())
    # Bob, the next morning: too late (sheets are signed at the time).
    story.clock.move_to(_at(0, 5, date(2026, 12, 8)))
    with pytest.raises(signatures.SignatureRefused, match="too late"):
        signatures.sign_slot(
            story.bob.user, story.session, story.bob.id, story.morning, png_data_url()
        )
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "programmes.sign")
    ).all()
    assert len(entries) == 2 and all("PNG" not in e.details for e in entries)


def test_late_and_absent_marks(story):
    late = mark(story.morning, story.ada, "late", arrived_at=time(9, 20), minutes=160)
    row = signatures.sign_slot(
        story.ada.user, story.session, story.ada.id, story.morning, png_data_url()
    )
    assert row.id == late.id and row.status == "late" and row.minutes == 160  # kept
    mark(story.morning, story.bob, "absent")
    with pytest.raises(signatures.SignatureRefused, match="marked you absent"):
        signatures.sign_slot(
            story.bob.user, story.session, story.bob.id, story.morning, png_data_url()
        )


def test_only_participants_of_the_day_and_not_a_cancelled_session(story):
    outsider = member_with_login(given="Cy")
    with pytest.raises(NotAllowed):
        signatures.sign_slot(
            outsider.user, story.session, outsider.id, story.morning, png_data_url()
        )
    story.session.cancelled_at = _at(8)
    with pytest.raises(NotAllowed):
        signatures.sign_slot(
            story.ada.user, story.session, story.ada.id, story.morning, png_data_url()
        )


# --- The pages -----------------------------------------------------------------------------------


def test_the_participant_signs_on_their_phone(story, client, login_as):
    login_as(story.ada.user)
    url = f"/programmes/sessions/{story.session.id}/sign"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-signature-pad" in html and "js/signature-pad.js" in html
    assert "sign the paper sheet" in html  # the fallback for who cannot sign with a finger
    assert f'value="{story.morning.id}"' in html
    token = csrf_token(client, url)
    # A bad picture: a clear message, nothing kept.
    refused = client.post(
        url, data={"csrf_token": token, "slot": story.morning.id, "signature": "hello"}
    )
    assert refused.status_code == 422
    assert "must be a picture drawn in the box" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    # The afternoon cannot be signed in advance, even by a forged form.
    early = client.post(
        url, data={"csrf_token": token, "slot": story.afternoon.id, "signature": png_data_url()}
    )
    assert early.status_code == 422 and "once the half-day has started" in early.get_data(
        as_text=True
    )
    done = client.post(
        url, data={"csrf_token": token, "slot": story.morning.id, "signature": png_data_url()}
    )
    assert done.status_code == 303
    row = db.session.scalars(sa.select(Attendance)).one()
    assert (row.member_id, row.slot_id, row.status) == (story.ada.id, story.morning.id, "present")
    assert "signed at 09:30" in client.get(url).get_data(as_text=True)


def test_the_sign_page_refuses_others(story, client, login_as):
    url = f"/programmes/sessions/{story.session.id}/sign"
    login_as(story.trainer)  # sees the programme, is no participant
    assert client.get(url).status_code == 403
    switch(client, login_as, board_user())  # sees it, does not attend
    assert client.get(url).status_code == 403
    switch(client, login_as, member_with_login(given="Cy").user)  # does not see it
    assert client.get(url).status_code == 404
    assert client.get("/programmes/sessions/999999/sign").status_code == 404


def test_signing_on_the_trainers_phone_shows_only_that_person(story, client, login_as):
    mark(story.morning, story.bob, "present", signed=True)
    login_as(story.trainer)
    url = f"/programmes/sessions/{story.session.id}/sign/{story.ada.id}"
    html = client.get(url).get_data(as_text=True)
    assert "Ada Lovelace" in html and "Bob" not in html and "Marley" not in html
    token = csrf_token(client, url)
    done = client.post(
        url, data={"csrf_token": token, "slot": story.morning.id, "signature": png_data_url()}
    )
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/programmes/sessions/{story.session.id}/sheet")
    row = db.session.scalars(
        sa.select(Attendance).where(Attendance.member_id == story.ada.id)
    ).one()
    assert row.signed_at is not None and row.recorded_by_id == story.trainer.id
    # Not for someone outside the programme, nor by someone who does not run it.
    outsider = member_with_login(given="Cy")
    assert (
        client.get(f"/programmes/sessions/{story.session.id}/sign/{outsider.id}").status_code == 404
    )
    switch(client, login_as, story.ada.user)
    assert (
        client.get(f"/programmes/sessions/{story.session.id}/sign/{story.bob.id}").status_code
        == 403
    )
    other = trainer_user()
    switch(client, login_as, other)
    assert client.get(url).status_code == 404  # not their programme: it does not exist for them


def test_the_trainer_cannot_sign_the_sheet_before_the_last_slot(story):
    with pytest.raises(signatures.SignatureRefused, match="last half-day has started"):
        signatures.sign_sheet(story.trainer, story.session, png_data_url())
    story.clock.move_to(_at(13, 30))
    signatures.sign_sheet(story.trainer, story.session, png_data_url())
    assert story.session.trainer_signed_by_id == story.trainer.id
    with pytest.raises(signatures.SignatureRefused, match="already signed"):
        signatures.sign_sheet(story.trainer, story.session, png_data_url())
    with pytest.raises(NotAllowed):
        signatures.sign_sheet(story.ada.user, story.session, png_data_url())


def test_signed_on_paper(story):
    row = signatures.sign_on_paper(story.trainer, story.session, story.ada.id, story.morning)
    assert row.signed_on_paper and row.status == "present" and row.signed
    with pytest.raises(signatures.SignatureRefused, match="already signed"):
        signatures.sign_slot(
            story.ada.user, story.session, story.ada.id, story.morning, png_data_url()
        )
    with pytest.raises(signatures.SignatureRefused, match="not started"):
        signatures.sign_on_paper(story.trainer, story.session, story.bob.id, story.afternoon)
    with pytest.raises(NotAllowed):
        signatures.sign_on_paper(story.bob.user, story.session, story.bob.id, story.morning)
    mark(story.morning, story.bob, "excused")
    with pytest.raises(DomainError, match="marked absent"):
        signatures.sign_on_paper(story.trainer, story.session, story.bob.id, story.morning)
    # The paper comes back the next day: the trainer still records it.
    story.clock.move_to(_at(9, 0, date(2026, 12, 8)))
    late = signatures.sign_on_paper(story.trainer, story.session, story.bob.id, story.afternoon)
    assert late.signed_on_paper and late.status == "present"
