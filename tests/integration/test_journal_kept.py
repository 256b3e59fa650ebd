"""Journal rows equal reads, for every route of the blueprint that reads a record.

Generated from the URL map: each GET route with a pathway in its address is requested (page and
htmx fragment) by someone allowed — one journal row each, kept after the request — and by
someone who is not — one refused row each, and a 404. A refused change (bad input) keeps its
read row and nothing else.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.integration.models import Goal, RecordRead
from tests.conftest import csrf_token
from tests.factories_integration import assign, make_pathway
from tests.factories_members import counsellor_user, member_with_login

HX = {"HX-Request": "true"}


def _record_routes(app, pathway_id: int) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("integration.") or "GET" not in rule.methods:
            continue
        if set(rule.arguments) != {"pathway_id"}:
            continue
        if rule.endpoint == "integration.break_glass":  # asks an administrator for a reason
            continue
        paths.append(re.sub(r"<[^>]*pathway_id>", str(pathway_id), rule.rule))
    return paths


def _count(**where) -> int:
    query = sa.select(sa.func.count(RecordRead.id))
    for key, value in where.items():
        query = query.where(getattr(RecordRead, key) == value)
    return db.session.scalar(query)


def test_every_read_is_journaled_and_kept(app, db, client, login_as):
    pathway = make_pathway(member_with_login())
    counsellor = counsellor_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    paths = _record_routes(app, pathway.id)
    assert len(paths) >= 10, paths
    login_as(counsellor)
    for path in paths:
        for headers in ({}, HX):
            before = _count(pathway_id=pathway.id, outcome="allowed")
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
            assert _count(pathway_id=pathway.id, outcome="allowed") == before + 1, path


def test_every_refused_attempt_is_journaled_and_kept(app, db, client, login_as):
    pathway = make_pathway(member_with_login())
    assign(pathway, counsellor_user(), "counsellor", personal_data=True)
    stranger = counsellor_user()
    login_as(stranger)
    paths = _record_routes(app, pathway.id)
    for path in paths:
        before = _count(pathway_id=pathway.id, outcome="refused", user_id=stranger.id)
        assert client.get(path).status_code == 404, path
        after = _count(pathway_id=pathway.id, outcome="refused", user_id=stranger.id)
        assert after == before + 1, path
    assert _count(pathway_id=pathway.id, outcome="allowed") == 0


def test_a_refused_change_keeps_its_read_and_nothing_else(app, db, client, login_as):
    pathway = make_pathway(member_with_login())
    counsellor = counsellor_user()
    assign(pathway, counsellor, "counsellor", personal_data=True)
    login_as(counsellor)
    token = csrf_token(client, f"/integration/{pathway.id}")
    before = _count(pathway_id=pathway.id)
    response = client.post(
        f"/integration/{pathway.id}/goals",
        data={"title": "x" * 5000, "csrf_token": token},
        headers=HX,
    )
    assert response.status_code in (400, 422)
    assert _count(pathway_id=pathway.id) == before + 1
    assert db.session.scalar(sa.select(sa.func.count(Goal.id))) == 0


def test_a_counsellor_without_the_flag_may_not_answer_a_correction(app, db, client, login_as):
    from portal.integration.models import RectificationRequest

    pathway = make_pathway(member_with_login())
    flagless = counsellor_user()
    assign(pathway, flagless, "counsellor", personal_data=False)
    request = RectificationRequest(pathway_id=pathway.id, text="My hours are wrong.")
    db.session.add(request)
    db.session.flush()
    login_as(flagless)
    token = csrf_token(client, f"/integration/{pathway.id}")
    response = client.post(
        f"/integration/{pathway.id}/requests/{request.id}/answer",
        data={
            "csrf_token": token,
            f"request-{request.id}-status": "corrected",
            f"request-{request.id}-answer": "Done.",
        },
    )
    assert response.status_code == 403
    assert _count(pathway_id=pathway.id, outcome="refused", user_id=flagless.id) == 1
    db.session.refresh(request)
    assert request.status == "open"
