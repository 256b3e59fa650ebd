"""The signed attendance sheet: participants' signatures, "signed on paper", the scanned paper
sheet, corrections of signed slots, the trainer's signature of the sheet, and the removal of
signatures once their retention time is over.

In France a sheet must be signed at the time (sheets signed once a month or in advance are
refused by funders), so:

- a participant signs a slot only from its start until the end of its day (local time);
- the trainer signs the whole sheet only once its last slot has started;
- a signed slot (or a slot of a sheet the trainer signed) changes only as a correction with a
  reason, audited and shown on the sheet; a signature is never replaced (re-signing is refused),
  and once the trainer signed the sheet nobody signs it any more.

A signature is a PNG drawn with a finger: checked (really a PNG, not too large, not blank) and
re-encoded without its metadata. Signatures are personal data: `purge_signatures` removes them
SIGNATURE_RETENTION_YEARS after the session (default 6), keeping the fact and time of signing.

Services take the acting user explicitly, flush, never commit, and raise `DomainError`
(422, shown on the form) for bad input and `NotAllowed` (403) for a missing right.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.integration.purge import add_months
from portal.programmes import common
from portal.programmes.models import (
    IN_ROOM,
    Attendance,
    AttendanceCorrection,
    Session,
    SessionMaterial,
    Slot,
    Status,
)
from portal.programmes.policies import can_run_session
from portal.proposals.attachments import JPEG, MAX_FILE_BYTES, PDF, PNG, clean_filename, sniff

MAX_SIGNATURE_BYTES = 200 * 1024
MAX_WIDTH, MAX_HEIGHT = 1200, 600
DATA_URL_PREFIX = "data:image/png;base64,"
# A data URL is base64 (4 characters for 3 bytes) plus its prefix.
MAX_DATA_URL = len(DATA_URL_PREFIX) + (MAX_SIGNATURE_BYTES * 4) // 3 + 4
REASON_MIN, REASON_MAX = 10, 500
PAPER_KINDS = (PDF, PNG, JPEG)
DEFAULT_RETENTION_YEARS = 6


class SignatureRefused(DomainError):
    """The signature cannot be taken (422): bad image, too early or too late, already signed."""


# --- The image -----------------------------------------------------------------------------------


def clean_signature(data_url: str | None) -> bytes:
    """The PNG bytes of a signature sent as a data URL, checked and re-encoded without metadata.

    Raises SignatureRefused (field "signature") when it is missing, not a PNG picture, too large
    or blank."""
    text = (data_url or "").strip()
    if not text:
        raise SignatureRefused(_l("Sign in the box first."), field="signature")
    if len(text) > MAX_DATA_URL:
        raise SignatureRefused(
            _l("The signature is too large. Clear it and sign again."), field="signature"
        )
    if not text.startswith(DATA_URL_PREFIX):
        raise SignatureRefused(
            _l("The signature must be a picture drawn in the box."), field="signature"
        )
    try:
        raw = base64.b64decode(text[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise SignatureRefused(
            _l("The signature must be a picture drawn in the box."), field="signature"
        )
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise SignatureRefused(
            _l("The signature is too large. Clear it and sign again."), field="signature"
        )
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format != "PNG":
                raise UnidentifiedImageError
            width, height = probe.size
            if width > MAX_WIDTH or height > MAX_HEIGHT or width < 1 or height < 1:
                raise SignatureRefused(
                    _l("The signature is too large. Clear it and sign again."),
                    field="signature",
                )
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            picture = image.convert("RGBA")
    except SignatureRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise SignatureRefused(
            _l("The signature must be a picture drawn in the box."), field="signature"
        ) from None
    if _blank(picture):
        raise SignatureRefused(_l("The box is empty. Sign with your finger."), field="signature")
    out = io.BytesIO()
    clean = Image.new("RGBA", picture.size)
    clean.paste(picture)
    clean.save(out, format="PNG", optimize=True)  # a new image: no text chunks, no metadata
    return out.getvalue()


def _blank(picture: Image.Image) -> bool:
    """No visible stroke: every pixel transparent, or every opaque pixel white."""
    alpha = picture.getchannel("A")
    if alpha.getbbox() is None:
        return True
    # Opaque pixels that are not (nearly) white: a stroke on a white background.
    gray = picture.convert("L").point(lambda v: 255 if v < 240 else 0)
    visible = Image.new("L", picture.size)
    visible.paste(gray, mask=alpha.point(lambda v: 255 if v > 16 else 0))
    return visible.getbbox() is None


def data_url(png: bytes | None) -> str | None:
    """A stored signature as a data URL (for the sheet and its PDF)."""
    if not png:
        return None
    return DATA_URL_PREFIX + base64.b64encode(png).decode("ascii")


# --- When ----------------------------------------------------------------------------------------


def _end_of_day(session: Session) -> datetime:
    zone = common.local_zone()
    return datetime.combine(session.day + timedelta(days=1), time(0), zone).astimezone(UTC)


def signing_open(session: Session, slot: Slot, now: datetime | None = None) -> bool:
    """May the slot be signed now? From its start until the end of its day."""
    now = now or utcnow()
    start, _end = common.slot_bounds(session, slot)
    return start <= now < _end_of_day(session)


def slot_started(session: Session, slot: Slot, now: datetime | None = None) -> bool:
    """Has the slot started? (The trainer records "signed on paper" from then on.)"""
    start, _end = common.slot_bounds(session, slot)
    return start <= (now or utcnow())


def sheet_signable(session: Session, now: datetime | None = None) -> bool:
    """May the trainer sign the sheet now? Once its last slot has started."""
    if not session.slots:
        return False
    now = now or utcnow()
    start, _end = common.slot_bounds(session, session.slots[-1])
    return start <= now


def slot_of(session: Session, slot_id: int | None) -> Slot:
    for slot in session.slots:
        if slot.id == slot_id:
            return slot
    raise DomainError(_l("Choose a half-day of this session."), field="slot")


def open_slots(session: Session, signed_ids: set[int], now: datetime | None = None) -> list[Slot]:
    """The slots that may be signed now, without those in `signed_ids`."""
    return [s for s in session.slots if s.id not in signed_ids and signing_open(session, s, now)]


# --- Signing -------------------------------------------------------------------------------------


def _check_session(session: Session) -> None:
    if session.cancelled_at is not None:
        raise NotAllowed(_l("This session was cancelled."))


def sign_slot(actor, session: Session, member_id: int, slot: Slot, signature: str) -> Attendance:
    """The participant `member_id` signs `slot` (on their phone, or on the trainer's).

    The caller has checked who may ask (the participant themselves, or a trainer of the
    session). Raises NotAllowed for a cancelled session or someone not enrolled on the day;
    SignatureRefused outside the signing time, for a slot already signed, a slot the trainer
    marked absent or excused, or a bad picture."""
    _check_session(session)
    if slot.session_id != session.id:
        raise DomainError(_l("Choose a half-day of this session."), field="slot")
    if not common.is_participant_on(session, member_id):
        raise NotAllowed(_l("This person is not taking part in this session."))
    now = utcnow()
    start, _end = common.slot_bounds(session, slot)
    if now < start:
        raise SignatureRefused(
            _l("You can sign only once the half-day has started."), field="signature"
        )
    if now >= _end_of_day(session):
        raise SignatureRefused(
            _l("It is too late to sign: a sheet is signed on the day. Ask the trainer."),
            field="signature",
        )
    if common.sheet_signed_now(session):
        raise SignatureRefused(
            _l("The trainer has already signed the sheet. Ask them."), field="signature"
        )
    row = common.attendance_row(slot, member_id, lock=True)
    if row.signed:
        raise SignatureRefused(_l("This half-day is already signed."), field="signature")
    if row.status in (Status.ABSENT.value, Status.EXCUSED.value):
        raise SignatureRefused(_l("The trainer marked you absent. Ask them."), field="signature")
    png = clean_signature(signature)
    if row.status is None:
        row.status = Status.PRESENT.value
        row.minutes = slot.minutes
    row.signature = png
    row.signed_at = now
    row.recorded_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        actor,
        "programmes.sign",
        f"Slot #{slot.id} of session #{session.id} signed",
        object_key=f"session:{session.id}",
        slot=slot.id,
        member=member_id,
    )
    return row


def sign_on_paper(actor, session: Session, member_id: int, slot: Slot) -> Attendance:
    """The trainer records that the participant signed the paper sheet for `slot`.

    Raises NotAllowed unless the actor runs the session; SignatureRefused before the slot
    starts, for a slot already signed, or one marked absent or excused (correct it first)."""
    _require_run(actor, session)
    if slot.session_id != session.id:
        raise DomainError(_l("Choose a half-day of this session."), field="slot")
    if not common.is_participant_on(session, member_id):
        raise NotAllowed(_l("This person is not taking part in this session."))
    if not slot_started(session, slot):
        raise SignatureRefused(_l("This half-day has not started yet."))
    if common.sheet_signed_now(session):
        raise SignatureRefused(_l("The sheet is signed: change it with a reason."))
    row = common.attendance_row(slot, member_id, lock=True)
    if row.signed:
        raise SignatureRefused(_l("This half-day is already signed."))
    if row.status in (Status.ABSENT.value, Status.EXCUSED.value):
        raise SignatureRefused(
            _l("This person is marked absent. Correct the status first, with a reason.")
        )
    if row.status is None:
        row.status = Status.PRESENT.value
        row.minutes = slot.minutes
    row.signed_on_paper = True
    row.recorded_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        actor,
        "programmes.sign_on_paper",
        f"Slot #{slot.id} of session #{session.id} signed on paper",
        object_key=f"session:{session.id}",
        slot=slot.id,
        member=member_id,
    )
    return row


def sign_sheet(actor, session: Session, signature: str) -> Session:
    """The trainer signs the whole sheet, once its last slot has started (once only).

    Raises NotAllowed unless the actor runs the session; SignatureRefused too early, when it is
    already signed, or for a bad picture."""
    _require_run(actor, session)
    # Two trainers signing at once: the second waits, then sees the first signature.
    if common.sheet_signed_now(session, exclusive=True):
        raise SignatureRefused(_l("The sheet is already signed."), field="signature")
    if not sheet_signable(session):
        raise SignatureRefused(
            _l("You can sign the sheet once the last half-day has started."), field="signature"
        )
    session.trainer_signature = clean_signature(signature)
    session.trainer_signed_at = utcnow()
    session.trainer_signed_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "programmes.sign_sheet",
        f"Sheet of session #{session.id} signed by the trainer",
        object_key=f"session:{session.id}",
    )
    return session


def _require_run(actor, session: Session) -> None:
    if not can_run_session(actor, session):
        raise NotAllowed(_l("Only the session's trainers can do this."))


# --- Corrections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellChange:
    """What the trainer sets for one participant in one slot."""

    status: str | None
    arrived_at: time | None = None
    left_at: time | None = None
    minutes: int | None = None  # None: the slot's length in the room, 0 otherwise
    signed_on_paper: bool = False
    reason: str = ""


def correct_cell(
    actor, session: Session, member_id: int, slot: Slot, change: CellChange
) -> Attendance:
    """Set a participant's status, times, minutes and "signed on paper" for a slot.

    A locked slot (signed, or the sheet signed by the trainer) changes only with a reason of
    10 to 500 characters: the change is kept as an `AttendanceCorrection` (before and after),
    audited, and shown on the sheet. Raises NotAllowed unless the actor runs the session;
    DomainError for bad values or a missing reason."""
    _require_run(actor, session)
    if slot.session_id != session.id:
        raise DomainError(_l("Choose a half-day of this session."), field="slot")
    if not common.is_participant_on(session, member_id):
        raise NotAllowed(_l("This person is not taking part in this session."))
    if change.status not in {s.value for s in Status}:
        raise DomainError(_l("Choose a status from the list."), field="status")
    arrived, left = change.arrived_at, change.left_at
    if arrived and not slot.starts_at <= arrived <= slot.ends_at:
        raise DomainError(_l("The arrival time must be within the half-day."), field="arrived_at")
    if left and not slot.starts_at <= left <= slot.ends_at:
        raise DomainError(_l("The departure time must be within the half-day."), field="left_at")
    if arrived and left and left < arrived:
        raise DomainError(_l("The departure cannot be before the arrival."), field="left_at")
    in_room = change.status in IN_ROOM
    minutes = change.minutes
    if minutes is None:
        minutes = (
            _minutes_between(arrived or slot.starts_at, left or slot.ends_at) if in_room else 0
        )
    if not in_room and minutes:
        raise DomainError(_l("Someone absent or excused has no minutes attended."), field="minutes")
    if not 0 <= minutes <= slot.minutes:
        raise DomainError(
            _l("The minutes must be between 0 and %(n)d.", n=slot.minutes), field="minutes"
        )
    if change.signed_on_paper and not in_room:
        raise DomainError(
            _l("Someone absent or excused cannot have signed."), field="signed_on_paper"
        )
    # Locks in the roll-call's order (the session, then the row), so no two requests wait for
    # each other. A signature of the sheet given meanwhile locks the row too.
    common.sheet_signed_now(session)
    row = common.attendance_row(slot, member_id, lock=True)
    if change.signed_on_paper and not row.signed_on_paper and not slot_started(session, slot):
        # As `sign_on_paper`: a sheet is signed at the time, never in advance.
        raise DomainError(_l("This half-day has not started yet."), field="signed_on_paper")
    locked = common.locked(row, session)
    reason = " ".join((change.reason or "").split())
    if locked and not REASON_MIN <= len(reason) <= REASON_MAX:
        raise DomainError(
            _l(
                "This half-day is signed: say why you change it (%(min)d to %(max)d characters).",
                min=REASON_MIN,
                max=REASON_MAX,
            ),
            field="reason",
        )
    if len(reason) > REASON_MAX:
        raise DomainError(
            _l("The reason is too long (%(max)d characters at most).", max=REASON_MAX),
            field="reason",
        )
    before = common.snapshot(row)
    row.status = change.status
    row.arrived_at = arrived if in_room else None
    row.left_at = left if in_room else None
    row.minutes = minutes
    row.signed_on_paper = change.signed_on_paper
    row.recorded_by_id = getattr(actor, "id", None)
    after = common.snapshot(row)
    if after == before:
        return row
    db.session.flush()
    if locked:
        db.session.add(
            AttendanceCorrection(
                attendance_id=row.id,
                reason=reason,
                before=before,
                after=after,
                changed_by_id=actor.id,
            )
        )
        db.session.flush()
        audit.record(
            actor,
            "programmes.correct_attendance",
            f"Attendance corrected in slot #{slot.id} of session #{session.id}",
            object_key=f"session:{session.id}",
            slot=slot.id,
            member=member_id,
            before=before,
            after=after,
            reason=reason,
        )
    return row


def _minutes_between(start: time, end: time) -> int:
    return max(0, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


# --- The scanned paper sheet ---------------------------------------------------------------------


def add_paper_sheet(actor, session: Session, filename: str, data: bytes) -> SessionMaterial:
    """Keep the scanned paper sheet (PDF, PNG or JPEG) with the session's materials.

    Raises NotAllowed unless the actor runs the session; DomainError (field "file") for an
    empty file, one over the proposals' size limit, or another kind of file."""
    _require_run(actor, session)
    if not data:
        raise DomainError(_l("Choose the file of the scanned sheet."), field="file")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(
            _l("The file is too large (%(mb)d MB at most).", mb=MAX_FILE_BYTES // (1024 * 1024)),
            field="file",
        )
    sniffed = sniff(data, filename)
    if sniffed is None or sniffed.kind not in PAPER_KINDS:
        raise DomainError(_l("The scanned sheet must be a PDF, PNG or JPEG file."), field="file")
    digest = hashlib.sha256(data).hexdigest()
    material = SessionMaterial(
        session_id=session.id,
        filename=clean_filename(filename, sniffed.kind),
        content_type=sniffed.content_type,
        size=len(data),
        sha256=digest,
        data=data,
        paper_sheet=True,
        uploaded_by_id=actor.id,
    )
    db.session.add(material)
    db.session.flush()
    audit.record(
        actor,
        "programmes.paper_sheet",
        f"Scanned paper sheet added to session #{session.id}",
        object_key=f"session:{session.id}",
        filename=material.filename,
        size=material.size,
        sha256=digest,
    )
    return material


# --- Retention -----------------------------------------------------------------------------------


@dataclass
class SignaturePurge:
    today: date
    years: int
    dry_run: bool = False
    signatures: int = 0
    sheets: int = 0
    paper_sheets: int = 0
    sessions: list[int] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.signatures} signature(s), {self.sheets} trainer's signature(s) and "
            f"{self.paper_sheets} scanned paper sheet(s) {verb} removed "
            f"(retention {self.years} years, today {self.today.isoformat()})."
        )


def retention_years() -> int:
    return int(current_app.config.get("SIGNATURE_RETENTION_YEARS", DEFAULT_RETENTION_YEARS))


def retention_cutoff(today: date, years: int | None = None) -> date:
    """The last session day whose signatures are removed on `today`."""
    years = retention_years() if years is None else years
    return add_months(today, -12 * years)


def purge_signatures(
    today: date, years: int | None = None, dry_run: bool = False, actor=None
) -> SignaturePurge:
    """Remove the signatures of sessions held `years` ago or more (SIGNATURE_RETENTION_YEARS):
    the images (keeping that and when the slot was signed, and the day they were removed), the
    trainers' signatures of the sheets, and the scanned paper sheets. Audited with counts only.
    Flushes, never commits; a dry run counts without changing anything."""
    years = retention_years() if years is None else years
    report = SignaturePurge(today=today, years=years, dry_run=dry_run)
    old_sessions = sa.select(Session.id).where(Session.day <= retention_cutoff(today, years))
    old_slots = sa.select(Slot.id).where(Slot.session_id.in_(old_sessions))
    signed = Attendance.slot_id.in_(old_slots) & Attendance.signature.is_not(None)
    sheets = Session.id.in_(old_sessions) & Session.trainer_signature.is_not(None)
    papers = SessionMaterial.session_id.in_(old_sessions) & SessionMaterial.paper_sheet.is_(True)
    count = sa.func.count()
    report.signatures = db.session.scalar(sa.select(count).select_from(Attendance).where(signed))
    report.sheets = db.session.scalar(sa.select(count).select_from(Session).where(sheets))
    report.paper_sheets = db.session.scalar(
        sa.select(count).select_from(SessionMaterial).where(papers)
    )
    if dry_run or not (report.signatures or report.sheets or report.paper_sheets):
        return report
    options = {"synchronize_session": False}
    db.session.execute(
        sa.update(Attendance).where(signed).values(signature=None, signature_removed_on=today),
        execution_options=options,
    )
    db.session.execute(
        sa.update(Session).where(sheets).values(trainer_signature=None),
        execution_options=options,
    )
    db.session.execute(sa.delete(SessionMaterial).where(papers), execution_options=options)
    db.session.flush()
    db.session.expire_all()
    audit.record(
        actor,
        "programmes.purge_signatures",
        f"Signatures removed after {years} years",
        signatures=report.signatures,
        sheets=report.sheets,
        paper_sheets=report.paper_sheets,
        cutoff=retention_cutoff(today, years).isoformat(),
    )
    return report
