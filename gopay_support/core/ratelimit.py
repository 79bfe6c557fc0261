"""The one sliding-window rate limit, for every key that must not flood the assistant.

One chatty or scripted web chat session must not monopolise the bot (every message costs an
NLU run and possibly action-server calls), and nobody may guess agent passwords at speed;
both count events per key in a sliding window with this class.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol


class WindowLimiter(Protocol):
    """A sliding-window limit: this process's (:class:`SlidingWindowLimiter`) or one shared by
    every server of a deployment (``gopay_support.adapters.shared_limits``)."""

    limit: int
    window: float

    def blocked(self, key: str) -> bool: ...

    def record(self, key: str) -> None: ...

    def allow(self, key: str) -> bool: ...

    def recent(self, key: str) -> int: ...

    def forget(self, key: str) -> None: ...


class SlidingWindowLimiter:
    """Allows at most ``limit`` events per key within any ``window`` seconds.

    Memory stays bounded: only the ``max_keys`` most recently active keys are tracked, and
    for each only its latest ``limit`` events (all that a sliding window needs).
    """

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def blocked(self, key: str) -> bool:
        """Whether ``key`` is at its limit now, without recording an event."""
        return self.recent(key) >= self.limit

    def record(self, key: str) -> None:
        """Record an event for ``key`` whether or not it is within the limit."""
        now = self._clock()
        events = self._events.pop(key, None) or deque(maxlen=max(self.limit, 1))
        self._expire(events, now)
        events.append(now)
        self._events[key] = events
        self._trim()

    def forget(self, key: str) -> None:
        self._events.pop(key, None)

    def _trim(self) -> None:
        while len(self._events) > self._max_keys:
            self._events.popitem(last=False)

    def allow(self, key: str) -> bool:
        """Record an event for ``key`` and say whether it is within the limit."""
        now = self._clock()
        events = self._events.pop(key, None) or deque(maxlen=max(self.limit, 1))
        self._expire(events, now)
        allowed = len(events) < self.limit
        if allowed:
            events.append(now)
        self._events[key] = events
        self._trim()
        return allowed

    def recent(self, key: str) -> int:
        """How many events of ``key`` are within the window now."""
        events = self._events.get(key)
        if not events:
            return 0
        self._expire(events, self._clock())
        return len(events)

    def _expire(self, events: deque[float], now: float) -> None:
        """Drop the events that left the window: they are in time order, so only the oldest
        are looked at (a check costs the expired events, not a scan of the whole window)."""
        while events and now - events[0] >= self.window:
            events.popleft()

    def __len__(self) -> int:
        return len(self._events)


def allow_all(checks: list[tuple[WindowLimiter, str]]) -> int | None:
    """Admit one event only if every ``(limiter, key)`` has room; then record it in each.

    Returns ``None`` when admitted, else the index of the first exhausted check. A refused
    event uses up no budget, so a client over one limit cannot exhaust another key's.
    """
    for index, (limiter, key) in enumerate(checks):
        if limiter.blocked(key):
            return index
    for limiter, key in checks:
        limiter.record(key)
    return None
