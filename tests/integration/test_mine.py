"""The member's own pages: "My pathway", who opened it, asking for a correction. Each record
shown is journaled once; nobody sees another person's record through them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.core.db import local_today
from portal.extensions import db as _db
from portal.integration import journal
from portal.integration.models import (
    Barrier,
    Goal,
    ReadKind,
    ReadOutcome,
    RecordRead,
    RectificationRequest,
    Skill,
    SkillAssessment,
    SupportAction,
)
from portal.integration.rectification import answer_rectification
from tests.conftest import csrf_token
from tests.factories import make_user
from tests.factories_integration import assign, make_pathway
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    make_member,
    member_with_login,
    trainer_user,
)

TEXT = "My planned end is wrong: it should be in June."


def journal_rows(db, **where):
    query = sa.select(RecordRead)
    for key, value in where.items():
        query = query.where(getattr(RecordRead, key) == value)
    return db.session.scalars(query.order_by(RecordRead.id)).all()


_skills = itertools.chain([""], (f" {n}" for n in itertools.count(2)))


def fill(pathway, counsellor):
    """Some content of every kind, written straight to the tables."""
    goal = Goal(pathway_id=pathway.id, title="Get the forklift licence", status="in_progress")
    done = Goal(pathway_id=pathway.id, title="Open a bank account", status="reached")
    action = SupportAction(
        pathway_id=pathway.id,
        happened_on=date(2026, 2, 3),
        kind="paperwork",
        minutes=45,
        notes="Filled in the housing form together.",
        recorded_by_id=counsellor.id,
    )
    skill = Skill(area="Test area", name=f"Driving the forklift{next(_skills)}")
    _db.session.add_all([goal, done, action, skill])
    _db.session.flush()
    for level, day in ((1, date(2026, 1, 10)), (3, date(2026, 3, 10))):
        _db.session.add(
            SkillAssessment(pathway_id=pathway.id, skill_id=skill.id, level=level, assessed_on=day)
        )
    _db.session.add(
        Barrier(
            pathway_id=pathway.id,
            kind="housing",
            status="working",
            note="Sleeps at a friend's place for now.",
            noted_on=date(2026, 1, 6),
        )
    )
    _db.session.flush()


@pytest.fixture()
def ada_record(db):
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada, entry_on=date(2026, 1, 5), planned_end_on=date(2027, 1, 4))
    counsellor = counsellor_user(display_name="Chloé Counsellor")
    trainer = trainer_user(display_name="Tom Trainer")
    assign(pathway, counsellor, "counsellor", personal_data=True)
    assign(pathway, trainer, "trainer")
    assign(pathway, counsellor_user(display_name="Old Ouria"), ends_on=date(2026, 1, 31))
    fill(pathway, counsellor)
    return ada, pathway, counsellor, trainer


# --- My pathway -----------------------------------------------------------------------------------


def test_a_user_without_a_member_record(db, client, login_as):
    login_as(make_user(username="no.member"))
    response = client.get("/integration/mine")
    assert response.status_code == 200
    assert "You have no integration pathway here." in response.get_data(as_text=True)
    assert client.get("/integration/mine/reads").status_code == 200
    assert client.get("/integration/mine/correction").status_code == 200
    assert journal_rows(db) == []


def test_a_member_without_a_pathway(db, client, login_as):
    bob = member_with_login(given="Bob")
    make_pathway(None, entry_on=date(2024, 1, 8), anonymised_on=date(2026, 1, 1))  # nobody's
    login_as(bob.user)
    assert "You have no integration pathway here." in client.get("/integration/mine").get_data(
        as_text=True
    )
    assert journal_rows(db) == []


def test_anonymous_visitors_are_sent_to_log_in(db, client):
    for path in ("/integration/mine", "/integration/mine/reads", "/integration/mine/correction"):
        assert client.get(path).status_code in (302, 303)
    assert journal_rows(db) == []


def test_my_pathway_in_plain_words(db, client, login_as, ada_record):
    ada, pathway, _counsellor, _trainer = ada_record
    login_as(ada.user)
    response = client.get("/integration/mine")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in (
        "Since",
        "January 5, 2026",
        "Planned until",
        "January 4, 2027",
        "Your team",
        "Chloé Counsellor",
        "Tom Trainer",
        "Trainer",
        "Your goals",
        "Get the forklift licence",
        "Working on it",
        "Reached",
        "What we did together",
        "Help with papers",
        "45 minutes",
        "Filled in the housing form together.",
        "What you can do",
        "Driving the forklift",
        "On my own",
        "Better than at the start (Not yet).",
        "Things that make work harder",
        "Housing",
        "Being worked on",
        "Sleeps at a friend&#39;s place for now.",
        "Taking part in the cooperative",
        "/integration/mine/reads",
        "/integration/mine/correction",
        "/integration/mine/data",
    ):
        assert text in html, text
    assert "Old Ouria" not in html  # no longer in the team
    rows = journal_rows(db)
    # The member's own read names nobody: it is theirs while the record is linked to them.
    assert [(r.pathway_id, r.user_id, r.by_member, r.kind, r.what, r.outcome) for r in rows] == [
        (pathway.id, None, True, "page", "my pathway", "allowed")
    ]


def test_exit_date_and_outcome(db, client, login_as):
    ada = member_with_login()
    make_pathway(ada, entry_on=date(2025, 3, 3), outcome_code="long_term_job")
    login_as(ada.user)
    html = client.get("/integration/mine").get_data(as_text=True)
    assert "Ended on" in html and "March 3, 2026" in html and "Long-term job" in html
    assert "Planned until" not in html


def test_two_pathways_the_current_first_the_older_linked(db, client, login_as):
    ada = member_with_login()
    old = make_pathway(ada, entry_on=date(2024, 2, 5), outcome_code="job_seeking")
    new = make_pathway(ada, entry_on=date(2026, 4, 6))
    _db.session.add(Goal(pathway_id=old.id, title="An old goal of 2024", status="dropped"))
    _db.session.add(Goal(pathway_id=new.id, title="A goal of today", status="planned"))
    _db.session.flush()
    login_as(ada.user)
    html = client.get("/integration/mine").get_data(as_text=True)
    assert "A goal of today" in html and "An old goal of 2024" not in html
    assert f"/integration/mine?pathway={old.id}" in html
    assert "Your other pathways" in html
    older = client.get(f"/integration/mine?pathway={old.id}").get_data(as_text=True)
    assert "An old goal of 2024" in older and "A goal of today" not in older
    assert "This is an older pathway." in older
    assert [r.pathway_id for r in journal_rows(db)] == [new.id, old.id]


def test_the_running_pathway_comes_first_even_if_an_other_began_later(db, client, login_as):
    ada = member_with_login()
    running = make_pathway(ada, entry_on=date(2025, 6, 2))
    make_pathway(ada, entry_on=date(2025, 1, 6), outcome_code="training")
    login_as(ada.user)
    client.get("/integration/mine")
    assert journal_rows(db)[0].pathway_id == running.id


def test_nobody_sees_someone_else_through_my_pages(db, client, login_as, ada_record):
    _ada, pathway, _counsellor, _trainer = ada_record
    bob = member_with_login(given="Bob")
    bob_pathway = make_pathway(bob, entry_on=date(2026, 2, 2))
    login_as(bob.user)
    html = client.get("/integration/mine").get_data(as_text=True)
    assert "Get the forklift licence" not in html and "Sleeps at a friend" not in html
    for path in (
        f"/integration/mine?pathway={pathway.id}",
        f"/integration/mine/correction?pathway={pathway.id}",
        "/integration/mine?pathway=abc",
        "/integration/mine?pathway=99999999999999",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "forklift" not in response.get_data(as_text=True)
    refused = journal_rows(db, outcome="refused")
    assert [r.pathway_id for r in refused][:2] == [pathway.id, pathway.id]
    assert all(r.user_id == bob.user.id for r in refused)
    reads = client.get("/integration/mine/reads").get_data(as_text=True)
    assert "Chloé Counsellor" not in reads
    assert {r.pathway_id for r in journal_rows(db, outcome="allowed")} == {bob_pathway.id}


def test_a_counsellor_who_is_a_member_never_reads_a_followed_record_as_theirs(
    db, client, login_as, ada_record
):
    _ada, pathway, _counsellor, _trainer = ada_record
    colleague = make_member(given="Colette", admitted_on=date(2025, 2, 3))
    account = counsellor_user()
    from portal.members import services
    from tests.factories_members import factory_board

    services.link_account(factory_board(), colleague, account)
    assign(pathway, account)
    login_as(account)
    assert client.get(f"/integration/mine?pathway={pathway.id}").status_code == 404
    last = journal_rows(db)[-1]
    assert (last.user_id, last.pathway_id, last.outcome) == (account.id, pathway.id, "refused")
    assert "You have no integration pathway here." in client.get("/integration/mine").get_data(
        as_text=True
    )


def test_mine_costs_the_same_whatever_the_record_holds(db, client, login_as):
    small, big = member_with_login(), member_with_login()
    for member, times in ((small, 1), (big, 4)):
        pathway = make_pathway(member, entry_on=date(2026, 1, 5))
        for _ in range(times):
            counsellor = counsellor_user()
            assign(pathway, counsellor)
            _db.session.execute(sa.delete(Barrier).where(Barrier.pathway_id == pathway.id))
            fill(pathway, counsellor)  # one barrier per kind: the last one stays

    def statements(member):
        login_as(member.user)
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/integration/mine").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        return len(seen)

    assert statements(small) == statements(big)


# --- Who opened my record -------------------------------------------------------------------------


def test_who_opened_my_record(db, client, login_as, ada_record):
    ada, pathway, counsellor, trainer = ada_record
    admin = admin_user(display_name="Adèle Admin")
    nosy = board_user(display_name="Noé Nosy")
    journal.record_read(counsellor, pathway.id, ReadKind.PAGE, "record")
    journal.record_read(trainer, pathway.id, ReadKind.FRAGMENT, "skills")
    journal.record_read(
        admin,
        pathway.id,
        ReadKind.PAGE,
        "break-glass",
        ReadOutcome.BREAK_GLASS,
        "The counsellor is ill and the contract ends tomorrow.",
    )
    journal.record_read(nosy, pathway.id, ReadKind.PAGE, "record", ReadOutcome.REFUSED)
    journal.record_read(None, pathway.id, ReadKind.PAGE, "record", ReadOutcome.REFUSED)
    journal.record_read(ada.user, pathway.id, ReadKind.PAGE, "my pathway")
    login_as(ada.user)
    response = client.get("/integration/mine/reads")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    allowed = html.split('id="reads-title"')[1].split('id="refused-title"')[0]
    refused = html.split('id="refused-title"')[1]
    assert "Chloé Counsellor" in allowed and "Counsellor" in allowed
    assert "Tom Trainer" in allowed and "Looked at a part of the record" in allowed
    assert "Adèle Admin" in allowed
    assert (
        "Administrator, with the reason: The counsellor is ill and the contract ends tomorrow."
        in allowed
    )
    assert "Opened the record as an administrator" in allowed
    assert "Noé Nosy" not in allowed and "Noé Nosy" in refused
    assert "Someone who was not logged in" in refused
    assert '<th scope="col">' in allowed
    # The member's own reads are counted, not listed: the earlier one and this page.
    assert "You opened it 2 times." in html
    assert ada.user.display_name not in allowed
    last = journal_rows(db)[-1]
    assert (last.user_id, last.by_member, last.what, last.kind, last.outcome) == (
        None,
        True,
        "who read",
        "page",
        "allowed",
    )


def test_reads_of_every_pathway_and_paged(db, client, login_as):
    ada = member_with_login()
    old = make_pathway(ada, entry_on=date(2024, 2, 5), outcome_code="training")
    new = make_pathway(ada, entry_on=date(2026, 2, 2))
    reader = counsellor_user(display_name="Rita Reader")
    for index in range(27):
        journal.record_read(reader, new.id if index % 2 else old.id, ReadKind.PAGE, "record")
    login_as(ada.user)
    first = client.get("/integration/mine/reads").get_data(as_text=True)
    assert first.count("Rita Reader") == 25
    assert "Page 1 of 2" in first
    second = client.get("/integration/mine/reads?page=2").get_data(as_text=True)
    assert second.count("Rita Reader") == 2
    # Each visit reads both records: two journal rows per page shown.
    mine = journal_rows(db, by_member=True)
    assert len(mine) == 4 and {r.pathway_id for r in mine} == {old.id, new.id}
    assert client.get("/integration/mine/reads?page=abc").status_code == 200


def test_reads_page_costs_the_same_whatever_the_journal_holds(db, client, login_as):
    def statements(count):
        member = member_with_login()
        pathway = make_pathway(member)
        for index in range(count):
            journal.record_read(
                counsellor_user(), pathway.id, ReadKind.PAGE, "record"
            ) if index % 2 else journal.record_read(
                board_user(), pathway.id, ReadKind.PAGE, "record", ReadOutcome.REFUSED
            )
        login_as(member.user)
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/integration/mine/reads").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        return len(seen)

    assert statements(2) == statements(12)


# --- Asking for a correction ----------------------------------------------------------------------


def post_correction(client, text, path="/integration/mine/correction"):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), "text": text})


def test_ask_for_a_correction(db, client, login_as, ada_record):
    ada, pathway, counsellor, _trainer = ada_record
    login_as(ada.user)
    form = client.get("/integration/mine/correction")
    assert form.status_code == 200
    assert "What is wrong, and what should it say?" in form.get_data(as_text=True)
    response = post_correction(client, TEXT)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/integration/mine#my-requests")
    saved = db.session.scalars(sa.select(RectificationRequest)).all()
    assert [(r.pathway_id, r.text, r.status) for r in saved] == [(pathway.id, TEXT, "open")]
    answer_rectification(counsellor, saved[0], "corrected", "The planned end is now 30 June.")
    html = client.get("/integration/mine").get_data(as_text=True)
    assert TEXT in html and "Corrected" in html and "The planned end is now 30 June." in html
    # GET form, POST, and the page: three reads, three rows.
    assert len(journal_rows(db, by_member=True)) == 3


def test_a_correction_about_an_older_pathway(db, client, login_as):
    ada = member_with_login()
    old = make_pathway(ada, entry_on=date(2024, 2, 5), outcome_code="training")
    make_pathway(ada, entry_on=date(2026, 2, 2))
    login_as(ada.user)
    response = post_correction(client, TEXT, f"/integration/mine/correction?pathway={old.id}")
    assert response.status_code == 303
    assert f"pathway={old.id}" in response.headers["Location"]
    assert db.session.scalar(sa.select(RectificationRequest.pathway_id)) == old.id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Please write something here."),
        ("   ", "Please write something here."),
        ("wrong", "Please write at least 10 characters."),
        ("w" * 2001, "This is too long (at most 2000 characters)."),
        ("<script>alert(1)</script> the date", "Please write plain words"),
    ],
)
def test_bad_corrections_are_shown_again(db, client, login_as, ada_record, text, message):
    ada, _pathway, _counsellor, _trainer = ada_record
    login_as(ada.user)
    response = post_correction(client, text)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "<script>alert(1)</script>" not in html
    assert db.session.scalars(sa.select(RectificationRequest)).all() == []
    assert len(journal_rows(db, by_member=True)) == 1  # the POST read the record once


def test_a_correction_needs_the_csrf_token(db, client, login_as, ada_record):
    ada, *_ = ada_record
    login_as(ada.user)
    response = client.post("/integration/mine/correction", data={"text": TEXT})
    assert response.status_code == 400
    assert db.session.scalars(sa.select(RectificationRequest)).all() == []


def test_a_closed_record_still_takes_a_request(db, client, login_as):
    ada = member_with_login()
    closed = make_pathway(
        ada, entry_on=local_today() - timedelta(days=400), outcome_code="training"
    )
    login_as(ada.user)
    assert post_correction(client, TEXT).status_code == 303
    assert db.session.scalar(sa.select(RectificationRequest.pathway_id)) == closed.id


def test_reads_are_shown_in_local_time(db, client, login_as):
    from datetime import UTC, datetime

    ada = member_with_login()
    pathway = make_pathway(ada)
    pathway.created_at = datetime(2026, 1, 1, tzinfo=UTC)  # before the read below
    reader = counsellor_user(display_name="Rita Reader")
    _db.session.add(
        RecordRead(
            pathway_id=pathway.id,
            user_id=reader.id,
            read_at=datetime(2026, 1, 10, 12, 0, tzinfo=UTC),
            kind="pdf",
            what="record",
            outcome="allowed",
        )
    )
    _db.session.flush()
    login_as(ada.user)
    html = client.get("/integration/mine/reads").get_data(as_text=True)
    assert "Jan 10, 2026, 1:00:00" in html  # Paris, winter: UTC+1
    assert "Printed the record (PDF)" in html


def test_attempts_before_the_record_existed_and_team_only_visits(db, client, login_as):
    from datetime import UTC, datetime

    prober = counsellor_user(display_name="Paula Prober")
    admin = make_user("ann.admin", display_name="Ann Admin", roles={"member", "admin"})
    ada = member_with_login()
    pathway = make_pathway(ada)
    pathway.created_at = datetime(2026, 3, 1, tzinfo=UTC)
    _db.session.add(  # someone tried this number before Ada's record had it
        RecordRead(
            pathway_id=pathway.id,
            user_id=prober.id,
            read_at=datetime(2026, 2, 1, tzinfo=UTC),
            kind="page",
            what="record",
            outcome="refused",
        )
    )
    journal.record_read(admin, pathway.id, ReadKind.PAGE, "team assign (team only)")
    _db.session.flush()
    login_as(ada.user)
    html = client.get("/integration/mine/reads").get_data(as_text=True)
    assert "Paula Prober" not in html
    assert "Ann Admin" in html
    assert "Looked at the follow-up team only (to change it), not at the record" in html


def test_a_counsellors_export_reason_is_shown_and_own_refusals_name_nobody(db, client, login_as):
    ada = member_with_login()
    pathway = make_pathway(ada)
    counsellor = counsellor_user(display_name="Cleo Counsellor")
    assign(pathway, counsellor, "counsellor", personal_data=True)
    journal.record_read(
        counsellor,
        pathway.id,
        ReadKind.EXPORT,
        "data export for the member",
        reason="Printed for Ada at the desk",
    )
    own = journal.record_read(ada.user, pathway.id, ReadKind.PAGE, "team", ReadOutcome.REFUSED)
    assert (own.user_id, own.by_member) == (None, True)
    _db.session.flush()
    login_as(ada.user)
    html = client.get("/integration/mine/reads").get_data(as_text=True)
    assert "Counsellor, with the reason: Printed for Ada at the desk" in html
