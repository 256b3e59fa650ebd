"""Page views: list, read, write, workflow steps, history, sharing."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.accounts import people
from portal.content import bp, services
from portal.content.forms import EditPageForm, PageForm
from portal.content.models import Page
from portal.core import history, itemviews
from portal.core.errors import DomainError
from portal.core.forms import TransitionForm
from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import FORM_STATUSES, REFUSED, attempt
from portal.core.paging import paginate
from portal.core.security import Permission, allowed_clause, can
from portal.core.viewhelpers import acting_user, int_arg, item_or_404, whole_number
from portal.core.workflow import apply_transition

PAGE_SIZE = 20
SCREENS = itemviews.ItemScreens(
    kind="page",
    id_arg="page_id",
    endpoints=itemviews.ItemEndpoints(
        view="content.view_page",
        history="content.page_history",
        revert="content.revert_page",
        sharing="content.share_page",
        grant="content.grant_role",
        revoke="content.revoke_role",
    ),
    texts=itemviews.ItemTexts(
        back=_l("Back to the page"),
        no_steps=_l("No step yet: the page is still as it was created."),
        sharing_title=_l("Sharing: %(title)s"),
        sharing_intro=_l("Give a person a role on this page and on the pages inside it."),
        sharing_here=_l("this page"),
        sharing_inherited=_l("a page above (inherited)"),
        sharing_nobody=_l("Nobody has a role on this page yet."),
        granted=_l("%(name)s now has this role on the page."),
    ),
    revert_service=services.revert_page,
    people=people,
)


def _page_or_404(page_id: int, permission: Permission = Permission.VIEW) -> Page:
    """Load a page the viewer may see; pages they may not see do not exist for them (404)."""
    return item_or_404(Page, page_id, permission)


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
    listed = paginate(
        query, page_number, PAGE_SIZE, Page.kind.desc(), sa.func.lower(Page.title), Page.id
    )
    return render(
        "content/index.html",
        fragment="content/_results.html",
        items=listed.items,
        total=listed.total,
        page=listed.number,
        pages=listed.pages,
        kind=kind,
        can_add=services.can_add_page(current_user, None),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_page():
    parent_id = request.args.get("parent", "")
    # A number names a parent (none with that number: 404); anything else means no parent.
    numeric = parent_id.isascii() and parent_id.isdigit()
    parent = _page_or_404(whole_number(parent_id) or 0) if numeric else None
    if not services.can_add_page(current_user, parent):
        abort(403)
    form = PageForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            page = attempt(form, services.create_page, acting_user(), _data(form), parent)
            if page is not REFUSED:
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
                saved = attempt(
                    form, services.update_page, acting_user(), page, form.version.data, _data(form)
                )
            except history.EditConflict as error:
                # Shown with both versions side by side (409: the lifecycle keeps nothing).
                page = _page_or_404(page_id, Permission.EDIT)
                conflict = itemviews.edit_conflict(page, error, form)
                status = 409
            else:
                if saved is not REFUSED:
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
            # In a savepoint: a refused step keeps nothing, though the redirect below commits.
            attempt(
                None,
                apply_transition,
                page,
                form.transition.data,
                acting_user(),
                form.comment.data or "",
            )
        except DomainError as error:
            if error.status_code not in FORM_STATUSES:
                raise  # 403: the global handler's page or fragment
            page = _page_or_404(page_id)
            error_message = str(error.message)
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
    return itemviews.history_page(_page_or_404(page_id, Permission.VIEW_HISTORY), SCREENS)


@bp.route("/<int:page_id>/revert/<int:version>", methods=["POST"])
@login_required
def revert_page(page_id: int, version: int):
    return itemviews.revert(_page_or_404(page_id, Permission.EDIT), version, SCREENS)


@bp.route("/<int:page_id>/sharing")
@login_required
def share_page(page_id: int):
    return itemviews.sharing_page(_page_or_404(page_id, Permission.MANAGE_SHARING), SCREENS)


@bp.route("/<int:page_id>/sharing/grant", methods=["POST"])
@login_required
def grant_role(page_id: int):
    return itemviews.grant(_page_or_404(page_id, Permission.MANAGE_SHARING), SCREENS)


@bp.route("/<int:page_id>/sharing/revoke", methods=["POST"])
@login_required
def revoke_role(page_id: int):
    return itemviews.revoke(_page_or_404(page_id, Permission.MANAGE_SHARING), SCREENS)
