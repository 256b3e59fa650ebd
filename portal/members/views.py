"""Register views: the directory, the register, a member's page, lifecycle, preferences."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.models import User
from portal.core.db import local_today
from portal.core.errors import DomainError
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.paging import paginate
from portal.core.security import Permission, allowed_clause, can, require
from portal.core.urls import public_url
from portal.core.viewhelpers import (
    acting_user,
    form_error,
    int_arg,
    item_or_404,
    like_pattern,
    whole_number,
)
from portal.extensions import db
from portal.members import bodies as body_services
from portal.members import bp, services
from portal.members.forms import (
    CategoryChangeForm,
    ConfirmForm,
    LinkAccountForm,
    MemberForm,
    PreferencesForm,
    TransitionForm,
    language_choices,
)
from portal.members.models import Member, MemberCategory

PAGE_SIZE = 30


def _member_or_404(member_id: int, permission: Permission = Permission.VIEW_PROFILE) -> Member:
    """A member the viewer may see; the others do not exist for them (404)."""
    return item_or_404(Member, member_id, permission, seen_with=Permission.VIEW_PROFILE)


def _category_choices(empty: str | None = None) -> list[tuple[str, str]]:
    choices = [(str(c.id), c.title) for c in services.categories()]
    return [("", empty), *choices] if empty is not None else choices


def _optional_int(value: str | None) -> int | None:
    return whole_number(value)


def _name_filter(query, search: str):
    like = like_pattern(search)
    full = sa.func.lower(Member.given_name + " " + Member.family_name)
    return query.where(
        sa.or_(
            full.like(like, escape="\\"),
            sa.func.lower(Member.family_name + " " + Member.given_name).like(like, escape="\\"),
            sa.func.lower(Member.team).like(like, escape="\\"),
            sa.func.lower(Member.member_number).like(like, escape="\\"),
        )
    )


def _page_of(query, page_number: int):
    page = paginate(
        query,
        page_number,
        PAGE_SIZE,
        sa.func.lower(Member.family_name),
        sa.func.lower(Member.given_name),
        Member.id,
    )
    return page.items, page.total, page.number, page.pages


# --- The directory and the register -----------------------------------------------------------


@bp.route("/")
@login_required
def directory():
    """Active members: names, teams, positions; contact details only where they agreed."""
    require(current_user, Permission.VIEW_DIRECTORY)
    search = request.args.get("q", "").strip()[:100]
    team = request.args.get("team", "").strip()[:80]
    query = sa.select(Member).where(
        Member.state == "active", allowed_clause(current_user, Member, Permission.VIEW_PROFILE)
    )
    if search:
        query = _name_filter(query, search)
    if team:
        query = query.where(Member.team == team)
    items, total, page, pages = _page_of(query, int_arg("page"))
    teams = db.session.scalars(
        sa.select(Member.team)
        .where(Member.state == "active", Member.team != "")
        .distinct()
        .order_by(Member.team)
    ).all()
    return render(
        "members/directory.html",
        fragment="members/_directory_results.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        q=search,
        team=team,
        teams=teams,
        positions=body_services.positions_by_member([m.id for m in items], local_today()),
        my_member=_my_member(),
    )


def _can_open_register(user) -> bool:
    return can(user, Permission.MANAGE_MEMBERS) or can(user, Permission.PRINT_WELCOME_SHEETS)


@bp.route("/register")
@login_required
def register():
    """Every member the viewer may see in full, in any state, with filters."""
    if not _can_open_register(current_user):
        abort(403)
    search = request.args.get("q", "").strip()[:100]
    state = request.args.get("state", "")
    category_id = _optional_int(request.args.get("college"))
    query = sa.select(Member).where(allowed_clause(current_user, Member, Permission.VIEW))
    if search:
        query = _name_filter(query, search)
    if state in Member.workflow.states:
        query = query.where(Member.state == state)
    if category_id is not None:
        query = query.where(Member.category_id == category_id)
    items, total, page, pages = _page_of(query, int_arg("page"))
    counts = dict(
        db.session.execute(
            sa.select(Member.state, sa.func.count())
            .where(allowed_clause(current_user, Member, Permission.VIEW))
            .group_by(Member.state)
        ).all()
    )
    return render(
        "members/register.html",
        fragment="members/_register_results.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        q=search,
        state=state,
        college=category_id,
        counts=counts,
        categories=services.categories(),
        member_states=Member.workflow.states,
        can_manage=can(current_user, Permission.MANAGE_MEMBERS),
    )


def _my_member() -> Member | None:
    if not current_user.is_authenticated:
        return None
    return db.session.scalar(sa.select(Member).where(Member.user_id == current_user.id))


@bp.route("/me")
@login_required
def my_page():
    member = _my_member()
    if member is None:
        return render("members/not_in_register.html")
    return redirect(url_for("members.view_member", member_id=member.id))


# --- Adding and editing -----------------------------------------------------------------------


def _member_form(form: MemberForm) -> MemberForm:
    form.category_id.choices = _category_choices(_("Not chosen yet"))
    form.preferred_language.choices = language_choices(current_app.config["LANGUAGES"])
    return form


def _member_data(form: MemberForm) -> services.MemberData:
    return services.MemberData(
        given_name=form.given_name.data or "",
        family_name=form.family_name.data or "",
        member_number=form.member_number.data or "",
        preferred_language=form.preferred_language.data or "",
        email=form.email.data or None,
        phone=form.phone.data or None,
        contact_consent=bool(form.contact_consent.data),
        team=form.team.data or "",
        category_id=_optional_int(form.category_id.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_member():
    require(current_user, Permission.MANAGE_MEMBERS)
    form = _member_form(MemberForm())
    if request.method == "GET":
        form.preferred_language.data = current_app.config["BABEL_DEFAULT_LOCALE"]
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            member = attempt(
                form,
                _dated(services.create_member, "applied_on"),
                acting_user(),
                _member_data(form),
                form.applied_on.data or local_today(),
            )
            if member is not REFUSED:
                flash(
                    _(
                        "%(name)s is in the register as an applicant. The board decides on the admission.",
                        name=member.full_name,
                    ),
                    "success",
                )
                return redirect(url_for("members.view_member", member_id=member.id))
    return render("members/edit.html", status=status, form=form, member=None)


def _dated(service, name: str):
    """`service`, its refusals about the date named as the form names it (services call the
    date `effective_on`; a form may call it otherwise)."""

    def call(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except DomainError as error:
            if error.field == "effective_on":
                error.field = name
            raise

    return call


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit_member(member_id: int):
    member = _member_or_404(member_id, Permission.EDIT)
    form = _member_form(MemberForm(obj=member if request.method == "GET" else None))
    if request.method == "GET":
        form.category_id.data = str(member.category_id or "")
    del form.applied_on
    if member.category_id is not None:
        form.category_id.render_kw = {"disabled": True}
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            saved = attempt(form, services.update_member, acting_user(), member, _member_data(form))
            if saved is not REFUSED:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("members.view_member", member_id=member.id))
    return render("members/edit.html", status=status, form=form, member=member)


# --- A member's page --------------------------------------------------------------------------


def _member_context(member: Member, **extra) -> dict:
    today = local_today()
    full = can(current_user, Permission.VIEW, member)
    transition_form = extra.pop("transition_form", None) or TransitionForm()
    if not transition_form.is_submitted():
        transition_form.effective_on.data = today
    category_form = extra.pop("category_form", None) or CategoryChangeForm()
    category_form.category_id.choices = [
        c for c in _category_choices() if c[0] != str(member.category_id)
    ]
    if not category_form.is_submitted():
        category_form.effective_on.data = today
    return {
        "member": member,
        "full": full,
        "today": today,
        "mandates": body_services.mandates_of_member(member, None if full else today),
        "events": services.events_of(member)
        if can(current_user, Permission.VIEW_HISTORY, member)
        else [],
        "show_contact": full or member.contact_consent,
        "transition_form": transition_form,
        "category_form": category_form,
        "link_form": extra.pop("link_form", None) or LinkAccountForm(),
        "confirm_form": ConfirmForm(),
        "lifecycle_error": None,
        **extra,
    }


@bp.route("/<int:member_id>")
@login_required
def view_member(member_id: int):
    member = _member_or_404(member_id)
    return render("members/view.html", **_member_context(member))


@bp.route("/<int:member_id>/transition", methods=["POST"])
@login_required
def transition_member(member_id: int):
    """A lifecycle step, dated and with a reason (board). htmx swaps the lifecycle section."""
    member = _member_or_404(member_id, Permission.DECIDE_MEMBERSHIP)
    form = TransitionForm()
    error_message = None
    status = 200
    if not form.validate():
        if "transition" in form.errors or "csrf_token" in form.errors:
            abort(400)
        status = 422
    else:
        try:
            attempt(
                None,
                services.change_membership,
                acting_user(),
                member,
                form.transition.data,
                form.effective_on.data,
                form.reason.data or "",
            )
        except DomainError as error:  # shown in the lifecycle section, whatever its kind
            if error.status_code == 403:
                raise
            status = 422
            error = _reason_field(error)
            if error.field in ("effective_on", "reason"):
                form_error(form, error)
            else:
                error_message = str(error.message)
        else:
            state = member.workflow.states[member.state].title
            if not is_htmx():
                flash(
                    _("Done. %(name)s is now: %(state)s.", name=member.full_name, state=state),
                    "success",
                )
                return redirect(url_for("members.view_member", member_id=member.id))
            form = TransitionForm(formdata=None)
    if not can(current_user, Permission.VIEW_PROFILE, member):
        return redirect(url_for("members.register"))
    context = _member_context(member, transition_form=form)
    context["lifecycle_error"] = error_message
    if is_htmx():
        response = render("members/_lifecycle.html", status=status, **context)
        if status == 200:
            response.headers["HX-Trigger"] = "member-state-changed"
        return response
    return render("members/view.html", status=status, **context)


def _reason_field(error: DomainError) -> DomainError:
    if error.field == "comment":
        error.field = "reason"
    return error


@bp.route("/<int:member_id>/college", methods=["POST"])
@login_required
def change_college(member_id: int):
    member = _member_or_404(member_id, Permission.EDIT)
    form = CategoryChangeForm()
    category_id = _optional_int(form.category_id.data)
    category = db.session.get(MemberCategory, category_id) if category_id else None
    if form.validate():
        if category is None:
            form.category_id.errors = [_("Choose a college from the list.")]
        else:
            changed = attempt(
                form,
                services.change_category,
                acting_user(),
                member,
                category,
                form.effective_on.data,
                form.reason.data or "",
            )
            if changed is not REFUSED:
                flash(_("The college is changed."), "success")
                return redirect(url_for("members.view_member", member_id=member.id))
    return render("members/view.html", status=422, **_member_context(member, category_form=form))


# --- Preferences (self-service) ---------------------------------------------------------------


@bp.route("/<int:member_id>/preferences", methods=["GET", "POST"])
@login_required
def edit_preferences(member_id: int):
    member = _member_or_404(member_id, Permission.EDIT_PREFERENCES)
    form = PreferencesForm(obj=member if request.method == "GET" else None)
    form.preferred_language.choices = language_choices(current_app.config["LANGUAGES"])
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            preferences = services.Preferences(
                preferred_language=form.preferred_language.data or "",
                email=form.email.data or None,
                phone=form.phone.data or None,
                contact_consent=bool(form.contact_consent.data),
            )
            saved = attempt(form, services.update_preferences, acting_user(), member, preferences)
            if saved is not REFUSED:
                flash(_("Your choices are saved."), "success")
                return redirect(url_for("members.view_member", member_id=member.id))
    return render("members/preferences.html", status=status, form=form, member=member)


# --- Account and welcome sheet ----------------------------------------------------------------


@bp.route("/<int:member_id>/account/link", methods=["POST"])
@login_required
def link_account(member_id: int):
    member = _member_or_404(member_id, Permission.EDIT)
    form = LinkAccountForm()
    if form.validate():
        username = (form.username.data or "").strip().lower()
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            form.username.errors = [_("There is no account with this username.")]
        elif attempt(form, services.link_account, acting_user(), member, user) is not REFUSED:
            flash(_("The account is linked to this member."), "success")
            return redirect(url_for("members.view_member", member_id=member.id))
    return render("members/view.html", status=422, **_member_context(member, link_form=form))


@bp.route("/<int:member_id>/account/unlink", methods=["POST"])
@login_required
def unlink_account(member_id: int):
    member = _member_or_404(member_id, Permission.EDIT)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    if not form.confirm.data:
        flash(_("Tick the box to confirm."), "error")
        return redirect(url_for("members.view_member", member_id=member.id))
    try:
        attempt(None, services.unlink_account, acting_user(), member)
    except DomainError as error:  # said on the member's page (nothing of the call is kept)
        flash(str(error.message), "error")
    else:
        flash(_("The account is no longer linked to this member."), "success")
    return redirect(url_for("members.view_member", member_id=member.id))


@bp.route("/<int:member_id>/welcome-sheet", methods=["POST"])
@login_required
def welcome_sheet(member_id: int):
    """Create the account if needed, issue a one-time setup code, send the printable PDF."""
    member = _member_or_404(member_id, Permission.PRINT_WELCOME_SHEETS)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    try:
        code, plain = attempt(
            None, services.issue_welcome_code, acting_user(), member, current_app.config
        )
    except DomainError as error:  # said on the member's page (nothing of the call is kept)
        if error.status_code == 403:
            raise
        flash(str(error.message), "error")
        return redirect(url_for("members.view_member", member_id=member.id))
    from portal.members.pdf import welcome_sheet_pdf

    pdf = welcome_sheet_pdf(
        member, code, plain, public_url("accounts.redeem_setup_code"), local_today()
    )
    # The code is kept (the lifecycle commits) only once the sheet exists: a failed PDF is an
    # error, which rolls the code back.
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="welcome-{member.member_number.replace("/", "-")}.pdf"'
    )
    return response
