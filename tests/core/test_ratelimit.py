"""The one sliding-window rate limit: per key, bounded memory."""

from __future__ import annotations

from gopay_support.core.ratelimit import SlidingWindowLimiter


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
