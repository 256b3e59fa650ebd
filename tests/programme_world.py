"""A running programme with everything its routes take an id of, for the R8 and R9 walks.

`programme_world(trainer, *participants)` builds, from today (`local_today()`): a running
citizenship programme run by `trainer`, the participants enrolled, one session today whose
only slot runs all day (so that signing, the roll-call and the check-in are open: a missing
check would show as a success), a scanned paper sheet in its materials (personal data: only
those who read sheets may open it) and an ordinary handout. `PROGRAMME_FORM_DATA` is what an
attacker would send to each POST route of the programmes.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import time, timedelta

from PIL import Image, ImageDraw

from portal.core.db import local_today
from portal.extensions import db
from portal.programmes.models import Enrolment, Programme, Session, SessionMaterial, Slot
from tests.factories_programmes import enrol, make_programme, make_session

ALL_DAY = ("morning", time(0, 0), time(23, 59))
PAPER = b"%PDF-1.4 the signed paper sheet"


def signature_data_url(seed: int = 0) -> str:
    """A real, non-blank PNG drawn like a signature, as the pad sends it."""
    picture = Image.new("RGBA", (300, 120), (255, 255, 255, 0))
    pen = ImageDraw.Draw(picture)
    points = [(10 + 25 * i, 30 + ((i + seed) % 2) * 60) for i in range(12)]
    pen.line(points, fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


@dataclass
class ProgrammeWorld:
    programme: Programme
    session: Session
    slot: Slot
    paper: SessionMaterial  # the scanned paper sheet (read by those who read sheets)
    handout: SessionMaterial  # an ordinary material (whoever sees the programme)
    enrolments: list[Enrolment]


def _material(
    session: Session, filename: str, data: bytes, paper_sheet: bool, by
) -> SessionMaterial:
    import hashlib

    row = SessionMaterial(
        session_id=session.id,
        filename=filename,
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        paper_sheet=paper_sheet,
        uploaded_by_id=by.id if by is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def programme_world(
    trainer, *participants, title: str = "Hidden programme", paper: bytes = PAPER
) -> ProgrammeWorld:
    today = local_today()
    programme = make_programme(
        *([trainer] if trainer is not None else []),
        kind="citizenship",
        state="running",
        title=title,
        starts_on=today - timedelta(days=30),
    )
    enrolments = [enrol(programme, member) for member in participants]
    session = make_session(programme, day=today, slots=[ALL_DAY], topic=f"{title}, session")
    slot = session.slots[0]
    paper_row = _material(session, "paper-sheet.pdf", paper, True, trainer)
    handout = _material(session, "handout.pdf", b"%PDF-1.4 a handout", False, trainer)
    return ProgrammeWorld(programme, session, slot, paper_row, handout, enrolments)


def programme_form_data(endpoint: str, world: ProgrammeWorld, member_id: int) -> dict | None:
    """What an attacker would send to each POST route of the programmes (None: not one)."""
    programme, session, slot = world.programme, world.session, world.slot
    day = session.day.isoformat()
    enrolment = world.enrolments[0].id if world.enrolments else 1
    return {
        "programmes.edit": {
            "kind": "citizenship",
            "title": "Defaced",
            "summary": "Defaced.",
            "team": "",
            "body_id": "",
            "planned_hours": "1",
            "starts_on": programme.starts_on.isoformat(),
            "ends_on": "",
            "funder": "Defaced",
        },
        "programmes.transition": {"transition": "cancel", "comment": "let me cancel it"},
        "programmes.enrol": {"how": "member", "member_id": str(member_id)},
        "programmes.withdraw": {"enrolment_id": str(enrolment)},
        "programmes.session_new": {
            "day": day,
            "morning": "y",
            "morning_start": "08:00",
            "morning_end": "09:00",
            "topic": "Defaced",
            "place": "Elsewhere",
        },
        "programmes.session_edit": {
            "day": day,
            "morning": "y",
            "morning_start": "00:00",
            "morning_end": "23:59",
            "topic": "Defaced",
            "place": "Elsewhere",
        },
        "programmes.session_cancel": {"reason": "Let me cancel this session."},
        "programmes.session_covered": {"covered": "Defaced."},
        "programmes.material_add": {"material": (io.BytesIO(b"%PDF-1.4 x"), "x.pdf")},
        "programmes.material_delete": {},
        "programmes.rollcall": {
            "version": "0",
            "slot": slot.half,
            "member": str(member_id),
            f"was-{member_id}": "||",
            f"status-{member_id}": "absent",
        },
        "programmes.sign": {"slot": str(slot.id), "signature": signature_data_url(1)},
        "programmes.sign_for": {"slot": str(slot.id), "signature": signature_data_url(2)},
        "programmes.sheet_paper": {"slot": str(slot.id)},
        "programmes.sheet_correct": {
            "slot": str(slot.id),
            "status": "absent",
            "reason": "Let me change this half-day.",
        },
        "programmes.sheet_upload": {"file": (io.BytesIO(b"%PDF-1.4 forged"), "forged.pdf")},
        "programmes.sheet_sign": {"signature": signature_data_url(3)},
        "programmes.apologise": {"reason": "illness"},
        "programmes.withdraw_apology": {},
        "programmes.feedback": {"mood": "not_good", "sentence": "Defaced."},
        "programmes.evidence": {},
        "programmes.practice": {"turn": "1", "chair": str(member_id)},
        "programmes.practice_poll": {
            "question": "Defaced?",
            "method": "yes_no_abstain",
            "options": "",
            "where": "portal",
        },
        "programmes.practice_poll_count": {"present": "1", "count-0": "1"},
        "programmes.practice_poll_close": {},
    }.get(endpoint)


PROGRAMME_FORM_ENDPOINTS = {
    "programmes.edit",
    "programmes.transition",
    "programmes.enrol",
    "programmes.withdraw",
    "programmes.session_new",
    "programmes.session_edit",
    "programmes.session_cancel",
    "programmes.session_covered",
    "programmes.material_add",
    "programmes.material_delete",
    "programmes.rollcall",
    "programmes.sign",
    "programmes.sign_for",
    "programmes.sheet_paper",
    "programmes.sheet_correct",
    "programmes.sheet_upload",
    "programmes.sheet_sign",
    "programmes.apologise",
    "programmes.withdraw_apology",
    "programmes.feedback",
    "programmes.evidence",
    "programmes.practice",
    "programmes.practice_poll",
    "programmes.practice_poll_count",
    "programmes.practice_poll_close",
}
