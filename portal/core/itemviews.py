"""The screens every versioned, shareable item has: history, diff, revert, sharing.

A domain describes its items once (`ItemScreens`: endpoint names, wording, its revert
service, the people directory) and keeps thin routes: parse, load (404), authorise (403),
then call these helpers. The templates are `templates/_items/`. The kernel imports no domain:
what it needs from one comes in through `ItemScreens`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import escape

from portal.core import history, security
from portal.core.errors import DomainError
from portal.core.forms import GrantForm, RevokeForm
from portal.core.htmx import render
from portal.core.lifecycle import attempt
from portal.core.security import LocalRoleGrant, Permission, can
from portal.core.viewhelpers import MAX_ID, acting_user, int_arg
from portal.core.workflow import history_of
from portal.extensions import db


class PeopleDirectory(Protocol):
    """Where the sharing screens find people (the accounts domain provides it)."""

    def find(self, search: str, limit: int = ...) -> Sequence[Any]: ...

    def by_id(self, ids: Iterable[int]) -> Mapping[int, Any]: ...

    def get(self, user_id: int) -> Any | None: ...


@dataclass(frozen=True)
class ItemEndpoints:
    """Endpoint names of one kind of item's screens; each takes the item's id argument."""

    view: str
    history: str
    revert: str
    # Items without a sharing screen (minutes: the workflow decides who reads them) leave these.
    sharing: str = ""
    grant: str = ""
    revoke: str = ""


@dataclass(frozen=True)
class ItemTexts:
    """The wording that differs from one kind of item to another (lazy strings)."""

    back: str  # link back to the item
    no_steps: str  # history without workflow steps
    # The sharing screen's wording (empty for items without one).
    sharing_title: str = ""  # with %(title)s
    sharing_intro: str = ""
    sharing_here: str = ""  # a role given on this item
    sharing_inherited: str = ""  # a role given on an item above
    sharing_nobody: str = ""
    granted: str = ""  # flash, with %(name)s


@dataclass(frozen=True)
class ItemScreens:
    kind: str  # names the HTML ids: "page" gives #page-diff
    id_arg: str  # the endpoints' argument naming the item: "page_id"
    endpoints: ItemEndpoints
    texts: ItemTexts
    revert_service: Callable[..., Any]  # (actor, item, version)
    people: PeopleDirectory

    def args(self, item) -> dict[str, int]:
        return {self.id_arg: item.id}

    def url(self, endpoint: str, item, **values) -> str:
        return url_for(endpoint, **self.args(item), **values)

    def context(self, item) -> dict[str, Any]:
        return {
            "item": item,
            "item_kind": self.kind,
            "item_args": self.args(item),
            "endpoints": self.endpoints,
            "texts": self.texts,
        }


def edit_conflict(item, error: history.EditConflict, form) -> dict:
    """After a save based on an old version (409): the other change to show, the message on
    the form, and the form set to the current version (saving again overwrites, knowingly)."""
    theirs = history.latest_revision(item)
    form.form_errors.append(str(error.message))
    # raw_data too: the hidden widget shows it.
    form.version.data, form.version.raw_data = item.version, [str(item.version)]
    return {
        "theirs": theirs,
        "diff": history.diff_fields(error.mine, theirs.fields if theirs else {}),
    }


def history_page(item, screens: ItemScreens, **context):
    """Versions with a diff between two of them (htmx: the diff alone), and workflow steps."""
    revisions = history.revisions_of(item)
    newest = revisions[0].version if revisions else 1
    a = int_arg("a", max(newest - 1, 1))
    b = int_arg("b", newest)
    old, new = history.get_revision(item, a), history.get_revision(item, b)
    diff = history.diff_fields(old.fields, new.fields) if old and new else {}
    return render(
        "_items/history.html",
        fragment="_items/_diff.html",
        **screens.context(item),
        revisions=revisions,
        steps=history_of(item),
        a=a,
        b=b,
        old=old,
        new=new,
        diff=diff,
        can_edit=can(current_user, Permission.EDIT, item),
        **context,
    )


def revert(item, version: int, screens: ItemScreens):
    """Bring an old version back as a new one (the caller checked EDIT)."""
    if not FlaskForm().validate():  # only the CSRF token is posted
        abort(400)
    try:  # in a savepoint: a refusal keeps nothing, though the redirect is committed
        attempt(None, screens.revert_service, acting_user(), item, version)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(screens.url(screens.endpoints.history, item))
    flash(_("Version %(version)d is back, saved as a new version.", version=version), "success")
    return redirect(screens.url(screens.endpoints.view, item))


def sharing_page(item, screens: ItemScreens):
    """Who has a local role on the item, and a search to give one (htmx: the results)."""
    search = request.args.get("q", "").strip()[:100]
    candidates = screens.people.find(search, 10) if search else []
    grants = security.grants_on(item)
    return render(
        "_items/sharing.html",
        fragment="_items/_sharing_results.html",
        **screens.context(item),
        # As `_("…", title=…)` in a template: the translation as it is, the title escaped.
        sharing_title=escape(screens.texts.sharing_title) % {"title": item.title},
        search=search,
        candidates=candidates,
        grants=grants,
        people=screens.people.by_id(g.user_id for g in grants),
        roles=security.shareable_roles(item),
        grant_form=GrantForm(),
        revoke_form=RevokeForm(),
    )


def grant(item, screens: ItemScreens):
    """Give the chosen person the chosen role on the item (the caller checked MANAGE_SHARING)."""
    back = redirect(screens.url(screens.endpoints.sharing, item))
    form = GrantForm()
    if not form.validate():
        flash(_("Choose a person and a role."), "error")
        return back
    person = screens.people.get(form.user_id.data) if form.user_id.data <= MAX_ID else None
    if person is None:
        abort(404)
    try:  # in a savepoint: a refusal keeps nothing, though the redirect is committed
        attempt(None, security.grant_local_role, acting_user(), item, person, form.role.data)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(str(screens.texts.granted) % {"name": person.display_name}, "success")
    return back


def revoke(item, screens: ItemScreens):
    """Take back a role given on the item itself (the caller checked MANAGE_SHARING)."""
    form = RevokeForm()
    if not form.validate():
        abort(400)
    grant = (
        db.session.get(LocalRoleGrant, form.grant_id.data) if form.grant_id.data <= MAX_ID else None
    )
    if grant is None or grant.object_key not in item.path_keys():
        abort(404)
    try:  # in a savepoint: a refusal keeps nothing, though the redirect is committed
        attempt(None, security.revoke_local_role, acting_user(), item, grant)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The role is taken back."), "success")
    return redirect(screens.url(screens.endpoints.sharing, item))
