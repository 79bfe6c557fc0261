"""Service hours: the one rule for when support is fastest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gopay_support.core.hours import ServiceHours

SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("moment", "fast"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI), True),  # Wednesday, opening hour
        (datetime(2026, 11, 25, 17, 59, tzinfo=SHANGHAI), True),
        (datetime(2026, 11, 25, 18, 0, tzinfo=SHANGHAI), False),  # closing hour is excluded
        (datetime(2026, 11, 25, 8, 59, tzinfo=SHANGHAI), False),
        (datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI), False),  # Saturday
        (datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc), True),  # 10:00 in Shanghai
    ],
)
def test_fast_on_weekdays_within_the_staffed_hours(moment: datetime, fast: bool) -> None:
    assert ServiceHours().is_fast(moment) is fast


def test_holidays_and_the_time_zone_are_configuration() -> None:
    wednesday = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    assert not ServiceHours(holidays=("2026-11-25",)).is_fast(wednesday)
    assert not ServiceHours(timezone="Europe/Berlin").is_fast(wednesday)  # 03:00 in Berlin
    assert ServiceHours(staffed=(8, 20)).staffed_text == "8:00-20:00"


def test_local_time_is_shown_in_the_service_time_zone() -> None:
    assert ServiceHours().local_time(datetime(2026, 11, 25, 2, 5, tzinfo=timezone.utc)) == "2026-11-25 10:05"
