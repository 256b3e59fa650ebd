"""Hostile review: garbage posted to every POST endpoint of the programmes, as the user who may
use it, never answers 500 (a clear refusal: 400, 403, 404, 409, 413, 422 or 429; or a redirect).

The session runs today (the clock is frozen in its morning), so the in-room forms are open."""

from __future__ import annotations

import base64
from datetime import date, time

import pytest

from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories_members import board_user, member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session

DAY = date(2026, 12, 7)

BIG_DATA_URL = (
    "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"A" * 10**7).decode()
)

GARBAGE = {
    "empty": "",
    "letters": "abc",
    "negative": "-1",
    "zero": "0",
    "beyond_int32": str(2**31),
    "huge": "9" * 40,
    "float": "1e308",
    "unicode": "é🙂\u202e\u0000x",
    "bad_time": "25:99",
    "bad_date": "0000-00-00",
    "far_date": "9999-12-31",
    "gif_data_url": "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
    "not_png": "data:image/png;base64," + base64.b64encode(b"GIF89a" * 10).decode(),
    "long": "x" * 20_000,
}

FIELDS = [
    "kind",
    "title",
    "summary",
    "outcome_ids",
    "team",
    "body_id",
    "funder",
    "trainer_ids",
    "planned_hours",
    "starts_on",
    "ends_on",
    "day",
    "morning",
    "afternoon",
    "morning_start",
    "morning_end",
    "afternoon_start",
    "afternoon_end",
    "place",
    "topic",
    "reason",
    "covered",
    "paper_sheet",
    "member_id",
    "enrolment_id",
    "how",
    "q",
    "code",
    "slot",
    "signature",
    "status",
    "arrived_at",
    "left_at",
    "minutes",
    "signed_on_paper",
    "mood",
    "sentence",
    "turn",
    "chair",
    "secretary",
    "teller",
    "question",
    "method",
    "options",
    "where",
    "present",
    "count-0",
    "count-1",
    "count-2",
    "version",
    "action",
    "transition",
    "comment",
    "state",
]


@pytest.fixture()
def world(db):
    with frozen_at(DAY, time(9, 40)):
        trainer = trainer_user()
        board = board_user()
        programme = make_programme(trainer, starts_on=date(2026, 12, 1))
        ada = member_with_login(given="Ada", family="Lovelace")
        enrol(programme, ada)
        session = make_session(programme, day=DAY, slots=[MORNING, AFTERNOON])
        yield type(
            "World",
            (),
            {"trainer": trainer, "board": board, "ada": ada, "p": programme, "s": session},
        )


def endpoints(w):
    p, s, m = w.p.id, w.s.id, w.ada.id
    trainer = [
        f"/programmes/sessions/{s}/roll",
        f"/programmes/sessions/{s}/covered",
        f"/programmes/sessions/{s}/materials",
        f"/programmes/sessions/{s}/materials/1/delete",
        f"/programmes/sessions/{s}/materials/{2**31}/delete",
        f"/programmes/sessions/{s}/edit",
        f"/programmes/{p}/sessions/new",
        f"/programmes/sessions/{s}/sheet/correct/{m}",
        f"/programmes/sessions/{s}/sheet/correct/{2**31}",
        f"/programmes/sessions/{s}/sheet/paper/{m}",
        f"/programmes/sessions/{s}/sheet/paper/{'9' * 30}",
        f"/programmes/sessions/{s}/sheet/sign",
        f"/programmes/sessions/{s}/sheet/upload",
        f"/programmes/sessions/{s}/sign/{m}",
        f"/programmes/sessions/{s}/evidence",
        f"/programmes/sessions/{s}/practice",
        f"/programmes/sessions/{s}/practice/poll",
        f"/programmes/sessions/{s}/practice/poll/count",
        f"/programmes/sessions/{s}/practice/poll/close",
        f"/programmes/sessions/{2**31}/roll",
        f"/programmes/sessions/{s}/cancel",  # last: a cancelled session refuses the rest
    ]
    board = [
        "/programmes/new",
        f"/programmes/{p}/edit",
        f"/programmes/{p}/enrol",
        f"/programmes/{p}/withdraw",
        f"/programmes/{p}/transition",
        f"/programmes/{2**31}/edit",
    ]
    participant = [
        "/programmes/check-in",
        f"/programmes/sessions/{s}/sign",
        f"/programmes/sessions/{s}/apologise",
        f"/programmes/sessions/{s}/apologise/withdraw",
        f"/programmes/sessions/{s}/feedback",
    ]
    return [(w.ada.user, participant), (w.trainer, trainer), (w.board, board)]


def _switch(client, login_as, user):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(user)
    return csrf_token(client, "/")


@pytest.mark.parametrize("name", sorted(GARBAGE))
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_garbage_to_every_post_endpoint_is_never_a_500(client, login_as, world, name, htmx):
    value = GARBAGE[name]
    failures = []
    with frozen_at(DAY, time(9, 40)):
        for user, paths in endpoints(world):
            token = _switch(client, login_as, user)
            for path in paths:
                data = {field: value for field in FIELDS}
                data.update({"csrf_token": token, f"status-{world.ada.id}": value})
                data["member"] = str(world.ada.id)  # the roll-call's line, with garbage marks
                data.update({f"arrived-{world.ada.id}": value, f"was-{world.ada.id}": value})
                data[f"ev-{world.ada.id}-1"] = value
                headers = {"HX-Request": "true"} if htmx else {}
                response = client.post(path, data=data, headers=headers)
                if response.status_code >= 500:
                    failures.append((path, response.status_code))
    assert not failures, failures


def test_a_ten_megabyte_signature_is_refused_clearly(client, login_as, world):
    with frozen_at(DAY, time(9, 40)):
        token = _switch(client, login_as, world.ada.user)
        response = client.post(
            f"/programmes/sessions/{world.s.id}/sign",
            data={
                "csrf_token": token,
                "slot": str(world.s.slots[0].id),
                "signature": BIG_DATA_URL,
            },
        )
    assert response.status_code in (413, 422)
    assert response.status_code != 422 or b"too large" in response.data


QUERY_KEYS = [
    "year",
    "kind",
    "team",
    "funder",
    "state",
    "page",
    "table",
    "member",
    "slot",
    "q",
    "keep",
    "code",
]


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_in_every_query_string_is_never_a_500(client, login_as, world, name):
    """Every GET route with every parameter it reads set to garbage, as a trainer, the board
    and a participant."""
    value = GARBAGE[name]
    p, s, m = world.p.id, world.s.id, world.ada.id
    paths = [
        "/programmes/",
        "/programmes/mine",
        "/programmes/reports",
        "/programmes/reports.csv",
        "/programmes/reports/people",
        f"/programmes/{p}",
        f"/programmes/{p}/convocation.pdf",
        f"/programmes/{p}/attestation/{m}.pdf",
        f"/programmes/{p}/attestation/{2**31}.pdf",
        f"/programmes/{p}/enrol",
        f"/programmes/sessions/{s}",
        f"/programmes/sessions/{s}/roll",
        f"/programmes/sessions/{s}/code",
        f"/programmes/sessions/{s}/sheet",
        f"/programmes/sessions/{s}/sheet/files/{2**31}",
        f"/programmes/sessions/{s}/materials/{2**31}",
        f"/programmes/sessions/{s}/sign",
        f"/programmes/sessions/{s}/sign/{m}",
        f"/programmes/sessions/{s}/feedback",
        f"/programmes/sessions/{s}/evidence",
        f"/programmes/sessions/{s}/practice",
        "/programmes/check-in",
    ]
    query = {key: value for key in QUERY_KEYS}
    query[f"status-{m}"] = value
    failures = []
    with frozen_at(DAY, time(9, 40)):
        for user, _posts in endpoints(world):
            _switch(client, login_as, user)
            for path in paths:
                for headers in ({}, {"HX-Request": "true"}):
                    response = client.get(path, query_string=query, headers=headers)
                    if response.status_code >= 500:
                        failures.append((path, response.status_code, bool(headers)))
    assert not failures, failures
