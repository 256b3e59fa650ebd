"""Agenda views: add, change, remove and move items (htmx swaps the agenda section)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from portal.core.htmx import is_htmx, render
from portal.core.lifecycle import REFUSED, attempt
from portal.core.security import Permission, allowed_clause
from portal.core.viewhelpers import acting_user
from portal.extensions import db
from portal.meetings import agenda, bp
from portal.meetings.forms_agenda import ItemForm
from portal.meetings.models import ITEM_KIND_TITLES, AgendaItem, Meeting
from portal.meetings.sections import agenda_item_or_404, meeting_or_404, page_section
from portal.proposals.models import Proposal

PAGE = "meetings/_agenda_page.html"
FRAGMENT = "meetings/_agenda.html"
CHANGED = "meeting-agenda-changed"  # HX-Trigger after a successful change


@dataclass
class AgendaSection:
    """What `_agenda.html` needs: the items, the viewer's rights, the form being filled."""

    meeting: Meeting
    viewer: object
    form: ItemForm | None = None  # the add form (with what was typed after an error)
    editing: int | None = None  # the item whose form is shown instead of its text
    edit_form: ItemForm | None = None
    error: str | None = None
    notice: str | None = None
    kind_titles = ITEM_KIND_TITLES

    @cached_property
    def may_edit(self) -> bool:
        return agenda.can_edit_agenda(self.viewer, self.meeting)

    @cached_property
    def items(self) -> list[AgendaItem]:
        # Presenters and proposals in two statements, whatever the length of the agenda.
        return list(
            db.session.scalars(
                sa.select(AgendaItem)
                .where(AgendaItem.meeting_id == self.meeting.id)
                .options(selectinload(AgendaItem.presenter), selectinload(AgendaItem.proposal))
                .order_by(AgendaItem.position, AgendaItem.id)
            )
        )

    @cached_property
    def visible_proposals(self) -> set[int]:
        """The linked proposals the viewer may read (one statement): others are not named."""
        ids = {item.proposal_id for item in self.items if item.proposal_id is not None}
        if not ids:
            return set()
        return set(
            db.session.scalars(
                sa.select(Proposal.id).where(
                    Proposal.id.in_(ids), allowed_clause(self.viewer, Proposal, Permission.VIEW)
                )
            )
        )

    @cached_property
    def total_minutes(self) -> int:
        return agenda.total_minutes(self.meeting)

    def new_form(self) -> ItemForm:
        if self.form is None:
            self.form = ItemForm(formdata=None)
        if self.may_edit:
            self.form.set_choices(*self._choices)
        return _unique_ids(self.form, f"meeting-{self.meeting.id}-new-item")

    def form_for(self, item: AgendaItem) -> ItemForm:
        form = self.edit_form
        if form is None:
            form = ItemForm(
                formdata=None,
                data={
                    "title": item.title,
                    "kind": item.kind,
                    "description": item.description,
                    "presenter_id": item.presenter_id,
                    "planned_minutes": item.planned_minutes,
                    "proposal_id": item.proposal_id,
                },
            )
        presenters, proposals = self._choices
        if item.presenter_id and item.presenter_id not in dict(presenters):
            presenters = [(item.presenter_id, item.presenter.full_name), *presenters]
        if item.proposal_id and item.proposal_id not in dict(proposals):
            proposals = [(item.proposal_id, item.proposal.title), *proposals]
        form.set_choices(presenters, proposals)
        return _unique_ids(form, f"agenda-item-{item.id}-form")

    @cached_property
    def _choices(self):
        return agenda.presenter_choices(self.meeting), agenda.proposal_choices(self.viewer)


def _unique_ids(form: ItemForm, prefix: str) -> ItemForm:
    """Two item forms can be on the page at once: their inputs and labels need their own ids."""
    for field in form:
        field.id = f"{prefix}-{field.name}"
        field.label.field_id = field.id
    return form


@page_section("agenda", order=20)
def _agenda_section(meeting: Meeting) -> dict:
    return {"agenda_section": AgendaSection(meeting, acting_user())}


def _section(meeting: Meeting, status: int = 200, **state):
    section = AgendaSection(meeting, acting_user(), **state)
    return render(PAGE, fragment=FRAGMENT, status=status, meeting=meeting, agenda_section=section)


def _data(form: ItemForm) -> agenda.ItemData:
    return agenda.ItemData(
        title=form.title.data or "",
        kind=form.kind.data or "",
        description=form.description.data or "",
        presenter_id=form.presenter_id.data,
        planned_minutes=form.planned_minutes.data,
        proposal_id=form.proposal_id.data,
    )


def _done(meeting: Meeting, message: str, item_id: int | None = None):
    if is_htmx():
        response = _section(meeting, notice=message)
        response.headers["HX-Trigger"] = CHANGED
        return response
    flash(message, "success")
    anchor = f"agenda-item-{item_id}" if item_id else f"meeting-{meeting.id}-agenda"
    return redirect(url_for("meetings.show_agenda", meeting_id=meeting.id, _anchor=anchor))


def _form_error_text(form: FlaskForm) -> str | None:
    return " ".join(str(message) for message in form.form_errors) or None


@bp.route("/<int:meeting_id>/agenda")
@login_required
def show_agenda(meeting_id: int):
    return _section(meeting_or_404(meeting_id))


@bp.route("/<int:meeting_id>/agenda/items", methods=["POST"])
@login_required
def add_agenda_item(meeting_id: int):
    meeting = meeting_or_404(meeting_id, Permission.EDIT)
    form = ItemForm()
    if form.validate():
        item = attempt(form, agenda.add_item, acting_user(), meeting, _data(form))
        if item is not REFUSED:
            return _done(meeting, _("The item is on the agenda."), item.id)
    return _section(meeting, 422, form=form, error=_form_error_text(form))


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_agenda_item(meeting_id: int, item_id: int):
    meeting = meeting_or_404(meeting_id, Permission.EDIT)
    item = agenda_item_or_404(meeting, item_id)
    if request.method == "GET":
        return _section(meeting, editing=item.id)
    form = ItemForm()
    if (
        form.validate()
        and attempt(form, agenda.edit_item, acting_user(), item, _data(form)) is not REFUSED
    ):
        return _done(meeting, _("The item is changed."), item_id)
    return _section(meeting, 422, editing=item_id, edit_form=form, error=_form_error_text(form))


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_agenda_item(meeting_id: int, item_id: int):
    meeting = meeting_or_404(meeting_id, Permission.EDIT)
    item = agenda_item_or_404(meeting, item_id)
    form = FlaskForm()
    if attempt(form, agenda.remove_item, acting_user(), item) is REFUSED:
        return _section(meeting, 422, error=_form_error_text(form))
    return _done(meeting, _("The item is removed from the agenda."))


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/move", methods=["POST"])
@login_required
def move_agenda_item(meeting_id: int, item_id: int):
    meeting = meeting_or_404(meeting_id, Permission.EDIT)
    item = agenda_item_or_404(meeting, item_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        return _section(meeting, 422, error=_("Choose up or down."))
    form = FlaskForm()
    if (
        attempt(form, agenda.move_item, acting_user(), item, -1 if direction == "up" else 1)
        is REFUSED
    ):
        return _section(meeting, 422, error=_form_error_text(form))
    message = _("Moved up.") if direction == "up" else _("Moved down.")
    return _done(meeting, message, item_id)
