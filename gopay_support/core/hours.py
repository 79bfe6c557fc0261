"""Service hours: the one rule for when support is fastest.

Seed related Q3: support answers around the clock, fastest on weekdays 9:00-18:00; seed 5.3:
slower at peaks such as holidays. The ticket confirmation and the handoff wait estimate
both ask :meth:`ServiceHours.is_fast`, so they never disagree (a holiday is slow for both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ServiceHours:
    #: IANA time zone the hours and holidays are given in.
    timezone: str = "Asia/Shanghai"
    #: Weekday hours when support is fastest, ``(start, end)`` in whole hours.
    staffed: tuple[int, int] = (9, 18)
    #: Public holidays (``YYYY-MM-DD`` in the service time zone): handled like off hours.
    holidays: tuple[str, ...] = ()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def is_holiday(self, moment: datetime) -> bool:
        return self.local(moment).date().isoformat() in self.holidays

    def is_fast(self, moment: datetime) -> bool:
        """A weekday within the staffed hours that is not a configured holiday."""
        local = self.local(moment)
        start, end = self.staffed
        return local.weekday() < 5 and start <= local.hour < end and not self.is_holiday(moment)

    def local_time(self, moment: datetime) -> str:
        """``YYYY-MM-DD HH:MM`` in the service time zone, as shown to users and staff."""
        return self.local(moment).strftime("%Y-%m-%d %H:%M")

    @property
    def staffed_text(self) -> str:
        """The staffed hours as customers read them, e.g. ``9:00-18:00``."""
        start, end = self.staffed
        return f"{start}:00-{end}:00"
