"""The meeting page runs as many statements with a long agenda as with a short one (presenters
and linked proposals are loaded together, not one by one), and names a linked proposal only to
those who may read it."""

from __future__ import annotations

from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import board_body, board_user, make_member, member_user
from tests.factories_proposals import make_proposal
from tests.test_query_counts import count_statements


def test_the_meeting_page_does_not_grow_with_its_agenda(db, client, login_as):
    board = board_user()
    login_as(board)
    meeting = make_meeting(board_body(), state="convened")

    def add(n: int) -> None:
        for index in range(n):
            presenter = make_member(given=f"Presenter{len(meeting.items)}{index}")
            proposal = make_proposal(board, "submitted", title=f"Idea {len(meeting.items)}")
            add_item(meeting, f"Item {index}", presenter_id=presenter.id, proposal_id=proposal.id)

    add(2)
    client.get(f"/meetings/{meeting.id}")  # once first: per-process caches do not count
    few = count_statements(db, client, f"/meetings/{meeting.id}")
    add(10)
    many = count_statements(db, client, f"/meetings/{meeting.id}")
    assert few == many, (few, many)


def test_a_linked_proposal_is_named_only_to_those_who_may_read_it(db, client, login_as):
    author = board_user()
    draft = make_proposal(author, title="Zanzibar secret draft")  # only its author reads it
    meeting = make_meeting(board_body(), state="convened")
    add_item(meeting, "Budget", proposal_id=draft.id)
    login_as(member_user())
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Budget" in page and "Zanzibar secret draft" not in page
