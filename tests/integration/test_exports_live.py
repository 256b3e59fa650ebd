"""Downloads that write an audit row or a journal row race writers, through a real multi-worker
server, on the suite's database (issue 13: on SQLite such GETs answered 500 "database is
locked" while others wrote, and the integration pages held the write lock through the whole PDF
rendering).

The team's printed record, the member's copy of their data (PDF), a poll's ballots (JSON) and
results (CSV) and the register (CSV) are downloaded again and again while a counsellor records
support actions and a member posts comments — all released together. No answer is a server
error, nothing alarming is logged, and each successful download left exactly one audit entry
or journal row.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.extensions import db
from portal.integration.models import RecordRead, SupportAction
from portal.proposals.models import ProposalComment
from portal.voting import services as voting
from tests.factories_integration import assign, make_pathway
from tests.factories_members import board_user, counsellor_user, factory_board, member_with_login
from tests.factories_proposals import make_proposal
from tests.factories_voting import open_poll_for, vote
from tests.live import live_database
from tests.voting.test_vote_race_live import TIMEOUT, Server, assert_quiet, log_in, race

pytestmark = pytest.mark.live

PDFS = 3  # each PDF download renders a document: a few are enough to overlap the writes
FILES = 6  # each JSON or CSV download
WRITES = 6  # support actions, and comments


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    directory = tmp_path_factory.mktemp("exports_live")
    with live_database("exports_live", directory) as (url, app):
        with app.app_context():
            ada = member_with_login(given="Ada")
            pathway = make_pathway(ada, local_today() - timedelta(days=30))
            counsellor = counsellor_user()
            assign(pathway, counsellor, "counsellor", personal_data=True)
            bob = member_with_login(given="Bob")
            poll = open_poll_for(ada, bob)
            vote(poll, ada, {"vote": "yes"})
            voting.close_poll(factory_board(), poll)
            proposal = make_proposal(bob.user, "support")
            board = board_user()
            names = {
                "ada": ada.user.username,
                "bob": bob.user.username,
                "counsellor": counsellor.username,
                "board": board.username,
            }
            ids = {"pathway": pathway.id, "poll": poll.id, "proposal": proposal.id}
            db.session.commit()
            db.session.remove()
        server = Server(url, directory / "instance", LOGIN_MAX_FAILURES_PER_IP="100000")
        try:
            yield server, app, names, ids
        finally:
            server.stop()


def _count(app, query) -> int:
    with app.app_context():
        found = db.session.scalar(query)
        db.session.remove()
        return found


def _audits(app, action: str) -> int:
    return _count(app, sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == action))


def test_downloads_race_writers_without_errors_and_each_is_recorded_once(live):
    server, app, names, ids = live
    ada, bob, counsellor, board = (
        log_in(server, names[who]) for who in ("ada", "bob", "counsellor", "board")
    )
    pathway_id, poll_id, proposal_id = ids["pathway"], ids["poll"], ids["proposal"]
    day = (local_today() - timedelta(days=1)).isoformat()

    def get(login, path):
        return lambda: (
            path,
            requests.get(server.url + path, cookies=login.cookies, timeout=TIMEOUT),
        )

    def post(login, path, **data):
        return lambda: (
            path,
            requests.post(
                server.url + path,
                data={"csrf_token": login.token, **data},
                cookies=login.cookies,
                headers={"HX-Request": "true"},
                allow_redirects=False,
                timeout=TIMEOUT,
            ),
        )

    downloads = {
        f"/integration/{pathway_id}/record.pdf": (counsellor, PDFS),
        "/integration/mine/data.pdf": (ada, PDFS),
        f"/polls/{poll_id}/ballots.json": (ada, FILES),
        f"/polls/{poll_id}/results.csv": (ada, FILES),
        "/members/export.csv": (board, FILES),
    }
    writes = [
        post(
            counsellor,
            f"/integration/{pathway_id}/actions",
            happened_on=day,
            kind="interview",
            hours="0",
            minutes="30",
            notes="Met in the office.",
        ),
        post(bob, f"/proposals/{proposal_id}/comments", text="We could share the van."),
    ]
    tasks = []
    for round_ in range(max(FILES, WRITES)):
        for path, (login, times) in downloads.items():
            if round_ < times:
                tasks.append(get(login, path))
        if round_ < WRITES:
            tasks += writes
    log_start = len(server.log())
    answers = race(tasks)
    statuses = Counter((path, response.status_code) for path, response in answers)
    assert all(status < 500 for _path, status in statuses), statuses
    for path, (_login, times) in downloads.items():
        assert statuses[(path, 200)] == times, (path, statuses)
    assert statuses[(f"/integration/{pathway_id}/actions", 200)] == WRITES, statuses
    assert (
        sum(n for (path, status), n in statuses.items() if "/comments" in path and status < 400)
        == WRITES
    ), statuses
    assert_quiet(server, server.log()[log_start:])

    # One record of each successful download, and every write kept.
    reads = sa.select(sa.func.count(RecordRead.id)).where(RecordRead.pathway_id == pathway_id)
    assert _count(app, reads.where(RecordRead.kind == "pdf")) == PDFS
    assert _count(app, reads.where(RecordRead.kind == "export", RecordRead.by_member)) == PDFS
    assert _count(app, reads.where(RecordRead.what == "actions")) == WRITES
    assert _audits(app, "integration.export") == PDFS
    assert _audits(app, "export.poll_ballots") == FILES
    assert _audits(app, "export.poll_results") == FILES
    assert _audits(app, "export.members") == FILES
    assert _count(app, sa.select(sa.func.count(SupportAction.id))) == WRITES
    assert _count(app, sa.select(sa.func.count(ProposalComment.id))) == WRITES
