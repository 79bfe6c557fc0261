"""Expected waiting time in the handoff queue.

Seed 3: support answers around the clock, fastest on weekdays in the staffed hours
(9:00-18:00 by default); seed 5.3: slower at peaks such as holidays. The staffed-hours rule
itself is :func:`gopay_support.tickets.hours.is_staffed`; this module adds the configured
holidays and turns a queue position into minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gopay_support.config import settings
from gopay_support.tickets.hours import is_staffed


@dataclass(frozen=True)
class WaitEstimate:
    minutes: int
    #: Outside the fastest hours (evenings, weekends, holidays): the user is told why.
    busy_period: bool


def is_holiday(now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(settings().service_timezone))
    return local.date().isoformat() in settings().handoff.holidays


def fast_service(now: datetime) -> bool:
    """Within staffed weekday hours and not on a configured holiday."""
    return is_staffed(now) and not is_holiday(now)


def estimate(position: int, agents_on_duty: int, now: datetime) -> WaitEstimate:
    """Minutes until an agent picks up the conversation at ``position`` (1 = next)."""
    cfg = settings().handoff
    fast = fast_service(now)
    per_conversation = cfg.minutes_staffed if fast else cfg.minutes_off_hours
    minutes = math.ceil(max(position, 1) * per_conversation / max(agents_on_duty, 1))
    return WaitEstimate(minutes=max(minutes, 1), busy_period=not fast)
