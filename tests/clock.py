"""Today, in tests: one place.

A test either works on the real "today" (`local_today()`), building every date it needs from it,
or it tells a story written with fixed dates and then runs on the day the story was written,
with the clock frozen there (`story_day` fixture). It never mixes the two: "thirty days from
today" next to "in 2025" breaks on some day of the year.

    def test_the_second_pathway_has_not_begun(story_day, client): ...
        # local_today() == STORY_DAY, and the clock moves on from 10:00 in Paris

The clock is frozen in the test's process only (time-machine); servers in other processes
(tests/live.py) keep the real clock, so live tests build their dates from the real today.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

STORY_DAY = date(2026, 12, 6)  # the day the fixed-date stories of the suite were written


def frozen_at(day: date, at: time = time(10, 0)):
    """A time-machine traveller to `day` at `at` in Paris; the clock keeps ticking from there."""
    return time_machine.travel(datetime.combine(day, at, tzinfo=ZoneInfo("Europe/Paris")))


@pytest.fixture()
def story_day():
    """Run the test on STORY_DAY (10:00 in Paris): for stories told with fixed dates."""
    with frozen_at(STORY_DAY):
        yield STORY_DAY
