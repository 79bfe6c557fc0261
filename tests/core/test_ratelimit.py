"""The one sliding-window rate limit: per key, bounded memory."""

from __future__ import annotations

from gopay_support.core.ratelimit import SlidingWindowLimiter, allow_all


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_is_a_sliding_window_per_key() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(limit=3, window=10.0, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b"), "another session has its own budget"
    clock.now += 9.9
    assert not limiter.allow("a")
    clock.now += 0.1
    assert limiter.allow("a"), "the oldest message has left the window"


def test_rate_limiter_forgets_the_least_recent_keys() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(limit=1, window=60.0, clock=clock, max_keys=2)
    assert limiter.allow("a") and limiter.allow("b")
    assert limiter.allow("c")  # evicts "a"
    assert limiter.allow("a")
    assert not limiter.allow("c")


def test_blocked_and_record_count_failures_without_consuming_a_slot() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, 60, clock=clock)
    assert not limiter.blocked("alice")
    limiter.record("alice")
    limiter.record("alice")
    assert limiter.blocked("alice") and not limiter.blocked("bob")
    clock.now += 61
    assert not limiter.blocked("alice")
    limiter.record("alice")
    limiter.forget("alice")
    assert not limiter.blocked("alice")


def test_allow_all_records_only_when_every_key_has_room() -> None:
    clock = FakeClock()
    small = SlidingWindowLimiter(limit=1, window=60.0, clock=clock)
    large = SlidingWindowLimiter(limit=5, window=60.0, clock=clock)
    assert allow_all([(small, "a"), (large, "ip")]) is None
    assert allow_all([(small, "a"), (large, "ip")]) == 0
    assert large.recent("ip") == 1, "a refused event used up nothing"
    assert allow_all([(small, "b"), (large, "ip")]) is None


def test_memory_per_key_stays_at_the_limit_however_many_events() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(limit=3, window=60.0, clock=clock, max_keys=100)
    for _ in range(10_000):
        limiter.record("attacker")
    assert limiter.recent("attacker") == 3 and limiter.blocked("attacker")
    for index in range(1_000):
        limiter.record(f"k{index}")
    assert len(limiter) == 100
