"""The agenda: adding, changing, removing and moving items (services and HTTP)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.meetings import agenda
from portal.meetings.models import AgendaItem
from tests.conftest import csrf_token
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import (
    APPLIED_ON,
    board_user,
    factory_board,
    make_member,
    member_user,
    membership_step,
)
from tests.factories_proposals import make_proposal

HX = {"HX-Request": "true"}


def data(**changes) -> agenda.ItemData:
    values = {"title": "Accounts 2026", "kind": "decision", "planned_minutes": 20}
    values.update(changes)
    return agenda.ItemData(**values)


def titles(meeting) -> list[str]:
    db.session.expire(meeting, ["items"])
    return [item.title for item in meeting.items]


def positions(meeting) -> list[int]:
    db.session.expire(meeting, ["items"])
    return [item.position for item in meeting.items]


def post(client, url, form=None, headers=None):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/"), **(form or {})}, headers=headers or {}
    )


# --- Services ---------------------------------------------------------------------------------


def test_add_edit_remove_keep_positions_dense_and_are_audited(db):
    board = factory_board()
    meeting = make_meeting()
    first = agenda.add_item(board, meeting, data(title="Welcome", kind="information"))
    second = agenda.add_item(board, meeting, data(title="Accounts"))
    third = agenda.add_item(board, meeting, data(title="Any other business", kind="discussion"))
    assert titles(meeting) == ["Welcome", "Accounts", "Any other business"]
    assert positions(meeting) == [1, 2, 3]
    assert agenda.total_minutes(meeting) == 60

    agenda.edit_item(board, second, data(title="Accounts 2026", planned_minutes=45))
    assert second.planned_minutes == 45

    agenda.remove_item(board, first)
    assert titles(meeting) == ["Accounts 2026", "Any other business"]
    assert positions(meeting) == [1, 2]
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_key == meeting.object_key)
    ).all()
    assert actions.count("meeting.item_added") == 3
    assert "meeting.item_changed" in actions
    assert "meeting.item_removed" in actions
    assert third.position == 2


def test_move_up_and_down_swaps_neighbours_and_stays_at_the_ends(db):
    board = factory_board()
    meeting = make_meeting()
    a, b, c = (agenda.add_item(board, meeting, data(title=t)) for t in "ABC")
    agenda.move_item(board, c, -1)
    assert titles(meeting) == ["A", "C", "B"]
    agenda.move_item(board, a, +1)
    assert titles(meeting) == ["C", "A", "B"]
    agenda.move_item(board, b, +1)  # already last
    agenda.move_item(board, c, -1)  # already first
    assert titles(meeting) == ["C", "A", "B"]
    assert positions(meeting) == [1, 2, 3]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "gossip"}, "kind"),
        ({"planned_minutes": 0}, "planned_minutes"),
        ({"planned_minutes": 601}, "planned_minutes"),
        ({"presenter_id": 999_999}, "presenter_id"),
        ({"proposal_id": 999_999}, "proposal_id"),
    ],
)
def test_bad_input_is_refused_with_its_field(db, changes, field):
    meeting = make_meeting()
    with pytest.raises(DomainError) as refused:
        agenda.add_item(factory_board(), meeting, data(**changes))
    assert refused.value.field == field


def test_presenter_and_visible_proposal_are_accepted(db):
    board = factory_board()
    meeting = make_meeting()
    ada = make_member(given="Ada", admitted_on=APPLIED_ON)
    author = member_user()
    proposal = make_proposal(author, "submitted")
    draft = make_proposal(author, "draft")
    assert proposal.id in dict(agenda.proposal_choices(board))
    assert draft.id not in dict(agenda.proposal_choices(board))
    item = agenda.add_item(board, meeting, data(presenter_id=ada.id, proposal_id=proposal.id))
    assert item.presenter_id == ada.id and item.proposal_id == proposal.id
    with pytest.raises(DomainError):
        agenda.add_item(board, meeting, data(proposal_id=draft.id))


def test_only_editors_and_only_before_the_session(db):
    meeting = make_meeting()
    with pytest.raises(NotAllowed):
        agenda.add_item(member_user(), meeting, data())
    started = make_meeting(state="in_session", days_ahead=0)
    item = add_item(started, "Accounts")
    with pytest.raises((NotAllowed, DomainError)):
        agenda.add_item(factory_board(), started, data())
    with pytest.raises((NotAllowed, DomainError)):
        agenda.move_item(factory_board(), item, -1)
    assert not agenda.can_edit_agenda(factory_board(), started)


# --- HTTP -------------------------------------------------------------------------------------


def test_board_adds_an_item_with_htmx_and_sees_the_total(db, client, login_as):
    meeting = make_meeting()
    login_as(board_user())
    response = post(
        client,
        f"/meetings/{meeting.id}/agenda/items",
        {"title": "Accounts", "kind": "decision", "planned_minutes": "30"},
        HX,
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    assert f'id="meeting-{meeting.id}-agenda"' in html
    assert "The item is on the agenda." in html
    assert "Planned time: 30 minutes" in html
    assert response.headers["HX-Trigger"] == "meeting-agenda-changed"


def test_bad_input_is_422_and_keeps_what_was_typed(db, client, login_as):
    meeting = make_meeting()
    login_as(board_user())
    response = post(
        client,
        f"/meetings/{meeting.id}/agenda/items",
        {"title": "Budget of the garden", "kind": "decision", "planned_minutes": "900"},
        HX,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Budget of the garden"' in html
    assert "A whole number from 1 to 600." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 0


def test_move_buttons_work_without_javascript(db, client, login_as):
    meeting = make_meeting()
    add_item(meeting, "A")
    b = add_item(meeting, "B")
    login_as(board_user())
    page = client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert "Move up: B" in page and "Move down: A" in page
    assert "Move up: A" not in page  # the first item cannot go up
    response = post(client, f"/meetings/{meeting.id}/agenda/items/{b.id}/move", {"direction": "up"})
    assert response.status_code == 302
    assert titles(meeting) == ["B", "A"]
    response = post(
        client, f"/meetings/{meeting.id}/agenda/items/{b.id}/move", {"direction": "sideways"}
    )
    assert response.status_code == 422


def test_edit_form_then_save(db, client, login_as):
    meeting = make_meeting()
    item = add_item(meeting, "Acounts")
    login_as(board_user())
    url = f"/meetings/{meeting.id}/agenda/items/{item.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert re.search(r'value="Acounts"', form)
    response = post(client, url, {"title": "", "kind": "decision"}, HX)
    assert response.status_code == 422
    assert "Give the item a title." in response.get_data(as_text=True)
    response = post(client, url, {"title": "Accounts", "kind": "decision"}, HX)
    assert response.status_code == 200
    assert titles(meeting) == ["Accounts"]


def test_403_and_404(db, client, login_as):
    meeting = make_meeting(state="convened")
    other = make_meeting(state="convened")
    item = add_item(other, "Elsewhere")
    login_as(member_user())
    assert client.get(f"/meetings/{meeting.id}/agenda").status_code == 200
    assert post(client, f"/meetings/{meeting.id}/agenda/items", {"title": "X"}).status_code == 403
    planned = make_meeting()  # a planned meeting is not shown to members
    assert client.get(f"/meetings/{planned.id}/agenda").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(board_user())
    url = f"/meetings/{meeting.id}/agenda/items/{item.id}/remove"
    assert post(client, url).status_code == 404  # an item of another meeting
    assert client.get("/meetings/999999/agenda").status_code == 404


def test_an_item_keeps_its_presenter_when_they_are_no_longer_active(db):
    board = factory_board()
    meeting = make_meeting()
    ada = make_member(given="Ada", admitted_on=date(2025, 2, 3))
    item = agenda.add_item(board, meeting, data(presenter_id=ada.id))
    membership_step(ada, "suspend", on=local_today())
    assert ada.id not in dict(agenda.presenter_choices(meeting))
    agenda.edit_item(board, item, data(title="Accounts, again", presenter_id=ada.id))
    assert item.presenter_id == ada.id
    other = make_meeting()
    with pytest.raises(DomainError):
        agenda.add_item(board, other, data(presenter_id=ada.id))
