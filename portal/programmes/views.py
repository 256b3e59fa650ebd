"""Programme views: the list, a programme (set up, states, participants, sessions), a session
(slots, trainers, what was covered, materials), and the printed convocation.

Parse → load (404 when the viewer may not see the programme) → authorise (403) → one service →
render. Refusals about the input answer 422 with the message on the page.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, current_app, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from portal.core.db import local_today
from portal.core.errors import DomainError, error_response
from portal.core.forms import TransitionForm
from portal.core.htmx import render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.paging import paginate
from portal.core.security import Permission
from portal.core.urls import public_url
from portal.core.viewhelpers import (
    MAX_ID,
    acting_user,
    form_error,
    int_arg,
    item_or_404,
    whole_number,
)
from portal.core.workflow import available_transitions
from portal.extensions import db
from portal.members import bodies as body_services
from portal.programmes import bp, practice, services
from portal.programmes.common import is_participant_on, session_or_404
from portal.programmes.feedback import may_give_feedback
from portal.programmes.forms import (
    CancelSessionForm,
    CoveredForm,
    EnrolBodyForm,
    EnrolMemberForm,
    EnrolTeamForm,
    MaterialForm,
    ProgrammeForm,
    SessionForm,
    WithdrawForm,
)
from portal.programmes.models import (
    HALF_TITLES,
    KIND_DESCRIPTIONS,
    KIND_TITLES,
    Half,
    Programme,
    ProgrammeKind,
    Session,
)
from portal.programmes.policies import (
    can_attend,
    can_confirm_evidence,
    can_create_programme,
    can_edit_programme,
    can_enrol,
    can_name_trainers,
    can_read_sheets,
    can_run,
    can_run_session,
    can_view_programme,
    can_view_reports,
    is_trainer_account,
    member_id_of,
    visible_programmes,
)
from portal.programmes.workflow import CANCELLED, FINISHED, PROGRAMME_WORKFLOW
from portal.proposals.attachments import MAX_FILE_BYTES, kind_of
from portal.proposals.views_attachments import _download, size_text

PAGE_SIZE = 20
MB = 1024 * 1024
DEFAULT_TIMES = {
    Half.MORNING.value: (time(9, 0), time(12, 0)),
    Half.AFTERNOON.value: (time(13, 30), time(16, 30)),
}


def has_endpoint(name: str) -> bool:
    """Is this endpoint served (the pages of other parts of the programmes may come later)?"""
    return name in current_app.view_functions


bp.add_app_template_global(has_endpoint, "programme_endpoint_exists")


def _may_see_programmes(user) -> bool:
    """The menu's link: those who may create programmes (board, admin, trainers), who read
    their figures (board, counsellors), or who take part in one (one query, once a request)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cache = g.setdefault("_programmes_link", {})
    if user.id not in cache:
        cache[user.id] = (
            can_create_programme(user)
            or can_view_reports(user)
            or db.session.scalar(sa.select(Programme.id).where(visible_programmes(user)).limit(1))
            is not None
        )
    return cache[user.id]


bp.add_app_template_global(_may_see_programmes, "may_see_programmes")


def programme_or_404(programme_id: int, permission: Permission = Permission.VIEW) -> Programme:
    return item_or_404(Programme, programme_id, permission)


def _programme_link(programme: Programme) -> str:
    return public_url("programmes.view", programme_id=programme.id)


def _session_link(session: Session) -> str:
    return public_url("programmes.session", session_id=session.id)


def _bad_csrf(form) -> None:
    if "csrf_token" in form.errors:
        abort(400)


# --- The list --------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    state = request.args.get("state", "")
    kind = request.args.get("kind", "")
    query = sa.select(Programme).where(visible_programmes(current_user))
    if state in PROGRAMME_WORKFLOW.states:
        query = query.where(Programme.state == state)
    else:
        state = ""
    if kind in {k.value for k in ProgrammeKind}:
        query = query.where(Programme.kind == kind)
    else:
        kind = ""
    page = paginate(
        query, int_arg("page"), PAGE_SIZE, Programme.starts_on.desc(), Programme.id.desc()
    )
    return render(
        "programmes/index.html",
        programmes=page.items,
        page=page.number,
        pages=page.pages,
        total=page.total,
        state=state,
        kind=kind,
        states=PROGRAMME_WORKFLOW.states,
        kind_titles=KIND_TITLES,
        can_add=can_create_programme(current_user),
    )


# --- Set up and edit ------------------------------------------------------------------------------


def _with_choices(form: ProgrammeForm, programme: Programme | None) -> ProgrammeForm:
    skills = services.active_skills()
    known = {s.id for s in skills}
    extra = [o.skill for o in programme.outcomes if o.skill_id not in known] if programme else []
    form.outcome_ids.choices = [SelectChoice(s.id, s.name) for s in [*skills, *extra]]
    trainers = services.trainer_accounts()
    known_trainers = {u.id for u in trainers}
    if programme:
        trainers += [t.user for t in programme.trainers if t.user_id not in known_trainers]
    form.trainer_ids.choices = [SelectChoice(u.id, u.display_name) for u in trainers]
    form.body_id.choices = [SelectChoice("", _("No body"))] + [
        SelectChoice(str(b.id), b.title) for b in body_services.bodies()
    ]
    return form


def _skill_groups(form: ProgrammeForm, programme: Programme | None):
    """The outcome checkboxes grouped by area (the template shows one fieldset per area)."""
    areas: dict[str, list] = {}
    skills = {s.id: s for s in services.active_skills()}
    if programme:
        skills.update({o.skill_id: o.skill for o in programme.outcomes})
    for option in form.outcome_ids:
        skill = skills.get(int(option.data))
        areas.setdefault(skill.area if skill else "", []).append(option)
    return sorted(areas.items())


def _fill(form: ProgrammeForm, programme: Programme) -> None:
    form.kind.data = programme.kind
    form.title.data = programme.title
    form.summary.data = programme.summary
    form.team.data = programme.team
    form.body_id.data = str(programme.body_id or "")
    form.planned_hours.data = programme.planned_hours
    form.starts_on.data = programme.starts_on
    form.ends_on.data = programme.ends_on
    form.funder.data = programme.funder
    form.outcome_ids.data = [o.skill_id for o in programme.outcomes]
    form.trainer_ids.data = sorted(programme.trainer_ids)


def _data(form: ProgrammeForm, may_name: bool) -> services.ProgrammeData:
    hours = form.planned_hours.data
    return services.ProgrammeData(
        kind=form.kind.data or "",
        title=form.title.data or "",
        summary=form.summary.data or "",
        team=form.team.data or "",
        body_id=whole_number(form.body_id.data or ""),
        planned_hours=Decimal(hours) if hours is not None else None,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        funder=form.funder.data or "",
        outcome_ids=list(form.outcome_ids.data or []),
        trainer_ids=list(form.trainer_ids.data or []) if may_name else None,
    )


def _edit_page(form, programme, status, may_name):
    return render(
        "programmes/edit.html",
        status=status,
        form=form,
        programme=programme,
        may_name=may_name,
        skill_groups=_skill_groups(form, programme),
        teams=services.teams(),
        kind_descriptions={k.value: v for k, v in KIND_DESCRIPTIONS.items()},
        trainer_named_automatically=programme is None and is_trainer_account(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not can_create_programme(current_user):
        abort(403)
    form = _with_choices(ProgrammeForm(), None)
    # On a new programme, board and admin name its trainers (the workflow of a planned one).
    may_name = can_name_trainers(current_user, Programme(state=PROGRAMME_WORKFLOW.initial))
    status = 200
    if request.method == "GET":
        form.kind.data = ProgrammeKind.SOCIALIZATION.value
        form.starts_on.data = local_today()
    if form.is_submitted():
        status = 422
        if form.validate():
            programme = attempt(
                form, services.create_programme, acting_user(), _data(form, may_name)
            )
            if programme is not REFUSED:
                flash(
                    _("The programme is saved. Now add its sessions and participants."), "success"
                )
                return redirect(url_for("programmes.view", programme_id=programme.id))
        _bad_csrf(form)
    return _edit_page(form, None, status, may_name)


@bp.route("/<int:programme_id>/edit", methods=["GET", "POST"])
@login_required
def edit(programme_id: int):
    programme = programme_or_404(programme_id, Permission.EDIT)
    form = _with_choices(ProgrammeForm(), programme)
    may_name = can_name_trainers(current_user, programme)
    if request.method == "GET":
        _fill(form, programme)
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            changed = attempt(
                form, services.update_programme, acting_user(), programme, _data(form, may_name)
            )
            if changed is not REFUSED:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("programmes.view", programme_id=programme.id))
        _bad_csrf(form)
    return _edit_page(form, programme, status, may_name)


# --- The programme page ---------------------------------------------------------------------------


def _view_context(programme: Programme, **extra) -> dict:
    sessions = services.sessions_of(programme)
    coming, past = services.split_sessions(sessions)
    may_enrol = can_enrol(current_user, programme)
    context = {
        "programme": programme,
        "kind_title": KIND_TITLES.get(ProgrammeKind(programme.kind), programme.kind),
        "kind_description": KIND_DESCRIPTIONS.get(ProgrammeKind(programme.kind), ""),
        "state": PROGRAMME_WORKFLOW.states[programme.state],
        "steps": available_transitions(programme, current_user),
        "cancel_reason": services.cancel_reason(programme),
        "coming": coming,
        "past": past,
        "may_edit": can_edit_programme(current_user, programme),
        "may_enrol": may_enrol,
        "may_run": can_run(current_user, programme) and programme.state in ("planned", "running"),
        "enrolments": services.enrolments(programme)
        if may_enrol or can_read_sheets(current_user, programme)
        else [],
        "team_form": EnrolTeamForm(formdata=None),
        "body_form": EnrolBodyForm(formdata=None),
        "teams": services.teams() if may_enrol else [],
        "bodies": body_services.bodies() if may_enrol else [],
        "error_message": None,
        "half_titles": {k.value: v for k, v in HALF_TITLES.items()},
    }
    context["without_email"] = [
        e for e in context["enrolments"] if not services.notify.address_of(e.member)
    ]
    context.update(extra)
    return context


@bp.route("/<int:programme_id>")
@login_required
def view(programme_id: int):
    programme = programme_or_404(programme_id)
    return render("programmes/view.html", **_view_context(programme))


@bp.route("/<int:programme_id>/transition", methods=["POST"])
@login_required
def transition(programme_id: int):
    programme = programme_or_404(programme_id)
    form = TransitionForm()
    if not form.validate():
        if set(form.errors) != {"comment"}:
            abort(400)
        message = " ".join(str(m) for m in form.comment.errors)
        return render(
            "programmes/view.html", status=422, **_view_context(programme, error_message=message)
        )
    done = attempt(
        form,
        services.transition_programme,
        acting_user(),
        programme,
        form.transition.data,
        form.comment.data or "",
    )
    if done is REFUSED:
        message = " ".join([*map(str, form.form_errors), *map(str, form.comment.errors)])
        return render(
            "programmes/view.html", status=422, **_view_context(programme, error_message=message)
        )
    flash(
        _(
            "Done. The programme is now: %(state)s.",
            state=PROGRAMME_WORKFLOW.states[programme.state].title,
        ),
        "success",
    )
    return redirect(url_for("programmes.view", programme_id=programme.id))


# --- Participants ---------------------------------------------------------------------------------


def _enrolled_message(result: services.Enrolled) -> str:
    parts = [_("Enrolled: %(n)d.", n=len(result.added))]
    if result.emailed:
        parts.append(_("Invited by e-mail: %(n)d.", n=result.emailed))
    if result.on_paper:
        parts.append(
            _(
                "Without e-mail (print their convocation): %(names)s.",
                names=", ".join(m.full_name for m in result.on_paper),
            )
        )
    if result.already:
        parts.append(
            _(
                "Already enrolled, not added again: %(names)s.",
                names=", ".join(m.full_name for m in result.already),
            )
        )
    return " ".join(parts)


def _enrol_page(programme: Programme, status: int = 200, **extra):
    query = request.values.get("q", "")
    found = services.find_members(query) if query else []
    team_form = extra.pop("team_form", None) or EnrolTeamForm(formdata=None)
    body_form = extra.pop("body_form", None) or EnrolBodyForm(formdata=None)
    team_form.team.choices = [SelectChoice("", _("Choose a team"))] + [
        SelectChoice(t, t) for t in services.teams()
    ]
    body_form.body_id.choices = [SelectChoice("", _("Choose a body"))] + [
        SelectChoice(str(b.id), b.title) for b in body_services.bodies()
    ]
    enrolled = {e.member_id for e in services.enrolments(programme)}
    return render(
        "programmes/enrol.html",
        status=status,
        programme=programme,
        q=query,
        found=found,
        enrolled=enrolled,
        member_form=EnrolMemberForm(formdata=None),
        team_form=team_form,
        body_form=body_form,
        error_message=extra.pop("error_message", None),
        **extra,
    )


@bp.route("/<int:programme_id>/enrol", methods=["GET", "POST"])
@login_required
def enrol(programme_id: int):
    programme = programme_or_404(programme_id, Permission.ENROL)
    if request.method == "GET":
        return _enrol_page(programme)
    how = request.form.get("how", "")
    if how == "team":
        form, service, value = EnrolTeamForm(), services.enrol_team, None
    elif how == "body":
        form, service, value = EnrolBodyForm(), services.enrol_body, None
    elif how == "member":
        form, service, value = EnrolMemberForm(), services.enrol_member, None
    else:
        abort(400)
    if not form.validate():
        _bad_csrf(form)
    if how == "team":
        value = form.team.data or ""
    elif how == "body":
        value = whole_number(form.body_id.data or "")
    else:
        value = whole_number(form.member_id.data or "")
    try:
        result = attempt(None, service, acting_user(), programme, value, link=_programme_link)
    except DomainError as error:
        if error.status_code != 422:
            raise
        extra = (
            {"team_form": form} if how == "team" else {"body_form": form} if how == "body" else {}
        )
        return _enrol_page(programme, 422, error_message=str(error.message), **extra)
    flash(_enrolled_message(result), "success")
    if how == "member":
        return redirect(url_for("programmes.enrol", programme_id=programme.id))
    return redirect(url_for("programmes.view", programme_id=programme.id) + "#participants")


@bp.route("/<int:programme_id>/withdraw", methods=["POST"])
@login_required
def withdraw(programme_id: int):
    programme = programme_or_404(programme_id, Permission.ENROL)
    form = WithdrawForm()
    if not form.validate():
        abort(400)
    try:
        row = attempt(
            None,
            services.withdraw,
            acting_user(),
            programme,
            whole_number(form.enrolment_id.data or ""),
        )
    except DomainError as error:
        if error.status_code == 404:
            abort(404)
        if error.status_code != 422:
            raise
        return render(
            "programmes/view.html",
            status=422,
            **_view_context(programme, error_message=str(error.message)),
        )
    flash(_("%(name)s is withdrawn from the programme.", name=row.member.full_name), "success")
    return redirect(url_for("programmes.view", programme_id=programme.id) + "#participants")


@bp.route("/<int:programme_id>/convocation.pdf")
@login_required
def convocation(programme_id: int):
    programme = programme_or_404(programme_id, Permission.ENROL)
    wanted = request.args.get("member", "all")
    rows = services.enrolments(programme)
    if wanted == "all":
        members = [e.member for e in rows if not services.notify.address_of(e.member)]
    else:
        member_id = whole_number(wanted)
        members = [e.member for e in rows if e.member_id == member_id]
        if not members:
            abort(404)
    from portal.programmes.convocation import convocation_pdf

    pdf = convocation_pdf(programme, members, _programme_link(programme))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="convocation-programme-{programme.id}.pdf"'
    )
    return response


# --- Sessions -------------------------------------------------------------------------------------


def _session_form(programme: Programme, session: Session | None = None) -> SessionForm:
    form = SessionForm()
    form.trainer_ids.choices = [
        SelectChoice(t.user_id, t.user.display_name) for t in programme.trainers
    ]
    if session is not None:
        extra = [t for t in session.trainers if t.user_id not in programme.trainer_ids]
        form.trainer_ids.choices += [SelectChoice(t.user_id, t.user.display_name) for t in extra]
    if request.method == "GET":
        if session is None:
            form.day.data = max(local_today(), programme.starts_on)
            form.morning.data = True
            form.trainer_ids.data = sorted(programme.trainer_ids)
            for half, (start, end) in DEFAULT_TIMES.items():
                getattr(form, f"{half}_start").data = start
                getattr(form, f"{half}_end").data = end
        else:
            form.day.data = session.day
            form.place.data = session.place
            form.topic.data = session.topic
            form.trainer_ids.data = sorted(session.trainer_ids)
            for half, (start, end) in DEFAULT_TIMES.items():
                getattr(form, f"{half}_start").data = start
                getattr(form, f"{half}_end").data = end
            for slot in session.slots:
                getattr(form, slot.half).data = True
                getattr(form, f"{slot.half}_start").data = slot.starts_at
                getattr(form, f"{slot.half}_end").data = slot.ends_at
    return form


def _session_data(form: SessionForm) -> services.SessionData:
    slots = [
        services.SlotData(
            half, getattr(form, f"{half}_start").data, getattr(form, f"{half}_end").data
        )
        for half in (Half.MORNING.value, Half.AFTERNOON.value)
        if getattr(form, half).data
    ]
    return services.SessionData(
        day=form.day.data,
        slots=slots,
        place=form.place.data or "",
        topic=form.topic.data or "",
        # None ticked: the programme's trainers.
        trainer_ids=list(form.trainer_ids.data or []) or None,
    )


def _session_edit_page(form, programme, session, status):
    return render(
        "programmes/session_edit.html",
        status=status,
        form=form,
        programme=programme,
        session=session,
    )


@bp.route("/<int:programme_id>/sessions/new", methods=["GET", "POST"])
@login_required
def session_new(programme_id: int):
    programme = programme_or_404(programme_id)
    closed = programme.state in (CANCELLED, FINISHED)
    if not closed and not can_run(current_user, programme):
        abort(403)
    form = _session_form(programme)
    status = 200
    if closed:
        # Whoever sees the programme is told why no session can be added (422), in plain words.
        try:
            services.refuse_closed(programme)
        except DomainError as error:
            form_error(form, error)
        status = 422
    elif form.is_submitted():
        status = 422
        if form.validate():
            session = attempt(
                form, services.create_session, acting_user(), programme, _session_data(form)
            )
            if session is not REFUSED:
                flash(_("The session is planned."), "success")
                return redirect(url_for("programmes.session", session_id=session.id))
        _bad_csrf(form)
    return _session_edit_page(form, programme, None, status)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def session_edit(session_id: int):
    session = session_or_404(session_id)
    if not can_run_session(current_user, session):
        abort(403)
    form = _session_form(session.programme, session)
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            done = attempt(
                form, services.update_session, acting_user(), session, _session_data(form)
            )
            if done is not REFUSED:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("programmes.session", session_id=session.id))
        _bad_csrf(form)
    return _session_edit_page(form, session.programme, session, status)


def _has_practice(session) -> bool:
    """Has the trainer held a practice meeting or vote in the session (for its participants)?"""
    return bool(practice.last_turn(session) or practice.practice_poll(session))


def _session_links(session, may_run, may_read_sheets, may_confirm, participant):
    """The links to the session's other pages the viewer may use (and that are served)."""
    wanted = [
        ("programmes.rollcall", may_run, _("Roll-call")),
        ("programmes.code_screen", may_run, _("Check-in code")),
        ("programmes.sheet", may_read_sheets, _("Attendance sheet")),
        ("programmes.sign", participant and not session.cancelled, _("Sign the sheet")),
        ("programmes.feedback", may_give_feedback(current_user, session), _("Give your opinion")),
        ("programmes.evidence", may_confirm, _("Learning outcomes reached")),
        (
            "programmes.practice",
            may_run or (participant and _has_practice(session)),
            _("Practice meeting and vote"),
        ),
    ]
    return [
        (url_for(endpoint, session_id=session.id), label)
        for endpoint, allowed, label in wanted
        if allowed and has_endpoint(endpoint)
    ]


def _session_context(session: Session, **extra) -> dict:
    programme = session.programme
    me = member_id_of(current_user)
    may_run = can_run_session(current_user, session)
    materials = services.materials_of(session)
    rows = [
        {
            "material": m,
            "type_title": str(kind.title) if (kind := kind_of(m.content_type)) else _("File"),
            "size_text": size_text(m.size),
            "may_download": services.may_download(current_user, session, m),
        }
        for m in materials
    ]
    participant = can_attend(current_user, programme) and is_participant_on(session, me)
    may_read_sheets = can_read_sheets(current_user, programme)
    may_confirm = can_confirm_evidence(current_user, programme) and not session.cancelled
    context = {
        "session": session,
        "programme": programme,
        "materials": rows,
        "may_run": may_run,
        "may_read_sheets": may_read_sheets,
        "may_confirm": may_confirm,
        "participant": participant,
        "links": _session_links(session, may_run, may_read_sheets, may_confirm, participant),
        "started": services.session_started(session),
        "covered_form": extra.pop("covered_form", None)
        or CoveredForm(formdata=None, covered=session.covered),
        "material_form": extra.pop("material_form", None) or MaterialForm(formdata=None),
        "cancel_form": extra.pop("cancel_form", None) or CancelSessionForm(formdata=None),
        "error_message": None,
        "half_titles": {k.value: v for k, v in HALF_TITLES.items()},
    }
    context.update(extra)
    return context


@bp.route("/sessions/<int:session_id>")
@login_required
def session(session_id: int):
    found = session_or_404(session_id)
    return render("programmes/session.html", **_session_context(found))


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@login_required
def session_cancel(session_id: int):
    found = session_or_404(session_id)
    if not can_run(current_user, found.programme):
        abort(403)
    form = CancelSessionForm()
    if not form.validate():
        _bad_csrf(form)
        return render(
            "programmes/session.html", status=422, **_session_context(found, cancel_form=form)
        )
    done = attempt(
        form,
        services.cancel_session,
        acting_user(),
        found,
        form.reason.data or "",
        link=_session_link,
    )
    if done is REFUSED:
        return render(
            "programmes/session.html", status=422, **_session_context(found, cancel_form=form)
        )
    flash(_("The session is cancelled. The participants with an e-mail are told."), "success")
    return redirect(url_for("programmes.session", session_id=found.id))


@bp.route("/sessions/<int:session_id>/covered", methods=["POST"])
@login_required
def session_covered(session_id: int):
    found = session_or_404(session_id)
    if not can_run_session(current_user, found):
        abort(403)
    form = CoveredForm()
    if form.validate():
        done = attempt(form, services.record_covered, acting_user(), found, form.covered.data or "")
        if done is not REFUSED:
            flash(_("Saved."), "success")
            return redirect(url_for("programmes.session", session_id=found.id) + "#covered")
    _bad_csrf(form)
    return render(
        "programmes/session.html", status=422, **_session_context(found, covered_form=form)
    )


@bp.route("/sessions/<int:session_id>/materials", methods=["POST"])
@login_required
def material_add(session_id: int):
    found = session_or_404(session_id)
    if not can_run_session(current_user, found):
        abort(403)
    form = MaterialForm()
    if not form.validate():
        _bad_csrf(form)
        return render(
            "programmes/session.html", status=422, **_session_context(found, material_form=form)
        )
    upload = form.material.data
    data = upload.stream.read(MAX_FILE_BYTES + 1)
    added = attempt(
        form,
        services.add_material,
        acting_user(),
        found,
        upload.filename or "",
        data,
        paper_sheet=bool(form.paper_sheet.data),
    )
    if added is REFUSED:
        return render(
            "programmes/session.html", status=422, **_session_context(found, material_form=form)
        )
    flash(_("The file %(name)s is attached.", name=added.filename), "success")
    return redirect(url_for("programmes.session", session_id=found.id) + "#materials")


@bp.route("/sessions/<int:session_id>/materials/<int:material_id>")
@login_required
def material(session_id: int, material_id: int):
    found = session_or_404(session_id)
    try:
        row = services.material_for_download(acting_user(), found, material_id)
    except DomainError as error:
        abort(error.status_code if error.status_code in (403, 404) else 400)
    return _download(row)


@bp.route("/sessions/<int:session_id>/materials/<int:material_id>/delete", methods=["POST"])
@login_required
def material_delete(session_id: int, material_id: int):
    found = session_or_404(session_id)
    if not can_run_session(current_user, found):
        abort(403)
    if not WithdrawForm().validate():  # only the CSRF token matters
        abort(400)
    try:
        removed = attempt(None, services.remove_material, acting_user(), found, material_id)
    except DomainError as error:
        abort(error.status_code if error.status_code in (403, 404) else 400)
    flash(_("The file %(name)s is removed.", name=removed.filename), "success")
    return redirect(url_for("programmes.session", session_id=found.id) + "#materials")


@bp.errorhandler(RequestEntityTooLarge)
def _request_too_big(_error):
    """A file over the request limit: said on the session page, where the form is."""
    if request.endpoint != "programmes.material_add" or not current_user.is_authenticated:
        return error_response(413)
    session_id = (request.view_args or {}).get("session_id", 0)
    found = db.session.get(Session, session_id) if 0 < session_id <= MAX_ID else None
    if found is None or not can_view_programme(current_user, found.programme):
        return error_response(404)
    if not can_run_session(current_user, found):
        return error_response(403)
    form = MaterialForm(formdata=None)
    form.material.errors = [
        _("This file is too big. A file can be at most %(size)d MB.", size=MAX_FILE_BYTES // MB)
    ]
    return render(
        "programmes/session.html", status=422, **_session_context(found, material_form=form)
    )
