"""Expected waiting time in the handoff queue.

Seed 3: support answers around the clock, fastest on weekdays in the staffed hours; seed 5.3:
slower at peaks such as holidays. Whether now is fast is :meth:`ServiceHours.is_fast`, the
same rule the ticket confirmation uses; this module turns a queue position into minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from gopay_support.core.hours import ServiceHours
from gopay_support.core.settings import HandoffSettings


@dataclass(frozen=True)
class WaitEstimate:
    minutes: int
    #: Outside the fastest hours (evenings, weekends, holidays): the user is told why.
    busy_period: bool


def estimate(
    position: int, agents_on_duty: int, now: datetime, hours: ServiceHours, handoff: HandoffSettings
) -> WaitEstimate:
    """Minutes until an agent picks up the conversation at ``position`` (1 = next)."""
    fast = hours.is_fast(now)
    per_conversation = handoff.minutes_staffed if fast else handoff.minutes_off_hours
    minutes = math.ceil(max(position, 1) * per_conversation / max(agents_on_duty, 1))
    return WaitEstimate(minutes=max(minutes, 1), busy_period=not fast)
