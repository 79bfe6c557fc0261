"""Sliding-window limits kept in Redis, so that every Rasa server of a deployment counts
together.

With several servers behind a load balancer, a limit kept in each process's memory is a
limit per server: a client whose messages are spread over two servers gets twice its
budget. Set ``GOPAY_REDIS_URL`` (the scaled profile, README "Scaling") and the channels'
limits live here instead: one sorted set of event times per key, trimmed to the window and
to ``limit`` entries, changed atomically by a Lua script.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import redis

from gopay_support.core.ratelimit import SlidingWindowLimiter, WindowLimiter
from gopay_support.core.settings import Settings

#: Drop events older than the window, count, and add one only when there is room.
_ALLOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(ARGV[2] * 1000))
return 1
"""
#: Add one event whatever the count, keeping the newest ``limit`` (all a window needs).
_RECORD = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[1], math.ceil(ARGV[2] * 1000))
return 1
"""


class RedisWindowLimiter:
    """:class:`~gopay_support.core.ratelimit.SlidingWindowLimiter`'s behaviour, in Redis."""

    def __init__(
        self,
        client: redis.Redis,
        name: str,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.time,
        prefix: str = "gopay",
    ) -> None:
        self.limit = limit
        self.window = window
        self._client = client
        self._prefix = f"{prefix}:limit:{name}:"
        self._clock = clock
        self._allow = client.register_script(_ALLOW)
        self._record = client.register_script(_RECORD)

    def _args(self) -> list[object]:
        return [repr(self._clock()), repr(self.window), max(self.limit, 1), uuid.uuid4().hex]

    def blocked(self, key: str) -> bool:
        return self.recent(key) >= self.limit

    def record(self, key: str) -> None:
        self._record(keys=[self._prefix + key], args=self._args())

    def allow(self, key: str) -> bool:
        return bool(self._allow(keys=[self._prefix + key], args=self._args()))

    def recent(self, key: str) -> int:
        since = self._clock() - self.window
        return int(self._client.zcount(self._prefix + key, f"({since!r}", "+inf"))

    def forget(self, key: str) -> None:
        self._client.delete(self._prefix + key)


class LimiterFactory:
    """Builds the channels' limits: in Redis when ``redis_url`` is set, else in memory.

    A Redis that is configured but unreachable stops the process at start: falling back to
    per-process limits would quietly multiply every budget by the number of servers.
    """

    def __init__(self, redis_url: str = "", prefix: str = "gopay") -> None:
        self.redis_url = redis_url
        self.prefix = prefix
        self._client: redis.Redis | None = None
        if redis_url:
            self._client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
            try:
                self._client.ping()
            except redis.exceptions.RedisError as exc:
                raise RuntimeError(f"GOPAY_REDIS_URL is set but Redis does not answer: {exc}") from None

    @property
    def shared(self) -> bool:
        return self._client is not None

    def __call__(self, name: str, limit: int, window: float) -> WindowLimiter:
        if self._client is None:
            return SlidingWindowLimiter(limit, window)
        return RedisWindowLimiter(self._client, name, limit, window, prefix=self.prefix)

    @classmethod
    def of(cls, settings: Settings) -> LimiterFactory:
        return cls(settings.redis_url, settings.redis_prefix)
