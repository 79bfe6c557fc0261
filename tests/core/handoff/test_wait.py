"""Wait estimates in the handoff queue, by service hours and agents on duty."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from gopay_support.core.handoff.wait import estimate
from gopay_support.core.hours import ServiceHours
from gopay_support.core.settings import HandoffSettings

SHANGHAI = timezone(timedelta(hours=8))
#: Wednesday 10:00 and 21:00 in Shanghai (the default service time zone).
WEEKDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
WEEKDAY_EVENING = datetime(2026, 11, 25, 21, 0, tzinfo=SHANGHAI)
HOURS = ServiceHours()
HANDOFF = HandoffSettings(minutes_staffed=3, minutes_off_hours=10)


def test_wait_is_shorter_in_staffed_hours_and_shared_by_agents():
    staffed = estimate(2, 1, WEEKDAY_MORNING, HOURS, HANDOFF)
    assert (staffed.minutes, staffed.busy_period) == (6, False)
    assert estimate(2, 2, WEEKDAY_MORNING, HOURS, HANDOFF).minutes == 3
    evening = estimate(2, 1, WEEKDAY_EVENING, HOURS, HANDOFF)
    assert (evening.minutes, evening.busy_period) == (20, True)
    saturday = estimate(1, 1, WEEKDAY_MORNING + timedelta(days=3), HOURS, HANDOFF)
    assert saturday.busy_period


def test_holidays_and_time_zone_come_from_the_service_hours():
    holiday = ServiceHours(holidays=("2026-11-25",))
    assert estimate(1, 1, WEEKDAY_MORNING, holiday, HANDOFF).busy_period
    berlin = ServiceHours(timezone="Europe/Berlin")  # 10:00 Shanghai = 03:00 Berlin
    assert estimate(1, 1, WEEKDAY_MORNING, berlin, HANDOFF).busy_period
