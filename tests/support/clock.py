"""A controllable clock for stores and rules that take one (timestamps, windows, expiry)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class Clock:
    """A controllable clock for the store (verification windows, timestamps)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)
