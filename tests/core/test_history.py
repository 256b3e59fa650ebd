"""Version history: revisions, revert, diffs, and no lost update (R14) at every level."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.content import services
from portal.content.models import Page
from portal.core import history
from portal.core.audit import AuditEntry, verify_chain
from portal.core.errors import DomainError, NotAllowed
from portal.core.history import EditConflict, Revision
from portal.core.security import grant_local_role
from portal.extensions import db
from tests.conftest import POSTGRES, csrf_token
from tests.factories import PASSWORD, make_user
from tests.factories_content import make_page
from tests.live import live_database

HX = {"HX-Request": "true"}


def board_member(**kwargs):
    return make_user(roles={Role.MEMBER, Role.BOARD}, **kwargs)


def data(page: Page, **changes) -> services.PageData:
    values = {
        "title": page.title,
        "summary": page.summary,
        "body": page.body,
        "kind": page.kind,
        "is_public": page.is_public,
    }
    values.update(changes)
    return services.PageData(**values)


def revisions(page: Page) -> list[Revision]:
    return list(reversed(history.revisions_of(page)))  # oldest first


def saved_entries(page: Page) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "content.saved", AuditEntry.object_key == page.object_key
        )
    ).all()


# --- revisions ---------------------------------------------------------------------------------


def test_creating_a_page_makes_revision_one(db):
    author = board_member(password=None)
    page = make_page(author, title="Statutes", body="Article 1.", summary="Our rules")
    assert page.version == 1
    (first,) = revisions(page)
    assert first.version == 1 and first.author_id == author.id and first.note == "created"
    assert first.fields == {"title": "Statutes", "summary": "Our rules", "body": "Article 1."}


def test_each_save_is_a_new_revision_with_its_author(db):
    author, editor = board_member(password=None), make_user(password=None)
    page = make_page(author, body="one")
    grant_local_role(author, page, editor, "Editor")
    services.update_page(author, page, 1, data(page, body="two"))
    services.update_page(editor, page, 2, data(page, body="three", title="New title"))
    assert page.version == 3
    assert [(r.version, r.author_id, r.fields["body"]) for r in revisions(page)] == [
        (1, author.id, "one"),
        (2, author.id, "two"),
        (3, editor.id, "three"),
    ]
    assert revisions(page)[-1].fields["title"] == "New title"
    assert [e.actor_id for e in saved_entries(page)] == [author.id, editor.id]
    db.session.expire_all()
    stored = db.session.get(Page, page.id)
    assert (stored.version, stored.body, stored.title) == (3, "three", "New title")


def test_saving_without_a_change_makes_no_revision(db):
    author = board_member(password=None)
    page = make_page(author, body="same")
    assert services.update_page(author, page, 1, data(page)) is None
    assert services.update_page(author, page, 1, data(page, title=f"  {page.title} ")) is None
    assert page.version == 1
    assert len(revisions(page)) == 1 and saved_entries(page) == []


def test_saving_needs_the_edit_permission(db):
    author, other = board_member(password=None), board_member(password=None)
    page = make_page(author)
    with pytest.raises(NotAllowed):
        services.update_page(other, page, 1, data(page, body="mine now"))
    assert page.body == "Some text." and len(revisions(page)) == 1


def test_revert_brings_back_old_text_as_a_new_revision(db):
    author = board_member(password=None)
    page = make_page(author, title="Rules", body="first text")
    services.update_page(author, page, 1, data(page, body="second text", title="Rules v2"))
    services.update_page(author, page, 2, data(page, body="third text"))
    revision = services.revert_page(author, page, 1)
    assert revision.version == 4 and revision.note == "reverted to version 1"
    assert (page.title, page.body, page.version) == ("Rules", "first text", 4)
    assert [r.fields["body"] for r in revisions(page)] == [
        "first text",
        "second text",
        "third text",
        "first text",
    ]  # history is never rewritten
    assert services.revert_page(author, page, 4) is None  # already the current text
    with pytest.raises(DomainError):
        services.revert_page(author, page, 99)
    with pytest.raises(NotAllowed):
        services.revert_page(board_member(password=None), page, 2)


def test_diff_fields():
    old = {"title": "Rules", "summary": "", "body": "line one\nline two\nline three"}
    new = {"title": "Rules", "summary": "Short", "body": "line one\nline 2\nline three"}
    assert history.diff_fields(old, new) == {
        "body": [
            ("same", "line one"),
            ("removed", "line two"),
            ("added", "line 2"),
            ("same", "line three"),
        ],
        "summary": [("added", "Short")],
    }
    assert history.diff_fields(old, dict(old)) == {}
    assert history.diff_fields({}, {"body": "x"}) == {"body": [("added", "x")]}


# --- R14: two people saving from the same version ----------------------------------------------


def test_second_save_from_the_same_version_gets_a_conflict(db):
    author, editor = board_member(password=None), make_user(password=None)
    page = make_page(author, body="Meeting on Monday.")
    grant_local_role(author, page, editor, "Editor")
    base = page.version
    services.update_page(author, page, base, data(page, body="Meeting on Tuesday."))
    with pytest.raises(EditConflict) as conflict:
        services.update_page(editor, page, base, data(page, body="Meeting on Monday at 9."))
    error = conflict.value
    assert error.status_code == 409
    assert error.theirs is not None and error.theirs.version == 2
    assert error.theirs.author_id == author.id
    assert error.theirs.fields["body"] == "Meeting on Tuesday."  # the other change is there
    assert error.mine["body"] == "Meeting on Monday at 9."  # and so is mine
    assert page.body == "Meeting on Tuesday." and page.version == 2
    assert len(revisions(page)) == 2


def test_changing_settings_from_an_old_version_is_a_conflict_too(db):
    author = board_member(password=None)
    page = make_page(author)
    services.update_page(author, page, 1, data(page, body="new"))
    with pytest.raises(EditConflict):
        services.update_page(author, page, 1, data(page, is_public=True))
    assert page.is_public is False


def _save_concurrently(app, page_id: int, user_ids: list[int], texts: list[str]):
    """Each thread: read the version (like the GET of the form), then save from it (the POST)."""
    outcome: dict[int, object] = {}
    started = threading.Barrier(len(user_ids), timeout=30)
    # On PostgreSQL both also load the row before either writes, so the race is decided by the
    # UPDATE … WHERE version = N itself. On SQLite a writing transaction starts with BEGIN
    # IMMEDIATE (see core/db.py): the second writer waits for the first one's commit before it
    # reads, so it must see the new version. Waiting there for the other thread would deadlock.
    loaded = threading.Barrier(len(user_ids), timeout=30) if POSTGRES else None

    def editor(index: int) -> None:
        try:
            with app.app_context():
                from portal.core.db import reset_sqlite_begin, set_sqlite_read_only

                token = set_sqlite_read_only(True)
                seen = db.session.get(Page, page_id).version
                db.session.rollback()
                reset_sqlite_begin(token)
                started.wait()
                page = db.session.get(Page, page_id)
                actor = db.session.get(User, user_ids[index])
                if loaded is not None:
                    loaded.wait()
                try:
                    services.update_page(actor, page, seen, data(page, body=texts[index]))
                    db.session.commit()
                    outcome[index] = "saved"
                except EditConflict as error:
                    theirs = error.theirs.fields if error.theirs else None  # read while attached
                    db.session.rollback()
                    outcome[index] = (error, theirs)
                finally:
                    db.session.remove()
        except Exception as error:  # reported by the main thread
            outcome[index] = error

    threads = [threading.Thread(target=editor, args=(i,)) for i in range(len(user_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcome


def test_real_concurrent_saves_lose_nothing(tmp_path):
    """Two threads, two sessions, one live database: one save wins, the other gets a 409."""
    with live_database("history_race", tmp_path) as (_url, app):
        with app.app_context():
            author = make_user(roles={Role.MEMBER, Role.BOARD}, password=None)
            admin = make_user(roles={Role.MEMBER, Role.ADMIN}, password=None)
            page = make_page(author, body="version one")
            db.session.commit()
            page_id, user_ids = page.id, [author.id, admin.id]

        for round_number in range(1, 4):
            texts = [f"round {round_number} by author", f"round {round_number} by admin"]
            outcome = _save_concurrently(app, page_id, user_ids, texts)
            assert sorted(outcome) == [0, 1], outcome
            winners = [i for i, o in outcome.items() if o == "saved"]
            assert len(winners) == 1, outcome
            (loser,) = {0, 1} - set(winners)
            assert isinstance(outcome[loser], tuple), outcome[loser]  # not another exception
            error, theirs = outcome[loser]
            assert isinstance(error, EditConflict) and error.status_code == 409
            assert error.mine["body"] == texts[loser]  # the loser's text is handed back
            if POSTGRES:  # caught by the UPDATE … WHERE version = N itself (StaleDataError)
                assert theirs is None
            else:  # caught by the version check, with the winner's revision to show
                assert theirs["body"] == texts[winners[0]]

            with app.app_context():
                page = db.session.get(Page, page_id)
                assert page.version == round_number + 1
                assert page.body == texts[winners[0]]
                latest = history.latest_revision(page)
                assert latest.version == page.version and latest.fields["body"] == page.body
                assert latest.author_id == user_ids[winners[0]]
                db.session.remove()

        with app.app_context():
            page = db.session.get(Page, page_id)
            assert [r.version for r in history.revisions_of(page)] == [4, 3, 2, 1]
            assert verify_chain() is None
            saved = db.session.scalar(
                sa.select(sa.func.count()).where(AuditEntry.action == "content.saved")
            )
            assert saved == 3
            db.session.remove()


# --- R14 over HTTP -----------------------------------------------------------------------------


def _login(client, user):
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    return client


def _edit_form(client, page_id: int) -> dict[str, str]:
    html = client.get(f"/pages/{page_id}/edit").get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html)
    assert version, html[:2000]
    return {"csrf_token": csrf_token(client, f"/pages/{page_id}/edit"), "version": version[1]}


def _post_edit(client, page, form, body, headers=None):
    return client.post(
        f"/pages/{page.id}/edit",
        data={
            **form,
            "title": page.title,
            "summary": page.summary,
            "body": body,
            "kind": page.kind,
        },
        headers=headers or {},
    )


@pytest.fixture()
def two_editors(app, client, db):
    author = board_member()
    editor = make_user()
    page = make_page(author, title="Minutes", body="We met.\nWe decided nothing.")
    grant_local_role(author, page, editor, "Editor")
    first = _login(client, author)
    second = _login(app.test_client(), editor)
    return page, first, second


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_two_people_editing_over_http(two_editors, htmx):
    page, first, second = two_editors
    form_first = _edit_form(first, page.id)
    form_second = _edit_form(second, page.id)
    assert form_first["version"] == form_second["version"] == "1"

    response = _post_edit(first, page, form_first, "We met.\nWe decided to buy a van.")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith(f"/pages/{page.id}")

    response = _post_edit(
        second, page, form_second, "We met.\nWe decided to paint the hall.", HX if htmx else None
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    if htmx:
        assert html.lstrip().startswith('<section id="page-edit-form">')
        assert "<html" not in html
    else:
        assert "<html" in html and '<section id="page-edit-form">' in html
    assert "Someone else saved this page" in html
    assert "We decided to buy a van." in html  # their change, in the diff
    assert "We decided to paint the hall." in html  # my text, still in the form
    assert 'class="diff-added"' in html and 'class="diff-removed"' in html
    assert re.search(r'name="version" type="hidden" value="2"', html)  # ready to save again

    db.session.expire_all()
    stored = db.session.get(Page, page.id)
    assert stored.version == 2 and stored.body == "We met.\nWe decided to buy a van."

    # Having seen the other change, saving again is a deliberate decision, and it works.
    form_again = {"csrf_token": form_second["csrf_token"], "version": "2"}
    merged = "We met.\nWe decided to buy a van and paint the hall."
    assert _post_edit(second, page, form_again, merged).status_code in (302, 303)
    db.session.expire_all()
    stored = db.session.get(Page, page.id)
    assert (stored.version, stored.body) == (3, merged)
    assert [r.fields["body"] for r in revisions(stored)][1:] == [
        "We met.\nWe decided to buy a van.",
        merged,
    ]
