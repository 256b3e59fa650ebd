"""Bodies and colleges: rules, positions (mandates), and who votes on a given day."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.core.db import local_today
from portal.core.errors import DomainError
from portal.core.htmx import render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.security import Permission, can, require
from portal.core.viewhelpers import acting_user, row_or_404, whole_number
from portal.extensions import db
from portal.members import bodies as services
from portal.members import bodies_bp as bp
from portal.members import services as register
from portal.members.forms import (
    BodyForm,
    CategoryForm,
    EndMandateForm,
    MandateForm,
    RemoveMandateForm,
)
from portal.members.models import MAJORITY_TITLES, Body, Mandate, Member, MemberCategory

ELECTORATE_SHOWN = 500  # names listed on a body's page


def _day_arg() -> tuple[date, str | None]:
    """The `on` query argument as a date (default today), and a message if it was not one."""
    text = request.args.get("on", "").strip()
    if not text:
        return local_today(), None
    try:
        return date.fromisoformat(text[:10]), None
    except ValueError:
        return local_today(), _("This is not a date. Showing today.")


# --- Bodies -----------------------------------------------------------------------------------


@bp.route("/")
@login_required
def list_bodies():
    require(current_user, Permission.VIEW_DIRECTORY)
    today = local_today()
    manager = can(current_user, Permission.MANAGE_BODIES)
    items = services.bodies(include_inactive=manager)
    return render(
        "members/bodies.html",
        items=items,
        summaries=services.electorate_summaries(items, today),
        chairs=services.chairs_of(items, today),
        can_manage=manager,
        today=today,
    )


@bp.route("/<int:body_id>")
@login_required
def view_body(body_id: int):
    require(current_user, Permission.VIEW_DIRECTORY)
    body = row_or_404(Body, body_id)
    manager = can(current_user, Permission.MANAGE_BODIES)
    if not body.active and not manager:
        abort(404)
    day, day_error = _day_arg()
    return render(
        "members/body.html",
        fragment="members/_electorate.html",
        body=body,
        day=day,
        day_error=day_error,
        today=local_today(),
        summary=services.electorate_summary(body, day),
        voters=services.electorate_members(body, day, current_user, limit=ELECTORATE_SHOWN),
        shown_at_most=ELECTORATE_SHOWN,
        current=services.mandates_of_body(body, local_today()),
        history=services.mandates_of_body(body),
        can_manage=manager,
        end_form=EndMandateForm(),
        remove_form=RemoveMandateForm(),
        majority_titles=MAJORITY_TITLES,
    )


def _body_data(form: BodyForm) -> services.BodyData:
    return services.BodyData(
        kind=form.kind.data or "",
        name=form.name.data or "",
        description=form.description.data or "",
        quorum_percent=form.quorum_percent.data,
        notice_days=form.notice_days.data,
        default_majority=form.default_majority.data or "",
        proxy_cap=form.proxy_cap.data,
        active=bool(form.active.data),
        support_percent=form.support_percent.data,
        support_minimum=form.support_minimum.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_body():
    require(current_user, Permission.MANAGE_BODIES)
    form = BodyForm()
    if request.method == "GET":
        form.kind.data, form.quorum_percent.data = "committee", 50
        form.notice_days.data, form.proxy_cap.data = 7, 1
        form.support_percent.data, form.support_minimum.data = 10, 3
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            body = attempt(form, services.create_body, acting_user(), _body_data(form))
            if body is not REFUSED:
                flash(_("The body is created. Now add its members."), "success")
                return redirect(url_for("bodies.view_body", body_id=body.id))
    return render("members/body_edit.html", status=status, form=form, body=None)


@bp.route("/<int:body_id>/edit", methods=["GET", "POST"])
@login_required
def edit_body(body_id: int):
    require(current_user, Permission.MANAGE_BODIES)
    body = row_or_404(Body, body_id)
    form = BodyForm(obj=body if request.method == "GET" else None)
    if request.method == "GET":
        form.name.data = body.title
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            saved = attempt(form, services.update_body, acting_user(), body, _body_data(form))
            if saved is not REFUSED:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("bodies.view_body", body_id=body.id))
    return render("members/body_edit.html", status=status, form=form, body=body)


# --- Mandates ---------------------------------------------------------------------------------


def _candidates() -> list[tuple[str, str]]:
    """Active members, by name: who can hold a position."""
    members = db.session.scalars(
        sa.select(Member)
        .where(Member.state == "active")
        .order_by(sa.func.lower(Member.family_name), sa.func.lower(Member.given_name))
    ).all()
    return [("", _("Choose a person"))] + [
        (str(m.id), f"{m.family_name} {m.given_name} ({m.member_number})") for m in members
    ]


@bp.route("/<int:body_id>/mandates/new", methods=["GET", "POST"])
@login_required
def add_mandate(body_id: int):
    require(current_user, Permission.MANAGE_BODIES)
    body = row_or_404(Body, body_id)
    form = MandateForm()
    form.member_id.choices = _candidates()
    if request.method == "GET":
        form.starts_on.data = local_today()
        if whole_number(request.args.get("member", "")) is not None:
            form.member_id.data = request.args["member"]
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            text = form.member_id.data or ""
            number = whole_number(text)
            member = db.session.get(Member, number) if number is not None else None
            if member is None:
                form.member_id.errors = [_("Choose a person from the list.")]
            else:
                mandate = attempt(
                    form,
                    services.add_mandate,
                    acting_user(),
                    body,
                    member,
                    form.position.data,
                    form.starts_on.data,
                    form.ends_on.data,
                    form.note.data or "",
                )
                if mandate is not REFUSED:
                    flash(_("The position is recorded."), "success")
                    return redirect(url_for("bodies.view_body", body_id=body.id))
    return render("members/mandate_new.html", status=status, form=form, body=body)


def _mandate_or_404(body_id: int, mandate_id: int) -> Mandate:
    require(current_user, Permission.MANAGE_BODIES)
    return row_or_404(Mandate, mandate_id, body_id=body_id)


@bp.route("/<int:body_id>/mandates/<int:mandate_id>/end", methods=["POST"])
@login_required
def end_mandate(body_id: int, mandate_id: int):
    mandate = _mandate_or_404(body_id, mandate_id)
    form = EndMandateForm()
    if form.validate():
        try:
            attempt(None, services.end_mandate, acting_user(), mandate, form.ends_on.data)
        except DomainError as error:  # said on the body's page (nothing of the call is kept)
            flash(str(error.message), "error")
        else:
            flash(_("The end of the mandate is recorded."), "success")
    else:
        flash(" ".join(str(m) for errors in form.errors.values() for m in errors), "error")
    return redirect(url_for("bodies.view_body", body_id=body_id))


@bp.route("/<int:body_id>/mandates/<int:mandate_id>/remove", methods=["POST"])
@login_required
def remove_mandate(body_id: int, mandate_id: int):
    mandate = _mandate_or_404(body_id, mandate_id)
    form = RemoveMandateForm()
    if form.validate():
        try:
            attempt(None, services.remove_mandate, acting_user(), mandate, form.reason.data or "")
        except DomainError as error:  # said on the body's page (nothing of the call is kept)
            flash(str(error.message), "error")
        else:
            flash(_("The position is removed."), "success")
    else:
        flash(" ".join(str(m) for errors in form.errors.values() for m in errors), "error")
    return redirect(url_for("bodies.view_body", body_id=body_id))


# --- Colleges ---------------------------------------------------------------------------------


@bp.route("/colleges")
@login_required
def list_colleges():
    require(current_user, Permission.VIEW_DIRECTORY)
    counts = dict(
        db.session.execute(
            sa.select(Member.category_id, sa.func.count())
            .where(Member.state == "active")
            .group_by(Member.category_id)
        ).all()
    )
    return render(
        "members/colleges.html",
        items=register.categories(),
        counts=counts,
        can_manage=can(current_user, Permission.MANAGE_BODIES),
    )


def _category_form(form: CategoryForm) -> CategoryForm:
    form.body_ids.choices = [(str(b.id), b.title) for b in services.bodies() if b.is_computed]
    return form


def _category_data(form: CategoryForm) -> register.CategoryData:
    ids = frozenset(
        number for v in form.body_ids.data or [] if (number := whole_number(v)) is not None
    )
    return register.CategoryData(
        name=form.name.data or "",
        description=form.description.data or "",
        vote_weight=form.vote_weight.data,
        body_ids=ids,
    )


@bp.route("/colleges/new", methods=["GET", "POST"])
@login_required
def create_college():
    require(current_user, Permission.MANAGE_BODIES)
    form = _category_form(CategoryForm())
    if request.method == "GET":
        form.vote_weight.data = 1
        form.body_ids.data = [choice[0] for choice in form.body_ids.choices]
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            category = attempt(form, register.create_category, acting_user(), _category_data(form))
            if category is not REFUSED:
                flash(_("The college is created."), "success")
                return redirect(url_for("bodies.list_colleges"))
    return render("members/college_edit.html", status=status, form=form, category=None)


@bp.route("/colleges/<int:category_id>/edit", methods=["GET", "POST"])
@login_required
def edit_college(category_id: int):
    require(current_user, Permission.MANAGE_BODIES)
    category = row_or_404(MemberCategory, category_id)
    form = _category_form(CategoryForm(obj=category if request.method == "GET" else None))
    if request.method == "GET":
        form.name.data = category.title
        form.body_ids.data = [str(b.id) for b in category.voting_bodies]
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            saved = attempt(
                form, register.update_category, acting_user(), category, _category_data(form)
            )
            if saved is not REFUSED:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("bodies.list_colleges"))
    return render("members/college_edit.html", status=status, form=form, category=category)
