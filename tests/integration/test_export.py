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
from portal.integration import export
from portal.integration.models import (
    Assignment,
    Barrier,
    Eligibility,
    ExitOutcome,
    Goal,
    GoalEvent,
    Pathway,
    PathwayPeriod,
    RecordRead,
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


def fill_record(member, tag: str = "A", *, journal_reason: bool = True) -> dict:
    """Two pathways of `member` (one ended), every integration row filled; returns the canaries
    and the people and rows made."""
    canaries: list[str] = []
    counsellor = counsellor_user(display_name=f"Counsellor {tag}", email=f"c{tag}@example.org")
    trainer = trainer_user(display_name=f"Trainer {tag}")
    admin = admin_user(display_name=f"Admin {tag}", email=f"a{tag}@example.org")
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
        _add(
            RecordRead(
                pathway_id=pathway.id, user_id=counsellor.id, kind="page", outcome="allowed"
            ),
            tag,
            canaries,
            texts=False,
        )
        if journal_reason:
            reason = f"CANARY{tag}{next(_counter)}"
            canaries.append(reason)
            _add(
                RecordRead(
                    pathway_id=pathway.id,
                    user_id=admin.id,
                    kind="page",
                    outcome="break_glass",
                    reason=reason,
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
        "skill": skill,
    }


def person_rows(pathway_ids: list[int]) -> dict[type, list]:
    rows: dict[type, list] = {}
    for model in PERSON_MODELS:
        if model is Pathway:
            query = sa.select(Pathway).where(Pathway.id.in_(pathway_ids))
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
    for model, key in [*export.PATHWAY_PARTS_BY_MODEL.items(), (RecordRead, "reads")]:
        for obj in rows[model]:
            listed = {r["id"]: r for r in by_id[obj.pathway_id][key]}
            assert obj.id in listed, f"{model.__tablename__} {obj.id} not exported"
            assert_row_exported(obj, listed[obj.id])
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
                if is_free_text(column) and not (model is RecordRead and obj.reason == ""):
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
    assert [(r.pathway_id, r.user_id, r.outcome) for r in rows] == [
        (pid, ada.user.id, "allowed") for pid in ids
    ]
    (audit,) = _audits()
    assert audit.object_key == f"member:{ada.id}" and "CANARY" not in audit.details

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


@pytest.mark.parametrize("who", ["member", "counsellor", "assigned counsellor", "trainer"])
def test_only_administrators_export_for_someone_else(db, client, login_as, who):
    ada = member_with_login(given="Ada")
    made = fill_record(ada)
    user = {
        "member": member_with_login().user,
        "counsellor": counsellor_user(),
        "assigned counsellor": made["counsellor"],
        "trainer": trainer_user(),
    }[who]
    login_as(user)
    url = f"/integration/members/{ada.id}/data"
    assert client.get(url).status_code == 404
    response = client.post(
        url,
        data={
            "reason": "The member asked at the desk",
            "format": "json",
            "csrf_token": csrf_token(client, "/"),
        },
    )
    assert response.status_code == 404
    assert _journal([p.id for p in made["pathways"]]) == [] and _audits() == []


def test_an_administrator_exports_with_a_reason(db, client, login_as):
    bea = make_member(given="Bea", family="Nologin", admitted_on=date(2025, 3, 3))
    made = fill_record(bea)
    ids = [p.id for p in made["pathways"]]
    admin = admin_user()
    login_as(admin)
    url = f"/integration/members/{bea.id}/data"
    page = client.get(url)
    assert page.status_code == 200 and 'name="reason"' in page.get_data(as_text=True)
    token = csrf_token(client, url)

    for reason in ("", "too short", "x" * 501):
        response = client.post(url, data={"reason": reason, "format": "json", "csrf_token": token})
        assert response.status_code == 422
        assert 'name="reason"' in response.get_data(as_text=True)
    response = client.post(
        url, data={"reason": "Asked at the desk", "format": "xml", "csrf_token": token}
    )
    assert response.status_code == 422
    assert _journal(ids) == [] and _audits() == []

    reason = "She asked at the desk for a copy"
    response = client.post(url, data={"reason": reason, "format": "json", "csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert_complete(json.loads(response.data), ids)
    rows = _journal(ids)
    assert [(r.pathway_id, r.user_id, r.outcome, r.reason) for r in rows] == [
        (pid, admin.id, "break_glass", reason) for pid in ids
    ]
    (audit,) = _audits()
    assert reason not in audit.details and reason not in audit.summary
    assert json.loads(audit.details)["on_behalf"] is True

    response = client.post(url, data={"reason": reason, "format": "pdf", "csrf_token": token})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert len(_journal(ids)) == 4


def test_an_administrator_gets_404_for_a_member_that_does_not_exist(db, client, login_as):
    login_as(admin_user())
    assert client.get("/integration/members/999999/data").status_code == 404
