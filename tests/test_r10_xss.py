"""R10: stored and reflected XSS vectors are shown as text, never run.

Stored: vectors in page titles, summaries, bodies (with Markdown links), workflow comments and
people's display names, rendered on every page and fragment that shows them. Reflected: vectors
in query parameters and path segments. Every response is parsed as HTML (Python's parser, as a
browser tokenises) and must contain no executable markup:

- no <script> other than the site's own files (src under /static/, no inline code);
- no tag that can run code or load content (img, svg, iframe, object, embed, math, …);
- no event-handler attribute (on…), no htmx attribute pointing at the vectors' "/xss" address;
- no javascript:, vbscript: or data: address in href, src, action, formaction, hx-get, hx-post;
- "{{7*7}}" is not evaluated (no "X49Y").

Controls make sure the content is really on each page (a page without it could not fail).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from portal.accounts.models import Role, User
from portal.content.services import PageData, update_page
from portal.core.security import LocalRole, grant_local_role
from portal.core.workflow import apply_transition
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user
from tests.factories_content import make_page

MARK = "xsscheck"
VECTORS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "X{{7*7}}Y",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<a href="javascript:alert(1)">j</a>',
    '<div hx-get="/xss" hx-trigger="load">h</div>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
MARKDOWN_ATTACKS = "\n\n".join(
    [
        "[click](javascript:alert(1))",
        "[case](JaVaScRiPt:alert(1))",
        "[space](  javascript:alert(1))",
        "[entity](jav&#x61;script:alert(1))",
        "![image](javascript:alert(1))",
        "<javascript:alert(1)>",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[vb](vbscript:msgbox(1))",
        "[ref][r]\n\n[r]: javascript:alert(1)",
        '[title](https://example.org "\\"><script>alert(1)</script>")',
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
    ]
)
REFLECTED = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "X{{7*7}}Y",
    "</textarea><script>alert(1)</script>",
]
DANGEROUS_TAGS = {
    "img",
    "svg",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "math",
    "style",
    "base",
    "applet",
    "audio",
    "video",
    "source",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "xlink:href", "data"}
BAD_SCHEMES = re.compile(r"^(javascript|vbscript|data):")


class Scanner(HTMLParser):
    """Collects what a browser would run in a document or fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in_script = True
            src = dict(attrs).get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"<script> not from /static/: {attrs}")
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}> tag: {attrs}")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"<{tag}> event handler {name}={value!r}")
            if name.startswith(("hx-", "data-hx-")) and "/xss" in value:
                self.problems.append(f"<{tag}> htmx attribute {name}={value!r}")
            if name in URL_ATTRIBUTES:
                compact = re.sub(r"[\x00-\x20]", "", value).lower()
                if BAD_SCHEMES.match(compact):
                    self.problems.append(f"<{tag}> {name}={value!r}")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")


def problems_in(label: str, response) -> list[str]:
    body = response.get_data(as_text=True)
    if response.status_code >= 500:
        return [f"{label}: answered {response.status_code}"]
    scanner = Scanner()
    scanner.feed(body)
    scanner.close()
    found = [f"{label}: {problem}" for problem in scanner.problems]
    if "X49Y" in body:
        found.append(f"{label}: {{{{7*7}}}} was evaluated")
    if body and not response.mimetype.startswith("text/html"):
        found.append(f"{label}: served as {response.mimetype}")
    return found


def visible(response) -> str:
    return html.unescape(re.sub(r"<[^>]*>", " ", response.get_data(as_text=True)))


def login(browser, user: User):
    response = browser.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(browser, "/login"),
        },
    )
    assert response.status_code == 303
    return browser


HX = {"HX-Request": "true"}
LIVE = {"HX-Request": "true", "HX-Target": "header-search-results"}


class Pages:
    """Requests made, with their responses; `expect` marks those that must show the vectors."""

    def __init__(self):
        self.seen: list[tuple[str, object, bool]] = []

    def get(self, browser, url, headers=None, expect=True, status=200):
        response = browser.get(url, headers=headers or {})
        label = f"GET {url}{' (' + ', '.join(headers) + ')' if headers else ''}"
        assert response.status_code == status, f"{label}: {response.status_code}"
        self.seen.append((label, response, expect))
        return response

    def post(self, browser, url, data, headers=None, expect=True, status=200):
        data = {"csrf_token": csrf_token(browser, "/"), **data}
        response = browser.post(url, data=data, headers=headers or {})
        label = f"POST {url}{' (' + ', '.join(headers) + ')' if headers else ''}"
        assert response.status_code == status, f"{label}: {response.status_code}"
        self.seen.append((label, response, expect))
        return response

    def problems(self) -> list[str]:
        found = []
        for label, response, expect in self.seen:
            found += problems_in(label, response)
            if expect and MARK not in response.get_data(as_text=True):
                found.append(f"{label}: the stored vectors are not on this page (control)")
        return found


def build_stored():
    """Pages, comments and people carrying every vector."""
    author = make_user(
        "xss.author",
        display_name=f"{MARK} <script>alert(1)</script>",
        roles={Role.MEMBER, Role.BOARD},
    )
    people = [
        make_user(f"xss.person{i}", display_name=f"{MARK} {vector}"[:120])
        for i, vector in enumerate(VECTORS)
    ]
    pages = []
    for i, vector in enumerate(VECTORS):
        page = make_page(
            author,
            f"{MARK} {i} {vector}",
            f"{MARK} {vector}\n\n{MARKDOWN_ATTACKS}",
            summary=f"{MARK} {vector}",
            kind="news",
        )
        other = VECTORS[(i + 1) % len(VECTORS)]
        update_page(
            author,
            page,
            1,
            PageData(
                f"{MARK} {i} {other}",
                f"{MARK} {other}",
                f"{MARK} {other}\n\n{MARKDOWN_ATTACKS}",
                "news",
                is_public=True,
            ),
        )
        apply_transition(page, "submit", author, f"{MARK} {vector}")
        apply_transition(page, "publish", author, f"{MARK} {other}")
        pages.append(page)
    child = make_page(
        author,
        f"{MARK} child {VECTORS[0]}",
        parent=pages[0],
        state="published",
        is_public=True,
        summary=f"{MARK} {VECTORS[1]}",
    )
    draft = make_page(author, f"{MARK} draft {VECTORS[1]}", f"{MARK} {VECTORS[5]}")
    for person in people:
        grant_local_role(author, pages[0], person, LocalRole.READER.value)
    return author, people, pages, child, draft


def test_stored_vectors_are_shown_as_text(app, client):
    author, people, pages, child, draft = build_stored()
    admin = make_user(
        "xss.admin", display_name=f"{MARK} {VECTORS[1]}", roles={Role.MEMBER, Role.ADMIN}
    )
    seen = Pages()
    visitor = app.test_client()
    writer = login(app.test_client(), author)
    boss = login(app.test_client(), admin)

    for browser in (visitor, writer):
        seen.get(browser, "/")
        for url in ("/pages/", "/pages/?kind=news", f"/search?q={MARK}", f"/search?q={MARK}+alert"):
            seen.get(browser, url)
            seen.get(browser, url, HX)
        seen.get(browser, f"/search?q={MARK}", LIVE)
        for page in (*pages, child):
            seen.get(browser, f"/pages/{page.id}")
            seen.get(browser, f"/pages/{page.id}", HX)
    for page in pages:
        seen.get(writer, f"/pages/{page.id}/history")
        seen.get(writer, f"/pages/{page.id}/history?a=1&b=2", HX)
        seen.get(writer, f"/pages/{page.id}/history?a=2&b=1")
        seen.get(writer, f"/pages/{page.id}/sharing?q={MARK}")
        seen.get(writer, f"/pages/{page.id}/sharing?q={MARK}", HX)
    seen.get(writer, f"/pages/{child.id}/sharing")  # inherited grants: the people's names
    seen.get(writer, f"/pages/{draft.id}/edit")
    seen.get(writer, f"/pages/new?parent={pages[0].id}")
    # The edit form shown again: with errors (422) and after a conflict (409, with a diff).
    form = {"title": f"{MARK} {VECTORS[0]}", "summary": VECTORS[1], "body": VECTORS[5]}
    seen.post(
        writer, f"/pages/{draft.id}/edit", {**form, "kind": "page", "version": "abc"}, status=422
    )
    seen.post(writer, "/pages/new", {**form, "kind": VECTORS[0]}, status=422)
    seen.post(
        writer,
        f"/pages/{draft.id}/edit",
        {**form, "kind": "page", "version": "1"},
        status=302,
        expect=False,
    )
    seen.post(
        writer,
        f"/pages/{draft.id}/edit",
        {**form, "body": VECTORS[6], "kind": "page", "version": "1"},
        status=409,
    )
    seen.post(
        writer,
        f"/pages/{draft.id}/edit",
        {**form, "body": VECTORS[6], "kind": "page", "version": "1"},
        HX,
        status=409,
    )
    # The workflow box as an htmx fragment, after a step and after a refused one.
    seen.post(writer, f"/pages/{draft.id}/transition", {"transition": "submit"}, HX, expect=False)
    seen.post(
        writer,
        f"/pages/{draft.id}/transition",
        {"transition": VECTORS[0]},
        HX,
        status=422,
        expect=False,
    )
    # A flash message naming a person.
    seen.post(
        writer,
        f"/pages/{pages[1].id}/sharing/grant",
        {"user_id": people[0].id, "role": "Reader"},
        status=302,
        expect=False,
    )
    seen.get(writer, f"/pages/{pages[1].id}/sharing")
    # Accounts and the audit log, as an administrator.
    seen.get(boss, "/")  # "Hello, <name>"
    seen.get(boss, "/accounts")
    seen.get(boss, f"/accounts?q={MARK}", HX)
    seen.get(boss, "/setup-codes")
    seen.get(boss, f"/setup-codes?q={MARK}", HX)
    for person in people[:3]:
        seen.get(boss, f"/accounts/{person.id}")
    seen.get(boss, "/audit", expect=False)
    seen.get(boss, "/audit", HX, expect=False)

    problems = seen.problems()
    assert not problems, "executable markup:\n" + "\n".join(problems)
    assert len(seen.seen) > 100
    # The vectors are there as text: escaped in the markup, readable on the page.
    page_html = writer.get(f"/pages/{pages[0].id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_html
    assert "X{{7*7}}Y" in visible(writer.get(f"/pages/{pages[3].id}"))  # v2: the next vector
    assert "[click](javascript:alert(1))" in visible(writer.get(f"/pages/{pages[0].id}"))


@pytest.mark.parametrize("vector", REFLECTED)
def test_reflected_vectors_are_escaped(app, client, vector):
    admin = make_user("refl.admin", roles={Role.MEMBER, Role.ADMIN})
    page = make_page(admin, "Reflection", state="published", is_public=True)
    seen = Pages()
    visitor = app.test_client()
    boss = login(app.test_client(), admin)
    query = {"q": vector, "page": vector, "kind": vector, "a": vector, "b": vector}
    for browser in (visitor, boss):
        for headers in (None, HX, LIVE):
            response = browser.get("/search", query_string=query, headers=headers or {})
            seen.seen.append((f"GET /search?q={vector!r} {headers}", response, False))
        assert vector in visible(response), "the query is echoed as text (control)"
        response = browser.get("/pages/", query_string=query)
        seen.seen.append((f"GET /pages/?kind={vector!r}", response, False))
        response = browser.get(f"/pages/{page.id}", query_string=query)
        seen.seen.append((f"GET /pages/{page.id}?…={vector!r}", response, False))
        response = browser.get("/login", query_string={"next": vector})
        seen.seen.append((f"GET /login?next={vector!r}", response, False))
        for path in (f"/pages/{vector}", f"/{vector}", f"/password/reset/{vector}"):
            for headers in (None, HX):
                response = browser.get(path.replace("?", "%3F"), headers=headers or {})
                seen.seen.append((f"GET {path!r} {headers}", response, False))
    for url in (
        f"/pages/{page.id}/sharing",
        f"/pages/{page.id}/history",
        "/accounts",
        "/setup-codes",
    ):
        for headers in (None, HX):
            response = boss.get(url, query_string=query, headers=headers or {})
            assert response.status_code == 200, url
            seen.seen.append((f"GET {url}?…={vector!r} {headers}", response, False))
    audit = {"who": vector, "what": vector, "page": vector}
    for headers in (None, HX):
        response = boss.get("/audit", query_string=audit, headers=headers or {})
        assert response.status_code == 200
        seen.seen.append((f"GET /audit?who={vector!r} {headers}", response, False))
        # A date filter that is no date is left out and said so, with 422 (home.views._date).
        dates = {**audit, "since": vector, "until": vector}
        response = boss.get("/audit", query_string=dates, headers=headers or {})
        assert response.status_code == 422
        seen.seen.append((f"GET /audit?since={vector!r} {headers}", response, False))
    audit_page = boss.get("/audit", query_string={"who": vector}).get_data(as_text=True)
    echoed = re.search(r'id="audit-who" name="who" value="([^"]*)"', audit_page)
    assert html.unescape(echoed.group(1)) == vector.lower()  # echoed inside the attribute
    sharing = boss.get(f"/pages/{page.id}/sharing", query_string={"q": vector})
    echoed = re.search(
        r'id="sharing-search" name="q" value="([^"]*)"', sharing.get_data(as_text=True)
    )
    assert html.unescape(echoed.group(1)) == vector  # the search box keeps it, as a value
    problems = seen.problems()
    assert not problems, "executable markup:\n" + "\n".join(problems)
