"""The record's pages: the list, opening, the record page and its own sections, break-glass —
who gets in (and is journaled), who gets 404 or 403 (and is journaled too), bad input."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.core.db import local_today
from portal.extensions import db
from portal.integration.models import (
    AnonymousAttempts,
    Assignment,
    Eligibility,
    Pathway,
    PathwayPeriod,
    ReadOutcome,
    RecordRead,
)
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_integration import assign, make_pathway, outcome
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)

TODAY = local_today()
HX = {"HX-Request": "true"}


def login(client, user):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
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


def reads(pathway_id=None, outcome_=None) -> list[RecordRead]:
    query = sa.select(RecordRead).order_by(RecordRead.id)
    if pathway_id is not None:
        query = query.where(RecordRead.pathway_id == pathway_id)
    if outcome_ is not None:
        query = query.where(RecordRead.outcome == outcome_.value)
    return list(db.session.scalars(query))


def anonymous_attempts(pathway_id: int) -> int:
    counted = sa.select(sa.func.sum(AnonymousAttempts.attempts)).where(
        AnonymousAttempts.pathway_id == pathway_id
    )
    return db.session.scalar(counted) or 0


def post(client, url, headers=None, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers)


@pytest.fixture()
def world(app, db):
    ada = member_with_login(given="Ada", family="Lovelace")
    pathway = make_pathway(ada, team="Kitchen", planned_end_on=date(2026, 12, 31))
    counsellor, trainer = counsellor_user(), trainer_user()
    keep = assign(pathway, counsellor, "counsellor", personal_data=True)
    assign(pathway, trainer, "trainer")
    former = counsellor_user()
    assign(pathway, former, "counsellor", starts_on=date(2026, 1, 5), ends_on=date(2026, 2, 1))
    criterion = Eligibility(pathway_id=pathway.id, criterion="over_50", checked_on=TODAY)
    pause = PathwayPeriod(
        pathway_id=pathway.id, kind="suspension", starts_on=date(2026, 3, 2), reason="Pause"
    )
    db.session.add_all([criterion, pause])
    db.session.flush()
    return {
        "pathway": pathway,
        "ada": ada,
        "counsellor": counsellor,
        "trainer": trainer,
        "former": former,
        "ids": {
            "eligibility_id": criterion.id,
            "period_id": pause.id,
            "assignment_id": keep.id,
        },
    }


# Every route of this module about one record, with the right each one needs.
RECORD_ROUTES = [
    ("/{p}", "read"),
    ("/{p}/details", "edit"),
    ("/{p}/eligibility", "edit"),
    ("/{p}/eligibility/{eligibility_id}/remove", "edit"),
    ("/{p}/suspend", "edit"),
    ("/{p}/periods/{period_id}/end", "edit"),
    ("/{p}/extend", "edit"),
    ("/{p}/team", "team"),
    ("/{p}/team/{assignment_id}/end", "team"),
    ("/{p}/exit", "edit"),
    ("/{p}/reopen", "edit"),
]


def url_of(world, pattern: str) -> str:
    return "/integration" + pattern.format(p=world["pathway"].id, **world["ids"])


def outsider(world, who: str):
    if who == "board":
        return board_user()
    if who == "stranger":
        return counsellor_user()
    if who == "former":
        return world["former"]
    if who == "member":
        return member_with_login().user
    return None  # anonymous


@pytest.mark.parametrize("who", ["board", "stranger", "former", "member", "anonymous"])
def test_outsiders_get_404_and_are_journaled(client, world, who):
    user = outsider(world, who)
    if user is not None:
        login(client, user)
    pathway_id = world["pathway"].id
    urls = [url_of(world, pattern) for pattern, _ in RECORD_ROUTES]
    urls.append(f"/integration/{pathway_id}/break-glass")
    attempts = 0
    for url in urls:
        for method in ("get", "post"):
            if method == "get" and url.endswith("/remove"):
                continue
            if method == "post" and url == f"/integration/{pathway_id}":
                continue
            response = client.get(url) if method == "get" else post(client, url)
            assert response.status_code == 404, (url, method, response.status_code)
            body = response.get_data(as_text=True)
            assert "Lovelace" not in body and "Kitchen" not in body
            attempts += 1
    refused = reads(pathway_id, ReadOutcome.REFUSED)
    if user is None:
        # Someone not logged in is counted per record and day, not journaled one by one.
        assert reads(pathway_id) == []
        assert anonymous_attempts(pathway_id) == attempts
        return
    assert len(refused) == attempts
    assert len(reads(pathway_id)) == attempts  # nothing else journaled
    assert all(r.user_id == user.id for r in refused)


def test_an_unknown_record_is_404_and_journaled(client, world):
    login(client, world["counsellor"])
    assert client.get("/integration/987654").status_code == 404
    assert client.get("/integration/987654/break-glass").status_code == 404
    assert [r.outcome for r in reads(987654)] == ["refused", "refused"]


@pytest.mark.parametrize("pattern, right", [r for r in RECORD_ROUTES if r[1] != "read"])
def test_a_trainer_reads_but_may_not_edit(client, world, pattern, right):
    login(client, world["trainer"])
    url = url_of(world, pattern)
    if not url.endswith("/remove"):
        assert client.get(url).status_code == 403
    assert post(client, url).status_code == 403
    rows = reads(world["pathway"].id)
    assert rows and all(r.outcome == "refused" for r in rows)
    assert db.session.get(Pathway, world["pathway"].id).exit_on is None


def test_the_member_reads_but_may_not_edit(client, world):
    login(client, world["ada"].user)
    page = client.get(url_of(world, "/{p}"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Kitchen" in body
    assert url_of(world, "/{p}/details") not in body  # no edit controls
    assert 'href="/integration/"' not in body  # the list is not for members
    assert post(client, url_of(world, "/{p}/details")).status_code == 403


def test_the_record_page_and_the_journal(client, world):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    page = client.get(f"/integration/{pathway.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Ada Lovelace" in body and "Kitchen" in body
    for section in ("details", "eligibility", "periods", "team", "exit"):
        assert f'id="pathway-{pathway.id}-{section}"' in body
    assert body.index(f"pathway-{pathway.id}-details") < body.index(f"pathway-{pathway.id}-exit")
    assert "Paused" in body  # the pause started in March has no end
    assert client.get(f"/integration/{pathway.id}/details", headers=HX).status_code == 200
    assert client.get(f"/integration/{pathway.id}/details").status_code == 200
    rows = reads(pathway.id)
    assert [(r.kind, r.outcome) for r in rows] == [
        ("page", "allowed"),
        ("fragment", "allowed"),
        ("page", "allowed"),
    ]
    assert all(r.user_id == world["counsellor"].id for r in rows)


def test_edit_details_plain_and_htmx(client, world):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    url = f"/integration/{pathway.id}/details"
    fields = {
        "entry_on": "2026-01-05",
        "planned_end_on": "2026-12-31",
        "contract_type": "integration",
        "weekly_hours": "30",
        "team": "Garden",
        "referrer": "<script>alert(1)</script>",
    }
    response = post(client, url, **fields)
    assert response.status_code == 303 and response.location.endswith(
        f"/integration/{pathway.id}#pathway-{pathway.id}-details"
    )
    assert db.session.get(Pathway, pathway.id).team == "Garden"
    page = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    response = post(client, url, headers=HX, **{**fields, "team": "Yard"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<section") and "Yard" in body
    assert len(reads(pathway.id)) == 3


@pytest.mark.parametrize(
    "change, message",
    [
        ({"entry_on": ""}, "Give a date."),
        ({"entry_on": "not a date"}, ""),
        ({"planned_end_on": "2025-01-01"}, "The planned end must be on or after the entry date."),
        ({"team": "x" * 81}, "At most 80 characters."),
        ({"weekly_hours": "99"}, "from 1 to 48"),
        ({"weekly_hours": "sNaN"}, "Write a number of hours, for example 26 or 17.5."),
        ({"weekly_hours": "NaN"}, "Write a number of hours, for example 26 or 17.5."),
        ({"weekly_hours": "-Infinity"}, "Write a number of hours, for example 26 or 17.5."),
        ({"weekly_hours": "Infinity"}, "Write a number of hours, for example 26 or 17.5."),
        ({"weekly_hours": "lots"}, "Write a number of hours, for example 26 or 17.5."),
        ({"contract_type": "<script>"}, "Choose one of the answers in the list."),
        ({"entry_on": "1980-01-01"}, "too far away"),
    ],
)
def test_bad_details_are_refused(client, world, change, message):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    fields = {
        "entry_on": "2026-01-05",
        "planned_end_on": "2026-12-31",
        "contract_type": "integration",
        "team": "Garden",
        **change,
    }
    for headers in (None, HX):
        response = post(client, f"/integration/{pathway.id}/details", headers=headers, **fields)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.session.get(Pathway, pathway.id).team == "Kitchen"
    # Each refused change still journaled its read, and nothing else was kept.
    assert [r.outcome for r in reads(pathway.id)] == ["allowed", "allowed"]


def test_weekly_hours_take_a_comma(client, world):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    fields = {"entry_on": "2026-01-05", "contract_type": "integration", "weekly_hours": "17,5"}
    response = post(client, f"/integration/{pathway.id}/details", **fields)
    assert response.status_code == 303
    assert str(db.session.get(Pathway, pathway.id).weekly_hours) == "17.5"
    bad = post(client, f"/integration/{pathway.id}/details", **{**fields, "weekly_hours": "sNaN"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and body.count("Write a number of hours") == 1
    assert "from 1 to 48" not in body  # one message, not two


def test_eligibility_add_and_remove(client, world):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    url = f"/integration/{pathway.id}/eligibility"
    soon = (TODAY + timedelta(days=5)).isoformat()
    response = post(
        client, url, criterion="minimum_income", checked_on=TODAY.isoformat(), expires_on=soon
    )
    assert response.status_code == 303
    page = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    assert "Ends soon" in page
    bad = post(
        client, url, criterion="minimum_income", checked_on=soon, expires_on=TODAY.isoformat()
    )
    assert bad.status_code == 422
    assert post(client, url, criterion="nope", checked_on=TODAY.isoformat()).status_code == 422
    assert post(client, url, criterion="other", checked_on="").status_code == 422
    count = db.session.scalar(
        sa.select(sa.func.count()).where(Eligibility.pathway_id == pathway.id)
    )
    assert count == 2
    # A criterion of another record cannot be removed through this one.
    other = make_pathway(member_with_login())
    foreign = Eligibility(pathway_id=other.id, criterion="other", checked_on=TODAY)
    db.session.add(foreign)
    db.session.flush()
    response = post(client, f"{url}/{foreign.id}/remove", headers=HX)
    assert response.status_code == 422 and "not in this record" in response.get_data(as_text=True)
    assert db.session.get(Eligibility, foreign.id) is not None
    response = post(client, f"{url}/{world['ids']['eligibility_id']}/remove")
    assert response.status_code == 303
    assert db.session.get(Eligibility, world["ids"]["eligibility_id"]) is None


@pytest.fixture()
def sensitive(world):
    """A criterion and a pause whose words are special-category data, and a counsellor who
    keeps the record without access to personal data."""
    pathway = world["pathway"]
    db.session.add_all(
        [
            Eligibility(
                pathway_id=pathway.id,
                criterion="justice",
                detail="Probation until June",
                checked_on=TODAY,
            ),
            PathwayPeriod(
                pathway_id=pathway.id,
                kind="suspension",
                starts_on=date(2026, 2, 2),
                ends_on=date(2026, 2, 20),
                reason="Hospitalised after a fall",
            ),
        ]
    )
    plain = counsellor_user()
    assign(pathway, plain, "counsellor")
    db.session.flush()
    return plain


@pytest.mark.parametrize("who", ["trainer", "plain counsellor"])
def test_special_category_data_hidden_without_the_flag(client, world, sensitive, who):
    pathway = world["pathway"]
    login(client, world["trainer"] if who == "trainer" else sensitive)
    page = client.get(f"/integration/{pathway.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'id="pathway-{pathway.id}-eligibility"' not in body
    assert "Probation" not in body and "Leaving prison" not in body and "Over 50" not in body
    assert f'id="pathway-{pathway.id}-periods"' in body
    assert "Hospitalised" not in body and ">Why<" not in body
    assert "From Feb 2, 2026 to Feb 20, 2026" in body  # the dates are shown
    url = f"/integration/{pathway.id}/eligibility"
    assert client.get(url).status_code == 403
    assert client.get(url, headers=HX).status_code == 403
    assert post(client, url, criterion="other", checked_on=TODAY.isoformat()).status_code == 403
    removal = f"{url}/{world['ids']['eligibility_id']}/remove"
    assert post(client, removal).status_code == 403
    assert db.session.get(Eligibility, world["ids"]["eligibility_id"]) is not None
    if who == "plain counsellor":
        # They keep the rest of the record: the pauses' section shows dates, not the reasons.
        section = client.get(f"/integration/{pathway.id}/suspend", headers=HX)
        assert section.status_code == 200
        assert "Hospitalised" not in section.get_data(as_text=True)


@pytest.mark.parametrize("who", ["counsellor", "member"])
def test_special_category_data_shown_with_the_flag(client, world, sensitive, who):
    pathway = world["pathway"]
    login(client, world["counsellor"] if who == "counsellor" else world["ada"].user)
    body = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    assert f'id="pathway-{pathway.id}-eligibility"' in body and "Probation until June" in body
    assert "Hospitalised after a fall" in body and ">Why<" in body


def test_nobody_adds_themself_to_the_team(client, world):
    from portal.accounts.models import Role
    from tests.factories_members import user_with

    pathway = world["pathway"]
    both = user_with(Role.ADMIN, Role.COUNSELLOR)
    login(client, both)
    base = f"/integration/{pathway.id}/team"
    fields = {
        "user": str(both.id),
        "role": "counsellor",
        "starts_on": TODAY.isoformat(),
        "personal_data": "y",
    }
    response = post(client, base, headers=HX, **fields)
    assert response.status_code == 422
    assert "You cannot add yourself to the team." in response.get_data(as_text=True)
    assert client.get(f"/integration/{pathway.id}").status_code == 404
    assert db.session.scalar(sa.select(Assignment).where(Assignment.user_id == both.id)) is None


def test_the_team_form_offers_only_what_the_user_may_give(client, world, sensitive):
    pathway = world["pathway"]
    url = f"/integration/{pathway.id}/team"
    login(client, world["counsellor"])  # holds access to personal data
    body = client.get(url, headers=HX).get_data(as_text=True)
    assert 'id="assign-personal_data"' in body
    assert f'value="{world["counsellor"].id}"' not in body  # not themself
    assert f'value="{sensitive.id}"' in body
    login(client, sensitive)  # keeps the record without it
    body = client.get(url, headers=HX).get_data(as_text=True)
    assert 'id="assign-personal_data"' not in body
    assert f'value="{sensitive.id}"' not in body
    newcomer = trainer_user()
    fields = {"user": str(newcomer.id), "role": "trainer", "starts_on": TODAY.isoformat()}
    forced = post(client, url, headers=HX, **fields, personal_data="y")
    assert forced.status_code == 422
    assert "Only an administrator or a counsellor who sees them" in forced.get_data(as_text=True)
    assert post(client, url, **fields).status_code == 303
    row = db.session.scalar(sa.select(Assignment).where(Assignment.user_id == newcomer.id))
    assert row.personal_data is False


def test_pause_end_and_extend(client, world):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    period_id = world["ids"]["period_id"]
    base = f"/integration/{pathway.id}"
    assert (
        post(client, f"{base}/suspend", starts_on=TODAY.isoformat(), reason="x").status_code == 422
    )
    assert post(client, f"{base}/periods/{period_id}/end", ends_on="2026-03-01").status_code == 422
    assert post(client, f"{base}/periods/{period_id}/end", ends_on="2026-03-20").status_code == 303
    assert db.session.get(PathwayPeriod, period_id).ends_on == date(2026, 3, 20)
    assert post(client, f"{base}/suspend", starts_on="2026-04-01", reason="").status_code == 422
    response = post(client, f"{base}/suspend", starts_on="2026-04-01", reason="Hospital")
    assert response.status_code == 303
    assert post(client, f"{base}/extend", new_end="2026-06-30", reason="More").status_code == 422
    assert post(client, f"{base}/extend", new_end="2027-06-30", reason="More").status_code == 303
    assert db.session.get(Pathway, pathway.id).planned_end_on == date(2027, 6, 30)


def test_team_assign_and_end(client, world):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    base = f"/integration/{pathway.id}/team"
    newcomer = trainer_user()
    fields = {"user": str(newcomer.id), "role": "trainer", "starts_on": TODAY.isoformat()}
    assert post(client, base, **{**fields, "role": "counsellor"}).status_code == 422
    assert post(client, base, **{**fields, "user": "99999999"}).status_code == 422
    assert post(client, base, **{**fields, "user": "abc"}).status_code == 422
    assert post(client, base, **fields).status_code == 303
    assert post(client, base, **fields).status_code == 422  # already in the team
    row = db.session.scalar(sa.select(Assignment).where(Assignment.user_id == newcomer.id))
    assert row.personal_data is False
    response = post(client, f"{base}/{row.id}/end", headers=HX, ends_on=TODAY.isoformat())
    assert response.status_code == 200 and newcomer.display_name in response.get_data(as_text=True)
    assert db.session.get(Assignment, row.id).ends_on == TODAY


def test_an_admin_manages_the_team_without_reading(client, world):
    admin = admin_user()
    login(client, admin)
    pathway = world["pathway"]
    page = client.get(f"/integration/{pathway.id}/team")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ada Lovelace" in body
    assert "Pause" not in body and "Over 50" not in body and "Kitchen" not in body
    newcomer = counsellor_user()
    response = post(
        client,
        f"/integration/{pathway.id}/team",
        user=str(newcomer.id),
        role="counsellor",
        starts_on=TODAY.isoformat(),
        personal_data="y",
    )
    assert response.status_code == 303
    assert response.location.endswith(f"/integration/{pathway.id}/team")
    assert client.get(f"/integration/{pathway.id}").status_code == 404
    assert client.get(f"/integration/{pathway.id}/details").status_code == 404
    outcomes = [(r.what, r.outcome) for r in reads(pathway.id)]
    assert outcomes == [
        ("team assign (team only)", "allowed"),
        ("team assign (team only)", "allowed"),
        ("record", "refused"),
        ("details", "refused"),
    ]


def test_exit_and_reopen(client, world):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    training = outcome("training")
    base = f"/integration/{pathway.id}"
    form = {"exit_on": TODAY.isoformat(), "outcome": str(training.id), "note": "School"}
    assert post(client, f"{base}/exit", **{**form, "outcome": "999999"}).status_code == 422
    assert post(client, f"{base}/exit", **{**form, "outcome": ""}).status_code == 422
    assert post(client, f"{base}/exit", **{**form, "exit_on": "2020-01-01"}).status_code == 422
    assert db.session.get(Pathway, pathway.id).exit_on is None
    response = post(client, f"{base}/exit", headers=HX, **form)
    assert response.status_code == 200 and "School" in response.get_data(as_text=True)
    assert db.session.get(Pathway, pathway.id).outcome_id == training.id
    assert post(client, f"{base}/reopen", reason="").status_code == 422
    assert post(client, f"{base}/reopen", reason="Saved by mistake").status_code == 303
    assert db.session.get(Pathway, pathway.id).exit_on is None


def test_break_glass(client, world):
    admin = admin_user()
    login(client, admin)
    pathway = world["pathway"]
    url = f"/integration/{pathway.id}/break-glass"
    page = client.get(url)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Kitchen" not in body and "Lovelace" not in body
    assert reads(pathway.id) == []  # asking is not reading
    assert post(client, url, reason="short").status_code == 422
    assert post(client, url, reason="x" * 501).status_code == 422
    assert reads(pathway.id) == []
    response = post(client, url, reason="The member phoned: help with papers")
    assert response.status_code == 303 and response.location.endswith(f"/integration/{pathway.id}")
    record = client.get(f"/integration/{pathway.id}")
    body = record.get_data(as_text=True)
    assert record.status_code == 200 and "Kitchen" in body
    assert "You are reading this record as an administrator. The member can see this." in body
    assert f"/integration/{pathway.id}/details" not in body  # no edit controls
    assert post(client, f"/integration/{pathway.id}/details").status_code == 403
    rows = reads(pathway.id)
    assert [(r.what, r.outcome) for r in rows] == [
        ("break-glass", "break_glass"),
        ("record", "break_glass"),
        ("details", "refused"),
    ]
    assert rows[0].reason == "The member phoned: help with papers"


def test_break_glass_only_for_admins(client, world):
    login(client, world["counsellor"])
    pathway = world["pathway"]
    response = client.get(f"/integration/{pathway.id}/break-glass")
    assert response.status_code == 303  # already a reader: straight to the record
    assert reads(pathway.id) == []


# --- The list ------------------------------------------------------------------------------------


def test_people_i_follow(client, world):
    counsellor = world["counsellor"]
    for n in range(27):
        other = make_pathway(member_with_login(given=f"Zed{n:02d}", family="Zulu"), team="Yard")
        assign(other, counsellor)
    make_pathway(member_with_login(given="Nobody"), team="Kitchen")  # not followed
    db.session.add(
        Eligibility(
            pathway_id=world["pathway"].id,
            criterion="other",
            checked_on=TODAY,
            expires_on=TODAY + timedelta(days=3),
        )
    )
    login(client, counsellor)
    body = client.get("/integration/").get_data(as_text=True)
    assert "28 people" in body and "Ada Lovelace" in body and "Nobody" not in body
    assert "1 criterion to check again" in body and "Paused" in body
    assert "Page 1 of 2" in body
    assert "Zed26" in client.get("/integration/?page=2").get_data(as_text=True)
    only = client.get("/integration/?team=Kitchen").get_data(as_text=True)
    assert "1 person" in only and "Ada Lovelace" in only
    found = client.get("/integration/?q=lovel", headers=HX).get_data(as_text=True)
    assert found.lstrip().startswith('<div id="pathway-list"') and "Ada Lovelace" in found
    assert "1 person" in found
    assert client.get("/integration/?q=%25").status_code == 200
    assert reads(world["pathway"].id) == []  # a list is not a read of the records


def test_admins_see_all_open_pathways_without_content(client, world):
    make_pathway(member_with_login(given="Ended"), outcome_code="training")
    login(client, admin_user())
    body = client.get("/integration/").get_data(as_text=True)
    assert "Ada Lovelace" in body and "Ended" not in body
    assert world["counsellor"].display_name in body
    assert f"/integration/{world['pathway'].id}/break-glass" in body
    assert "Over 50" not in body and "2026-12-31" not in body and "Paused" not in body


@pytest.mark.parametrize("who", ["board", "member", "anonymous"])
def test_the_list_is_404_for_others(client, world, who):
    user = outsider(world, who)
    if user is not None:
        login(client, user)
    assert client.get("/integration/").status_code == 404
    assert client.get("/integration/new").status_code == 404
    rows = reads()
    if user is None:  # someone not logged in: nothing journaled, no record to count it on
        assert rows == [] and anonymous_attempts(world["pathway"].id) == 0
        return
    assert [(r.pathway_id, r.outcome) for r in rows] == [(None, "refused"), (None, "refused")]


# --- Opening -------------------------------------------------------------------------------------


def test_a_counsellor_opens_a_pathway(client, db):
    counsellor = counsellor_user()
    bea = member_with_login(given="Bea")
    login(client, counsellor)
    form = client.get(f"/integration/new?member={bea.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{bea.id}">|value="{bea.id}" selected', form)
    fields = {"member": str(bea.id), "entry_on": TODAY.isoformat(), "contract_type": "integration"}
    assert post(client, "/integration/new", **{**fields, "member": ""}).status_code == 422
    assert post(client, "/integration/new", **{**fields, "member": "999999"}).status_code == 422
    assert post(client, "/integration/new", **{**fields, "referrer": "x" * 201}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pathway)) == 0
    response = post(client, "/integration/new", **fields)
    assert response.status_code == 303
    pathway = db.session.scalar(sa.select(Pathway).where(Pathway.member_id == bea.id))
    assert response.location.endswith(f"/integration/{pathway.id}")
    again = post(client, "/integration/new", **fields)
    assert again.status_code == 422 and "already has a pathway" in again.get_data(as_text=True)


def test_an_admin_opens_with_a_counsellor(client, db):
    admin, counsellor = admin_user(), counsellor_user()
    bea = member_with_login(given="Bea")
    login(client, admin)
    fields = {"member": str(bea.id), "entry_on": TODAY.isoformat(), "contract_type": "integration"}
    assert post(client, "/integration/new", **fields).status_code == 422
    response = post(client, "/integration/new", counsellor=str(counsellor.id), **fields)
    assert response.status_code == 303 and response.location.endswith("/integration/")
    pathway = db.session.scalar(sa.select(Pathway).where(Pathway.member_id == bea.id))
    team = db.session.scalars(sa.select(Assignment).where(Assignment.pathway_id == pathway.id))
    assert [(a.user_id, a.role) for a in team] == [(counsellor.id, "counsellor")]


def test_trainers_may_not_open(client, db):
    login(client, trainer_user())
    assert client.get("/integration/new").status_code == 404


def test_the_page_and_the_list_cost_the_same_whatever_the_size(client, world):
    from tests.test_query_counts import count_statements

    counsellor, pathway = world["counsellor"], world["pathway"]

    def grow(n: int) -> None:
        for i in range(n):
            db.session.add(Eligibility(pathway_id=pathway.id, criterion="other", checked_on=TODAY))
            db.session.add(
                PathwayPeriod(
                    pathway_id=pathway.id,
                    kind="extension",
                    starts_on=date(2027, 1, 1) + timedelta(days=i),
                    ends_on=date(2027, 1, 1) + timedelta(days=i),
                    previous_end_on=date(2026, 12, 31),
                    reason="More",
                )
            )
            assign(pathway, trainer_user(), "trainer", starts_on=TODAY, ends_on=TODAY)
            other = make_pathway(member_with_login(given=f"Extra{i}"))
            assign(other, counsellor)
        db.session.flush()

    login(client, counsellor)
    paths = [f"/integration/{pathway.id}", "/integration/"]
    grow(1)
    for path in paths:
        client.get(path)
    small = {path: count_statements(db, client, path) for path in paths}
    grow(20)
    large = {path: count_statements(db, client, path) for path in paths}
    assert large == small


def test_scopes_of_the_list(client, world):
    from portal.accounts.models import Role
    from tests.factories_members import user_with

    both = user_with(Role.ADMIN, Role.COUNSELLOR)
    mine = make_pathway(member_with_login(given="Mine", family="Own"))
    assign(mine, both)
    login(client, both)
    body = client.get("/integration/").get_data(as_text=True)
    assert "Mine Own" in body and "Ada Lovelace" not in body
    assert "/integration/?scope=all" in body
    body = client.get("/integration/?scope=all").get_data(as_text=True)
    assert "Mine Own" in body and "Ada Lovelace" in body
    login(client, world["counsellor"])
    body = client.get("/integration/?scope=all").get_data(as_text=True)
    assert "Ada Lovelace" in body and "Mine Own" not in body  # not an admin: their own only


def test_no_two_inputs_share_an_id_once_a_form_is_opened(client, world):
    login(client, world["counsellor"])
    p = world["pathway"].id
    page = client.get(f"/integration/{p}").get_data(as_text=True)
    for part in ("details", "eligibility", "suspend", "extend", "team", "exit"):
        fragment = client.get(f"/integration/{p}/{part}", headers=HX).get_data(as_text=True)
        section = re.search(r'<section id="([^"]+)"', fragment).group(1)
        rest = re.sub(rf'<section id="{section}".*?</section>', "", page, flags=re.S)
        ours = re.findall(r'\bid="([^"]+)"', fragment)
        assert len(ours) == len(set(ours)), part
        assert not set(ours) & set(re.findall(r'\bid="([^"]+)"', rest)), part


def test_an_admin_without_a_reason_gets_404_outside_the_team(client, world):
    login(client, admin_user())
    routes = [url_of(world, pattern) for pattern, right in RECORD_ROUTES if right != "team"]
    for url in routes:
        response = client.get(url) if not url.endswith("/remove") else post(client, url)
        assert response.status_code == 404, url
        assert "Kitchen" not in response.get_data(as_text=True)
    rows = reads(world["pathway"].id)
    assert len(rows) == len(routes) and all(r.outcome == "refused" for r in rows)
