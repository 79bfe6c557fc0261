"""Console login throttling: slow guessing, no lock-out of an agent by a stranger, bounded memory."""

from __future__ import annotations

from console.security import LoginThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_block_the_account_from_that_address_only() -> None:
    throttle = LoginThrottle(attempts=5, window=300, clock=FakeClock())
    for _ in range(5):
        assert not throttle.blocked("alice", "203.0.113.66")
        throttle.failed("alice", "203.0.113.66")
    assert throttle.blocked("alice", "203.0.113.66"), "the guesser is stopped"
    assert not throttle.blocked("alice", "198.51.100.7"), "alice, from her own address, is not"
    # ...however long the stranger keeps trying.
    for _ in range(1000):
        throttle.failed("alice", "203.0.113.66")
    assert not throttle.blocked("alice", "198.51.100.7")


def test_an_address_guessing_many_accounts_is_stopped() -> None:
    throttle = LoginThrottle(attempts=5, window=300, address_attempts=20, clock=FakeClock())
    for index in range(20):
        throttle.failed(f"agent{index}", "203.0.113.66")
    assert throttle.blocked("someone-else", "203.0.113.66")
    assert not throttle.blocked("someone-else", "198.51.100.7")


def test_many_failures_everywhere_slow_answers_down_instead_of_locking_out() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(global_attempts=10, slow_down=1.5, clock=clock)
    assert throttle.delay() == 0
    for index in range(10):
        throttle.failed("alice", f"203.0.113.{index}")
    assert throttle.delay() == 1.5
    assert not throttle.blocked("alice", "198.51.100.7")
    clock.now += 61
    assert throttle.delay() == 0


def test_success_clears_the_pair_and_memory_is_bounded() -> None:
    throttle = LoginThrottle(attempts=2, max_keys=100, clock=FakeClock())
    throttle.failed("alice", "a")
    throttle.failed("alice", "a")
    assert throttle.blocked("alice", "a")
    throttle.succeeded("alice", "a")
    assert not throttle.blocked("alice", "a")
    for index in range(10_000):
        throttle.failed(f"name{index}", f"10.0.{index // 250}.{index % 250}")
    assert throttle.tracked_keys() <= 200
