"""Rate limits in Redis (the real server at 127.0.0.1:6379): the same answers as the
in-memory limit, one count for every server, and a loud failure when Redis is missing."""

from __future__ import annotations

import uuid

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from gopay_support.adapters.shared_limits import LimiterFactory, RedisWindowLimiter
from gopay_support.core.ratelimit import SlidingWindowLimiter, allow_all

pytestmark = pytest.mark.redis

CLIENT = redis.Redis(host="127.0.0.1", port=6379)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def limiter(prefix: str, limit: int, window: float, clock: Clock) -> RedisWindowLimiter:
    return RedisWindowLimiter(CLIENT, "test", limit, window, clock=clock, prefix=prefix)


operations = st.lists(
    st.tuples(
        st.sampled_from(["allow", "record", "blocked", "recent"]), st.sampled_from("ab"), st.floats(0, 4)
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(ops=operations, limit=st.integers(1, 4))
def test_it_answers_as_the_in_memory_limit(ops: list[tuple[str, str, float]], limit: int) -> None:
    clock = Clock()
    prefix = f"limittest{uuid.uuid4().hex[:8]}"
    shared, local = limiter(prefix, limit, 10.0, clock), SlidingWindowLimiter(limit, 10.0, clock=clock)
    try:
        for operation, key, pause in ops:
            clock.now += pause
            assert getattr(shared, operation)(key) == getattr(local, operation)(key), (operation, key)
    finally:
        for key in CLIENT.scan_iter(f"{prefix}:*"):
            CLIENT.delete(key)


def test_two_servers_share_one_budget() -> None:
    clock = Clock()
    prefix = f"limittest{uuid.uuid4().hex[:8]}"
    first, second = limiter(prefix, 3, 60.0, clock), limiter(prefix, 3, 60.0, clock)
    answers = [(first if i % 2 else second).allow("sender") for i in range(5)]
    assert answers == [True, True, True, False, False]  # per process it would be 5 of 5
    assert allow_all([(first, "sender"), (second, "other")]) == 0
    clock.now += 61
    assert first.allow("sender")
    first.forget("sender")


def test_keys_expire_and_stay_bounded() -> None:
    clock = Clock()
    prefix = f"limittest{uuid.uuid4().hex[:8]}"
    shared = limiter(prefix, 2, 5.0, clock)
    for _ in range(50):
        shared.record("k")
    key = f"{prefix}:limit:test:k"
    assert CLIENT.zcard(key) == 2
    assert 0 < CLIENT.pttl(key) <= 5000
    shared.forget("k")


def test_the_factory_keeps_limits_in_memory_without_redis() -> None:
    factory = LimiterFactory()
    assert not factory.shared and isinstance(factory("x", 1, 1.0), SlidingWindowLimiter)
    assert isinstance(LimiterFactory("redis://127.0.0.1:6379/0")("x", 1, 1.0), RedisWindowLimiter)


def test_a_configured_redis_that_does_not_answer_stops_the_start() -> None:
    with pytest.raises(RuntimeError, match="GOPAY_REDIS_URL"):
        LimiterFactory("redis://127.0.0.1:1/0")
