"""Session pages: new and edit (422 with the message on bad input), the session page for each
viewer, cancelling with a reason, what was covered, materials (limits, downloads, the paper
sheet for those who read sheets only), and fixed SQL costs of the session and programme pages."""

from __future__ import annotations

import io
from datetime import date, time

import pytest

from portal.programmes.models import SessionMaterial
from tests.clock import frozen_at
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import (
    board_user,
    counsellor_user,
    make_member,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import MORNING, enrol, make_programme, make_session
from tests.test_query_counts import count_statements

START = date(2026, 12, 1)
DAY = date(2026, 12, 10)
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def logged_in(app, user):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    return client


@pytest.fixture()
def story(db, story_day):
    trainer = trainer_user(display_name="Tom Trainer")
    programme = make_programme(trainer, starts_on=START, title="Taking part")
    ada = member_with_login(given="Ada", family="Martin")
    enrol(programme, ada)
    session = make_session(programme, day=DAY, topic="Ballots", place="Room 2")
    return trainer, programme, ada, session


def form(client, path, **values):
    data = {
        "csrf_token": csrf_token(client, path),
        "day": "2026-12-11",
        "morning": "y",
        "morning_start": "09:00",
        "morning_end": "12:00",
        "afternoon_start": "13:30",
        "afternoon_end": "16:30",
        "place": "Room 1",
        "topic": "Budgets",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("trainer", 200),
        ("board", 200),
        ("counsellor", 200),
        ("participant", 200),
        ("outsider", 404),
        ("other trainer", 404),
    ],
)
def test_the_session_page_for_each_viewer(story, app, who, status):
    trainer, _programme, ada, session = story
    user = {
        "trainer": trainer,
        "board": board_user(),
        "counsellor": counsellor_user(),
        "participant": ada.user,
        "outsider": member_with_login().user,
        "other trainer": trainer_user(),
    }[who]
    client = logged_in(app, user)
    response = client.get(f"/programmes/sessions/{session.id}")
    assert response.status_code == status
    edit = client.get(f"/programmes/sessions/{session.id}/edit").status_code
    assert edit == {"trainer": 200}.get(who, 404 if status == 404 else 403)
    if status == 200:
        html = response.get_data(as_text=True)
        assert "Ballots" in html and "Room 2" in html and "09:00" in html
        assert ("Add the file" in html) == (who == "trainer")
        assert ("Cancel the session" in html) == (who == "trainer")


def test_links_to_the_other_pages_are_guarded(story, app):
    trainer, _programme, ada, session = story
    view_functions = app.view_functions
    html = logged_in(app, trainer).get(f"/programmes/sessions/{session.id}").get_data(as_text=True)
    mine = logged_in(app, ada.user).get(f"/programmes/sessions/{session.id}").get_data(as_text=True)
    if "programmes.rollcall" in view_functions:
        assert f"/programmes/sessions/{session.id}/roll" in html
        assert f"/programmes/sessions/{session.id}/roll" not in mine
    if "programmes.sign" in view_functions:
        assert f"/programmes/sessions/{session.id}/sign" in mine
        assert f"/programmes/sessions/{session.id}/sign" not in html


def test_new_session_and_its_defaults(story, client, login_as):
    trainer, programme, _ada, _session = story
    login_as(trainer)
    path = f"/programmes/{programme.id}/sessions/new"
    page = client.get(path).get_data(as_text=True)
    assert 'value="09:00"' in page and "Tom Trainer" in page
    response = client.post(path, data=form(client, path, afternoon="y"))
    assert response.status_code == 302
    created = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Budgets" in created and "13:30" in created


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"morning_end": "08:00"}, "The session ends before it starts. Check the times."),
        ({"morning": None}, "Choose the morning, the afternoon, or both."),
        ({"topic": ""}, "Say what the session is about."),
        ({"day": ""}, "Choose the day of the session."),
        ({"day": "2026-11-02"}, "Choose a day while the programme runs"),
    ],
)
def test_bad_session_input_answers_422(story, client, login_as, values, message):
    trainer, programme, _ada, _session = story
    login_as(trainer)
    path = f"/programmes/{programme.id}/sessions/new"
    response = client.post(path, data=form(client, path, **values))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_overlap_for_the_same_trainer_answers_422(story, client, login_as):
    trainer, _programme, _ada, _session = story
    other = make_programme(trainer, starts_on=START, title="Other")
    login_as(trainer)
    path = f"/programmes/{other.id}/sessions/new"
    response = client.post(
        path,
        data=form(client, path, day=DAY.isoformat(), morning_start="11:00", morning_end="12:30"),
    )
    assert response.status_code == 422
    assert "Tom Trainer already runs a session at this time: Ballots (Taking part)" in (
        response.get_data(as_text=True)
    )


def test_no_session_on_a_cancelled_programme(story, client, login_as):
    trainer, programme, _ada, _session = story
    programme.state = "cancelled"
    login_as(trainer)
    path = f"/programmes/{programme.id}/sessions/new"
    response = client.get(path)
    assert response.status_code == 422
    assert "This programme is cancelled" in response.get_data(as_text=True)
    response = client.post(path, data=form(client, f"/programmes/{programme.id}"))
    assert response.status_code == 422


def test_edit_a_session(story, client, login_as):
    trainer, _programme, _ada, session = story
    login_as(trainer)
    path = f"/programmes/sessions/{session.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="Ballots"' in page
    response = client.post(
        path,
        data=form(client, path, day=DAY.isoformat(), topic="Ballots again", morning_end="11:30"),
    )
    assert response.status_code == 302
    assert session.topic == "Ballots again"
    assert session.slots[0].ends_at == time(11, 30)


def test_cancel_a_session_with_a_reason(story, client, login_as):
    trainer, _programme, ada, session = story
    login_as(trainer)
    path = f"/programmes/sessions/{session.id}/cancel"
    response = client.post(
        path, data={"csrf_token": csrf_token(client, "/programmes/"), "reason": ""}
    )
    assert response.status_code == 422
    assert "Please say why, in a few words." in response.get_data(as_text=True)
    response = client.post(
        path, data={"csrf_token": csrf_token(client, "/programmes/"), "reason": "Room closed"}
    )
    assert response.status_code == 302
    html = client.get(f"/programmes/sessions/{session.id}").get_data(as_text=True)
    assert "This session is cancelled." in html and "Room closed" in html
    assert "Add the file" not in html
    other = logged_in(client.application, ada.user)
    response = other.post(
        path, data={"csrf_token": csrf_token(other, "/programmes/"), "reason": "x"}
    )
    assert response.status_code == 403


def test_what_was_covered(story, app):
    trainer, _programme, _ada, session = story
    path = f"/programmes/sessions/{session.id}/covered"
    with frozen_at(DAY, time(8)):
        client = logged_in(app, trainer)
        response = client.post(
            path, data={"csrf_token": csrf_token(client, "/programmes/"), "covered": "Votes"}
        )
        assert response.status_code == 422
        assert "once the session has started" in response.get_data(as_text=True)
    with frozen_at(DAY, time(12, 30)):
        client = logged_in(app, trainer)
        response = client.post(
            path, data={"csrf_token": csrf_token(client, "/programmes/"), "covered": "Votes"}
        )
        assert response.status_code == 302
    assert session.covered == "Votes"


def upload(client, session, name, data, **extra):
    return client.post(
        f"/programmes/sessions/{session.id}/materials",
        data={
            "csrf_token": csrf_token(client, "/programmes/"),
            "material": (io.BytesIO(data), name),
            **extra,
        },
        content_type="multipart/form-data",
    )


def test_materials_upload_download_and_the_paper_sheet(story, client, login_as):
    trainer, programme, ada, session = story
    login_as(trainer)
    assert upload(client, session, "handout.pdf", PDF).status_code == 302
    refused = upload(client, session, "page.html", b"<html><script>alert(1)</script>")
    assert refused.status_code == 422
    assert "This kind of file cannot be attached" in refused.get_data(as_text=True)
    refused = upload(client, session, "big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 + 10))
    assert refused.status_code in (413, 422)
    assert "too big" in refused.get_data(as_text=True)
    assert upload(client, session, "sheet.pdf", PDF + b" ", paper_sheet="y").status_code == 302
    db = client.application.extensions["sqlalchemy"]
    handout, sheet = db.session.query(SessionMaterial).order_by(SessionMaterial.id).all()
    assert sheet.paper_sheet and not handout.paper_sheet
    handout, sheet = handout.id, sheet.id
    base = f"/programmes/sessions/{session.id}/materials"
    response = client.get(f"{base}/{sheet}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    participant = logged_in(client.application, ada.user)
    assert participant.get(f"{base}/{handout}").status_code == 200
    assert participant.get(f"{base}/{sheet}").status_code == 403
    page = participant.get(f"/programmes/sessions/{session.id}").get_data(as_text=True)
    assert f"{base}/{handout}" in page and f'{base}/{sheet}"' not in page
    counsellor = logged_in(client.application, counsellor_user())
    assert counsellor.get(f"{base}/{sheet}").status_code == 200
    assert (
        participant.post(
            f"{base}/{handout}/delete",
            data={"csrf_token": csrf_token(participant, "/programmes/")},
        ).status_code
        == 403
    )
    response = client.post(
        f"{base}/{handout}/delete", data={"csrf_token": csrf_token(client, "/programmes/")}
    )
    assert response.status_code == 302
    assert client.get(f"{base}/{handout}").status_code == 404
    other = make_session(programme, day=date(2026, 12, 11))
    assert client.get(f"/programmes/sessions/{other.id}/materials/{sheet}").status_code == 404


def test_page_costs_do_not_grow_with_participants_or_sessions(story, client, login_as):
    trainer, programme, _ada, session = story
    login_as(trainer)

    def grow(n):
        for i in range(n):
            member = make_member(given=f"P{i}", admitted_on=date(2025, 2, 3), email=f"p{i}@x.org")
            enrol(programme, member)
            make_session(programme, day=date(2026, 12, 12 + i), slots=[MORNING], topic=f"T{i}")

    paths = [f"/programmes/{programme.id}", f"/programmes/sessions/{session.id}"]
    for path in paths:
        client.get(path)
    few = [count_statements(client.application.extensions["sqlalchemy"], client, p) for p in paths]
    grow(6)
    many = [count_statements(client.application.extensions["sqlalchemy"], client, p) for p in paths]
    assert many == few
