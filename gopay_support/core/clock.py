"""The current time, always timezone-aware UTC; stores and rules take it as a parameter so
tests can pass their own clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
