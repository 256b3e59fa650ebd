"""R9: canary content that a visitor or an ordinary member may not read never reaches them.

Pages carrying "CANARY-<uuid>" in title, summary and body sit in every state a viewer may not
read: private, waiting for review, shared with someone else, a private folder above a public
page, and old versions and workflow comments of a public page. A published page that is not
public carries "MEMBERS-<uuid>": members may read it, visitors may not. Then the site is crawled
as a visitor and as an ordinary member: the home page, the lists, every page link found, search
(page, htmx fragment, live header fragment), history, sharing and edit addresses of every page.

A response leaks when the canary appears in its text (tags stripped, so search highlighting
cannot split it) or in its headers, or when it links to a page the viewer may not see. Control:
the public page and the members' page are found where they should be, so the crawl is real.

The programmes have their own crawl (`test_programme_canaries_never_reach_who_may_not_see_them`):
a participant's name, apology, signature, corrections and evidence notes, the anonymous feedback
sentences and the scanned paper sheet, against a visitor, a member, another programme's trainer,
another participant, a counsellor and the board; the trainer sees a feedback sentence, never
next to a name.
"""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field

import pytest

from portal.accounts.models import Role, User
from portal.content.models import Page
from portal.content.services import PageData, update_page
from portal.core.security import LocalRole, grant_local_role
from portal.core.workflow import apply_transition
from portal.extensions import db
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user
from tests.factories_content import make_page

LINK = re.compile(r'(?:href|hx-get)="(/[^"]*)"')
TAG = re.compile(r"<[^>]*>")
MAX_URLS = 600


@dataclass
class Site:
    key: str
    canary: str  # nobody crawling may see it
    members: str  # members may see it, visitors may not
    public: str  # everyone sees it
    hidden: dict[str, Page] = field(default_factory=dict)  # hidden from both crawlers
    members_page: Page | None = None
    public_page: Page | None = None
    open_child: Page | None = None

    @property
    def all_pages(self) -> list[Page]:
        return [*self.hidden.values(), self.members_page, self.public_page, self.open_child]


def texts(marker: str, label: str) -> dict[str, str]:
    return {
        "title": f"{marker} {label}",
        "summary": f"{marker} summary of the {label} page",
        "body": f"{marker} in the body.\n\nMore words: **{marker}**, and [{marker}](https://example.org/{marker}).",
    }


def build_site() -> Site:
    # Letters only: PostgreSQL's parser splits digits and hex into number tokens.
    key = uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))
    site = Site(key, canary=f"CANARY-{key}", members=f"MEMBERS-{key}", public=f"PUBLIC-{key}")
    author = make_user("carla.author", display_name="Carla Author", roles={Role.MEMBER, Role.BOARD})
    shared_with = make_user("sam.shared", display_name="Sam Shared")

    def canary_page(label, state, kind="page", parent=None, is_public=False):
        t = texts(site.canary, label)
        return make_page(
            author,
            t["title"],
            t["body"],
            parent=parent,
            state=state,
            is_public=is_public,
            summary=t["summary"],
            kind=kind,
        )

    site.hidden["private"] = canary_page("private", "private", is_public=True)
    site.hidden["private news"] = canary_page("private news", "private", kind="news")
    site.hidden["pending"] = canary_page("pending", "pending", is_public=True)
    site.hidden["pending news"] = canary_page("pending news", "pending", kind="news")
    site.hidden["shared"] = canary_page("shared", "private")
    grant_local_role(author, site.hidden["shared"], shared_with, LocalRole.EDITOR.value)
    folder = canary_page("folder", "private")
    site.hidden["folder"] = folder
    site.hidden["inside folder"] = canary_page("inside folder", "pending", parent=folder)
    site.open_child = make_page(
        author,
        f"{site.public} open child",
        "Everyone may read this.",
        parent=folder,
        state="published",
        is_public=True,
    )

    t = texts(site.members, "members")
    site.members_page = make_page(
        author, t["title"], t["body"], state="published", summary=t["summary"], kind="news"
    )

    # A public news item whose first version and workflow comments carried the canary.
    t = texts(site.canary, "draft")
    page = make_page(author, t["title"], t["body"], summary=t["summary"], kind="news")
    public = texts(site.public, "public")
    update_page(
        author,
        page,
        1,
        PageData(public["title"], public["summary"], public["body"], "news", is_public=True),
    )
    apply_transition(page, "submit", author, f"{site.canary} please review")
    apply_transition(page, "publish", author, f"{site.canary} published")
    site.public_page = page
    return site


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


def seeds(site: Site) -> list[str]:
    queries = [
        f"CANARY {site.key}",
        site.key,
        site.key[:6],
        "CANARY",
        "MEMBERS",
        "summary",
        "body words",
    ]
    urls = ["/", "/pages/", "/pages/?kind=news", "/pages/?kind=page", "/pages/?page=2"]
    urls += [f"/search?q={q.replace(' ', '+')}" for q in queries]
    urls += [f"/search?q={q.replace(' ', '+')}&page=2" for q in queries]
    for page in site.all_pages:
        urls += [
            f"/pages/{page.id}",
            f"/pages/{page.id}/history",
            f"/pages/{page.id}/history?a=1&b=2",
            f"/pages/{page.id}/sharing",
            f"/pages/{page.id}/sharing?q=sam",
            f"/pages/{page.id}/edit",
            f"/pages/new?parent={page.id}",
        ]
    return urls


def variants(url: str) -> list[tuple[str, dict[str, str]]]:
    out = [("page", {}), ("fragment", {"HX-Request": "true"})]
    if url.startswith("/search"):
        out.append(("live fragment", {"HX-Request": "true", "HX-Target": "header-search-results"}))
    return out


def crawl(browser, site: Site):
    """GET every seed and every same-site link found, as page and as fragment."""
    queue, seen, responses = seeds(site), set(), []
    while queue:
        url = queue.pop(0)
        if url in seen or url.startswith(("/static/", "//")):
            continue
        seen.add(url)
        assert len(seen) < MAX_URLS, "the crawl does not end"
        for variant, headers in variants(url):
            response = browser.get(url, headers=headers)
            body = response.get_data(as_text=True)
            responses.append((url, variant, response, body))
            queue += [html.unescape(link) for link in LINK.findall(body)]
    return responses


def leaks(site: Site, responses, secrets: list[str], hidden: list[Page]):
    hidden_links = [re.compile(rf"/pages/{page.id}(?:[/?#]|$)") for page in hidden]
    found = []
    for url, variant, response, body in responses:
        assert response.status_code < 500, f"{url} ({variant}) answered {response.status_code}"
        visible = html.unescape(TAG.sub("", body))
        headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
        for secret in secrets:
            if secret in body or secret in visible or secret in headers:
                found.append(f"{url} ({variant}, {response.status_code}): {secret}")
        for target in (html.unescape(link) for link in LINK.findall(body)):
            if any(pattern.match(target) for pattern in hidden_links):
                found.append(f"{url} ({variant}): links to {target}")
    return found


def text_of(browser, url, headers=None) -> str:
    response = browser.get(url, headers=headers or {})
    assert response.status_code == 200, url
    return html.unescape(TAG.sub("", response.get_data(as_text=True)))


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_canaries_never_reach_a_visitor_or_a_member(app, client, who):
    site = build_site()
    browser = app.test_client()
    hidden = list(site.hidden.values())
    secrets = [site.canary]
    if who == "member":
        login(browser, make_user("mia.member", display_name="Mia Member"))
    else:
        hidden.append(site.members_page)
        secrets.append(site.members)

    responses = crawl(browser, site)
    assert len(responses) >= 100
    found = leaks(site, responses, secrets, hidden)
    assert not found, "canary content leaked:\n" + "\n".join(found)

    # Controls: what this viewer may read is found everywhere it should be.
    live = {"HX-Request": "true", "HX-Target": "header-search-results"}
    expected = [site.public] + ([site.members] if who == "member" else [])
    for marker in expected:
        assert marker in text_of(browser, "/"), marker  # the news on the home page
        assert marker in text_of(browser, "/pages/"), marker
        assert marker in text_of(browser, "/pages/?kind=news"), marker
        assert marker in text_of(browser, f"/search?q={site.key}"), marker
        assert marker in text_of(browser, f"/search?q={site.key}", {"HX-Request": "true"})
        assert marker in text_of(browser, f"/search?q={site.key}", live), marker
    assert site.public in text_of(browser, f"/pages/{site.public_page.id}")
    assert site.public in text_of(browser, f"/pages/{site.open_child.id}")
    if who == "member":
        assert site.members in text_of(browser, f"/pages/{site.members_page.id}")
    crawled = {url for url, *_ in responses}
    assert f"/pages/{site.public_page.id}" in crawled


def test_the_canaries_are_really_there(app, client):
    """The author sees every canary page: the crawl above looked for something that exists."""
    site = build_site()
    author = db.session.get(Page, site.public_page.id).owner
    browser = login(app.test_client(), author)
    for name, page in site.hidden.items():
        assert site.canary in text_of(browser, f"/pages/{page.id}"), name
    assert site.canary in text_of(browser, f"/search?q={site.key}")
    history = text_of(browser, f"/pages/{site.public_page.id}/history?a=1&b=2")
    assert f"{site.canary} please review" in history
    assert f"{site.canary} in the body." in history  # the old version, in the diff


# --- Programmes: what is personal in a programme never reaches who may not see it -------------
#
# Around one running programme (its trainer, and participants Anna, Bruno and two others): the
# canary is in Bruno's family name (so in his apology for tomorrow's session, his line of the
# sheet, the evidence and correction about him), in his signature picture, in one of the three
# anonymous feedback sentences, in the note of an evidence about him, in the reason of a
# correction of his half-day, and in the scanned paper sheet. Crawled as a visitor, a member
# who is not enrolled, a trainer of other programmes, Anna (a participant: never another
# participant's data), a counsellor and the board (who read the sheets, never the feedback
# sentences nor the evidence notes). The trainer reads the feedback sentences, never next to a
# name.


@dataclass
class ProgrammeCanaries:
    key: str
    name: str  # in Bruno's family name
    signature: str  # a piece of Bruno's signature picture, as the sheet would show it
    sentence: str  # one feedback sentence (anonymous)
    note: str  # the note of an evidence about Bruno
    correction: str  # the reason of a correction of Bruno's half-day
    paper: str  # inside the scanned paper sheet
    trainer: User
    anna: object
    bruno: object
    people: list  # every participant
    world: object
    tomorrow: object


def build_programme_canaries() -> ProgrammeCanaries:
    from datetime import timedelta

    from portal.core.db import local_today, utcnow
    from portal.integration.models import Skill
    from portal.programmes import signatures
    from portal.programmes.models import (
        Apology,
        AttendanceCorrection,
        Evidence,
        FeedbackAnswer,
        FeedbackGiven,
    )
    from tests.factories_members import member_with_login
    from tests.factories_programmes import make_session, mark
    from tests.programme_world import programme_world, signature_data_url

    key = uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))
    canary = f"CANARY-{key}"
    trainer = make_user(
        "tina.trainer", display_name="Tina Trainer", roles={Role.MEMBER, Role.TRAINER}
    )
    anna = member_with_login(given="Anna", family="Enrolled")
    bruno = member_with_login(given="Bruno", family=canary)
    others = [member_with_login(given=g, family="Enrolled") for g in ("Carla", "Dora")]
    people = [anna, bruno, *others]
    world = programme_world(
        trainer,
        *people,
        title="Citizenship by the river",
        paper=f"%PDF-1.4 {canary} paper".encode(),
    )
    session, slot = world.session, world.slot
    tomorrow = make_session(world.programme, day=local_today() + timedelta(days=1), topic="Votes")
    db.session.add(Apology(session_id=tomorrow.id, member_id=bruno.id, reason="illness"))
    picture = signatures.clean_signature(signature_data_url(7))
    row = mark(slot, bruno, "present", minutes=180)
    row.signature, row.signed_at = picture, utcnow()
    mark(slot, anna, "present", minutes=180)
    for person in others:
        mark(slot, person, "late", minutes=60)
    db.session.add(
        AttendanceCorrection(
            attendance_id=row.id,
            reason=f"{canary} correction: he came at ten",
            before={"status": "late"},
            after={"status": "present"},
            changed_by_id=trainer.id,
        )
    )
    for person, sentence in zip(
        (bruno, *others), (f"{canary} said the room was cold", "Good.", ""), strict=True
    ):
        db.session.add(FeedbackGiven(session_id=session.id, member_id=person.id))
        db.session.add(FeedbackAnswer(session_id=session.id, mood="good", sentence=sentence))
    skill = Skill(area="Citizenship", name="Speaks in a meeting")
    db.session.add(skill)
    db.session.flush()
    db.session.add(
        Evidence(
            session_id=session.id,
            member_id=bruno.id,
            skill_id=skill.id,
            level=None,
            note=f"{canary} note: shy in the group",
            decided_by_id=trainer.id,
        )
    )
    db.session.flush()
    signature = signatures.data_url(picture)[len("data:image/png;base64,") :][40:100]
    return ProgrammeCanaries(
        key,
        canary,
        signature,
        f"{canary} said",
        f"{canary} note",
        f"{canary} correction",
        f"{canary} paper",
        trainer,
        anna,
        bruno,
        people,
        world,
        tomorrow,
    )


def programme_seeds(site: ProgrammeCanaries) -> list[str]:
    programme, world = site.world.programme.id, site.world
    urls = [
        "/",
        "/programmes/",
        "/programmes/mine",
        "/programmes/check-in",
        "/programmes/reports",
        "/programmes/reports/people",
        "/programmes/reports.csv",
        "/integration/mine",
        f"/programmes/{programme}",
        f"/programmes/{programme}/enrol?q=CANARY",
        f"/programmes/{programme}/enrol?q=Bruno",
        f"/programmes/{programme}/convocation.pdf?member={site.bruno.id}",
        f"/programmes/{programme}/attestation/{site.bruno.id}.pdf",
    ]
    for session in (world.session.id, site.tomorrow.id):
        base = f"/programmes/sessions/{session}"
        urls += [
            base,
            f"{base}/roll",
            f"{base}/roll?q=Bruno",
            f"{base}/code",
            f"{base}/sign",
            f"{base}/sign/{site.bruno.id}",
            f"{base}/sheet",
            f"{base}/sheet.pdf",
            f"{base}/feedback",
            f"{base}/evidence",
            f"{base}/practice",
            f"{base}/materials/{world.paper.id}",
            f"{base}/sheet/files/{world.paper.id}",
        ]
    return urls


def crawl_programmes(browser, seeds: list[str]):
    """GET every seed and every programme link found, as page and as fragment."""
    queue, seen, responses = list(seeds), set(), []
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        assert len(seen) < MAX_URLS, "the crawl does not end"
        for variant, headers in variants(url):
            response = browser.get(url, headers=headers)
            data = response.get_data()
            body = data.decode("utf-8", errors="replace")
            responses.append((url, variant, response, body))
            queue += [
                link
                for link in (html.unescape(found) for found in LINK.findall(body))
                if link.startswith("/programmes") and "/static/" not in link
            ]
    return responses


PROGRAMME_VIEWERS = ["visitor", "member", "other trainer", "participant", "counsellor", "board"]


@pytest.mark.parametrize("who", PROGRAMME_VIEWERS)
def test_programme_canaries_never_reach_who_may_not_see_them(app, client, who):
    site = build_programme_canaries()
    everything = [site.name, site.signature, site.sentence, site.note, site.correction, site.paper]
    viewers = {
        "member": lambda: make_user("mo.member"),
        "other trainer": lambda: make_user("otto.trainer", roles={Role.MEMBER, Role.TRAINER}),
        "participant": lambda: site.anna.user,
        "counsellor": lambda: make_user("cleo.counsellor", roles={Role.MEMBER, Role.COUNSELLOR}),
        "board": lambda: make_user("bea.board", roles={Role.MEMBER, Role.BOARD}),
    }
    # Those who read the sheets see Bruno's line, signature, corrections and the paper sheet;
    # nobody but the trainer reads the feedback sentences and the evidence notes.
    secrets = [site.sentence, site.note] if who in ("counsellor", "board") else everything
    browser = app.test_client()
    if who != "visitor":
        login(browser, viewers[who]())
    responses = crawl_programmes(browser, programme_seeds(site))
    assert len(responses) >= 40
    found = []
    for url, variant, response, body in responses:
        assert response.status_code < 500, f"{url} ({variant}) answered {response.status_code}"
        visible = html.unescape(TAG.sub("", body))
        headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
        for secret in secrets:
            if secret in body or secret in visible or secret in headers:
                found.append(f"{url} ({variant}, {response.status_code}): {secret[:60]}")
    assert not found, "programme canary leaked:\n" + "\n".join(found)

    # Controls: what this viewer may read is there.
    if who == "participant":
        assert site.world.session.topic in text_of(browser, "/programmes/mine")
    if who in ("counsellor", "board"):
        sheet = text_of(browser, f"/programmes/sessions/{site.world.session.id}/sheet")
        assert site.name in sheet and site.correction in sheet
        raw = browser.get(f"/programmes/sessions/{site.world.session.id}/sheet")
        assert site.signature in raw.get_data(as_text=True)


def test_the_trainer_reads_the_feedback_sentences_never_next_to_a_name(app, client):
    """The programme's trainer: the canaries are really there (the crawl above looked for
    something that exists), and a feedback sentence is never on a page with a participant's
    name."""
    site = build_programme_canaries()
    browser = login(app.test_client(), site.trainer)
    responses = crawl_programmes(browser, programme_seeds(site))
    names = [f"{p.given_name} {p.family_name}" for p in site.people] + [
        f"{p.family_name} {p.given_name}" for p in site.people
    ]
    pages_with_sentence = []
    for url, variant, response, body in responses:
        assert response.status_code < 500, f"{url} ({variant}) answered {response.status_code}"
        visible = html.unescape(TAG.sub("", body))
        if site.sentence in visible:
            pages_with_sentence.append(url)
            near = [name for name in names if name in visible]
            assert not near, f"{url} ({variant}) shows a feedback sentence with {near}"
    assert pages_with_sentence, "the trainer never saw the feedback sentences"
    session = site.world.session.id
    sheet = text_of(browser, f"/programmes/sessions/{session}/sheet")
    assert site.name in sheet and site.correction in sheet
    assert site.name in text_of(browser, f"/programmes/sessions/{site.tomorrow.id}/roll")
    paper = browser.get(f"/programmes/sessions/{session}/sheet/files/{site.world.paper.id}")
    assert site.paper.encode() in paper.get_data()
