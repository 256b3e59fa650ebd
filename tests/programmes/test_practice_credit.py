"""A role held in a practice meeting shows in My sessions; the session page offers the practice
page to participants once the trainer has held one there."""

from datetime import timedelta

from portal.core.db import local_today
from portal.programmes.models import PracticeRole
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import member_with_login, trainer_user
from tests.factories_programmes import enrol, make_programme, make_session


def _held(trainer):
    programme = make_programme(trainer, starts_on=local_today() - timedelta(days=30))
    ada, bob = member_with_login(given="Ada"), member_with_login(given="Bob")
    for member in (ada, bob):
        enrol(programme, member)
    session = make_session(programme, day=local_today() - timedelta(days=2), topic="A meeting")
    return programme, session, ada, bob


def test_my_roles_in_practice_meetings(app, db, client, login_as):
    _, session, ada, bob = _held(trainer_user())
    db.session.add(PracticeRole(session_id=session.id, turn=1, role="chair", member_id=ada.id))
    db.session.flush()

    login_as(ada.user)
    page = client.get("/programmes/mine").get_data(as_text=True)
    assert "My roles in practice meetings" in page
    assert "Chair in a practice meeting on" in page

    other = app.test_client()
    other.post(
        "/login",
        data={"username": bob.user.username, "password": PASSWORD, "csrf_token": csrf_token(other)},
    )
    page = other.get("/programmes/mine").get_data(as_text=True)
    assert "What I attended" in page
    assert "My roles in practice meetings" not in page


def test_participants_reach_the_practice_page_once_there_is_one(db, client, login_as):
    trainer = trainer_user()
    _, session, ada, _ = _held(trainer)
    practice_url = f"/programmes/sessions/{session.id}/practice"
    login_as(ada.user)
    assert practice_url not in client.get(f"/programmes/sessions/{session.id}").get_data(
        as_text=True
    )
    db.session.add(PracticeRole(session_id=session.id, turn=1, role="teller", member_id=ada.id))
    db.session.flush()
    assert practice_url in client.get(f"/programmes/sessions/{session.id}").get_data(as_text=True)
    assert client.get(practice_url).status_code == 200
