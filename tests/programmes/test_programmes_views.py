"""Programme pages: the list, set-up and edit, the programme page (states, participants,
sessions), enrolment, the convocation PDF; who gets 200, 403 or 404; bad input answers 422."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.outbox import OutboxMessage
from portal.programmes.models import Enrolment, Programme
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import (
    board_user,
    counsellor_user,
    make_member,
    member_with_login,
    trainer_user,
)
from tests.factories_programmes import enrol, make_programme, make_session

START = date(2026, 12, 1)


@pytest.fixture()
def story(db, story_day):
    trainer = trainer_user(display_name="Tom Trainer")
    programme = make_programme(trainer, starts_on=START, title="Taking part", state="running")
    ada = member_with_login(given="Ada", family="Martin")
    enrol(programme, ada)
    make_session(programme, day=date(2026, 12, 10), topic="Ballots")
    make_session(programme, day=date(2026, 12, 2), topic="Assemblies")
    return trainer, programme, ada


def logged_in(app, user):
    """A client of its own, logged in as `user`."""
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    return client


def viewers(trainer, ada):
    return {
        "trainer": trainer,
        "board": board_user(),
        "counsellor": counsellor_user(),
        "participant": ada.user,
        "outsider": member_with_login().user,
        "other trainer": trainer_user(),
    }


PAGE = {"trainer": 200, "board": 200, "counsellor": 200, "participant": 200}
EDIT = {"trainer": 200, "board": 200, "counsellor": 403, "participant": 403}
ENROL = EDIT
NEW_SESSION = {"trainer": 200, "board": 403, "counsellor": 403, "participant": 403}


@pytest.mark.parametrize(
    "who", ["trainer", "board", "counsellor", "participant", "outsider", "other trainer"]
)
def test_who_sees_which_page(story, app, who):
    trainer, programme, ada = story
    client = logged_in(app, viewers(trainer, ada)[who])
    pid = programme.id
    expected = {
        f"/programmes/{pid}": PAGE.get(who, 404),
        f"/programmes/{pid}/edit": EDIT.get(who, 404),
        f"/programmes/{pid}/enrol": ENROL.get(who, 404),
        f"/programmes/{pid}/sessions/new": NEW_SESSION.get(who, 404),
    }
    got = {path: client.get(path).status_code for path in expected}
    assert got == expected
    listing = client.get("/programmes/").get_data(as_text=True)
    assert ("Taking part" in listing) == (who in PAGE)


def test_the_programme_page_shows_sessions_next_first_and_participants(story, client, login_as):
    trainer, programme, ada = story
    make_session(programme, day=date(2026, 12, 20), topic="Budgets")
    login_as(trainer)
    html = client.get(f"/programmes/{programme.id}").get_data(as_text=True)
    # To come: the 10th before the 20th; past: the 2nd after them.
    assert html.index("Ballots") < html.index("Budgets") < html.index("Assemblies")
    assert "Ada Martin" in html
    assert "New session" in html
    assert "Add participants" in html
    other = logged_in(client.application, ada.user)
    html = other.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "New session" not in html and "Add participants" not in html
    assert "Withdraw" not in html


def test_a_trainer_creates_a_programme_and_is_named(db, story_day, client, login_as, token):
    trainer = trainer_user()
    login_as(trainer)
    page = client.get("/programmes/new").get_data(as_text=True)
    assert "Your rights and duties at work" in page  # the kinds in plain words
    form = {
        "csrf_token": token("/programmes/new"),
        "kind": "training",
        "title": "Kitchen basics",
        "summary": "Knives and hygiene.",
        "starts_on": "2026-12-07",
        "ends_on": "2027-01-30",
        "planned_hours": "30,5",
        "body_id": "",
    }
    response = client.post("/programmes/new", data=form)
    assert response.status_code == 302
    programme = db.session.scalar(sa.select(Programme).where(Programme.title == "Kitchen basics"))
    assert programme.trainer_ids == {trainer.id}
    assert programme.state == "planned"
    assert str(programme.planned_hours) == "30.5"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Give the programme a title."),
        ({"ends_on": "2026-11-01"}, "The end must be on or after the start."),
        ({"kind": "cooking"}, "Choose what kind of programme it is."),
        ({"starts_on": "tomorrow"}, ""),
        ({"planned_hours": "a lot"}, "Give the hours as a number, like 12 or 12.5."),
        ({"planned_hours": "0"}, "Give the hours as a number from 1 to 5000."),
    ],
)
def test_bad_programme_input_answers_422_with_the_message(
    db, story_day, client, login_as, token, change, message
):
    login_as(board_user())
    form = {
        "csrf_token": token("/programmes/new"),
        "kind": "training",
        "title": "Kitchen basics",
        "starts_on": "2026-12-07",
        **change,
    }
    response = client.post("/programmes/new", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_transition_and_the_cancel_reason(story, client, login_as, token):
    trainer, programme, _ada = story
    login_as(trainer)
    path = f"/programmes/{programme.id}/transition"
    response = client.post(path, data={"csrf_token": token(), "transition": "cancel"})
    assert response.status_code == 422
    assert "Please say why, in a few words." in response.get_data(as_text=True)
    response = client.post(
        path, data={"csrf_token": token(), "transition": "cancel", "comment": "No room"}
    )
    assert response.status_code == 302
    html = client.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "No room" in html
    assert programme.state == "cancelled"


def test_a_participant_cannot_change_the_state(story, client, login_as, token):
    _trainer, programme, ada = story
    login_as(ada.user)
    response = client.post(
        f"/programmes/{programme.id}/transition",
        data={"csrf_token": token(), "transition": "finish"},
    )
    assert response.status_code == 403
    assert programme.state == "running"


def test_enrol_one_team_and_a_second_time(story, client, login_as, token):
    trainer, programme, ada = story
    bob = make_member(given="Bob", family="Kitchen", admitted_on=date(2025, 2, 3), team="Kitchen")
    ada.team = "Kitchen"
    login_as(trainer)
    path = f"/programmes/{programme.id}/enrol"
    found = client.get(path + "?q=bob").get_data(as_text=True)
    assert "Bob Kitchen" in found
    response = client.post(path, data={"csrf_token": token(), "how": "team", "team": "Kitchen"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Already enrolled, not added again: Ada Martin." in page
    assert bob.id in {
        e.member_id
        for e in client.application.extensions["sqlalchemy"].session.scalars(sa.select(Enrolment))
    }
    response = client.post(
        path, data={"csrf_token": token(), "how": "member", "member_id": str(ada.id)}
    )
    assert response.status_code == 422
    assert "Ada Martin is already enrolled." in response.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": token(), "how": "team", "team": "Nobody"})
    assert response.status_code == 422
    assert "Nobody is in this team" in response.get_data(as_text=True)


def test_withdraw_from_the_programme_page(story, client, login_as, token):
    trainer, programme, _ada = story
    row = enrol(programme, make_member(given="Cleo", admitted_on=date(2025, 2, 3)))
    login_as(trainer)
    response = client.post(
        f"/programmes/{programme.id}/withdraw",
        data={"csrf_token": token(), "enrolment_id": str(row.id)},
    )
    assert response.status_code == 302
    assert row.withdrawn_on is not None
    response = client.post(
        f"/programmes/{programme.id}/withdraw",
        data={"csrf_token": token(), "enrolment_id": str(row.id)},
    )
    assert response.status_code == 422
    assert "already withdrawn" in response.get_data(as_text=True)
    response = client.post(
        f"/programmes/{programme.id}/withdraw",
        data={"csrf_token": token(), "enrolment_id": "999999"},
    )
    assert response.status_code == 404


def test_invitations_are_queued_when_enrolling_through_the_page(story, client, login_as, token):
    trainer, programme, _ada = story
    cleo = make_member(
        given="Cleo",
        admitted_on=date(2025, 2, 3),
        email="cleo@example.org",
        preferred_language="fr",
    )
    login_as(trainer)
    client.post(
        f"/programmes/{programme.id}/enrol",
        data={"csrf_token": token(), "how": "member", "member_id": str(cleo.id)},
    )
    db = client.application.extensions["sqlalchemy"]
    sent = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [m.to_address for m in sent] == ["cleo@example.org"]
    assert sent[0].body_text.startswith("Bonjour Cleo,")
    assert f"/programmes/{programme.id}" in sent[0].body_text


def test_the_convocation_pdf(story, client, login_as):
    trainer, programme, ada = story
    login_as(trainer)
    response = client.get(f"/programmes/{programme.id}/convocation.pdf?member=all")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    response = client.get(f"/programmes/{programme.id}/convocation.pdf?member={ada.id}")
    assert response.data.startswith(b"%PDF")
    assert client.get(f"/programmes/{programme.id}/convocation.pdf?member=999").status_code == 404
    other = logged_in(client.application, ada.user)
    assert other.get(f"/programmes/{programme.id}/convocation.pdf").status_code == 403


def test_the_menu_link(story, app):
    trainer, _programme, ada = story
    for user, shown in (
        (trainer, True),
        (ada.user, True),
        (counsellor_user(), True),
        (board_user(), True),
        (member_with_login().user, False),
    ):
        html = logged_in(app, user).get("/").get_data(as_text=True)
        assert ('href="/programmes/"' in html) == shown, user
