"""`flask --app wsgi programmes hours --year YYYY [--format csv|text]`: hours per person and per
kind of programme for a year, on a fixed-date story (2026) under `story_day`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from tests.factories_members import make_member, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session, mark


def story(db):
    trainer = trainer_user()
    citizenship = make_programme(trainer, kind="citizenship", starts_on=date(2026, 1, 5))
    training = make_programme(trainer, kind="training", starts_on=date(2026, 1, 5))
    ada = make_member(given="Ada", family="Lovelace", team="Garden")
    bob = make_member(given="Bob", family="Builder", team="Kitchen")
    for programme in (citizenship, training):
        enrol(programme, ada)
        enrol(programme, bob)
    day = make_session(citizenship, day=date(2026, 3, 10))
    mark(day.slots[0], ada, "present")
    mark(day.slots[0], bob, "late", minutes=90)
    whole = make_session(training, day=date(2026, 3, 12), slots=[MORNING, AFTERNOON])
    for slot in whole.slots:
        mark(slot, ada, "present")
    cancelled = make_session(training, day=date(2026, 4, 2))
    mark(cancelled.slots[0], bob, "present")
    cancelled.cancelled_at = datetime(2026, 3, 30, 8, tzinfo=UTC)
    last_year = make_session(citizenship, day=date(2025, 12, 1))
    mark(last_year.slots[0], ada, "present")
    db.session.commit()  # the command shares the test's session (a savepoint is released)
    return ada, bob


def run(app, *args):
    return app.test_cli_runner().invoke(args=["programmes", "hours", *args])


def test_text_table(story_day, app, db):
    story(db)
    result = run(app, "--year", "2026")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "member_number", "name", "team", "socialization", "training", "workplace",
        "citizenship", "total",
    ]  # fmt: skip
    ada = next(line for line in lines if "Ada Lovelace" in line)
    assert ada.split()[-5:] == ["0.0", "6.0", "0.0", "3.0", "9.0"]
    bob = next(line for line in lines if "Bob Builder" in line)
    assert bob.split()[-5:] == ["0.0", "0.0", "0.0", "1.5", "1.5"]  # the cancelled day: none
    total = next(line for line in lines if line.startswith(" ") and "total" in line)
    assert total.split()[-5:] == ["0.0", "6.0", "0.0", "4.5", "10.5"]
    assert "2 person(s), 10.5 hours in 2026." in result.output


def test_csv(story_day, app, db):
    story(db)
    result = run(app, "--year", "2026", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][0] == "member_number"
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["Ada Lovelace"][3:] == ["0.0", "6.0", "0.0", "3.0", "9.0"]
    assert by_name["Bob Builder"][2] == "Kitchen"
    assert by_name["total"][3:] == ["0.0", "6.0", "0.0", "4.5", "10.5"]
    result = run(app, "--year", "2025", "--format", "csv")
    assert list(csv.reader(io.StringIO(result.output)))[-1][-1] == "3.0"


def test_a_year_that_is_not_a_year(app, db):
    for year in ("abcd", "20266", "1850"):
        result = run(app, "--year", year)
        assert result.exit_code == 2
        assert "Invalid value for '--year'" in result.output
    assert run(app).exit_code == 2  # the year is required
