"""Absence alerts: a counsellor is told once when a worker misses several sessions in a row
(absent or not marked in a called session; excused or apologised neither counts nor breaks the
run; present breaks it)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from portal.core.outbox import OutboxMessage
from portal.extensions import db
from portal.programmes.alerts import check_absences, runs
from portal.programmes.models import AbsenceAlert, Apology
from tests.factories_integration import assign, make_pathway
from tests.factories_members import counsellor_user, member_with_login, trainer_user
from tests.factories_programmes import enrol, make_programme, make_session, mark

DAYS = [date(2026, 11, d) for d in (2, 9, 16, 23, 30)]  # Mondays, before STORY_DAY


def _story():
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=date(2026, 11, 2), title="Citizenship 2026")
    sessions = [make_session(programme, day=day) for day in DAYS]
    ada, bob, cleo, dan = (member_with_login(given=n) for n in ("Ada", "Bob", "Cleo", "Dan"))
    for person in (ada, bob, cleo, dan):
        enrol(programme, person)
    counsellor = counsellor_user(email="anne@example.org", locale="fr")
    for person in (ada, bob, cleo):
        assign(make_pathway(person, entry_on=date(2026, 1, 5)), counsellor)
    # Ada: absent, absent, not marked (someone else was), absent, absent.
    # Bob: absent, apologised, excused, absent, absent.
    # Cleo: absent, absent, present, absent, absent.
    # Dan (no pathway, nobody to tell): absent x5.
    marks = {
        ada: ["absent", "absent", None, "absent", "absent"],
        bob: ["absent", None, "excused", "absent", "absent"],
        cleo: ["absent", "absent", "present", "absent", "absent"],
        dan: ["absent"] * 5,
    }
    for person, statuses in marks.items():
        for session, status in zip(sessions, statuses, strict=True):
            if status is not None:
                mark(session.slots[0], person, status)
    db.session.add(Apology(session_id=sessions[1].id, member_id=bob.id, reason="illness"))
    db.session.flush()
    return programme, sessions, (ada, bob, cleo, dan), counsellor


def _mails():
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_runs_follow_the_rules(story_day, db):
    _programme, sessions, (ada, bob, cleo, dan), _counsellor = _story()
    found = {run.member.id: len(run.sessions) for run in runs(sessions[2])}
    assert found == {ada.id: 3, dan.id: 3}  # Cleo was present, Bob excused
    found = {run.member.id: len(run.sessions) for run in runs(sessions[4])}
    assert found == {ada.id: 5, bob.id: 3, cleo.id: 2, dan.id: 5}


def test_the_counsellor_is_told_once_per_run(story_day, db):
    _programme, sessions, (ada, bob, _cleo, _dan), _counsellor = _story()
    assert check_absences(sessions[1]) == 0
    assert check_absences(sessions[2]) == 1  # Ada: 3 in a row; Dan has nobody to tell
    (mail,) = _mails()
    assert mail.to_address == "anne@example.org"
    assert "Ada" in mail.subject
    assert "3" in mail.body_text and "Citizenship 2026" in mail.body_text
    assert "16 novembre 2026" in mail.body_text  # in the counsellor's language
    assert check_absences(sessions[2]) == 0  # checked again: not told again
    assert check_absences(sessions[3]) == 0  # Ada's run goes on: already told
    assert check_absences(sessions[4]) == 1  # Bob reaches 3 (apology and excuse skipped)
    alerts = db.session.scalars(sa.select(AbsenceAlert).order_by(AbsenceAlert.id)).all()
    assert [(a.member_id, a.session_id, a.missed) for a in alerts] == [
        (ada.id, sessions[2].id, 3),
        (bob.id, sessions[4].id, 3),
    ]
    assert len(_mails()) == 2


def test_the_number_is_configurable(story_day, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROGRAMME_ABSENCE_ALERT_AFTER", 2)
    _programme, sessions, (ada, bob, cleo, _dan), _counsellor = _story()
    assert check_absences(sessions[1]) == 2  # Ada and Cleo after two
    assert check_absences(sessions[4]) == 2  # Bob (3), and Cleo's new run after she came
    told = sorted(db.session.scalars(sa.select(AbsenceAlert.member_id)))
    assert told == sorted([ada.id, cleo.id, bob.id, cleo.id])


def test_the_command_checks_the_finished_sessions(story_day, db, app):
    _programme, _sessions, (ada, bob, cleo, _dan), _counsellor = _story()
    result = app.test_cli_runner().invoke(args=["programmes", "absences"])
    assert result.exit_code == 0, result.output
    assert "absence alert(s) sent" in result.output
    told = set(db.session.scalars(sa.select(AbsenceAlert.member_id)))
    assert told == {ada.id, bob.id}  # Cleo: 2 in a row since she came
    again = app.test_cli_runner().invoke(args=["programmes", "absences"])
    assert again.output.startswith("0 absence")
    assert cleo.id not in told


def test_nobody_is_told_while_the_session_runs(db):
    from datetime import time

    from tests.clock import frozen_at

    _programme, sessions, (ada, *_rest), _counsellor = _story()
    today = make_session(_programme, day=date(2026, 12, 7))  # 09:00-12:00
    mark(today.slots[0], ada, "absent")
    with frozen_at(date(2026, 12, 7), time(9, 15)):
        assert check_absences(today) == 0  # Ada may still come
    with frozen_at(date(2026, 12, 7), time(12, 5)):
        # Ada (6 in a row), and Bob and Cleo, not marked in this called session (3 each).
        assert check_absences(today) == 3
    assert ada.id in set(db.session.scalars(sa.select(AbsenceAlert.member_id)))
    assert sessions
