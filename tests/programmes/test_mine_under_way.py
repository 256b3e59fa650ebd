"""My sessions: a session under way is "next" until the member is in the room, then attended."""

from datetime import date, time

from portal.programmes.hours import member_summary
from tests.clock import frozen_at
from tests.factories_members import member_with_login, trainer_user
from tests.factories_programmes import enrol, make_programme, make_session, mark

DAY = date(2026, 12, 8)


def test_a_session_under_way_moves_to_attended_once_i_am_in_the_room(db):
    with frozen_at(DAY, time(10, 0)):
        programme = make_programme(trainer_user(), starts_on=date(2026, 12, 1))
        ada = member_with_login(given="Ada")
        enrol(programme, ada)
        session = make_session(programme, day=DAY)  # 09:00-12:00, under way at 10:00
        summary = member_summary(ada.id)
        assert [line.session.id for line in summary.upcoming] == [session.id]
        assert summary.past == []

        mark(session.slots[0], ada, "late")
        summary = member_summary(ada.id)
        assert summary.upcoming == []
        assert [line.session.id for line in summary.past] == [session.id]
