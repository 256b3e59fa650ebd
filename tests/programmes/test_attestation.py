"""The attestation of attendance: its content (sessions, hours against planned hours, the levels
the trainer confirmed, the trainer's signature), in the person's language, and who may get it.
A fixed-date story (2026) under `story_day`."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.extensions import db as _db
from portal.integration.models import Skill
from portal.programmes.attestation import attestation_html
from portal.programmes.models import Evidence, ProgrammeOutcome
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import enrol, make_programme, make_session, mark


def png() -> bytes:
    """A valid 1 x 1 PNG (WeasyPrint draws it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def story(signed: bool = True, language: str = "fr"):
    trainer = trainer_user(display_name="Tess Trainer")
    programme = make_programme(
        trainer,
        kind="citizenship",
        title="Taking part",
        funder="FSE",
        planned_hours=Decimal("9"),
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 6, 30),
    )
    skill = Skill(area="Citizenship", name="Speaks in a meeting")
    _db.session.add(skill)
    _db.session.flush()
    _db.session.add(
        ProgrammeOutcome(
            programme_id=programme.id, skill_id=skill.id, wording="Says what they think"
        )
    )
    ada = member_with_login(given="Ada", family="Lovelace", preferred_language=language)
    bob = member_with_login(given="Bob", family="Builder")
    enrol(programme, ada)
    enrol(programme, bob)
    first = make_session(programme, day=date(2026, 3, 10), topic="How a meeting works")
    second = make_session(programme, day=date(2026, 4, 14), topic="Voting")
    third = make_session(programme, day=date(2026, 5, 5), topic="Cancelled one")
    mark(first.slots[0], ada, "present")
    mark(second.slots[0], ada, "late", minutes=150)
    mark(third.slots[0], ada, "present")
    third.cancelled_at = datetime(2026, 5, 1, 8, tzinfo=UTC)
    mark(first.slots[0], bob, "present")
    _db.session.add(
        Evidence(
            session_id=first.id,
            member_id=ada.id,
            skill_id=skill.id,
            level=2,
            decided_at=datetime(2026, 3, 10, 12, tzinfo=UTC),
        )
    )
    _db.session.add(
        Evidence(
            session_id=second.id,
            member_id=ada.id,
            skill_id=skill.id,
            level=3,
            decided_at=datetime(2026, 4, 14, 12, tzinfo=UTC),
        )
    )
    if signed:
        second.trainer_signed_at = datetime(2026, 4, 14, 15, tzinfo=UTC)
        second.trainer_signed_by_id = trainer.id
        second.trainer_signature = png()
    _db.session.flush()
    return programme, trainer, ada, bob


def test_the_content_in_the_persons_language(story_day, db, app):
    programme, _trainer, ada, _bob = story()
    html = attestation_html(programme, ada)
    assert '<html lang="fr">' in html
    assert "Ada Lovelace" in html and "Taking part" in html and "FSE" in html
    assert "10 mars 2026" in html and "14 avr. 2026" in html  # the days in French
    assert "How a meeting works" in html and "Voting" in html
    assert "Cancelled one" not in html
    assert "5,5" in html and "9" in html  # 180 + 150 minutes: 5,5 hours of 9 planned
    assert "Speaks in a meeting" in html and "Says what they think" in html
    assert "data:image/png;base64," in html and "Tess Trainer" in html
    assert "Bob" not in html


def test_in_english_for_an_english_speaker(story_day, db, app):
    programme, _trainer, ada, _bob = story(language="en")
    html = attestation_html(programme, ada)
    assert '<html lang="en">' in html
    assert "Attestation of attendance" in html
    assert "Mar 10, 2026" in html
    assert "5.5 hours out of 9 planned hours" in html
    assert "3 – On my own" in html  # the latest level the trainer confirmed


def test_without_a_signed_sheet_a_line_to_sign(story_day, db, app):
    programme, _trainer, ada, _bob = story(signed=False, language="en")
    html = attestation_html(programme, ada)
    assert "data:image/png" not in html
    assert 'class="sign-line"' in html and "Tess Trainer" in html


def test_the_pdf_for_the_member(story_day, db, client, login_as):
    from pypdf import PdfReader

    programme, _trainer, ada, _bob = story()
    login_as(ada.user)
    response = client.get(f"/programmes/{programme.id}/attestation/{ada.id}.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Ada Lovelace" in text and "mars 2026" in text
    entry = _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "programmes.attestation" and entry.actor_id == ada.user_id


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("trainer", 200),
        ("board", 200),
        ("counsellor", 200),
        ("self", 200),
        ("other participant", 403),
        ("admin", 403),
        ("other trainer", 404),
        ("stranger", 404),
    ],
)
def test_who_may_get_it(story_day, db, client, login_as, who, status):
    programme, trainer, ada, bob = story()
    user = {
        "trainer": lambda: trainer,
        "board": board_user,
        "counsellor": counsellor_user,
        "self": lambda: ada.user,
        "other participant": lambda: bob.user,
        "admin": admin_user,
        "other trainer": trainer_user,
        "stranger": lambda: member_with_login().user,
    }[who]()
    login_as(user)
    assert client.get(f"/programmes/{programme.id}/attestation/{ada.id}.pdf").status_code == status


def test_not_enrolled_or_unknown_is_not_found(story_day, db, client, login_as):
    programme, _trainer, _ada, _bob = story()
    outsider = member_with_login(given="Olga")
    login_as(board_user())
    assert (
        client.get(f"/programmes/{programme.id}/attestation/{outsider.id}.pdf").status_code == 404
    )
    assert client.get(f"/programmes/{programme.id}/attestation/99999999.pdf").status_code == 404
    assert client.get("/programmes/99999999/attestation/1.pdf").status_code == 404
