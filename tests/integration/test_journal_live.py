"""Every read writes (the journal), so reads race writes: through a real multi-worker server, on
the suite's database, people read a record, its fragments and their own "My pathway" while a
counsellor records support actions — all released together.

No answer is a server error (on SQLite a read that upgrades to a write could fail with "database
is locked"; the blueprint's reads take the write lock first), and the journal holds exactly one
row per successful read or write of the record.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from portal.core.db import local_today
from portal.extensions import db
from portal.integration.models import RecordRead, SupportAction
from tests.factories_integration import assign, make_pathway
from tests.factories_members import counsellor_user, member_with_login
from tests.live import live_database
from tests.voting.test_vote_race_live import (
    TIMEOUT,
    Server,
    assert_quiet,
    log_in,
    race,
)

pytestmark = pytest.mark.live

READERS = 6
ROUNDS = 10


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    directory = tmp_path_factory.mktemp("journal_live")
    with live_database("journal_live", directory) as (url, app):
        with app.app_context():
            member = member_with_login(given="Ada")
            pathway = make_pathway(member, local_today() - timedelta(days=30))
            counsellors = [counsellor_user() for _ in range(READERS)]
            for counsellor in counsellors:
                assign(pathway, counsellor, "counsellor", personal_data=True)
            names = [c.username for c in counsellors]
            ada, pathway_id = member.user.username, pathway.id
            db.session.commit()
            db.session.remove()
        server = Server(url, directory / "instance", LOGIN_MAX_FAILURES_PER_IP="100000")
        try:
            yield server, app, pathway_id, names, ada
        finally:
            server.stop()


def test_reads_and_writes_race_without_errors_and_every_read_is_journaled(live):
    server, app, pathway_id, names, ada = live
    counsellors = [log_in(server, name) for name in names]
    member = log_in(server, ada)
    base = f"{server.url}/integration/{pathway_id}"
    day = (local_today() - timedelta(days=1)).isoformat()

    def get(login, url, htmx=False):
        return lambda: requests.get(
            url,
            cookies=login.cookies,
            headers={"HX-Request": "true"} if htmx else {},
            timeout=TIMEOUT,
        )

    def record_action(login):
        return lambda: requests.post(
            f"{base}/actions",
            data={
                "csrf_token": login.token,
                "happened_on": day,
                "kind": "interview",
                "hours": "0",
                "minutes": "30",
                "notes": "Met in the office.",
            },
            cookies=login.cookies,
            headers={"HX-Request": "true"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    tasks = []
    for _ in range(ROUNDS):
        for login in counsellors:
            tasks += [get(login, base), get(login, f"{base}/goals", htmx=True)]
        tasks += [record_action(counsellors[0]), get(member, f"{server.url}/integration/mine")]
    log_start = len(server.log())
    responses = race(tasks)
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) == {200}, statuses
    assert_quiet(server, server.log()[log_start:])

    with app.app_context():
        reads = db.session.scalar(
            sa.select(sa.func.count(RecordRead.id)).where(RecordRead.pathway_id == pathway_id)
        )
        actions = db.session.scalar(sa.select(sa.func.count(SupportAction.id)))
        db.session.remove()
    assert actions == ROUNDS
    assert reads == len(tasks)  # one row per request, each of them reading the record once
