"""Page routes over HTTP: listing, reading, writing, workflow steps, history, sharing.

Every form also gets its bad input: missing, too long, wrong type, out of range, foreign ids,
markup. The answer is a clear 4xx (422 for forms that are shown again), never a 500, and the
database is left exactly as it was (checked by `db_state`).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.content.models import Page
from portal.content.services import MAX_BODY, MAX_SUMMARY, MAX_TITLE
from portal.core.audit import AuditEntry
from portal.core.history import Revision
from portal.core.search import SearchDocument
from portal.core.security import LocalRole, LocalRoleGrant, grant_local_role
from portal.core.workflow import WorkflowHistory
from portal.extensions import db
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user
from tests.factories_content import make_page

HX = {"HX-Request": "true"}
HUGE = "99999999999999999999"  # larger than any database integer


# --- helpers ----------------------------------------------------------------------------------


def login(client, user):
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client


@pytest.fixture()
def visit(app, client):
    """`visit(user)`: a client logged in as `user` (one per user); `visit()` is a visitor."""
    clients = {}

    def _visit(user=None):
        key = user.id if user is not None else None
        if key not in clients:
            clients[key] = login(app.test_client(), user) if user else app.test_client()
        return clients[key]

    return _visit


def post(client, url, data=None, headers=None):
    """POST with the session's CSRF token, as the page's own form would."""
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=headers or {}
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(client) -> str:
    """The flash messages waiting for the next page."""
    with client.session_transaction() as session:
        return " ".join(message for _category, message in session.get("_flashes", []))


def db_state(*pages: Page) -> dict:
    """Row counts of everything a content request may write, and the pages' own columns."""
    counts = {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Page, Revision, WorkflowHistory, LocalRoleGrant, AuditEntry, SearchDocument)
    }
    db.session.expire_all()
    columns = [
        (p.title, p.summary, p.body, p.kind, p.is_public, p.state, p.version, p.parent_id)
        for p in (db.session.get(Page, page.id) for page in pages)
    ]
    return {"counts": counts, "pages": columns}


def page_form(page: Page | None = None, **changes) -> dict:
    data = {
        "title": page.title if page else "House rules",
        "summary": page.summary if page else "How we live together.",
        "body": page.body if page else "## Quiet\n\nAfter ten, please.",
        "kind": page.kind if page else "page",
    }
    if page is not None:
        data["version"] = str(page.version)
        if page.is_public:
            data["is_public"] = "y"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture()
def board(db):
    return make_user("bea.board", display_name="Bea Board", roles={Role.MEMBER, Role.BOARD})


@pytest.fixture()
def member(db):
    return make_user("mo.member", display_name="Mo Member")


@pytest.fixture()
def owner(db):
    """A member who owns pages (made by the factory administrator, then handed over)."""
    return make_user("olga.owner", display_name="Olga Owner")


@pytest.fixture()
def site_admin(db):
    return make_user("ada.admin", display_name="Ada Admin", roles={Role.MEMBER, Role.ADMIN})


# --- list -------------------------------------------------------------------------------------


def test_list_shows_each_viewer_only_what_they_may_read(visit, board, member):
    make_page(board, "Public rules", state="published", is_public=True)
    make_page(board, "Members rules", state="published")
    make_page(board, "Board draft")
    make_page(board, "Board pending", state="pending")

    def titles(client):
        return set(re.findall(r"<strong>([^<]+)</strong>", text(client.get("/pages/"))))

    assert titles(visit()) == {"Public rules"}
    assert titles(visit(member)) == {"Public rules", "Members rules"}
    assert titles(visit(board)) == {"Public rules", "Members rules", "Board draft", "Board pending"}


def test_list_kind_filter(visit, board):
    make_page(board, "A news item", kind="news", state="published")
    make_page(board, "A plain page", state="published")
    client = visit(board)
    news = text(client.get("/pages/?kind=news"))
    assert "A news item" in news and "A plain page" not in news
    pages = text(client.get("/pages/?kind=page"))
    assert "A plain page" in pages and "A news item" not in pages
    for bogus in ("blog", "", "NEWS", "news'--", "%00", "x" * 5000):
        response = client.get("/pages/", query_string={"kind": bogus})
        assert response.status_code == 200, bogus
        assert "A news item" in text(response) and "A plain page" in text(response)


def test_list_paging_and_bad_page_numbers(visit, board):
    for number in range(45):
        make_page(board, f"Page {number:02d}", state="published")
    client = visit(board)

    def shown(query):
        response = client.get("/pages/", query_string=query)
        assert response.status_code == 200, query
        return re.findall(r"<strong>(Page \d\d)</strong>", text(response))

    assert len(shown({})) == 20
    assert shown({"page": "3"}) == [f"Page {n}" for n in range(40, 45)]
    assert shown({"page": "999"}) == shown({"page": "3"})  # past the end: the last page
    for bogus in ("0", "-1", "abc", "1.5", "", HUGE, "\uff11"):  # a full-width digit one
        assert shown({"page": bogus}) == shown({}), bogus
    assert 'rel="next"' in text(client.get("/pages/?page=2&kind=page"))
    assert "kind=page" in text(client.get("/pages/?page=2&kind=page"))


def test_list_htmx_fragment(visit, board):
    make_page(board, "Shown", state="published")
    response = visit(board).get("/pages/?kind=page", headers=HX)
    assert response.status_code == 200
    assert text(response).lstrip().startswith('<section id="page-results">')
    assert "<html" not in text(response)
    assert "HX-Request" in response.headers["Vary"]


# --- view -------------------------------------------------------------------------------------


def test_view_published_public_page_for_visitors(visit, board):
    page = make_page(
        board, "Opening hours", "We open at **eight**.", state="published", is_public=True
    )
    response = visit().get(f"/pages/{page.id}")
    assert response.status_code == 200
    assert "<strong>eight</strong>" in text(response)
    assert 'id="page-' not in text(response)  # no workflow box for visitors


@pytest.mark.parametrize("state", ["private", "pending", "published"])
def test_pages_the_viewer_may_not_see_are_404(visit, board, member, site_admin, state):
    page = make_page(board, "Not for everyone", state=state)
    assert visit().get(f"/pages/{page.id}").status_code == 404
    assert visit(member).get(f"/pages/{page.id}").status_code == (
        200 if state == "published" else 404
    )
    assert visit(board).get(f"/pages/{page.id}").status_code == 200
    assert visit(site_admin).get(f"/pages/{page.id}").status_code == 200


def test_missing_pages_are_404_not_500(visit, board):
    client = visit(board)
    for path in ("/pages/0", "/pages/999999", f"/pages/{HUGE}", "/pages/2147483648", "/pages/-1"):
        assert client.get(path).status_code == 404, path
        assert client.get(path, headers=HX).status_code == 404, path


def test_view_shows_children_the_viewer_may_see(visit, board, member):
    parent = make_page(board, "Guides", state="published")
    make_page(board, "Visible guide", parent=parent, state="published")
    make_page(board, "Draft guide", parent=parent)
    html = text(visit(member).get(f"/pages/{parent.id}"))
    assert "Visible guide" in html
    assert "Draft guide" not in html


def test_view_does_not_show_the_title_of_a_parent_the_viewer_may_not_see(visit, board):
    parent = make_page(board, "Secret folder")
    child = make_page(board, "Open child", parent=parent, state="published", is_public=True)
    response = visit().get(f"/pages/{child.id}")
    assert response.status_code == 200
    assert "Open child" in text(response)
    assert "Secret folder" not in text(response)
    assert f"/pages/{parent.id}" not in text(response)


# --- create -----------------------------------------------------------------------------------


def test_create_needs_login_and_the_right(visit, member, board):
    response = visit().get("/pages/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert visit(member).get("/pages/new").status_code == 403
    before = db_state()
    assert post(visit(member), "/pages/new", page_form()).status_code == 403
    assert db_state() == before
    assert visit(board).get("/pages/new").status_code == 200


def test_create_a_page(visit, board):
    client = visit(board)
    response = post(client, "/pages/new", page_form(is_public="y", kind="news"))
    assert response.status_code == 302
    page = db.session.scalar(sa.select(Page).where(Page.title == "House rules"))
    assert response.headers["Location"] == f"/pages/{page.id}"
    assert "private until it is published" in flashes(client)
    assert (page.state, page.owner_id, page.kind, page.is_public, page.version) == (
        "private",
        board.id,
        "news",
        True,
        1,
    )
    assert page.parent_id is None
    assert client.get(f"/pages/{page.id}").status_code == 200


def test_create_inside_a_parent(visit, board, member):
    parent = make_page(board, "Guides", state="published")
    client = visit(board)
    assert "Inside: Guides" in text(client.get(f"/pages/new?parent={parent.id}"))
    response = post(client, f"/pages/new?parent={parent.id}", page_form(title="Child"))
    assert response.status_code == 302
    child = db.session.scalar(sa.select(Page).where(Page.title == "Child"))
    assert child.parent_id == parent.id
    assert child.security_path == f"/page:{parent.id}/page:{child.id}/"
    # A member with "Contributor" on the parent may add inside it, and only there.
    grant_local_role(board, parent, member, LocalRole.CONTRIBUTOR.value)
    response = post(visit(member), f"/pages/new?parent={parent.id}", page_form(title="By member"))
    assert response.status_code == 302
    assert post(visit(member), "/pages/new", page_form(title="At the top")).status_code == 403


def test_create_with_a_parent_the_user_may_not_see_or_use(visit, board, member):
    hidden = make_page(board, "Hidden parent")
    published = make_page(board, "Published parent", state="published")
    client = visit(member)
    visit(board)
    before = db_state()
    assert client.get(f"/pages/new?parent={hidden.id}").status_code == 404
    assert post(client, f"/pages/new?parent={hidden.id}", page_form()).status_code == 404
    assert post(client, f"/pages/new?parent={published.id}", page_form()).status_code == 403
    for bogus in ("999999", HUGE, "0"):
        assert post(visit(board), f"/pages/new?parent={bogus}", page_form()).status_code == 404
    assert db_state() == before
    # Not a number: no parent (a page at the top, which the board may write).
    assert visit(board).get("/pages/new?parent=abc").status_code == 200


BAD_PAGE_INPUT = [
    pytest.param({"title": None}, "title", "Give the page a title", id="title-missing"),
    pytest.param({"title": "   "}, "title", "Give the page a title", id="title-blank"),
    pytest.param({"title": "t" * (MAX_TITLE + 1)}, "title", "too long", id="title-201"),
    pytest.param(
        {"summary": "s" * (MAX_SUMMARY + 1)}, "summary", "too long", id="summary-too-long"
    ),
    pytest.param({"body": "b" * (MAX_BODY + 1)}, "body", "too long", id="body-too-long"),
    pytest.param({"kind": "blog"}, "kind", "Choose one", id="kind-unknown"),
    pytest.param({"kind": None}, "kind", "Choose one", id="kind-missing"),
    pytest.param({"kind": "<script>x</script>"}, "kind", "Choose one", id="kind-markup"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_PAGE_INPUT)
def test_create_bad_input_is_a_422_and_saves_nothing(visit, board, changes, field, message):
    client = visit(board)
    client.get("/")  # the login's own writes happen before the snapshot
    before = db_state()
    response = post(client, "/pages/new", page_form(**changes))
    assert response.status_code == 422
    html = text(response)
    assert f'id="{field}-error"' in html
    assert message in html
    assert "<script>x</script>" not in html
    assert db_state() == before


def test_create_keeps_markup_in_text_as_text(visit, board):
    client = visit(board)
    title = '<b>Bold</b> "quoted" & <script>alert(1)</script>'
    response = post(
        client,
        "/pages/new",
        page_form(title=title, summary="<i>s</i>", body="<img src=x onerror=alert(1)>"),
    )
    assert response.status_code == 302
    page = db.session.scalar(sa.select(Page).order_by(Page.id.desc()).limit(1))
    assert page.title == title  # stored as typed
    html = text(client.get(f"/pages/{page.id}"))
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html
    assert "&lt;i&gt;s&lt;/i&gt;" in html
    assert "<img" not in html


# --- edit -------------------------------------------------------------------------------------


def test_edit_form_carries_the_version(visit, board):
    page = make_page(board, "Rules")
    response = visit(board).get(f"/pages/{page.id}/edit")
    assert response.status_code == 200
    assert re.search(r'name="version" type="hidden" value="1"', text(response))


def test_edit_saves_a_new_version(visit, board):
    page = make_page(board, "Rules", "Old text.")
    client = visit(board)
    response = post(client, f"/pages/{page.id}/edit", page_form(page, body="New text."))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pages/{page.id}"
    assert "Your changes are saved" in flashes(client)
    db.session.expire_all()
    assert (page.body, page.version) == ("New text.", 2)
    versions = db.session.scalars(
        sa.select(Revision.version).where(Revision.object_key == page.object_key)
    ).all()
    assert sorted(versions) == [1, 2]


def test_edit_without_changes_adds_no_version(visit, board):
    page = make_page(board, "Rules")
    response = post(visit(board), f"/pages/{page.id}/edit", page_form(page))
    assert response.status_code == 302
    db.session.expire_all()
    assert page.version == 1


def test_edit_from_an_old_version_is_a_409_showing_the_other_change(visit, board):
    page = make_page(board, "Rules", "First text.")
    client = visit(board)
    stale = page_form(page, body="My text.")
    assert (
        post(client, f"/pages/{page.id}/edit", page_form(page, body="Their text.")).status_code
        == 302
    )
    before = db_state(page)
    response = post(client, f"/pages/{page.id}/edit", stale)
    assert response.status_code == 409
    html = text(response)
    assert "Someone else saved this page" in html
    assert "Their text." in html and "My text." in html
    assert re.search(r'name="version" type="hidden" value="2"', html)  # saving again is knowing
    assert db_state(page) == before
    htmx = post(client, f"/pages/{page.id}/edit", stale, headers=HX)
    assert htmx.status_code == 409
    assert text(htmx).lstrip().startswith('<section id="page-edit-form">')
    # Saving the form as shown again (with the version it now carries) keeps my text.
    shown = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    response = post(client, f"/pages/{page.id}/edit", {**stale, "version": shown})
    assert response.status_code == 302
    db.session.expire_all()
    assert (page.body, page.version) == ("My text.", 3)


@pytest.mark.parametrize(
    "version", [None, "", "abc", "-1", "0", "1.5", "1e3", "0x1", " "], ids=repr
)
def test_edit_with_a_bad_version_is_a_422(visit, board, version):
    page = make_page(board, "Rules", "Text.")
    client = visit(board)
    client.get("/")
    before = db_state(page)
    response = post(client, f"/pages/{page.id}/edit", page_form(page, body="New", version=version))
    assert response.status_code == 422
    assert "Reload the page and try again" in text(response)
    assert db_state(page) == before


@pytest.mark.parametrize("version", ["2", "7", HUGE, "2147483648"])
def test_edit_with_a_version_from_the_future_is_a_conflict(visit, board, version):
    page = make_page(board, "Rules", "Text.")
    client = visit(board)
    client.get("/")
    before = db_state(page)
    response = post(client, f"/pages/{page.id}/edit", page_form(page, body="New", version=version))
    assert response.status_code == 409
    assert db_state(page) == before


@pytest.mark.parametrize(("changes", "field", "message"), BAD_PAGE_INPUT)
def test_edit_bad_input_is_a_422_and_saves_nothing(visit, board, changes, field, message):
    page = make_page(board, "Rules", "Text.")
    client = visit(board)
    client.get("/")
    before = db_state(page)
    response = post(client, f"/pages/{page.id}/edit", page_form(page, **changes))
    assert response.status_code == 422
    assert f'id="{field}-error"' in text(response) and message in text(response)
    assert db_state(page) == before
    htmx = post(client, f"/pages/{page.id}/edit", page_form(page, **changes), headers=HX)
    assert htmx.status_code == 422
    assert text(htmx).lstrip().startswith('<section id="page-edit-form">')
    assert db_state(page) == before


def test_changing_kind_or_public_from_an_old_version_is_refused(visit, board):
    page = make_page(board, "Rules", "Text.")
    client = visit(board)
    stale = page_form(page, is_public="y")
    assert post(client, f"/pages/{page.id}/edit", page_form(page, body="Other.")).status_code == 302
    before = db_state(page)
    assert post(client, f"/pages/{page.id}/edit", stale).status_code == 409
    assert db_state(page) == before


def test_who_may_edit(visit, board, member, owner):
    published = make_page(board, "Published", state="published")
    private = make_page(board, "Private")
    mine = make_page(owner, "Mine")
    # Published: members read it but may not edit it; the board author neither (Editor/Admin).
    assert visit(member).get(f"/pages/{published.id}/edit").status_code == 403
    assert visit(member).get(f"/pages/{private.id}/edit").status_code == 404
    assert visit().get(f"/pages/{private.id}/edit").status_code == 302
    before = db_state(published, private)
    for page in (published, private):
        response = post(visit(member), f"/pages/{page.id}/edit", page_form(page, title="Mine now"))
        assert response.status_code in (403, 404)
    assert db_state(published, private) == before
    # The owner edits their private page; an Editor on it does too.
    assert visit(owner).get(f"/pages/{mine.id}/edit").status_code == 200
    grant_local_role(owner, mine, member, LocalRole.EDITOR.value)
    response = post(visit(member), f"/pages/{mine.id}/edit", page_form(mine, body="Edited."))
    assert response.status_code == 302


# --- workflow steps ---------------------------------------------------------------------------


def test_htmx_transition_returns_the_status_fragment_and_a_trigger(visit, board):
    page = make_page(board, "Rules")
    response = post(
        visit(board), f"/pages/{page.id}/transition", {"transition": "submit"}, headers=HX
    )
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith(f'<section id="page-{page.id}-status"')
    assert "<html" not in html
    assert response.headers["HX-Trigger"] == "page-state-changed"
    assert "Waiting for review" in html
    db.session.expire_all()
    assert page.state == "pending"
    step = db.session.scalar(
        sa.select(WorkflowHistory).where(WorkflowHistory.object_key == page.object_key)
    )
    assert (step.transition, step.from_state, step.to_state) == ("submit", "private", "pending")


@pytest.mark.parametrize("name", ["retract", "bogus", "reject<script>", "withdraw"])
def test_impossible_transition_is_a_422_fragment(visit, board, name):
    page = make_page(board, "Rules")
    client = visit(board)
    client.get("/")
    before = db_state(page)
    response = post(client, f"/pages/{page.id}/transition", {"transition": name}, headers=HX)
    assert response.status_code == 422
    html = text(response)
    assert html.lstrip().startswith(f'<section id="page-{page.id}-status"')
    assert "This step is not possible now" in html
    assert "<script>" not in html
    assert "HX-Trigger" not in response.headers
    assert db_state(page) == before


def test_reject_without_a_reason_is_a_422_with_a_message(visit, board, owner):
    page = make_page(owner, "Proposal", state="pending")
    client = visit(board)
    client.get("/")
    before = db_state(page)
    response = post(client, f"/pages/{page.id}/transition", {"transition": "reject"}, headers=HX)
    assert response.status_code == 422
    assert "Please say why" in text(response)
    assert db_state(page) == before
    response = post(
        client,
        f"/pages/{page.id}/transition",
        {"transition": "reject", "comment": "Too <b>short</b>"},
        headers=HX,
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert page.state == "private"


def test_too_long_comment_is_a_clear_refusal(visit, board, owner):
    page = make_page(owner, "Proposal", state="pending")
    client = visit(board)
    client.get("/")
    before = db_state(page)
    data = {"transition": "reject", "comment": "c" * 1001}
    response = post(client, f"/pages/{page.id}/transition", data, headers=HX)
    assert response.status_code == 422
    assert "comment is too long" in text(response)
    assert text(response).lstrip().startswith(f'<section id="page-{page.id}-status"')
    response = post(client, f"/pages/{page.id}/transition", data)
    assert response.status_code == 302
    assert "comment is too long" in flashes(client)
    assert db_state(page) == before


@pytest.mark.parametrize("data", [{}, {"transition": ""}, {"transition": "x" * 41}], ids=repr)
def test_transition_form_without_a_step_is_a_400(visit, board, data):
    page = make_page(board, "Rules")
    client = visit(board)
    client.get("/")
    before = db_state(page)
    assert post(client, f"/pages/{page.id}/transition", data).status_code == 400
    assert post(client, f"/pages/{page.id}/transition", data, headers=HX).status_code == 400
    assert db_state(page) == before


def test_transition_without_the_right_is_403_or_404(visit, board, member):
    published = make_page(board, "Published", state="published")
    private = make_page(board, "Private")
    visit(member)
    before = db_state(published, private)
    response = post(visit(member), f"/pages/{published.id}/transition", {"transition": "retract"})
    assert response.status_code == 403
    response = post(visit(member), f"/pages/{private.id}/transition", {"transition": "submit"})
    assert response.status_code == 404
    response = post(visit(), f"/pages/{private.id}/transition", {"transition": "submit"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db_state(published, private) == before


def test_plain_transition_redirects_with_a_message(visit, board):
    page = make_page(board, "Rules")
    client = visit(board)
    response = post(client, f"/pages/{page.id}/transition", {"transition": "submit"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pages/{page.id}"
    assert "The page is now: Waiting for review" in flashes(client)
    client.get(f"/pages/{page.id}")  # the message is shown once
    response = post(client, f"/pages/{page.id}/transition", {"transition": "submit"})
    assert response.status_code == 302
    assert "This step is not possible now" in flashes(client)


def test_reviewer_who_loses_sight_is_sent_to_the_list(visit, board, owner, member):
    page = make_page(owner, "Proposal", state="pending")
    grant_local_role(owner, page, member, LocalRole.REVIEWER.value)
    response = post(
        visit(member),
        f"/pages/{page.id}/transition",
        {"transition": "reject", "comment": "Needs work"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/pages/"
    assert visit(member).get(f"/pages/{page.id}").status_code == 404


# --- history and revert -----------------------------------------------------------------------


def edited_page(client, owner_user):
    page = make_page(owner_user, "Rules", "Line one.\nLine two.")
    response = post(
        client, f"/pages/{page.id}/edit", page_form(page, body="Line one.\nLine three.")
    )
    assert response.status_code == 302
    db.session.expire_all()
    return page


def test_history_and_diff(visit, board):
    client = visit(board)
    page = edited_page(client, board)
    response = client.get(f"/pages/{page.id}/history")
    assert response.status_code == 200
    html = text(response)
    assert "From version 1 to version 2" in html
    assert "Line three." in html and "Line two." in html
    assert f"/pages/{page.id}/revert/1" in html
    assert f"/pages/{page.id}/revert/2" not in html  # the newest cannot be brought back
    response = client.get(f"/pages/{page.id}/history?a=2&b=1", headers=HX)
    assert response.status_code == 200
    assert text(response).lstrip().startswith('<section id="page-diff"')
    assert "From version 2 to version 1" in text(response)


@pytest.mark.parametrize(
    "query",
    [
        "a=abc&b=1",
        "a=-1&b=2",
        "a=0&b=0",
        "a=99&b=1",
        f"a={HUGE}&b={HUGE}",
        "a=1.5",
        "a=&b=",
        "b=%00",
    ],
)
def test_history_with_bogus_versions(visit, board, query):
    client = visit(board)
    page = edited_page(client, board)
    for headers in ({}, HX):
        response = client.get(f"/pages/{page.id}/history?{query}", headers=headers)
        assert response.status_code == 200, query
        assert "From version" in text(response) or "Choose two versions" in text(response)


def test_history_needs_the_right(visit, board, member):
    published = make_page(board, "Published", state="published")
    private = make_page(board, "Private")
    assert visit(member).get(f"/pages/{published.id}/history").status_code == 403
    assert visit(member).get(f"/pages/{private.id}/history").status_code == 404
    response = visit().get(f"/pages/{published.id}/history")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert visit(board).get(f"/pages/{published.id}/history").status_code == 200


def test_revert_brings_back_an_old_version(visit, board):
    client = visit(board)
    page = edited_page(client, board)
    response = post(client, f"/pages/{page.id}/revert/1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pages/{page.id}"
    assert "Version 1 is back" in flashes(client)
    db.session.expire_all()
    assert (page.body, page.version) == ("Line one.\nLine two.", 3)


@pytest.mark.parametrize("version", ["99", "0", "2147483648", HUGE])
def test_revert_to_a_missing_version_changes_nothing(visit, board, version):
    client = visit(board)
    page = edited_page(client, board)
    before = db_state(page)
    response = post(client, f"/pages/{page.id}/revert/{version}")
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response.headers["Location"] == f"/pages/{page.id}/history"
        assert "This version does not exist" in flashes(client)
    assert db_state(page) == before


def test_revert_bad_requests(visit, board, member):
    client = visit(board)
    page = edited_page(client, board)
    visit(member)
    before = db_state(page)
    assert client.post(f"/pages/{page.id}/revert/1").status_code == 400  # no CSRF token
    assert client.get(f"/pages/{page.id}/revert/1").status_code == 405
    assert post(client, f"/pages/{page.id}/revert/-1").status_code == 404
    assert post(client, f"/pages/{page.id}/revert/abc").status_code == 404
    assert post(visit(member), f"/pages/{page.id}/revert/1").status_code == 404
    assert db_state(page) == before


# --- sharing ----------------------------------------------------------------------------------


def test_sharing_page_and_people_search(visit, board, member):
    page = make_page(board, "Rules")
    make_user("zoe.zed", display_name="Zoë 50%_off")
    make_user("gone.away", display_name="Zoë Gone", active=False)
    client = visit(board)
    response = client.get(f"/pages/{page.id}/sharing")
    assert response.status_code == 200
    assert "Nobody has a role on this page yet" in text(response)
    response = client.get(f"/pages/{page.id}/sharing?q=mo")
    assert "Mo Member" in text(response)
    assert f'name="user_id" value="{member.id}"' in text(response)
    response = client.get(f"/pages/{page.id}/sharing", query_string={"q": "zoë"}, headers=HX)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<section id="sharing-results"')
    assert "Zoë 50%_off" in html
    assert "Zoë Gone" not in html  # disabled accounts are not offered
    # LIKE wildcards are searched as text.
    assert "Zoë 50%_off" in text(client.get(f"/pages/{page.id}/sharing", query_string={"q": "%_"}))
    assert "Mo Member" not in text(client.get(f"/pages/{page.id}/sharing?q=%25"))
    response = client.get(f"/pages/{page.id}/sharing", query_string={"q": "nobody-like-this"})
    assert "Nobody matches this search" in text(response)
    for q in ("x" * 5000, "\\", "'--", "<script>"):
        response = client.get(f"/pages/{page.id}/sharing", query_string={"q": q})
        assert response.status_code == 200


def test_grant_and_revoke(visit, board, member):
    page = make_page(board, "Rules")
    client = visit(board)
    response = post(
        client, f"/pages/{page.id}/sharing/grant", {"user_id": member.id, "role": "Reader"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pages/{page.id}/sharing"
    assert "Mo Member now has this role" in flashes(client)
    assert visit(member).get(f"/pages/{page.id}").status_code == 200
    grant = db.session.scalar(sa.select(LocalRoleGrant).where(LocalRoleGrant.user_id == member.id))
    assert (grant.object_key, grant.role) == (page.object_key, "Reader")
    html = text(client.get(f"/pages/{page.id}/sharing"))
    assert "Mo Member" in html and f'name="grant_id" value="{grant.id}"' in html
    # Granting twice keeps one grant.
    post(client, f"/pages/{page.id}/sharing/grant", {"user_id": member.id, "role": "Reader"})
    assert db_state()["counts"]["LocalRoleGrant"] == 1
    grant_id = grant.id
    response = post(client, f"/pages/{page.id}/sharing/revoke", {"grant_id": grant_id})
    assert response.status_code == 302
    assert "The role is taken back" in flashes(client)
    assert db.session.get(LocalRoleGrant, grant_id) is None
    assert visit(member).get(f"/pages/{page.id}").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "Reader"}, "Choose a person and a role"),
        ({"user_id": "abc", "role": "Reader"}, "Choose a person and a role"),
        ({"user_id": "-3", "role": "Reader"}, "Choose a person and a role"),
        ({"user_id": "MEMBER"}, "Choose a person and a role"),
        ({"user_id": "MEMBER", "role": ""}, "Choose a person and a role"),
        ({"user_id": "MEMBER", "role": "Owner"}, "Choose one of the roles"),
        ({"user_id": "MEMBER", "role": "admin"}, "Choose one of the roles"),
        ({"user_id": "MEMBER", "role": "x" * 41}, "Choose a person and a role"),
        ({"user_id": "MEMBER", "role": "<script>alert(1)</script>"}, "Choose one of the roles"),
        ({"user_id": "DISABLED", "role": "Reader"}, "This account is disabled"),
    ],
    ids=repr,
)
def test_grant_bad_input_saves_nothing(visit, board, member, data, message):
    page = make_page(board, "Rules")
    disabled = make_user("dis.abled", active=False)
    ids = {"MEMBER": str(member.id), "DISABLED": str(disabled.id)}
    data = {key: ids.get(value, value) for key, value in data.items()}
    client = visit(board)
    client.get("/")
    before = db_state(page)
    response = post(client, f"/pages/{page.id}/sharing/grant", data)
    assert response.status_code == 302
    assert message in flashes(client)
    html = text(client.get(response.headers["Location"]))
    assert message in html and "<script>alert" not in html
    assert db_state(page) == before


@pytest.mark.parametrize("user_id", ["999999", "2147483648", HUGE])
def test_grant_to_nobody_is_a_404(visit, board, user_id):
    page = make_page(board, "Rules")
    client = visit(board)
    client.get("/")
    before = db_state(page)
    data = {"user_id": user_id, "role": "Reader"}
    assert post(client, f"/pages/{page.id}/sharing/grant", data).status_code == 404
    assert db_state(page) == before


def test_revoke_a_grant_of_another_page_is_a_404(visit, board, member):
    page = make_page(board, "Rules")
    other = make_page(board, "Other")
    foreign = grant_local_role(board, other, member, LocalRole.READER.value)
    client = visit(board)
    client.get("/")
    before = db_state(page, other)
    for grant_id in (str(foreign.id), "999999", "2147483648", HUGE):
        response = post(client, f"/pages/{page.id}/sharing/revoke", {"grant_id": grant_id})
        assert response.status_code == 404, grant_id
    for grant_id in ("", "abc", "-1", "0"):
        response = post(client, f"/pages/{page.id}/sharing/revoke", {"grant_id": grant_id})
        assert response.status_code == 400, grant_id
    assert db_state(page, other) == before
    assert db.session.get(LocalRoleGrant, foreign.id) is not None


def test_inherited_grants_are_shown_but_revoked_only_where_given(visit, board, member):
    parent = make_page(board, "Guides")
    child = make_page(board, "Safety", parent=parent)
    grant = grant_local_role(board, parent, member, LocalRole.EDITOR.value)
    client = visit(board)
    html = text(client.get(f"/pages/{child.id}/sharing"))
    assert "Mo Member" in html
    assert "a page above (inherited)" in html
    assert f'name="grant_id" value="{grant.id}"' not in html
    assert visit(member).get(f"/pages/{child.id}/edit").status_code == 200  # it does apply
    before = db_state(parent, child)
    response = post(client, f"/pages/{child.id}/sharing/revoke", {"grant_id": grant.id})
    assert response.status_code == 302
    assert "given on a page above" in flashes(client)
    assert db_state(parent, child) == before
    html = text(client.get(f"/pages/{parent.id}/sharing"))
    assert "this page" in html and f'name="grant_id" value="{grant.id}"' in html


def test_sharing_is_for_the_owner_only(visit, board, member, owner):
    published = make_page(owner, "Published", state="published")
    private = make_page(owner, "Private")
    grant = grant_local_role(owner, private, member, LocalRole.EDITOR.value)
    other = make_user("other.person")
    client = visit(member)
    assert visit(board).get(f"/pages/{private.id}/sharing").status_code == 404
    assert visit().get(f"/pages/{private.id}/sharing").status_code == 302
    before = db_state(published, private)
    for page in (published, private):  # members read both; an Editor does not share
        assert client.get(f"/pages/{page.id}/sharing").status_code == 403
        data = {"user_id": other.id, "role": "Editor"}
        assert post(client, f"/pages/{page.id}/sharing/grant", data).status_code == 403
        data = {"grant_id": grant.id}
        assert post(client, f"/pages/{page.id}/sharing/revoke", data).status_code == 403
    assert post(visit(board), f"/pages/{private.id}/sharing/revoke", data).status_code == 404
    assert db_state(published, private) == before
    assert visit(owner).get(f"/pages/{private.id}/sharing").status_code == 200
