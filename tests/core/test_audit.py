"""The audit log (R15): a hash chain that names the entry that was altered, removed or moved."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.core import audit
from portal.core.audit import GENESIS, AuditEntry, AuditHead, verify_chain
from portal.core.db import utcnow
from portal.core.workflow import apply_transition
from portal.extensions import db
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user
from tests.factories_content import make_page

HX = {"HX-Request": "true"}


def write_entries(count: int) -> list[AuditEntry]:
    return [
        audit.record(None, "test.event", f"event number {n}", object_key=f"test:{n}", n=n)
        for n in range(count)
    ]


def execute(sql: str, **params) -> None:
    """Tamper with the log the way someone with database access would: raw SQL."""
    db.session.execute(sa.text(sql), params)
    db.session.expire_all()


def last_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=["portal", *args])
    return result.exit_code, result.output + (getattr(result, "stderr", "") or "")


# --- the chain -----------------------------------------------------------------------------------


def test_entries_form_a_chain(db):
    head_before = db.session.get(AuditHead, 1)
    previous = head_before.last_hash if head_before else GENESIS
    entries = write_entries(4)
    for entry in entries:
        assert entry.prev_hash == previous
        assert entry.entry_hash == entry.content_hash() and len(entry.entry_hash) == 64
        previous = entry.entry_hash
    assert [e.id for e in entries] == list(range(entries[0].id, entries[0].id + 4))
    head = db.session.get(AuditHead, 1)
    assert (head.last_id, head.last_hash) == (entries[-1].id, entries[-1].entry_hash)
    assert verify_chain() is None
    assert verify_chain(batch_size=2) is None  # also across batches


def test_entries_carry_the_actor_and_the_details(db):
    person = make_user(password=None)
    entry = audit.record(person, "test.event", "x" * 600, object_key="test:1", answer=42)
    assert (entry.actor_id, entry.actor_name) == (person.id, person.username)
    assert len(entry.summary) == 500
    assert entry.details == '{"answer": 42}'
    assert audit.record(None, "test.event", "system").actor_name == "-"


def test_an_altered_row_is_named(db):
    entries = write_entries(5)
    target = entries[2].id
    execute("UPDATE audit_log SET summary = 'nothing happened' WHERE id = :id", id=target)
    problem = verify_chain()
    assert problem is not None and problem.entry_id == target
    assert "altered" in str(problem) and str(target) in str(problem)


@pytest.mark.parametrize("column", ["actor_name", "action", "details", "created_at"])
def test_any_altered_column_is_detected(db, column):
    entries = write_entries(3)
    target = entries[1].id
    values = {"actor_name": "'someone.else'", "action": "'test.other'", "details": "'{}'"}
    if column == "created_at":
        stamp = utcnow().replace(microsecond=0) - timedelta(days=3)
        if db.session.get_bind().dialect.name == "sqlite":
            stamp = stamp.replace(tzinfo=None)
        execute("UPDATE audit_log SET created_at = :stamp WHERE id = :id", stamp=stamp, id=target)
    else:
        sql = f"UPDATE audit_log SET {column} = {values[column]} WHERE id = :id"  # noqa: S608 - constants
        execute(sql, id=target)
    problem = verify_chain()
    assert problem is not None and problem.entry_id == target


def test_an_altered_row_with_a_recomputed_hash_breaks_the_next_link(db):
    entries = write_entries(4)
    target = entries[1]
    target.summary = "rewritten"
    forged = target.content_hash()
    execute(
        "UPDATE audit_log SET summary = 'rewritten', entry_hash = :hash WHERE id = :id",
        hash=forged,
        id=target.id,
    )
    problem = verify_chain()
    assert problem is not None and problem.entry_id == entries[2].id


def test_a_deleted_middle_row_is_named(db):
    entries = write_entries(5)
    target = entries[2].id
    execute("DELETE FROM audit_log WHERE id = :id", id=target)
    problem = verify_chain()
    assert problem is not None and problem.entry_id == target
    assert "missing" in str(problem)


def test_a_deleted_first_row_is_named(db):
    write_entries(3)
    first = db.session.scalar(sa.select(sa.func.min(AuditEntry.id)))
    assert first == 1
    execute("DELETE FROM audit_log WHERE id = 1")
    problem = verify_chain()
    assert problem is not None and problem.entry_id == 1


def test_reordered_rows_are_detected(db):
    entries = write_entries(5)
    a, b = entries[1].id, entries[2].id
    execute("UPDATE audit_log SET id = :tmp WHERE id = :a", tmp=-a, a=a)
    execute("UPDATE audit_log SET id = :a WHERE id = :b", a=a, b=b)
    execute("UPDATE audit_log SET id = :b WHERE id = :tmp", b=b, tmp=-a)
    assert db.session.get(AuditEntry, a).summary == "event number 2"  # really swapped
    problem = verify_chain()
    assert problem is not None and problem.entry_id == a


def test_swapped_summaries_are_detected(db):
    entries = write_entries(4)
    a, b = entries[1], entries[2]
    execute("UPDATE audit_log SET summary = :s WHERE id = :id", s=b.summary, id=a.id)
    execute("UPDATE audit_log SET summary = :s WHERE id = :id", s=a.summary, id=b.id)
    problem = verify_chain()
    assert problem is not None and problem.entry_id == a.id


def test_a_deleted_last_row_is_detected(db):
    write_entries(4)
    last = last_id()
    execute("DELETE FROM audit_log WHERE id = :id", id=last)
    problem = verify_chain()
    assert problem is not None and problem.entry_id == last
    assert "end" in str(problem)


def test_an_emptied_log_is_detected(db):
    write_entries(2)
    execute("DELETE FROM audit_log")
    problem = verify_chain()
    assert problem is not None and problem.entry_id == 1


# --- the command line ----------------------------------------------------------------------------


def test_audit_verify_command(app, db):
    write_entries(3)
    code, output = cli(app, "audit-verify")
    assert code == 0, output
    assert "intact" in output and f"{last_id()} entries" in output

    target = last_id() - 1
    execute("UPDATE audit_log SET summary = 'edited' WHERE id = :id", id=target)
    code, output = cli(app, "audit-verify")
    assert code == 1
    assert "BROKEN" in output and f"audit entry {target}" in output


def test_audit_verify_command_names_a_removed_row(app, db):
    write_entries(4)
    target = last_id() - 2
    execute("DELETE FROM audit_log WHERE id = :id", id=target)
    code, output = cli(app, "audit-verify")
    assert code == 1 and f"audit entry {target}" in output


# --- what is logged ------------------------------------------------------------------------------


def actions_since(first_id: int) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.id > first_id).order_by(AuditEntry.id)
    ).all()


def test_security_events_are_logged(app, client, login_as, admin):
    start = last_id() or 0
    person = make_user(username="bob.member")
    # a failed login, then a good one
    response = client.post(
        "/login",
        data={"username": "bob.member", "password": "wrong", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 422
    login_as(admin)
    # a setup code sheet printed
    response = client.post(
        f"/accounts/{person.id}/setup-code", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    # a role change
    accounts.update_user(
        admin,
        person,
        accounts.AccountData(
            username=person.username,
            display_name=person.display_name,
            roles=frozenset({Role.MEMBER, Role.BOARD}),
        ),
    )
    # a workflow step
    page = make_page(admin, title="Notice")
    apply_transition(page, "publish", admin, "ok")

    entries = {e.action: e for e in actions_since(start)}
    failed = entries["auth.login_failed"]
    assert failed.actor_id is None and "bob.member" in failed.summary
    assert failed.ip_address  # the address of the request
    assert "wrong" not in failed.details + failed.summary  # never the password
    login = entries["auth.login"]
    assert login.actor_id == admin.id and login.request_id
    export = entries["export.setup_code"]
    assert export.actor_id == admin.id and export.object_key == f"user:{person.id}"
    roles = entries["account.roles_changed"]
    assert roles.actor_id == admin.id and "board" in roles.summary
    assert '"after": "board, member"' in roles.details
    step = entries["workflow.transition"]
    assert step.actor_id == admin.id and step.object_key == page.object_key
    assert PASSWORD not in " ".join(e.details + e.summary for e in actions_since(start))
    assert verify_chain() is None


def test_a_rolled_back_action_leaves_no_entry(db):
    start = last_id() or 0
    savepoint = db.session.begin_nested()
    write_entries(2)
    savepoint.rollback()
    assert actions_since(start) == []
    write_entries(1)
    assert verify_chain() is None


# --- the admin view ------------------------------------------------------------------------------


def entry_count(html: str) -> int:
    match = re.search(r"(\d+) entr(?:y|ies)", html)
    assert match, html[:1000]
    return int(match[1])


def test_audit_view_for_administrators(client, login_as, admin):
    login_as(admin)
    write_entries(60)
    db.session.flush()
    response = client.get("/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    total = entry_count(html)
    assert total >= 61  # ours, the login, the accounts
    assert "event number 59" in html and "event number 0" not in html  # newest first, 50 a page
    second = client.get("/audit?page=2").get_data(as_text=True)
    assert "event number 0" in second and "event number 59" not in second

    fragment = client.get("/audit?what=test.&page=2", headers=HX)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="audit-results"') and "<html" not in text
    assert entry_count(text) == 60


def test_audit_view_filters(client, login_as, admin):
    login_as(admin)
    write_entries(3)
    today = utcnow().date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)

    def count(query: str) -> int:
        response = client.get("/audit?" + query, headers=HX)
        assert response.status_code == 200
        return entry_count(response.get_data(as_text=True))

    assert count("what=test.event") == 3
    assert count("what=auth.login") == 1
    assert count("what=test.nothing") == 0
    assert count("what=test_event") == 0  # no LIKE wildcards
    assert count(f"who={admin.username}") == 1  # the login
    assert count(f"who={admin.username.upper()}") == 1
    assert count("who=-&what=test.") == 3  # the system
    assert count(f"since={yesterday}&what=test.") == 3
    assert count(f"since={tomorrow}&what=test.") == 0
    assert count(f"until={yesterday}&what=test.") == 0
    assert count(f"until={tomorrow}&since={today}&what=test.") == 3


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-13-45",
        "until=2026-02-30",
        "since=yesterday&until=%00",
        "since=99999-01-01",
        "page=99999999999999999999",
        "page=999999",
        "page=-3",
        "page=0",
        "page=abc",
        "who=%27%22%3Cscript%3E&what=%25_%5C",
        "what=" + "x" * 500,
    ],
)
def test_audit_view_survives_bad_filters(client, login_as, admin, query):
    login_as(admin)
    response = client.get("/audit?" + query)
    # A date the filter cannot use is a 422 that says so (the page still lists what it can).
    assert response.status_code == (422 if "since=" in query or "until=" in query else 200)
    assert "<script>" not in response.get_data(as_text=True).split("</header>")[-1]


@pytest.mark.parametrize("roles", [{Role.MEMBER}, {Role.MEMBER, Role.BOARD}, {Role.COUNSELLOR}])
def test_audit_view_is_for_administrators_only(client, login_as, roles):
    login_as(make_user(roles=roles))
    assert client.get("/audit").status_code == 403
    assert client.get("/audit", headers=HX).status_code == 403


def test_audit_view_asks_visitors_to_log_in(client, db):
    response = client.get("/audit")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
