"""In the room: the trainer's roll-call, the check-in code screen, the member's self check-in.

- `programmes.rollcall` (GET/POST /programmes/sessions/<id>/roll): one form for the whole group
  of a slot; "Everyone present", then corrections; a name filter (`q`, a GET parameter; htmx
  filters as you type and keeps the marks not saved yet); a slot switcher.
- `programmes.code_screen` (GET /programmes/sessions/<id>/code): the code and its QR code, in
  large, for a screen in the room; htmx refreshes it every few seconds (a meta refresh without
  JavaScript).
- `programmes.checkin` (GET/POST /programmes/check-in): the member types the code (the QR code
  brings them here with ?code=).
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.core.errors import DomainError
from portal.core.htmx import hx_redirect, render
from portal.core.lifecycle import attempt, keep_even_if_refused
from portal.core.security import Permission
from portal.core.urls import public_url
from portal.core.viewhelpers import acting_user, form_error, whole_number
from portal.programmes import bp, checkin, rollcall
from portal.programmes.common import session_or_404
from portal.programmes.models import HALF_TITLES, STATUS_TITLES, Half, Session, Slot, Status
from portal.programmes.policies import can_run_session

MAX_QUERY = 80


def _clock(value) -> str:
    return value.strftime("%H:%M") if value else ""


def _session_link(session: Session) -> str | None:
    if "programmes.session" in current_app.view_functions:
        return url_for("programmes.session", session_id=session.id)
    return None


def _slot(session: Session, half: str | None) -> Slot | None:
    """The slot asked for (by its half), else the one whose check-in is open, else the first."""
    for slot in session.slots:
        if slot.half == half:
            return slot
    return checkin.open_slot(session) or (session.slots[0] if session.slots else None)


# --- The roll-call -------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the form, as shown."""

    member_id: int
    name: str
    status: str | None
    arrived: str
    left: str
    was: str
    minutes: int
    checked_in: bool
    apology: str | None
    locked: bool
    hidden: bool
    clash: str | None = None  # what someone else recorded meanwhile


def _was(marks: rollcall.Marks) -> str:
    return "|".join([marks.status or "", _clock(marks.arrived_at), _clock(marks.left_at)])


def _parse_was(text: str) -> rollcall.Marks:
    parts = (text or "").split("|")
    parts += [""] * (3 - len(parts))
    status = parts[0] if parts[0] in rollcall.STATUSES else None
    try:
        return rollcall.Marks(status, rollcall.parse_time(parts[1]), rollcall.parse_time(parts[2]))
    except ValueError:
        return rollcall.Marks(status, None, None)


def _entries(values) -> list[rollcall.Entry]:
    entries = []
    seen: set[int] = set()
    for text in values.getlist("member")[:2000]:
        member_id = whole_number(text)
        if not member_id or member_id in seen:
            continue
        seen.add(member_id)
        entries.append(
            rollcall.Entry(
                member_id=member_id,
                was=_parse_was(values.get(f"was-{member_id}", "")),
                status=(values.get(f"status-{member_id}") or "").strip()[:20] or None,
                arrived=(values.get(f"arrived-{member_id}") or "")[:10],
                left=(values.get(f"left-{member_id}") or "")[:10],
            )
        )
    return entries


def _rows(roll: rollcall.RollCall, query: str, kept=None, clashes=()) -> list[Row]:
    """The lines as shown: from the database, or the marks the trainer chose but did not save
    yet (`kept`: the submitted entries), with the database's values as `was` for clashes."""
    kept = {entry.member_id: entry for entry in kept or ()}
    clash_names = {clash.name: clash for clash in clashes}
    rows = []
    for line in roll.lines:
        stored = rollcall.Marks(line.status, line.arrived_at, line.left_at)
        status = line.status
        if status is None and line.apology:
            status = Status.EXCUSED.value  # said "I can't come": excused unless changed
        arrived, left, was = _clock(line.arrived_at), _clock(line.left_at), _was(stored)
        clash = None
        entry = kept.get(line.member.id)
        if entry is not None and (entry.status, entry.arrived, entry.left) != (
            entry.was.status,
            _clock(entry.was.arrived_at),
            _clock(entry.was.left_at),
        ):
            status, arrived, left = entry.status, entry.arrived, entry.left
            name = f"{line.member.given_name} {line.member.family_name}".strip()
            if name in clash_names:
                clash = rollcall.status_title(line.status)
            else:
                was = _was(entry.was)
        rows.append(
            Row(
                member_id=line.member.id,
                name=line.name,
                status=status,
                arrived=arrived,
                left=left,
                was=was,
                minutes=line.minutes,
                checked_in=line.checked_in,
                apology=line.apology,
                locked=line.locked,
                hidden=bool(query) and not rollcall.matches_name(line, query),
                clash=clash,
            )
        )
    return rows


def _rollcall_page(session, slot, query, status=200, message=None, kept=None, clashes=()):
    roll = rollcall.load(session, slot)
    return render(
        "programmes/rollcall.html",
        fragment="programmes/_rollcall_form.html",
        status=status,
        session=session,
        slot=slot,
        roll=roll,
        rows=_rows(roll, query, kept, clashes),
        query=query,
        message=message,
        may_run=can_run_session(acting_user(), session),
        session_link=_session_link(session),
        statuses=[(s.value, str(STATUS_TITLES[s])) for s in Status],
        status_title=rollcall.status_title,
        # Translated once for the whole list (Jinja's _() would fill in the placeholder).
        t_minutes=_("Minutes attended: %(n)d"),
        half_titles={Half(h): str(t) for h, t in HALF_TITLES.items()},
    )


@bp.route("/sessions/<int:session_id>/roll", methods=["GET", "POST"], endpoint="rollcall")
@login_required
def rollcall_view(session_id: int):
    session = session_or_404(session_id, Permission.RUN_SESSIONS)
    slot = _slot(session, request.values.get("slot"))
    if slot is None:
        return _rollcall_page(session, slot, "", message=_("This session has no time set."))
    query = (request.values.get("q") or "").strip()[:MAX_QUERY]
    if request.method == "GET":
        kept = _entries(request.args) if request.args.get("keep") else None
        return _rollcall_page(session, slot, query, kept=kept)
    actor = acting_user()
    target = url_for("programmes.rollcall", session_id=session.id, slot=slot.half, q=query or None)
    if request.form.get("action") == "everyone":
        try:
            marked = attempt(None, rollcall.everyone_present, actor, session, slot)
        except DomainError as error:
            if error.status_code != 422:
                raise
            return _rollcall_page(session, slot, query, 422, error.message)
        flash(
            ngettext(
                "Marked present: %(num)d person not marked yet. Now correct who is not here.",
                "Marked present: %(num)d people not marked yet. Now correct who is not here.",
                marked,
            ),
            "success",
        )
        return hx_redirect(target)
    entries = _entries(request.form)
    seen = whole_number(request.form.get("version", "")) or 0
    try:
        saved = attempt(None, rollcall.save, actor, session, slot, entries, seen)
    except rollcall.RollCallConflict as conflict:
        return _rollcall_page(
            session, slot, query, 409, conflict.message, kept=entries, clashes=conflict.clashes
        )
    except DomainError as error:
        if error.status_code != 422:
            raise
        return _rollcall_page(session, slot, query, 422, error.message, kept=entries)
    flash(
        ngettext(
            "The roll-call is saved: %(num)d person changed.",
            "The roll-call is saved: %(num)d people changed.",
            saved.changed,
        ),
        "success",
    )
    if saved.merged:
        flash(_("Someone else saved this list too: their marks are kept with yours."), "info")
    if saved.locked:
        flash(
            _(
                "Not changed, because it is signed: %(names)s. Change it on the sheet, with a"
                " reason.",
                names=", ".join(saved.locked),
            ),
            "error",
        )
    return hx_redirect(target)


# --- The code screen -----------------------------------------------------------------------------


def _code_context(session: Session) -> dict:
    slot = checkin.open_slot(session) if can_run_session(acting_user(), session) else None
    context = {
        "session": session,
        "slot": slot,
        "code": None,
        "qr_svg": None,
        "session_link": _session_link(session),
        "half_titles": {Half(h): t for h, t in HALF_TITLES.items()},
        "refresh": min(checkin.seconds_left(), 10),
        "checkin_url": public_url("programmes.checkin"),
    }
    if slot is not None:
        code = checkin.current_code(session, slot)
        link = public_url("programmes.checkin", code=code)
        context.update(
            code=code,
            qr_svg=segno.make(link, error="m").svg_inline(scale=6, border=2, omitsize=True),
        )
    return context


@bp.route("/sessions/<int:session_id>/code")
@login_required
def code_screen(session_id: int):
    session = session_or_404(session_id, Permission.RUN_SESSIONS)
    return render(
        "programmes/code.html", fragment="programmes/_code.html", **_code_context(session)
    )


# --- Self check-in -------------------------------------------------------------------------------


class CheckInForm(FlaskForm):
    code = StringField(
        _l("The code shown in the room"),
        filters=[checkin.normalise],
        validators=[
            DataRequired(_l("Type the code shown in the room.")),
            Length(max=checkin.MAX_TYPED),
        ],
        description=_l("6 letters and numbers. Capital or small letters: both work."),
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": checkin.MAX_TYPED,
            "inputmode": "text",
        },
    )


@bp.route("/check-in", methods=["GET", "POST"], endpoint="checkin")
@login_required
def checkin_view():
    form = CheckInForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = checkin.normalise(request.args["code"])
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            actor = acting_user()
            given = form.code.data
            try:
                done = attempt(None, checkin.check_in, actor, given)
            except checkin.WrongCode as error:
                keep_even_if_refused(lambda: checkin.record_wrong_code(actor, given))
                form_error(form, error)
            except DomainError as error:
                if error.status_code != 422:
                    raise
                form_error(form, error)
            else:
                return render(
                    "programmes/checkin_done.html",
                    done=done,
                    half_titles={Half(h): t for h, t in HALF_TITLES.items()},
                    status_titles=STATUS_TITLES,
                )
    return render("programmes/checkin.html", status=status, form=form)
