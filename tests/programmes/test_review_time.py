"""Hostile review: slot bounds, the check-in window and the signing day on DST change days and
on 29 February, in Paris (the clock frozen there)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from portal.core.db import local_today
from portal.programmes import checkin, signatures
from portal.programmes.common import slot_bounds
from tests.clock import frozen_at
from tests.factories_members import member_with_login, trainer_user
from tests.factories_programmes import AFTERNOON, MORNING, enrol, make_programme, make_session

PARIS = ZoneInfo("Europe/Paris")


def _world(day):
    trainer = trainer_user()
    programme = make_programme(trainer, starts_on=day.replace(day=1))
    ada = member_with_login(given="Ada", family="Lovelace")
    enrol(programme, ada)
    return ada, make_session(programme, day=day, slots=[MORNING, AFTERNOON])


@pytest.mark.parametrize(
    ("day", "offset"),
    [(date(2027, 3, 28), 2), (date(2027, 10, 31), 1), (date(2028, 2, 29), 1)],
    ids=["spring-forward", "fall-back", "29-february"],
)
def test_slot_bounds_and_check_in_window_on_odd_days(db, day, offset):
    with frozen_at(day, time(8, 0)):
        _ada, session = _world(day)
        morning, afternoon = session.slots
        start, end = slot_bounds(session, morning)
        assert start == datetime.combine(day, time(9 - offset), UTC)
        assert end == datetime.combine(day, time(12 - offset), UTC)
        assert (end - start).total_seconds() == 3 * 3600
        local = lambda h, m=0: datetime.combine(day, time(h, m), PARIS)  # noqa: E731
        assert not checkin.is_open(session, morning, local(8, 29))
        assert checkin.is_open(session, morning, local(8, 30))
        assert checkin.is_open(session, morning, local(12, 0))
        assert not checkin.is_open(session, morning, local(12, 1))
        assert checkin.open_slot(session, local(13, 10)) is afternoon
        assert not signatures.signing_open(session, morning, local(8, 59))
        assert signatures.signing_open(session, morning, local(23, 59))
        next_midnight = datetime.combine(day, time(23, 59, 59), PARIS)
        assert signatures.signing_open(session, afternoon, next_midnight)


def test_the_code_of_today_is_found_just_after_midnight_in_paris(db):
    """00:20 in Paris is still 'yesterday' in UTC: the check-in looks for today's sessions in
    the enterprise's zone."""
    day = date(2027, 3, 28)
    early = ("morning", time(0, 30), time(3, 30))  # across the 02:00 -> 03:00 jump
    with frozen_at(day, time(0, 20)):
        assert local_today() == day
        ada, session = _world(day)
        session = make_session(session.programme, day=day, slots=[early], trainers=[])
        slot = session.slots[0]
        start, end = slot_bounds(session, slot)
        assert (end - start).total_seconds() == 2 * 3600  # one hour does not exist that night
        code = checkin.current_code(session, slot)
        done = checkin.check_in(ada.user, code)
        assert done.session.id == session.id and done.status == "present"
