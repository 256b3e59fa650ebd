"""Page views: list, read, write, workflow steps, history, sharing."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from portal.accounts.models import User
from portal.content import bp, services
from portal.content.forms import EditPageForm, GrantForm, PageForm, RevokeForm, TransitionForm
from portal.content.models import Page
from portal.core import history, security
from portal.core.errors import DomainError
from portal.core.htmx import is_htmx, render
from portal.core.security import LocalRoleGrant, Permission, allowed_clause, can, require
from portal.core.viewhelpers import acting_user, form_error, int_arg, like_pattern
from portal.core.workflow import apply_transition, history_of
from portal.extensions import db

PAGE_SIZE = 20
MAX_ID = 2**31 - 1  # ids in forms and query strings beyond an id column's range: no such row


def _page_or_404(page_id: int, permission: Permission = Permission.VIEW) -> Page:
    """Load a page the viewer may see; pages they may not see do not exist for them (404)."""
    page = db.session.get(Page, page_id) if 0 < page_id <= MAX_ID else None
    if page is None or not can(current_user, Permission.VIEW, page):
        abort(404)
    if permission is not Permission.VIEW:
        require(current_user, permission, page)
    return page


def _data(form: PageForm) -> services.PageData:
    return services.PageData(
        title=form.title.data or "",
        summary=form.summary.data or "",
        body=form.body.data or "",
        kind=form.kind.data or "page",
        is_public=bool(form.is_public.data),
    )


@bp.route("/")
def list_pages():
    page_number = int_arg("page")
    kind = request.args.get("kind", "")
    query = sa.select(Page).where(allowed_clause(current_user, Page, Permission.VIEW))
    if kind in ("page", "news"):
        query = query.where(Page.kind == kind)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    items = db.session.scalars(
        query.order_by(Page.kind.desc(), sa.func.lower(Page.title), Page.id)
        .limit(PAGE_SIZE)
        .offset((min(page_number, pages) - 1) * PAGE_SIZE)
    ).all()
    return render(
        "content/index.html",
        fragment="content/_results.html",
        items=items,
        total=total,
        page=min(page_number, pages),
        pages=pages,
        kind=kind,
        can_add=services.can_add_page(current_user, None),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_page():
    parent_id = request.args.get("parent", "")
    parent = _page_or_404(int(parent_id)) if parent_id.isdigit() else None
    if not services.can_add_page(current_user, parent):
        abort(403)
    form = PageForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                page = services.create_page(acting_user(), _data(form), parent)
            except DomainError as error:
                db.session.rollback()
                form_error(form, error)
            else:
                db.session.commit()
                flash(_("The page is saved. It is private until it is published."), "success")
                return redirect(url_for("content.view_page", page_id=page.id))
    return render("content/edit.html", status=status, form=form, page=None, parent=parent)


@bp.route("/<int:page_id>")
def view_page(page_id: int):
    page = _page_or_404(page_id)
    return render(
        "content/view.html",
        page=page,
        children=services.children_of(current_user, page),
        transition_form=TransitionForm(),
    )


@bp.route("/<int:page_id>/edit", methods=["GET", "POST"])
@login_required
def edit_page(page_id: int):
    page = _page_or_404(page_id, Permission.EDIT)
    form = EditPageForm(obj=page if request.method == "GET" else None)
    conflict = None
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                services.update_page(acting_user(), page, form.version.data, _data(form))
            except history.EditConflict as error:
                db.session.rollback()
                page = _page_or_404(page_id, Permission.EDIT)
                theirs = history.latest_revision(page)
                conflict = {
                    "theirs": theirs,
                    "diff": history.diff_fields(error.mine, theirs.fields if theirs else {}),
                }
                form.form_errors.append(str(error.message))
                # Saving again now overwrites, knowingly. (raw_data too: the widget shows it.)
                form.version.data, form.version.raw_data = page.version, [str(page.version)]
                status = 409
            except DomainError as error:
                db.session.rollback()
                form_error(form, error)
            else:
                db.session.commit()
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("content.view_page", page_id=page.id))
    return render(
        "content/edit.html",
        fragment="content/_edit_form.html",
        status=status,
        form=form,
        page=page,
        parent=page.parent,
        conflict=conflict,
    )


@bp.route("/<int:page_id>/transition", methods=["POST"])
@login_required
def transition_page(page_id: int):
    page = _page_or_404(page_id)
    form = TransitionForm()
    error_message = None
    if not form.validate():
        if set(form.errors) != {"comment"}:
            abort(400)  # not what the page's own form sends
        error_message = " ".join(str(message) for message in form.comment.errors)
    else:
        try:
            apply_transition(page, form.transition.data, acting_user(), form.comment.data or "")
        except DomainError as error:
            db.session.rollback()
            page = _page_or_404(page_id)
            if error.status_code == 403:
                abort(403)
            error_message = str(error.message)
        else:
            db.session.commit()
    if is_htmx():
        response = render(
            "content/_status.html",
            page=page,
            transition_form=TransitionForm(),
            status=422 if error_message else 200,
            error_message=error_message,
        )
        if not error_message:
            response.headers["HX-Trigger"] = "page-state-changed"
        return response
    if error_message:
        flash(error_message, "error")
    else:
        flash(
            _("Done. The page is now: %(state)s.", state=page.workflow.states[page.state].title),
            "success",
        )
    if not can(current_user, Permission.VIEW, page):
        return redirect(url_for("content.list_pages"))
    return redirect(url_for("content.view_page", page_id=page.id))


@bp.route("/<int:page_id>/history")
@login_required
def page_history(page_id: int):
    page = _page_or_404(page_id, Permission.VIEW_HISTORY)
    revisions = history.revisions_of(page)
    newest = revisions[0].version if revisions else 1
    a = int_arg("a", max(newest - 1, 1))
    b = int_arg("b", newest)
    old, new = history.get_revision(page, a), history.get_revision(page, b)
    diff = history.diff_fields(old.fields, new.fields) if old and new else {}
    return render(
        "content/history.html",
        fragment="content/_diff.html",
        page=page,
        revisions=revisions,
        steps=history_of(page),
        a=a,
        b=b,
        old=old,
        new=new,
        diff=diff,
        can_edit=can(current_user, Permission.EDIT, page),
    )


@bp.route("/<int:page_id>/revert/<int:version>", methods=["POST"])
@login_required
def revert_page(page_id: int, version: int):
    page = _page_or_404(page_id, Permission.EDIT)
    if not FlaskForm().validate():  # only the CSRF token is posted
        abort(400)
    try:
        services.revert_page(acting_user(), page, version)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("content.page_history", page_id=page.id))
    db.session.commit()
    flash(_("Version %(version)d is back, saved as a new version.", version=version), "success")
    return redirect(url_for("content.view_page", page_id=page.id))


@bp.route("/<int:page_id>/sharing")
@login_required
def share_page(page_id: int):
    page = _page_or_404(page_id, Permission.MANAGE_SHARING)
    search = request.args.get("q", "").strip()[:100]
    candidates = []
    if search:
        like = like_pattern(search)
        candidates = db.session.scalars(
            sa.select(User)
            .where(User.active.is_(True))
            .where(
                sa.or_(
                    sa.func.lower(User.display_name).like(like, escape="\\"),
                    User.username.like(like, escape="\\"),
                )
            )
            .order_by(sa.func.lower(User.display_name))
            .limit(10)
        ).all()
    grants = security.grants_on(page)
    people = (
        {
            u.id: u
            for u in db.session.scalars(
                sa.select(User).where(User.id.in_({g.user_id for g in grants}))
            ).all()
        }
        if grants
        else {}
    )
    return render(
        "content/sharing.html",
        fragment="content/_sharing_results.html",
        page=page,
        search=search,
        candidates=candidates,
        grants=grants,
        people=people,
        roles=security.shareable_roles(page),
        grant_form=GrantForm(),
        revoke_form=RevokeForm(),
    )


@bp.route("/<int:page_id>/sharing/grant", methods=["POST"])
@login_required
def grant_role(page_id: int):
    page = _page_or_404(page_id, Permission.MANAGE_SHARING)
    form = GrantForm()
    if not form.validate():
        flash(_("Choose a person and a role."), "error")
        return redirect(url_for("content.share_page", page_id=page.id))
    person = db.session.get(User, form.user_id.data) if form.user_id.data <= MAX_ID else None
    if person is None:
        abort(404)
    try:
        security.grant_local_role(acting_user(), page, person, form.role.data)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s now has this role on the page.", name=person.display_name), "success")
    return redirect(url_for("content.share_page", page_id=page.id))


@bp.route("/<int:page_id>/sharing/revoke", methods=["POST"])
@login_required
def revoke_role(page_id: int):
    page = _page_or_404(page_id, Permission.MANAGE_SHARING)
    form = RevokeForm()
    if not form.validate():
        abort(400)
    grant = (
        db.session.get(LocalRoleGrant, form.grant_id.data) if form.grant_id.data <= MAX_ID else None
    )
    if grant is None or grant.object_key not in page.path_keys():
        abort(404)
    try:
        security.revoke_local_role(acting_user(), page, grant)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The role is taken back."), "success")
    return redirect(url_for("content.share_page", page_id=page.id))
