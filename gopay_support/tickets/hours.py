"""Whether support is in its fastest (staffed peak) hours right now.

Seed related Q3: support answers around the clock, fastest on weekdays 9:00-18:00;
weekends, holidays (and promotions, seed 5.3) take longer. The ticket confirmation says
which case applies so the expected response time is honest.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gopay_support.config import settings


def is_staffed(now: datetime) -> bool:
    """Weekday within the configured staffed hours, in the service time zone."""
    local = now.astimezone(ZoneInfo(settings().service_timezone))
    start, end = settings().peak_staffed_hours
    return local.weekday() < 5 and start <= local.hour < end


def local_time(value: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` in the service time zone, as shown to users and staff."""
    return value.astimezone(ZoneInfo(settings().service_timezone)).strftime("%Y-%m-%d %H:%M")
