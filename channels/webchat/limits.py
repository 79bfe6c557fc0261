"""Per-session message rate limit.

One chatty or scripted session must not monopolise the bot (every message costs an NLU
run and possibly action-server calls), so each session gets a sliding window of messages.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Allows at most ``limit`` events per key within any ``window`` seconds.

    Memory stays bounded: only the ``max_keys`` most recently active keys are tracked.
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

    def allow(self, key: str) -> bool:
        """Record an event for ``key`` and say whether it is within the limit."""
        now = self._clock()
        events = self._events.pop(key, None) or deque()
        while events and now - events[0] >= self.window:
            events.popleft()
        allowed = len(events) < self.limit
        if allowed:
            events.append(now)
        self._events[key] = events
        while len(self._events) > self._max_keys:
            self._events.popitem(last=False)
        return allowed
