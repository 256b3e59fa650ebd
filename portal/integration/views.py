"""The record itself: the list of people followed, opening a pathway, the record page and its
own sections (details, eligibility, pauses and extensions, team, exit), and break-glass.

Every route that touches one record starts with `journal.load_pathway` (404 and a journaled
refusal for anyone who may not read it). A request's journal row is kept even when the change
it asked for is refused: the service runs in a savepoint (`attempt`), the request lifecycle
commits only after a success, and the journal's rows are kept whatever the answer (`journal`).

The eligibility criteria (disability, justice...) and the reasons of pauses are special-category
data: only the member and people assigned with access to personal data see them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from portal.accounts.models import Role, User, UserRole
from portal.core.db import local_today
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.paging import count_rows, page_of
from portal.core.viewhelpers import acting_user, int_arg, like_pattern, whole_number
from portal.extensions import db
from portal.integration import bp, forms, journal, policies, services
from portal.integration.models import (
    CONTRACT_TITLES,
    CRITERION_TITLES,
    PERIOD_TITLES,
    TEAM_ROLE_TITLES,
    Assignment,
    Eligibility,
    ExitOutcome,
    Pathway,
    PathwayPeriod,
    ReadKind,
)
from portal.integration.sections import PAGE_SECTIONS, page_section, sections_for
from portal.members.models import Member

PAGE_SIZE = 25


# --- The record page's own sections --------------------------------------------------------------


@page_section("details", "integration/_details.html", order=10)
def details_section(user, pathway: Pathway) -> dict:
    return {"contract_titles": CONTRACT_TITLES}


@page_section(
    "eligibility", "integration/_eligibility.html", order=20, visible=policies.can_read_barriers
)
def eligibility_section(user, pathway: Pathway) -> dict:
    rows = db.session.scalars(
        sa.select(Eligibility)
        .where(Eligibility.pathway_id == pathway.id)
        .order_by(Eligibility.checked_on, Eligibility.id)
    ).all()
    return {
        "eligibility_rows": rows,
        "criterion_titles": CRITERION_TITLES,
        "expiry_limit": local_today() + timedelta(days=services.EXPIRY_WARNING_DAYS),
    }


@page_section("periods", "integration/_periods.html", order=30)
def periods_section(user, pathway: Pathway) -> dict:
    rows = db.session.scalars(
        sa.select(PathwayPeriod)
        .where(PathwayPeriod.pathway_id == pathway.id)
        .order_by(PathwayPeriod.starts_on, PathwayPeriod.id)
    ).all()
    return {
        "period_rows": rows,
        "period_titles": PERIOD_TITLES,
        # The reasons may tell of health or family matters ("Hospitalised..."): trainers and
        # counsellors without access to personal data see the dates only.
        "period_reasons_shown": policies.can_read_barriers(user, pathway),
    }


@page_section("team", "integration/_team.html", order=35)
def team_section(user, pathway: Pathway) -> dict:
    rows = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.pathway_id == pathway.id)
        .order_by(Assignment.starts_on, Assignment.id)
    ).all()
    return {
        "team_rows": rows,
        "team_role_titles": TEAM_ROLE_TITLES,
        # Only an administrator or a counsellor who holds it gives access to personal data.
        "team_may_grant_flag": services.may_grant_personal_data(user, pathway),
    }


@page_section("exit", "integration/_exit.html", order=90)
def exit_section(user, pathway: Pathway) -> dict:
    return {}


# --- Shared pieces -------------------------------------------------------------------------------


def _frame(user, pathway: Pathway) -> dict:
    """What every part of the record page needs: the pathway, its status, who may change it."""
    glass = bool(g.get("break_glass"))
    today = local_today()
    status = services.pathway_status(pathway, today)
    return {
        "pathway": pathway,
        "break_glass": glass,
        "today": today,
        "record_status": status,
        "status_titles": services.STATUS_TITLES,
        "record_may_edit": not glass and policies.can_edit(user, pathway),
        "record_may_manage": not glass and policies.can_manage_team(user, pathway),
        "record_forms": {},
        "team_only": bool(g.get("team_only")),
        "list_allowed": _team_roles(user) or _is_admin(user),
    }


def _kind() -> ReadKind:
    return ReadKind.FRAGMENT if is_htmx() else ReadKind.PAGE


def _section_response(pathway: Pathway, name: str, forms_: dict | None = None, status=200):
    """The section alone (htmx) or a page holding it (plain browsers): for editing."""
    user = acting_user()
    section = next(s for s in PAGE_SECTIONS if s.name == name)
    context = _frame(user, pathway) | section.context(user, pathway)
    context["record_forms"] = forms_ or {}
    return render(
        "integration/edit.html",
        fragment=section.template,
        status=status,
        section_template=section.template,
        **context,
    )


def _done(pathway: Pathway, name: str, message: str):
    if is_htmx():
        return _section_response(pathway, name)
    flash(message, "success")
    if g.get("team_only"):
        return redirect(url_for("integration.assign_team", pathway_id=pathway.id), 303)
    anchor = f"#pathway-{pathway.id}-{name}"
    return redirect(url_for("integration.view_pathway", pathway_id=pathway.id) + anchor, 303)


def _load(pathway_id: int, kind: ReadKind, what: str, need: Callable) -> Pathway:
    return journal.load_pathway(pathway_id, kind, what, need=need)


def _load_team(pathway_id: int, kind: ReadKind, what: str, need: Callable) -> Pathway:
    """An administrator chooses the team without reading the record: the team section alone,
    journaled (the member sees it). Everyone else goes through `load_pathway`."""
    user = acting_user()
    pathway = db.session.get(Pathway, pathway_id)
    if (
        pathway is not None
        and policies.can_manage_team(user, pathway)
        and not policies.can_read(user, pathway)
    ):
        journal.record_read(user, pathway.id, kind, f"{what} (team only)")
        g.team_only = True
        return pathway
    return journal.load_pathway(pathway_id, kind, what, need=need)


def _edit(
    pathway_id: int,
    name: str,
    form_key: str,
    make_form: Callable,
    need: Callable,
    apply: Callable,
    message: str,
    loader: Callable = _load,
):
    """GET: the section with its form open. POST: validate, call the service, answer.

    `make_form(pathway, post)` builds the form (with its choices); `apply(user, pathway, form)`
    calls one service. A refused change keeps nothing but the journal row."""
    what = name if name == form_key else f"{name} {form_key}"
    pathway = loader(pathway_id, _kind(), what, need)
    user = acting_user()
    if request.method == "GET":
        return _section_response(pathway, name, {form_key: make_form(pathway, False)})
    form = make_form(pathway, True)
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return _section_response(pathway, name, {form_key: form}, 422)
    if attempt(form, apply, user, pathway, form) is REFUSED:
        # The savepoint took the change away; the journal row is kept after the answer.
        pathway = db.session.get(Pathway, pathway_id)
        return _section_response(pathway, name, {form_key: form}, 422)
    return _done(pathway, name, message)


def _id(value) -> int | None:
    return whole_number(value or "") or None


def _team_users(*roles: Role) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_([r.value for r in roles]), User.active.is_(True))
            .order_by(User.display_name, User.id)
            .distinct()
        )
    )


def _user_choices(users: list[User]) -> list[SelectChoice]:
    return [SelectChoice("", _("Choose a person"))] + [
        SelectChoice(str(u.id), u.display_name) for u in users
    ]


# --- The list ------------------------------------------------------------------------------------


def _team_roles(user) -> bool:
    return policies.can_follow_people(user)


def _is_admin(user) -> bool:
    return policies.can_list_all_pathways(user)


@bp.route("/")
def index():
    user = acting_user()
    mine_allowed, admin = _team_roles(user), _is_admin(user)
    if not (mine_allowed or admin):
        journal.refuse(user, None, ReadKind.PAGE, "list")
    scope = request.args.get("scope", "")
    scope = "all" if admin and (scope == "all" or not mine_allowed) else "mine"
    team = request.args.get("team", "").strip()[:80]
    search = request.args.get("q", "").strip()[:100]
    today = local_today()

    query = sa.select(Pathway).join(Member, Member.id == Pathway.member_id)
    if scope == "mine":
        query = query.where(policies.assigned_pathways_clause(user))
    else:
        query = query.where(Pathway.exit_on.is_(None), Pathway.anonymised_on.is_(None))
    if team:
        query = query.where(Pathway.team == team)
    if search:
        pattern = like_pattern(search)
        query = query.where(
            sa.or_(
                sa.func.lower(Member.given_name).like(pattern, escape="\\"),
                sa.func.lower(Member.family_name).like(pattern, escape="\\"),
                sa.func.lower(Member.given_name + " " + Member.family_name).like(
                    pattern, escape="\\"
                ),
            )
        )
    shown = page_of(count_rows(query), int_arg("page", 1), PAGE_SIZE)
    total, page, pages = shown.total, shown.number, shown.pages
    window = shown.window(query.order_by(Member.family_name, Member.given_name, Pathway.id))
    rows, team_of = [], {}
    if scope == "mine":
        found = db.session.execute(
            window.add_columns(
                services.suspended_on_clause(today).label("suspended"),
                services.expiring_count_clause(today).label("expiring"),
            )
        ).all()
        rows = [
            {
                "pathway": p,
                "status": services.status_code(p, bool(suspended), today),
                "expiring": expiring,
            }
            for p, suspended, expiring in found
        ]
    else:
        pathways = db.session.scalars(window).unique().all()
        rows = [{"pathway": p} for p in pathways]
        if pathways:
            assignments = db.session.scalars(
                sa.select(Assignment)
                .where(
                    Assignment.pathway_id.in_([p.id for p in pathways]),
                    Assignment.starts_on <= today,
                    sa.or_(Assignment.ends_on.is_(None), Assignment.ends_on >= today),
                )
                .order_by(Assignment.role, Assignment.id)
            ).all()
            for a in assignments:
                team_of.setdefault(a.pathway_id, []).append(a)
    teams_query = sa.select(Pathway.team).where(Pathway.team != "").distinct()
    if scope == "mine":
        teams_query = teams_query.where(policies.assigned_pathways_clause(user))
    else:
        teams_query = teams_query.where(Pathway.exit_on.is_(None), Pathway.anonymised_on.is_(None))
    teams = sorted(db.session.scalars(teams_query))
    filter_args = {k: v for k, v in (("team", team), ("q", search)) if v}
    if scope == "all" and mine_allowed:
        filter_args["scope"] = "all"
    return render(
        "integration/index.html",
        fragment="integration/record_list.html",
        scope=scope,
        both_scopes=mine_allowed and admin,
        rows=rows,
        team_of=team_of,
        total=total,
        page=page,
        pages=pages,
        team=team,
        search=search,
        teams=teams,
        filter_args=filter_args,
        status_titles=services.STATUS_TITLES,
        team_role_titles=TEAM_ROLE_TITLES,
        may_open=policies.can_open_pathway(user),
    )


# --- Opening a pathway ---------------------------------------------------------------------------


def _member_choices() -> list[SelectChoice]:
    members = db.session.scalars(
        sa.select(Member)
        .where(Member.state == "active")
        .order_by(Member.family_name, Member.given_name, Member.id)
    ).all()
    return [SelectChoice("", _("Choose a person"))] + [
        SelectChoice(str(m.id), f"{m.family_name} {m.given_name} ({m.member_number})")
        for m in members
    ]


@bp.route("/new", methods=["GET", "POST"])
def new_pathway():
    user = acting_user()
    if not policies.can_open_pathway(user):
        journal.refuse(user, None, ReadKind.PAGE, "new")
    needs_counsellor = not policies.opens_as_counsellor(user)
    if request.method == "GET":
        preset = _id(request.args.get("member"))
        form = forms.NewPathwayForm(formdata=None, member=str(preset or ""), entry_on=local_today())
    else:
        form = forms.NewPathwayForm()
    form.member.choices = _member_choices()
    preset_member = _id(form.member.data)
    if preset_member and str(preset_member) not in {c.value for c in form.member.choices}:
        found = db.session.get(Member, preset_member)
        if found is not None and found.state != "ended":
            form.member.choices.append(
                SelectChoice(str(found.id), f"{found.family_name} {found.given_name}")
            )
    form.counsellor.choices = _user_choices(_team_users(Role.COUNSELLOR))
    context = {"form": form, "needs_counsellor": needs_counsellor}
    if request.method == "GET":
        return render("integration/new.html", **context)
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return render("integration/new.html", status=422, **context)
    member = db.session.get(Member, _id(form.member.data) or 0)
    counsellor = None
    if needs_counsellor:
        counsellor = db.session.get(User, _id(form.counsellor.data) or 0)
        if counsellor is None:
            form.counsellor.errors = [_("Choose a counsellor from the list.")]
            return render("integration/new.html", status=422, **context)
    pathway = attempt(form, services.open_pathway, user, member, form.data_for(counsellor))
    if pathway is REFUSED:
        return render("integration/new.html", status=422, **context)
    flash(_("The pathway is open."), "success")
    if policies.can_read(user, pathway):
        return redirect(url_for("integration.view_pathway", pathway_id=pathway.id), 303)
    return redirect(url_for("integration.index"), 303)


# --- The record page -----------------------------------------------------------------------------


@bp.route("/<int:pathway_id>")
def view_pathway(pathway_id: int):
    pathway = journal.load_pathway(pathway_id, ReadKind.PAGE, "record")
    user = acting_user()
    shown, context = sections_for(user, pathway)
    return render("integration/view.html", sections=shown, **(context | _frame(user, pathway)))


# --- Details -------------------------------------------------------------------------------------


def _details_form(pathway: Pathway, post: bool):
    if post:
        return forms.DetailsForm()
    return forms.DetailsForm(
        formdata=None,
        entry_on=pathway.entry_on,
        planned_end_on=pathway.planned_end_on,
        contract_type=pathway.contract_type,
        weekly_hours=pathway.weekly_hours,
        team=pathway.team,
        referrer=pathway.referrer,
    )


@bp.route("/<int:pathway_id>/details", methods=["GET", "POST"])
def edit_details(pathway_id: int):
    return _edit(
        pathway_id,
        "details",
        "details",
        _details_form,
        policies.can_edit,
        lambda user, pathway, form: services.update_details(user, pathway, form.data_for()),
        _("The details are saved."),
    )


# --- Eligibility ---------------------------------------------------------------------------------


def _eligibility_form(pathway: Pathway, post: bool):
    if post:
        return forms.EligibilityForm()
    return forms.EligibilityForm(formdata=None, checked_on=local_today())


@bp.route("/<int:pathway_id>/eligibility", methods=["GET", "POST"])
def add_eligibility(pathway_id: int):
    return _edit(
        pathway_id,
        "eligibility",
        "eligibility",
        _eligibility_form,
        services.may_keep_eligibility,
        lambda user, pathway, form: services.add_eligibility(
            user,
            pathway,
            form.criterion.data or "",
            form.detail.data or "",
            form.checked_on.data,
            form.expires_on.data,
        ),
        _("The criterion is added."),
    )


@bp.route("/<int:pathway_id>/eligibility/<int:eligibility_id>/remove", methods=["POST"])
def remove_eligibility(pathway_id: int, eligibility_id: int):
    return _edit(
        pathway_id,
        "eligibility",
        "remove",
        lambda pathway, post: forms.ConfirmForm() if post else forms.ConfirmForm(formdata=None),
        services.may_keep_eligibility,
        lambda user, pathway, form: services.remove_eligibility(
            user, pathway, db.session.get(Eligibility, eligibility_id)
        ),
        _("The criterion is removed."),
    )


# --- Pauses and extensions -----------------------------------------------------------------------


def _suspend_form(pathway: Pathway, post: bool):
    return (
        forms.SuspendForm() if post else forms.SuspendForm(formdata=None, starts_on=local_today())
    )


@bp.route("/<int:pathway_id>/suspend", methods=["GET", "POST"])
def suspend_pathway(pathway_id: int):
    return _edit(
        pathway_id,
        "periods",
        "suspend",
        _suspend_form,
        policies.can_edit,
        lambda user, pathway, form: services.suspend(
            user, pathway, form.starts_on.data, form.ends_on.data, form.reason.data or ""
        ),
        _("The pause is saved."),
    )


@bp.route("/<int:pathway_id>/periods/<int:period_id>/end", methods=["GET", "POST"])
def end_suspension(pathway_id: int, period_id: int):
    def make(pathway, post):
        form = (
            forms.EndSuspensionForm()
            if post
            else forms.EndSuspensionForm(formdata=None, ends_on=local_today())
        )
        form.period_id = period_id
        return form

    return _edit(
        pathway_id,
        "periods",
        "end",
        make,
        policies.can_edit,
        lambda user, pathway, form: services.end_suspension(
            user, pathway, db.session.get(PathwayPeriod, period_id), form.ends_on.data
        ),
        _("The pause is ended."),
    )


@bp.route("/<int:pathway_id>/extend", methods=["GET", "POST"])
def extend_pathway(pathway_id: int):
    return _edit(
        pathway_id,
        "periods",
        "extend",
        lambda pathway, post: forms.ExtendForm() if post else forms.ExtendForm(formdata=None),
        policies.can_edit,
        lambda user, pathway, form: services.extend(
            user, pathway, form.new_end.data, form.reason.data or ""
        ),
        _("The new planned end is saved."),
    )


# --- Team ----------------------------------------------------------------------------------------


def _assign_form(pathway: Pathway, post: bool):
    form = forms.AssignForm() if post else forms.AssignForm(formdata=None, starts_on=local_today())
    me = acting_user()
    # Nobody adds themself (the service refuses it too).
    others = [u for u in _team_users(Role.COUNSELLOR, Role.TRAINER) if u.id != getattr(me, "id", 0)]
    form.user.choices = _user_choices(others)
    return form


def _assign(user, pathway, form):
    person = db.session.get(User, _id(form.user.data) or 0)
    return services.assign(
        user,
        pathway,
        person,
        form.role.data or "",
        form.starts_on.data,
        form.ends_on.data,
        bool(form.personal_data.data),
    )


@bp.route("/<int:pathway_id>/team", methods=["GET", "POST"])
def assign_team(pathway_id: int):
    return _edit(
        pathway_id,
        "team",
        "assign",
        _assign_form,
        policies.can_manage_team,
        _assign,
        _("The person is added to the team."),
        loader=_load_team,
    )


@bp.route("/<int:pathway_id>/team/<int:assignment_id>/end", methods=["GET", "POST"])
def end_assignment(pathway_id: int, assignment_id: int):
    def make(pathway, post):
        form = (
            forms.EndAssignmentForm()
            if post
            else forms.EndAssignmentForm(formdata=None, ends_on=local_today())
        )
        form.assignment_id = assignment_id
        return form

    return _edit(
        pathway_id,
        "team",
        "end",
        make,
        policies.can_manage_team,
        lambda user, pathway, form: services.end_assignment(
            user, pathway, db.session.get(Assignment, assignment_id), form.ends_on.data
        ),
        _("The assignment ends on that day."),
        loader=_load_team,
    )


# --- Exit ----------------------------------------------------------------------------------------


def _exit_form(pathway: Pathway, post: bool):
    form = forms.ExitForm() if post else forms.ExitForm(formdata=None, exit_on=local_today())
    form.outcome.choices = [SelectChoice("", _("Choose an answer"))] + [
        SelectChoice(str(o.id), o.title) for o in services.active_outcomes()
    ]
    return form


@bp.route("/<int:pathway_id>/exit", methods=["GET", "POST"])
def record_exit(pathway_id: int):
    return _edit(
        pathway_id,
        "exit",
        "exit",
        _exit_form,
        policies.can_edit,
        lambda user, pathway, form: services.record_exit(
            user,
            pathway,
            form.exit_on.data,
            db.session.get(ExitOutcome, _id(form.outcome.data) or 0),
            form.note.data or "",
        ),
        _("The exit is saved."),
    )


@bp.route("/<int:pathway_id>/reopen", methods=["GET", "POST"])
def reopen_pathway(pathway_id: int):
    return _edit(
        pathway_id,
        "exit",
        "reopen",
        lambda pathway, post: forms.ReopenForm() if post else forms.ReopenForm(formdata=None),
        policies.can_edit,
        lambda user, pathway, form: services.reopen(user, pathway, form.reason.data or ""),
        _("The exit is undone."),
    )


# --- Break-glass ---------------------------------------------------------------------------------


@bp.route("/<int:pathway_id>/break-glass", methods=["GET", "POST"])
def break_glass(pathway_id: int):
    user = acting_user()
    pathway = db.session.get(Pathway, pathway_id)
    if pathway is None or not policies.can_break_glass(user, pathway):
        if pathway is not None and policies.can_read(user, pathway):
            # Someone who may read it already: no reason needed (and nothing journaled here).
            return redirect(url_for("integration.view_pathway", pathway_id=pathway_id), 303)
        journal.refuse(user, pathway_id, ReadKind.PAGE, "break-glass")
    form = forms.BreakGlassForm() if request.method == "POST" else forms.BreakGlassForm(None)
    if request.method == "GET":
        return render("integration/break_glass.html", form=form, pathway_id=pathway.id)
    if not form.validate():
        if "csrf_token" in form.errors:
            abort(400)
        return render("integration/break_glass.html", status=422, form=form, pathway_id=pathway.id)
    if attempt(form, services.break_glass, user, pathway, form.reason.data or "") is REFUSED:
        return render("integration/break_glass.html", status=422, form=form, pathway_id=pathway_id)
    return redirect(url_for("integration.view_pathway", pathway_id=pathway_id), 303)
