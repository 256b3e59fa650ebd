"""Comments on proposals: who may comment, threads, edits, hiding (services and over HTTP)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.core.security import LocalRole, grant_local_role
from portal.extensions import db
from portal.proposals import comments
from portal.proposals import services as proposal_services
from portal.proposals.models import ProposalComment
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import admin_user, board_user, factory_board, member_user
from tests.factories_proposals import make_proposal
from tests.factories_voting import voter
from tests.test_query_counts import count_statements

HX = {"HX-Request": "true"}
STATES = ["draft", "submitted", "support", "vote", "rejected", "withdrawn", "archived"]
OPEN_STATES = {"submitted", "support", "vote", "rejected"}


@pytest.fixture()
def author(db):
    return voter(given="Alma").user


def proposal_in(author, state: str):
    """A proposal of `author` in any state the tests need (the steps the application takes)."""
    board = factory_board()
    if state in ("draft", "submitted", "support", "vote"):
        return make_proposal(author, state=state)
    proposal = make_proposal(author, state="submitted")
    if state == "withdrawn":
        proposal_services.transition_proposal(author, proposal, "withdraw")
    else:  # rejected, archived
        proposal_services.transition_proposal(board, proposal, "reject", "Against the statutes.")
    if state == "archived":
        proposal_services.transition_proposal(board, proposal, "archive")
    assert proposal.state == state
    return proposal


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def comment_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ProposalComment))


# --- Who may comment, who moderates ----------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_who_may_comment_in_each_state(author, state):
    proposal = proposal_in(author, state)
    co_author, reader = member_user(), member_user()
    grant_local_role(author, proposal, co_author, LocalRole.EDITOR.value)
    grant_local_role(author, proposal, reader, LocalRole.READER.value)
    people = {
        "author": author,
        "co_author": co_author,
        "reader": reader,
        "member": member_user(),
        "board": board_user(),
        "admin": admin_user(),
        "anonymous": None,
    }
    if state == "draft":
        expected = {"author", "co_author", "reader"}
    elif state in OPEN_STATES:
        expected = set(people) - {"anonymous"}
    else:
        expected = set()
    allowed = set()
    for who, user in people.items():
        try:
            comments.add_comment(user, proposal, f"Said by {who}.")
        except NotAllowed:
            continue
        allowed.add(who)
    assert allowed == expected
    assert comment_count() == len(expected)
    moderators = {who for who, user in people.items() if comments.can_moderate(user, proposal)}
    assert moderators == (set() if state == "draft" else {"board", "admin"})


def test_visitors_never_comment(author):
    proposal = make_proposal(author, state="support")
    with pytest.raises(NotAllowed):
        comments.add_comment(None, proposal, "Hello")
    assert comment_count() == 0


# --- Text -----------------------------------------------------------------------------------------


def test_text_is_trimmed_line_breaks_kept_and_control_characters_removed(author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(
        author, proposal, "  \r\nFirst line\r\nsecond\x00 line\r\n\r\n\r\n\r\nLast.  \n "
    )
    assert comment.text == "First line\nsecond line\n\nLast."
    assert comment.author_id == author.id and comment.parent_id is None


@pytest.mark.parametrize("text", ["", "   \r\n \t ", "\x00", "x" * (comments.MAX_TEXT + 1)])
def test_empty_or_too_long_text_is_refused(author, text):
    proposal = make_proposal(author, state="submitted")
    with pytest.raises(DomainError) as error:
        comments.add_comment(author, proposal, text)
    assert error.value.field == "text" and error.value.status_code == 422
    assert comment_count() == 0


def test_a_text_of_exactly_the_limit_is_fine_line_breaks_counting_once(author):
    proposal = make_proposal(author, state="submitted")
    text = ("y" * 99 + "\r\n") * (comments.MAX_TEXT // 100)  # 5,000 once "\r\n" is "\n"
    comment = comments.add_comment(author, proposal, text)
    assert len(comment.text) == comments.MAX_TEXT - 1  # the last line break is trimmed


# --- Threads --------------------------------------------------------------------------------------


def test_answers_nest_three_levels_then_join_the_last_level(author):
    proposal = make_proposal(author, state="submitted")
    other = member_user()
    first = comments.add_comment(author, proposal, "Level 1")
    second = comments.add_comment(other, proposal, "Level 2", first)
    third = comments.add_comment(author, proposal, "Level 3", second)
    fourth = comments.add_comment(other, proposal, "Answer to level 3", third)
    assert (second.parent_id, third.parent_id) == (first.id, second.id)
    assert fourth.parent_id == second.id  # beside `third`, not under it
    assert comments.depth_of(fourth) == comments.MAX_DEPTH
    alone = comments.add_comment(other, proposal, "Another thread")
    roots = comments.threads(comments.comments_of(proposal))
    assert [node.comment.id for node in roots] == [first.id, alone.id]
    level2 = roots[0].answers[0]
    assert [(node.comment.id, node.depth) for node in level2.answers] == [
        (third.id, 3),
        (fourth.id, 3),
    ]
    fourth_entry = audit_entries("proposal.commented")[-2]
    assert f'"comment_id": {fourth.id}' in fourth_entry.details
    assert f'"parent_id": {second.id}' in fourth_entry.details


def test_an_answer_to_a_comment_of_another_proposal_is_refused(author):
    proposal = make_proposal(author, state="submitted")
    elsewhere = make_proposal(author, state="submitted", title="Another one")
    theirs = comments.add_comment(author, elsewhere, "On the other proposal")
    with pytest.raises(DomainError, match="not part of this proposal"):
        comments.add_comment(author, proposal, "Answer", theirs)
    assert comment_count() == 1


def test_a_hidden_comment_cannot_be_answered(author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(member_user(), proposal, "Rude words")
    comments.hide_comment(board_user(), comment, proposal, "Insults")
    with pytest.raises(DomainError, match="hidden"):
        comments.add_comment(author, proposal, "Answer", comment)
    assert not comments.can_answer(author, comment, proposal)


def test_adding_is_audited(author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(author, proposal, "Good idea")
    (entry,) = audit_entries("proposal.commented")
    assert entry.actor_id == author.id and entry.object_key == proposal.object_key
    assert f'"comment_id": {comment.id}' in entry.details


# --- Edits ----------------------------------------------------------------------------------------


def test_the_author_edits_their_comment_and_the_old_text_is_kept_in_the_audit_log(author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(author, proposal, "Frist version")
    assert comment.edited_at is None
    assert comments.edit_comment(author, comment, proposal, " First version ")
    assert comment.text == "First version" and comment.edited_at is not None
    (entry,) = audit_entries("proposal.comment_edited")
    assert "Frist version" in entry.details
    assert not comments.edit_comment(author, comment, proposal, "First version")  # no change
    assert len(audit_entries("proposal.comment_edited")) == 1
    with pytest.raises(DomainError) as error:
        comments.edit_comment(author, comment, proposal, "  ")
    assert error.value.field == "text"


def test_nobody_else_edits_and_a_hidden_comment_stays_as_it_was(author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(author, proposal, "Mine")
    for someone in (member_user(), board_user(), admin_user(), None):
        with pytest.raises(NotAllowed):
            comments.edit_comment(someone, comment, proposal, "Changed by someone else")
    comments.hide_comment(board_user(), comment, proposal, "Off topic")
    with pytest.raises(NotAllowed):
        comments.edit_comment(author, comment, proposal, "Sneaky change")
    assert comment.text == "Mine"


def test_comments_cannot_be_edited_once_the_discussion_is_closed(author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(author, proposal, "Before")
    proposal_services.transition_proposal(author, proposal, "withdraw")
    with pytest.raises(NotAllowed):
        comments.edit_comment(author, comment, proposal, "After")


# --- Moderation -----------------------------------------------------------------------------------


def test_a_moderator_hides_with_a_reason_and_shows_again_both_audited(author):
    proposal = make_proposal(author, state="support")
    writer, board = member_user(), board_user()
    comment = comments.add_comment(writer, proposal, "Rude words")
    for reason in ("", "   \n  "):
        with pytest.raises(DomainError) as error:
            comments.hide_comment(board, comment, proposal, reason)
        assert error.value.field == "reason"
    with pytest.raises(DomainError) as error:
        comments.hide_comment(board, comment, proposal, "r" * (comments.MAX_REASON + 1))
    assert error.value.field == "reason"
    assert comment.hidden_at is None and not audit_entries("proposal.comment_hidden")

    comments.hide_comment(board, comment, proposal, "  Insults   to a person ")
    assert comment.hidden_at is not None and comment.hidden_by_id == board.id
    assert comment.hidden_reason == "Insults to a person"
    (hidden,) = audit_entries("proposal.comment_hidden")
    assert hidden.actor_id == board.id and hidden.object_key == proposal.object_key
    assert f'"comment_id": {comment.id}' in hidden.details and "Insults" in hidden.details
    with pytest.raises(DomainError, match="already hidden"):
        comments.hide_comment(board, comment, proposal, "Again")

    assert not comments.can_read_text(member_user(), comment, proposal)
    assert comments.can_read_text(writer, comment, proposal)
    assert comments.can_read_text(admin_user(), comment, proposal)

    comments.show_comment(admin_user(), comment, proposal)
    assert comment.hidden_at is None and comment.hidden_reason == ""
    (shown,) = audit_entries("proposal.comment_shown")
    assert "Insults" in shown.details  # why it had been hidden stays on record
    with pytest.raises(DomainError, match="not hidden"):
        comments.show_comment(admin_user(), comment, proposal)
    assert db.session.get(ProposalComment, comment.id) is not None  # never deleted


def test_only_moderators_hide_and_show(author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(author, proposal, "Hello")
    co_author = member_user()
    grant_local_role(author, proposal, co_author, LocalRole.EDITOR.value)
    for someone in (author, co_author, member_user(), None):
        with pytest.raises(NotAllowed):
            comments.hide_comment(someone, comment, proposal, "I do not like it")
    comments.hide_comment(board_user(), comment, proposal, "Off topic")
    with pytest.raises(NotAllowed):
        comments.show_comment(author, comment, proposal)
    assert comment.hidden_at is not None


def test_a_comment_of_another_proposal_is_not_moderated_or_edited_through_this_one(author):
    proposal = make_proposal(author, state="submitted")
    elsewhere = make_proposal(author, state="submitted", title="Another one")
    theirs = comments.add_comment(author, elsewhere, "Elsewhere")
    with pytest.raises(DomainError, match="not part"):
        comments.hide_comment(board_user(), theirs, proposal, "Reason")
    with pytest.raises(DomainError, match="not part"):
        comments.edit_comment(author, theirs, proposal, "Changed")


# --- Over HTTP ------------------------------------------------------------------------------------


def login(client, user):
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 303
    return client


@pytest.fixture()
def visit(app, client):
    clients = {}

    def _visit(user=None):
        key = user.id if user is not None else None
        if key not in clients:
            clients[key] = login(app.test_client(), user) if user else app.test_client()
        return clients[key]

    return _visit


def post(client, url, data=None, headers=None):
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=headers or {}
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def textarea(html: str, element_id: str) -> str:
    match = re.search(rf'<textarea id="{element_id}"[^>]*>([^<]*)</textarea>', html)
    assert match, f"no textarea #{element_id}"
    return match.group(1)


def test_commenting_without_htmx_redirects_to_the_comment_with_a_message(visit, author):
    proposal = make_proposal(author, state="submitted")
    client = visit(member_user(display_name="Sam Member"))
    response = post(
        client,
        f"/proposals/{proposal.id}/comments",
        {"text": "Good idea.\r\nBut <b>who</b> drives?\r\n\r\n**Not bold**"},
    )
    assert response.status_code == 302
    (comment,) = db.session.scalars(sa.select(ProposalComment)).all()
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}#comment-{comment.id}")
    page = text(client.get(f"/proposals/{proposal.id}"))
    assert "Your comment is published." in page
    assert "1 comment" in page and "Sam Member" in page
    assert "Good idea.<br>But &lt;b&gt;who&lt;/b&gt; drives?</p>" in page  # plain text
    assert "**Not bold**" in page and "<strong>Not bold" not in page


def test_commenting_with_htmx_swaps_the_comments_section(visit, author):
    proposal = make_proposal(author, state="support")
    client = visit(author)
    response = post(client, f"/proposals/{proposal.id}/comments", {"text": "First!"}, HX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "proposal-comments-changed"
    html = text(response)
    assert html.lstrip().startswith(f'<section id="proposal-{proposal.id}-comments"')
    assert "First!" in html and "1 comment" in html and "Your comment is published." in html
    assert textarea(html, f"proposal-{proposal.id}-new-comment-text") == ""  # ready for more
    (comment,) = db.session.scalars(sa.select(ProposalComment)).all()
    answer = post(
        client,
        f"/proposals/{proposal.id}/comments/{comment.id}/answers",
        {"text": "Second"},
        HX,
    )
    assert answer.status_code == 200 and "2 comments" in text(answer)
    assert db.session.scalars(
        sa.select(ProposalComment.parent_id).where(ProposalComment.text == "Second")
    ).all() == [comment.id]


@pytest.mark.parametrize("headers", [{}, HX])
@pytest.mark.parametrize(
    ("typed", "message"),
    [("x" * (comments.MAX_TEXT + 1), "too long"), ("  \r\n ", "Write your comment first")],
)
def test_bad_input_is_422_keeps_the_typed_text_and_saves_nothing(
    visit, author, headers, typed, message
):
    proposal = make_proposal(author, state="submitted")
    response = post(visit(author), f"/proposals/{proposal.id}/comments", {"text": typed}, headers)
    assert response.status_code == 422
    html = text(response)
    assert message in html
    field_id = f"proposal-{proposal.id}-new-comment-text"
    assert textarea(html, field_id) == typed.strip()
    assert 'aria-invalid="true"' in html
    if headers:
        assert html.lstrip().startswith(f'<section id="proposal-{proposal.id}-comments"')
    else:
        assert "<h1>" in html  # the whole page
    assert comment_count() == 0


def test_a_bad_answer_keeps_its_text_in_its_own_open_form(visit, author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(author, proposal, "Question?")
    typed = "a" * (comments.MAX_TEXT + 10)
    response = post(
        visit(member_user()),
        f"/proposals/{proposal.id}/comments/{comment.id}/answers",
        {"text": typed},
        HX,
    )
    assert response.status_code == 422
    html = text(response)
    assert textarea(html, f"comment-{comment.id}-answer-text") == typed
    assert "<details open>" in html and "too long" in html
    assert comment_count() == 1


def test_a_refused_answer_to_a_hidden_comment_says_why(visit, author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(member_user(), proposal, "Rude")
    comments.hide_comment(board_user(), comment, proposal, "Insults")
    response = post(
        visit(author),
        f"/proposals/{proposal.id}/comments/{comment.id}/answers",
        {"text": "Please stop"},
        HX,
    )
    assert response.status_code == 422 and 'role="alert"' in text(response)
    assert "You cannot answer it" in text(response)
    assert comment_count() == 1


def test_people_who_cannot_see_the_proposal_get_404_everywhere(visit, author):
    draft = make_proposal(author)
    comment = comments.add_comment(author, draft, "Note to self")
    stranger = visit(member_user())
    base = f"/proposals/{draft.id}/comments"
    for url, data in (
        (base, {"text": "Hi"}),
        (f"{base}/{comment.id}/answers", {"text": "Hi"}),
        (f"{base}/{comment.id}/edit", {"text": "Hi"}),
        (f"{base}/{comment.id}/hide", {"reason": "Hi"}),
        (f"{base}/{comment.id}/show", {}),
    ):
        for headers in ({}, HX):
            assert post(stranger, url, data, headers).status_code == 404, url
    assert stranger.get(f"{base}/{comment.id}/edit").status_code == 404
    assert visit().get(f"{base}/{comment.id}/edit").status_code == 302  # to the login page
    assert comment_count() == 1


def test_a_comment_id_of_another_proposal_is_404(visit, author):
    proposal = make_proposal(author, state="submitted")
    elsewhere = make_proposal(author, state="submitted", title="Another one")
    theirs = comments.add_comment(author, elsewhere, "Elsewhere")
    board = visit(board_user())
    base = f"/proposals/{proposal.id}/comments/{theirs.id}"
    assert post(board, f"{base}/answers", {"text": "Hi"}).status_code == 404
    assert post(board, f"{base}/hide", {"reason": "Off topic"}).status_code == 404
    assert post(board, f"{base}/show").status_code == 404
    assert visit(author).get(f"{base}/edit").status_code == 404
    assert post(visit(author), f"{base}/edit", {"text": "Changed"}).status_code == 404
    assert post(board, f"/proposals/{proposal.id}/comments/2000000000/hide").status_code == 404
    db.session.expire_all()
    theirs = db.session.get(ProposalComment, theirs.id)
    assert theirs.hidden_at is None and theirs.text == "Elsewhere" and comment_count() == 1


def test_members_cannot_moderate_over_http(visit, author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(author, proposal, "Hello")
    member = visit(member_user())
    url = f"/proposals/{proposal.id}/comments/{comment.id}/hide"
    assert post(member, url, {"reason": "Mine now"}).status_code == 403
    page = text(member.get(f"/proposals/{proposal.id}"))
    assert "Hide this comment" not in page and ">Reply<" in page
    db.session.expire_all()
    assert db.session.get(ProposalComment, comment.id).hidden_at is None


def test_a_hidden_comment_shows_its_reason_to_others_and_its_text_to_author_and_moderators(
    visit, author
):
    proposal = make_proposal(author, state="submitted")
    writer = member_user(display_name="Rita Writer")
    comment = comments.add_comment(writer, proposal, "You are all idiots")
    board = visit(board_user(display_name="Bea Board"))
    url = f"/proposals/{proposal.id}/comments/{comment.id}/hide"
    page = text(board.get(f"/proposals/{proposal.id}"))
    assert "Hide this comment" in page

    missing = post(board, url, {"reason": "  "}, HX)
    assert missing.status_code == 422 and "Say why you hide this comment" in text(missing)
    assert textarea(text(missing), f"comment-{comment.id}-hide-reason") == ""
    hidden = post(board, url, {"reason": "Insults <are> not OK"}, HX)
    assert hidden.status_code == 200 and "Show it again to everyone" in text(hidden)
    assert "Hidden by Bea Board" in text(hidden)

    member_page = text(visit(member_user()).get(f"/proposals/{proposal.id}"))
    assert "This comment was hidden by the moderators: Insults &lt;are&gt; not OK" in member_page
    assert "You are all idiots" not in member_page
    assert "Rita Writer" in member_page and "1 comment" in member_page
    author_page = text(visit(writer).get(f"/proposals/{proposal.id}"))
    assert "You are all idiots" in author_page and "Hidden by the moderators" in author_page
    assert "Only you and the moderators" in author_page
    assert "Change my comment" not in author_page
    assert "You are all idiots" in text(board.get(f"/proposals/{proposal.id}"))

    shown = post(board, f"/proposals/{proposal.id}/comments/{comment.id}/show")
    assert shown.status_code == 302
    again = text(visit(member_user()).get(f"/proposals/{proposal.id}"))
    assert "You are all idiots" in again and "hidden by the moderators" not in again
    assert len(audit_entries("proposal.comment_hidden")) == 1
    assert len(audit_entries("proposal.comment_shown")) == 1


def test_the_author_changes_a_comment_with_and_without_htmx(visit, author):
    proposal = make_proposal(author, state="submitted")
    comment = comments.add_comment(author, proposal, "Frist")
    client = visit(author)
    url = f"/proposals/{proposal.id}/comments/{comment.id}/edit"
    page = client.get(url)
    assert page.status_code == 200 and "<h1>" in text(page)
    assert textarea(text(page), f"comment-{comment.id}-edit-text") == "Frist"
    fragment = client.get(url, headers=HX)
    assert text(fragment).lstrip().startswith(f'<section id="proposal-{proposal.id}-comments"')
    assert "Change my comment" in text(client.get(f"/proposals/{proposal.id}"))

    empty = post(client, url, {"text": ""}, HX)
    assert empty.status_code == 422
    assert textarea(text(empty), f"comment-{comment.id}-edit-text") == ""
    done = post(client, url, {"text": "First"}, HX)
    assert done.status_code == 200 and "First" in text(done) and "changed on" in text(done)
    assert post(client, url, {"text": "Again"}).status_code == 302

    other = visit(member_user())
    assert other.get(url).status_code == 403
    assert post(other, url, {"text": "Hacked"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ProposalComment, comment.id).text == "Again"


def test_closed_discussions_show_comments_but_no_form(visit, author):
    proposal = make_proposal(author, state="submitted")
    comments.add_comment(author, proposal, "Said before")
    proposal_services.transition_proposal(author, proposal, "withdraw")
    client = visit(member_user())
    page = text(client.get(f"/proposals/{proposal.id}"))
    assert "Said before" in page and "Comments are closed" in page
    assert "Publish my comment" not in page
    assert post(client, f"/proposals/{proposal.id}/comments", {"text": "Late"}).status_code == 403


# --- Cost of the page -----------------------------------------------------------------------------


@pytest.mark.parametrize("viewer_role", ["member", "board"])
def test_the_proposal_page_statements_do_not_grow_with_comments(
    db, client, login_as, author, viewer_role
):
    proposal = make_proposal(author, state="submitted")
    board = board_user()
    viewer = board if viewer_role == "board" else member_user()
    login_as(viewer)

    def add(number: int) -> None:
        writers = [member_user() for _ in range(3)]
        previous = None
        for index in range(number):
            writer = writers[index % len(writers)]
            comment = comments.add_comment(writer, proposal, f"Comment {index}", previous)
            if index % 4 == 1:
                comments.hide_comment(board, comment, proposal, f"Reason {index}")
            previous = comment if index % 3 and comment.hidden_at is None else None

    add(3)
    path = f"/proposals/{proposal.id}"
    few = count_statements(db, client, path)
    add(30)
    many = count_statements(db, client, path)
    assert text(client.get(path)).count('<article id="comment-') == 33
    assert many == few, f"{few} statements with 3 comments, {many} with 33"
