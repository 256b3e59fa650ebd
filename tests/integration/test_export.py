"""The member's full personal-data export: every personal field is in it (checked column by
column, from the models' columns, so a column added later is checked too), nothing of anyone
else and no ballot choice; the routes, the administrator's export with a reason, the journal.

`fill_record(member, tag)` (also used by the purge tests) writes a complete record: two
pathways with every integration row, every free-text column holding a distinct canary
"CANARY<tag><n>" and distinct dates.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.integration import export, journal
from portal.integration.models import (
    Assignment,
    Barrier,
    Eligibility,
    ExitOutcome,
    Goal,
    GoalEvent,
    Pathway,
    PathwayPeriod,
    ReadKind,
    ReadOutcome,
    RecordRead,
    RecordReadReason,
    RectificationRequest,
    Skill,
    SkillAssessment,
    SupportAction,
)
from tests.conftest import csrf_token
from tests.factories_integration import assign, make_pathway
from tests.factories_members import (
    admin_user,
    counsellor_user,
    make_member,
    member_with_login,
    trainer_user,
)
from tests.factories_voting import make_poll, vote

# Columns holding codes from a fixed list (not free text).
# `fill_record` tells its story with fixed dates (a pathway ended in March 2027, the next one
# starting in June 2027): the tests run on the day it was written.
pytestmark = pytest.mark.usefixtures("story_day")

CODED = {"contract_type", "criterion", "kind", "role", "status", "what", "outcome"}
# Free text kept after anonymisation on purpose (a workshop's name, for reports by team).
KEPT_TEXT = {("pathways", "team")}
# Every integration table that holds data about one person (configuration tables aside).
PERSON_MODELS = (
    Pathway,
    Eligibility,
    PathwayPeriod,
    Assignment,
    Goal,
    GoalEvent,
    SupportAction,
    SkillAssessment,
    Barrier,
    RectificationRequest,
    RecordRead,
    RecordReadReason,
)
PARENT_KEYS = {"pathway_id", "goal_id", "member_id"}

_counter = itertools.count(1)


def is_free_text(column: sa.Column) -> bool:
    return (
        isinstance(column.type, sa.String)
        and not column.foreign_keys
        and column.name not in CODED
        and (column.table.name, column.name) not in KEPT_TEXT
    )


def fill_texts(obj, tag: str, canaries: list[str]) -> None:
    """A distinct canary in every free-text column of `obj` (found from its columns)."""
    for column in obj.__table__.columns:
        if is_free_text(column):
            value = f"CANARY{tag}{next(_counter)}"
            setattr(obj, column.key, value)
            canaries.append(value)


def _add(obj, tag: str, canaries: list[str], texts: bool = True):
    if texts:
        fill_texts(obj, tag, canaries)
    db.session.add(obj)
    db.session.flush()
    return obj


def fill_record(member, tag: str = "A") -> dict:
    """Two pathways of `member` (one ended), every integration row filled; returns the canaries
    and the people and rows made."""
    canaries: list[str] = []
    counsellor = counsellor_user(display_name=f"Counsellor {tag}", email=f"c{tag}@example.org")
    trainer = trainer_user(display_name=f"Trainer {tag}")
    admin = admin_user(display_name=f"Admin {tag}", email=f"a{tag}@example.org")
    stranger = counsellor_user(display_name=f"Stranger {tag}")
    skill = Skill(area="Work", name=f"Being on time {tag}", description="")
    db.session.add(skill)
    outcome_id = db.session.scalar(sa.select(ExitOutcome.id).where(ExitOutcome.code == "training"))
    first = make_pathway(
        member,
        date(2026, 1, 13),
        planned_end_on=date(2027, 1, 12),
        weekly_hours=Decimal("31.5"),
        team=f"Garden workshop {tag}",
        exit_on=date(2027, 3, 19),
        outcome_id=outcome_id,
        created_by_id=counsellor.id,
    )
    fill_texts(first, tag, canaries)
    second = make_pathway(member, date(2027, 6, 7), weekly_hours=20, team="Kitchen")
    fill_texts(second, tag, canaries)
    db.session.flush()
    assign(first, counsellor, "counsellor", personal_data=True)
    assign(first, trainer, "trainer", starts_on=date(2026, 2, 2), ends_on=date(2026, 12, 18))
    assign(second, counsellor, "counsellor", personal_data=True)
    for pathway in (first, second):
        _add(
            Eligibility(
                pathway_id=pathway.id,
                criterion="minimum_income",
                checked_on=date(2026, 1, 9),
                expires_on=date(2026, 7, 9),
                recorded_by_id=counsellor.id,
            ),
            tag,
            canaries,
        )
        _add(
            PathwayPeriod(
                pathway_id=pathway.id,
                kind="suspension",
                starts_on=date(2026, 4, 2),
                ends_on=date(2026, 4, 23),
                recorded_by_id=counsellor.id,
            ),
            tag,
            canaries,
        )
        goal = _add(
            Goal(
                pathway_id=pathway.id,
                status="in_progress",
                target_on=date(2026, 9, 30),
                created_by_id=counsellor.id,
            ),
            tag,
            canaries,
        )
        for status in ("planned", "in_progress"):
            _add(
                GoalEvent(goal_id=goal.id, status=status, changed_by_id=counsellor.id),
                tag,
                canaries,
            )
        for day, kind, minutes in (
            (date(2026, 2, 11), "interview", 45),
            (date(2026, 3, 25), "coaching", 90),
        ):
            _add(
                SupportAction(
                    pathway_id=pathway.id,
                    happened_on=day,
                    kind=kind,
                    minutes=minutes,
                    recorded_by_id=trainer.id,
                ),
                tag,
                canaries,
            )
        _add(
            SkillAssessment(
                pathway_id=pathway.id,
                skill_id=skill.id,
                level=3,
                assessed_on=date(2026, 5, 14),
                assessed_by_id=trainer.id,
            ),
            tag,
            canaries,
        )
        for kind, status in (("housing", "working"), ("health", "present")):
            _add(
                Barrier(
                    pathway_id=pathway.id,
                    kind=kind,
                    status=status,
                    noted_on=date(2026, 1, 20),
                    updated_by_id=counsellor.id,
                ),
                tag,
                canaries,
            )
        _add(
            RectificationRequest(pathway_id=pathway.id, asked_by_id=member.user_id),
            tag,
            canaries,
        )
        _add(
            RectificationRequest(
                pathway_id=pathway.id,
                status="corrected",
                asked_by_id=member.user_id,
                answered_by_id=counsellor.id,
                answered_at=datetime(2026, 6, 3, 9, 30, tzinfo=UTC),
            ),
            tag,
            canaries,
        )
        # The journal, written as the portal writes it: the counsellor's read, the member's
        # own read (by_member, naming nobody), an administrator's break-glass read with its
        # written reason (free text: a canary), and a refused attempt on the record's number
        # made before the record existed (not the member's: never exported).
        journal.record_read(counsellor, pathway.id, ReadKind.PAGE, "record")
        if member.user_id is not None:
            journal.record_read(member.user, pathway.id, ReadKind.PDF, "record")
        reason = f"CANARY{tag}{next(_counter)}"
        canaries.append(reason)
        journal.record_read(
            admin, pathway.id, ReadKind.PAGE, "record", ReadOutcome.BREAK_GLASS, reason
        )
        _add(
            RecordRead(
                pathway_id=pathway.id,
                user_id=stranger.id,
                read_at=datetime(2025, 12, 1, 8, 0, tzinfo=UTC),
                kind="page",
                what="record",
                outcome="refused",
            ),
            tag,
            canaries,
            texts=False,
        )
    return {
        "canaries": canaries,
        "pathways": [first, second],
        "counsellor": counsellor,
        "trainer": trainer,
        "admin": admin,
        "stranger": stranger,
        "skill": skill,
    }


def person_rows(pathway_ids: list[int]) -> dict[type, list]:
    rows: dict[type, list] = {}
    for model in PERSON_MODELS:
        if model is Pathway:
            query = sa.select(Pathway).where(Pathway.id.in_(pathway_ids))
        elif model is RecordReadReason:
            query = (
                sa.select(RecordReadReason)
                .join(RecordRead)
                .where(RecordRead.pathway_id.in_(pathway_ids))
            )
        elif model is GoalEvent:
            query = sa.select(GoalEvent).join(Goal).where(Goal.pathway_id.in_(pathway_ids))
        else:
            query = sa.select(model).where(model.pathway_id.in_(pathway_ids))
        rows[model] = list(db.session.scalars(query))
    return rows


def _names(table: str) -> dict[int, str]:
    from portal.accounts.models import User

    if table == "users":
        return dict(db.session.execute(sa.select(User.id, User.display_name)).all())
    if table == "integration_skills":
        return dict(db.session.execute(sa.select(Skill.id, Skill.name)).all())
    if table == "integration_outcomes":
        return {o.id: o.title for o in db.session.scalars(sa.select(ExitOutcome))}
    raise AssertionError(f"no names for {table}: add them to the export")


def assert_row_exported(obj, exported: dict) -> None:
    """Every column of `obj` is in `exported`: values as they are, foreign keys as names."""
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        where = f"{obj.__table__.name}.{column.name}"
        if column.name in PARENT_KEYS:
            continue  # the row sits under its parent
        if column.foreign_keys:
            key = export.fk_key(column)
            assert key in exported, where
            table = next(iter(column.foreign_keys)).column.table.name
            expected = None if value is None else _names(table)[value]
            assert exported[key] == expected, where
        elif isinstance(column.type, sa.Numeric) and value is not None:
            assert Decimal(exported[column.name]) == value, where
        else:
            assert column.name in exported, where
            assert exported[column.name] == export.jsonable(value), where


def assert_complete(data: dict, pathway_ids: list[int]) -> None:
    rows = person_rows(pathway_ids)
    by_id = {p["id"]: p for p in data["pathways"]}
    assert set(by_id) == set(pathway_ids)
    checked = 0
    for pathway in rows[Pathway]:
        assert_row_exported(pathway, by_id[pathway.id])
        checked += 1
    goals = {g["id"]: g for p in data["pathways"] for g in p["goals"]}
    for model, key in export.PATHWAY_PARTS_BY_MODEL.items():
        for obj in rows[model]:
            listed = {r["id"]: r for r in by_id[obj.pathway_id][key]}
            assert obj.id in listed, f"{model.__tablename__} {obj.id} not exported"
            assert_row_exported(obj, listed[obj.id])
            checked += 1
    created = {p.id: p.created_at for p in rows[Pathway]}
    for read in rows[RecordRead]:
        listed = {r["id"]: r for r in by_id[read.pathway_id]["reads"]}
        if read.read_at < created[read.pathway_id]:
            # An attempt on the number before the record existed is not the member's.
            assert read.id not in listed, f"read {read.id} made before the record was exported"
        else:
            assert read.id in listed, f"read {read.id} not exported"
            assert_row_exported(read, listed[read.id])
            assert listed[read.id]["reason"] == read.reason
            if read.by_member:
                assert listed[read.id]["user"] is None
        checked += 1
    for reason in rows[RecordReadReason]:
        read = db.session.get(RecordRead, reason.read_id)
        assert [r["reason"] for r in by_id[read.pathway_id]["reads"] if r["id"] == read.id] == [
            reason.reason
        ]
        checked += 1
    for event in rows[GoalEvent]:
        listed = {e["id"]: e for e in goals[event.goal_id]["events"]}
        assert_row_exported(event, listed[event.id])
        checked += 1
    assert all(rows[model] for model in PERSON_MODELS), "the test record misses a table"
    assert checked == sum(len(r) for r in rows.values())


# --- The data --------------------------------------------------------------------------------


def test_every_free_text_column_of_the_test_record_holds_a_canary(db):
    """Guards the tests themselves: a text column added later gets a canary too."""
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    rows = person_rows([p.id for p in made["pathways"]])
    for model, objs in rows.items():
        for obj in objs:
            for column in obj.__table__.columns:
                if is_free_text(column):
                    assert "CANARY" in getattr(obj, column.key), (model, column.name)


def test_the_export_holds_every_column_of_every_row(db):
    ada = member_with_login(given="Ada", family="Martin", phone="0601020304")
    made = fill_record(ada)
    data = export.member_export(ada)
    assert_complete(data, [p.id for p in made["pathways"]])
    text = json.dumps(data, ensure_ascii=False)
    for canary in made["canaries"]:
        assert canary in text
    assert data["member"]["given_name"] == "Ada" and data["member"]["phone"] == "0601020304"
    assert data["member"]["member_number"] == ada.member_number
    assert "security_path" not in data["member"]
    assert data["account"]["username"] == ada.user.username
    assert "member" in data["account"]["roles"]
    assert ada.user.password_hash not in text and ada.user.session_token not in text
    assert data["membership_events"] and data["membership_events"][0]["state"]
    first = next(p for p in data["pathways"] if p["exit_on"])
    assert first["outcome"] and first["created_by"] == "Counsellor A"
    assert first["skill_assessments"][0]["skill"] == "Being on time A"
    assert {r["outcome"] for r in first["reads"]} == {"allowed", "break_glass"}


def test_the_export_is_only_about_the_member_and_never_holds_a_choice(db):
    ada = member_with_login(given="Ada")
    fill_record(ada, "A")
    other = member_with_login(given="Zoe", family="Otherperson")
    fill_record(other, "Z")
    poll = make_poll(title="New van poll", method="yes_no_abstain", secret=False)
    from portal.voting import services as voting

    voting.open_poll(made_board(), poll)
    vote(poll, ada, {"vote": "no"})
    vote(poll, other, {"vote": "yes"})
    text = json.dumps(export.member_export(ada), ensure_ascii=False)
    assert "CANARYA" in text
    assert "CANARYZ" not in text and "Otherperson" not in text
    assert "New van poll" in text
    assert '"no"' not in text and '"yes"' not in text and "choice" not in text


def test_the_export_holds_the_membership_and_participation(db):
    from portal.meetings.models import Attendance
    from portal.proposals.models import ProposalAmendment, ProposalComment, ProposalSupport
    from portal.voting.models import Proxy
    from tests.factories_meetings import make_meeting
    from tests.factories_members import board_body, make_mandate
    from tests.factories_proposals import make_proposal

    ada = member_with_login(given="Ada")
    bob = member_with_login(given="Bob", family="Holder")
    make_mandate(ada, board_body(), "treasurer", starts_on=date(2025, 3, 1))
    meeting = make_meeting(title="Spring assembly", state="closed", days_ahead=-3)
    db.session.add(
        Attendance(
            meeting_id=meeting.id,
            member_id=ada.id,
            status="represented",
            proxy_holder_id=bob.id,
        )
    )
    poll = make_poll(title="Van poll")
    db.session.add(Proxy(poll_id=poll.id, principal_id=ada.id, holder_id=bob.id))
    proposal = make_proposal(ada.user, title="Longer lunch break")
    other = make_proposal(bob.user, title="A shade sail")
    db.session.add(ProposalSupport(proposal_id=other.id, member_id=ada.id))
    db.session.add(ProposalComment(proposal_id=other.id, author_id=ada.user_id, text="COMMENT-ADA"))
    db.session.add(
        ProposalAmendment(
            proposal_id=other.id,
            author_id=ada.user_id,
            field="summary",
            text="AMENDMENT-ADA",
            reason="AMENDMENT-WHY",
            base_version=1,
        )
    )
    db.session.flush()
    data = export.member_export(ada)
    assert [m["position"] for m in data["mandates"]] == ["treasurer"]
    (attendance,) = data["meetings"]
    assert attendance["meeting"] == "Spring assembly"
    assert attendance["represented_by"] == "Bob Holder"
    assert data["proxies_given"][0]["person"] == "Bob Holder"
    assert data["proxies_given"][0]["poll"] == "Van poll" and data["proxies_held"] == []
    assert [p["title"] for p in data["proposals"]] == [proposal.title]
    assert [s["proposal"] for s in data["supports"]] == ["A shade sail"]
    assert data["comments"][0]["text"] == "COMMENT-ADA"
    assert data["amendments"][0]["text"] == "AMENDMENT-ADA"
    assert data["amendments"][0]["reason"] == "AMENDMENT-WHY"
    held = export.member_export(bob)
    assert held["proxies_held"][0]["person"] == ada.full_name
    assert "COMMENT-ADA" not in json.dumps(held)
    text = pdf_text(export.export_pdf(ada, data))
    for expected in ("Springassembly", "COMMENT-ADA", "AMENDMENT-WHY", "BobHolder", "Treasurer"):
        assert expected in text, expected


def test_the_export_holds_the_account_activity_and_how_votes_were_cast(app, db):
    """Login attempts, the member's own actions in the audit log (not other people's), the
    password's last change, and for each vote how it was cast and who helped: never a secret
    (password hash, session token, setup code, reset token, calendar token), never a choice."""
    from portal.accounts.models import LoginAttempt, PasswordResetToken, SetupCode
    from portal.core import audit
    from portal.meetings.models import CalendarToken
    from portal.voting.models import Participation

    ada = member_with_login(given="Ada")
    bob = member_with_login(given="Bob", family="Holder")
    helper = trainer_user(display_name="Helper Trainer")
    user = ada.user
    user.password_changed_at = datetime(2026, 5, 4, 10, 15, tzinfo=UTC)
    db.session.add_all(
        [
            LoginAttempt(username=user.username, ip_address="203.0.113.7", succeeded=True),
            LoginAttempt(username=user.username, ip_address="198.51.100.9", succeeded=False),
            LoginAttempt(username=bob.user.username, ip_address="192.0.2.55", succeeded=True),
            SetupCode(
                user_id=user.id,
                code_hash="SETUPHASH" + "0" * 55,
                expires_at=datetime(2027, 1, 1, tzinfo=UTC),
            ),
            PasswordResetToken(
                user_id=user.id,
                token_hash="RESETHASH" + "0" * 55,
                expires_at=datetime(2027, 1, 1, tzinfo=UTC),
            ),
            CalendarToken(member_id=ada.id, token_hash="CALENDARHASH" + "0" * 52),
        ]
    )
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.8"}):
        audit.record(user, "accounts.change_password", "Password changed")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.66"}):
        audit.record(bob.user, "members.other_action", f"Something about {ada.full_name}")
    assisted = make_poll(title="Assisted poll", secret=False)
    by_proxy = make_poll(title="Proxy poll")
    db.session.add_all(
        [
            Participation(
                poll_id=assisted.id,
                member_id=ada.id,
                mode="assisted",
                cast_by_id=user.id,
                assisted_by_id=helper.id,
                named_choice={"vote": "no"},
            ),
            Participation(
                poll_id=by_proxy.id, member_id=ada.id, mode="proxy", cast_by_id=bob.user_id
            ),
        ]
    )
    db.session.flush()

    data = export.member_export(ada)
    text = json.dumps(data, ensure_ascii=False)
    assert data["account"]["password_changed_at"] == "2026-05-04T10:15:00+00:00"
    assert [(a["succeeded"], a["ip_address"]) for a in data["login_attempts"]] == [
        (True, "203.0.113.7"),
        (False, "198.51.100.9"),
    ]
    assert all(a["attempted_at"] for a in data["login_attempts"])
    assert "192.0.2.55" not in text  # Bob's attempt
    actions = [(a["action"], a["ip_address"]) for a in data["logged_actions"]]
    assert ("accounts.change_password", "203.0.113.8") in actions
    assert all(a["done_at"] for a in data["logged_actions"])
    assert "members.other_action" not in text and "192.0.2.66" not in text
    polls = {p["poll"]: p for p in data["polls"]}
    assert polls["Assisted poll"]["mode"] == "assisted"
    assert polls["Assisted poll"]["assisted_by"] == "Helper Trainer"
    assert polls["Proxy poll"]["mode"] == "proxy"
    assert polls["Proxy poll"]["cast_by"] == bob.user.display_name
    for secret in ("SETUPHASH", "RESETHASH", "CALENDARHASH", user.session_token):
        assert secret not in text, secret
    if user.password_hash:
        assert user.password_hash not in text
    assert "password_hash" not in text and "session_token" not in text
    assert '"no"' not in text and "choice" not in text

    pdf = pdf_text(export.export_pdf(ada, data))
    for expected in (
        "203.0.113.7",
        "198.51.100.9",
        "203.0.113.8",
        "accounts.change_password",
        "HelperTrainer",
        "Byyourself,withhelp",
        "Bythepersonwhohadyourproxy",
        "Passwordlastchangedon",
    ):
        assert expected in pdf, expected
    assert "192.0.2.55" not in pdf and "SETUPHASH" not in pdf


def test_the_journal_in_the_export_says_you_and_starts_with_the_record(db):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    data = export.member_export(ada)
    for pathway in data["pathways"]:
        own = [r for r in pathway["reads"] if r["by_member"]]
        assert own and all(r["user"] is None for r in own)
        # The attempt made on the record's number before the record existed is not in it.
        assert "Stranger A" not in json.dumps(pathway["reads"])
        assert {r["outcome"] for r in pathway["reads"]} == {"allowed", "break_glass"}
    doc = export.printable(data)
    reads_heading = str(export.PART_HEADINGS["reads"])
    for pathway in doc["pathways"]:
        (part,) = [p for p in pathway["parts"] if str(p["heading"]) == reads_heading]
        people = [dict(item["facts"])["Person"] for item in part["items"]]
        assert "You" in people and "Counsellor A" in people and "Admin A" in people
        assert "Stranger A" not in people
        results = {dict(item["facts"])["Result"] for item in part["items"]}
        assert results == {"Opened", "Opened by an administrator, with a reason"}
        assert all("by member" not in dict(item["facts"]) for item in part["items"])
    assert "StrangerA" not in pdf_text(export.export_pdf(ada, data))
    assert made["stranger"].display_name == "Stranger A"  # the control: the name exists


def made_board():
    from tests.factories_members import factory_board

    return factory_board()


def test_anonymised_pathways_are_no_longer_the_members(db):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    gone = made["pathways"][0]
    gone.member_id, gone.anonymised_on = None, date(2029, 4, 1)
    db.session.flush()
    data = export.member_export(ada)
    assert [p["id"] for p in data["pathways"]] == [made["pathways"][1].id]


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_pdf_holds_the_same_content(db):
    ada = member_with_login(given="Ada", family="Martin")
    made = fill_record(ada)
    pdf = export.export_pdf(ada)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for canary in made["canaries"]:
        assert canary in text, canary
    assert "AdaMartin" in text and "Beingontime" in text


def test_a_member_without_pathway_or_login_is_exported_too(db):
    bea = make_member(given="Bea", family="Nologin", admitted_on=date(2025, 3, 3))
    data = export.member_export(bea)
    assert data["member"]["family_name"] == "Nologin"
    assert data["account"] is None and data["pathways"] == []
    assert export.export_pdf(bea, data).startswith(b"%PDF")


# --- The routes ------------------------------------------------------------------------------


def _journal(pathway_ids):
    return db.session.scalars(
        sa.select(RecordRead)
        .where(RecordRead.pathway_id.in_(pathway_ids), RecordRead.kind == "export")
        .order_by(RecordRead.id)
    ).all()


def _audits(action="integration.export"):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_the_member_downloads_their_data(db, client, login_as):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    ids = [p.id for p in made["pathways"]]
    login_as(ada.user)
    page = client.get("/integration/mine/data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/integration/mine/data.json" in html and "/integration/mine/data.pdf" in html

    response = client.get("/integration/mine/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert_complete(data, ids)
    rows = _journal(ids)
    # The member's own export names nobody in the journal (by_member).
    assert [(r.pathway_id, r.user_id, r.by_member, r.outcome) for r in rows] == [
        (pid, None, True, "allowed") for pid in ids
    ]
    (audit,) = _audits()
    assert audit.object_key == f"member:{ada.id}" and "CANARY" not in audit.details
    assert json.loads(audit.details) == {"format": "json"}  # no record numbers

    response = client.get("/integration/mine/data.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert made["canaries"][0] in pdf_text(response.data)
    assert len(_journal(ids)) == 4 and len(_audits()) == 2


def test_a_member_without_pathways_still_exports(db, client, login_as):
    bea = member_with_login(given="Bea")
    login_as(bea.user)
    response = client.get("/integration/mine/data.json")
    assert response.status_code == 200
    assert json.loads(response.data)["member"]["given_name"] == "Bea"


def test_someone_not_in_the_register_has_nothing_to_export(db, client, login_as):
    login_as(counsellor_user())
    assert client.get("/integration/mine/data").status_code == 404
    assert client.get("/integration/mine/data.json").status_code == 404


def test_visitors_are_sent_to_log_in(db, client):
    response = client.get("/integration/mine/data.json")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def _post(client, url, reason="The member asked at the desk", fmt="json", token=None):
    return client.post(
        url,
        data={"reason": reason, "format": fmt, "csrf_token": token or csrf_token(client, "/")},
    )


REFUSED_EXPORTERS = [
    "member",
    "unassigned counsellor",
    "counsellor without personal data",
    "trainer with personal data",
    "counsellor whose assignment ended",
    "counsellor of someone else",
    "administrator (member with a login)",
    "administrator (member without a login)",
    "administrator assigned without personal data",
]


@pytest.mark.parametrize("who", REFUSED_EXPORTERS)
def test_who_may_not_export_for_someone_else(db, client, login_as, who):
    """Barriers are special-category data: only the counsellor assigned today with access to
    personal data exports a member who has a record; administrators never do, whatever the
    reason. The refused attempt is written in the member's journal; nothing is audited."""
    ada = (
        make_member(given="Ada", family="Nologin", admitted_on=date(2025, 3, 3))
        if who == "administrator (member without a login)"
        else member_with_login(given="Ada")
    )
    made = fill_record(ada)
    first = made["pathways"][0]
    if who == "member":
        user = member_with_login().user
    elif who == "unassigned counsellor":
        user = counsellor_user()
    elif who == "counsellor without personal data":
        user = counsellor_user()
        assign(first, user, "counsellor")
    elif who == "trainer with personal data":
        user = trainer_user()
        assign(first, user, "trainer", personal_data=True)
    elif who == "counsellor whose assignment ended":
        user = counsellor_user()
        assign(first, user, "counsellor", ends_on=date(2026, 3, 31), personal_data=True)
    elif who == "counsellor of someone else":
        user = counsellor_user()
        assign(make_pathway(member_with_login()), user, "counsellor", personal_data=True)
    elif who == "administrator assigned without personal data":
        user = _admin_counsellor()
        assign(first, user, "counsellor")
    else:
        user = admin_user()
    ids = [p.id for p in made["pathways"]]
    login_as(user)
    url = f"/integration/members/{ada.id}/data"
    assert client.get(url).status_code == 404
    assert _post(client, url).status_code == 404
    rows = _journal(ids)
    assert [(r.pathway_id, r.user_id, r.outcome) for r in rows] == [
        (pid, user.id, "refused") for pid in ids
    ] * 2
    assert all(r.reason == "" for r in rows)
    assert _audits() == []


def _admin_counsellor():
    from portal.accounts.models import Role
    from tests.factories_members import user_with

    return user_with(Role.ADMIN, Role.COUNSELLOR)


def test_the_member_on_the_page_for_others_is_sent_to_their_own(db, client, login_as):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    login_as(ada.user)
    url = f"/integration/members/{ada.id}/data"
    response = client.get(url)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/integration/mine/data")
    assert _post(client, url).status_code in (302, 303)
    # Nothing in the journal names the member's account (not even a refused attempt).
    ids = [p.id for p in made["pathways"]]
    assert _journal(ids) == [] and _audits() == []
    assert not db.session.scalars(
        sa.select(RecordRead).where(RecordRead.user_id == ada.user_id)
    ).all()


def test_the_assigned_counsellor_exports_everything_with_a_reason(db, client, login_as):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    ids = [p.id for p in made["pathways"]]
    counsellor = made["counsellor"]  # assigned today with access to personal data
    assert export.can_export_for(counsellor, ada)
    login_as(counsellor)
    url = f"/integration/members/{ada.id}/data"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="reason"' in html
    assert "integration record" in html and "difficulties" in html
    token = csrf_token(client, url)

    assert _post(client, url, "too short", token=token).status_code == 422
    assert _journal(ids) == [] and _audits() == []

    reason = "Ada asked me for a copy at our meeting"
    response = _post(client, url, reason, token=token)
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = json.loads(response.data)
    # Only the record the counsellor may read in full today: the second one starts next year
    # (their assignment to it has not begun), so it stays out of the file.
    readable = ids[:1]
    assert_complete(data, readable)
    assert [p["id"] for p in data["pathways"]] == readable
    assert {b["note"] for p in data["pathways"] for b in p["barriers"]} <= set(made["canaries"])
    assert "Kitchen" not in response.get_data(as_text=True)  # the second record's team
    rows = _journal(ids)
    assert [(r.pathway_id, r.user_id, r.by_member, r.what, r.outcome, r.reason) for r in rows] == [
        (pid, counsellor.id, False, export.EXPORT_FOR_MEMBER, "allowed", reason) for pid in readable
    ]
    (audit,) = _audits()
    assert audit.object_key == f"member:{ada.id}" and audit.actor_id == counsellor.id
    assert json.loads(audit.details) == {"format": "json"}
    assert reason not in audit.summary and "CANARY" not in audit.summary

    response = _post(client, url, reason, "pdf", token=token)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert len(_journal(ids)) == 2


def test_an_administrator_exports_the_membership_of_a_member_without_a_record(db, client, login_as):
    bea = make_member(given="Bea", family="Nologin", admitted_on=date(2025, 3, 3))
    # A record of hers anonymised long ago is nobody's any more: it does not stop the export.
    for old in fill_record(bea, "B")["pathways"]:
        old.member_id, old.anonymised_on = None, date(2029, 4, 1)
    db.session.flush()
    reads_before = db.session.scalar(sa.select(sa.func.count()).select_from(RecordRead))
    admin = admin_user()
    assert export.can_export_for(admin, bea)
    login_as(admin)
    url = f"/integration/members/{bea.id}/data"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="reason"' in html
    assert "no integration record" in html
    token = csrf_token(client, url)

    for reason in ("", "too short", "x" * 501):
        response = _post(client, url, reason, token=token)
        assert response.status_code == 422
        assert 'name="reason"' in response.get_data(as_text=True)
    response = _post(client, url, "Asked at the desk", "xml", token=token)
    assert response.status_code == 422
    assert _audits() == []

    reason = "She asked at the desk for a copy"
    response = _post(client, url, reason, token=token)
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = json.loads(response.data)
    assert data["member"]["family_name"] == "Nologin" and data["pathways"] == []
    assert "CANARYB" not in response.get_data(as_text=True)
    (audit,) = _audits()
    # No record holds it: the administrator's reason is kept in the audit entry.
    assert json.loads(audit.details) == {"format": "json", "reason": reason}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordRead)) == reads_before

    response = _post(client, url, reason, "pdf", token=token)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_an_administrator_exports_a_member_with_a_login_but_no_record(db, client, login_as):
    cleo = member_with_login(given="Cleo")
    login_as(admin_user())
    url = f"/integration/members/{cleo.id}/data"
    response = _post(client, url, "Her phone is broken, she asked", token=csrf_token(client, url))
    assert response.status_code == 200
    assert json.loads(response.data)["account"]["username"] == cleo.user.username


def test_the_service_refuses_an_administrator_for_a_member_with_a_record(db):
    from portal.core.errors import NotAllowed

    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    admin = made["admin"]
    assert not export.can_export_for(admin, ada)
    with pytest.raises(NotAllowed):
        export.export_member_data(admin, ada, "json", "A long enough reason")
    assert not export.can_export_for(ada.user, ada)  # the member uses their own page
    assert export.can_export_for(made["counsellor"], ada)
    assert not export.can_export_for(made["trainer"], ada)


def test_an_administrator_gets_404_for_a_member_that_does_not_exist(db, client, login_as):
    login_as(admin_user())
    assert client.get("/integration/members/999999/data").status_code == 404
