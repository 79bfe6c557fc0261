"""The decision whether an incoming message goes to the bot."""

from __future__ import annotations

from channels.webchat.dedup import RecentIds
from channels.webchat.gate import MessageGate, Verdict
from gopay_support.core.ratelimit import SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_gate_order_keeps_refusals_fair() -> None:
    clock = FakeClock()
    gate = MessageGate(10, SlidingWindowLimiter(2, 60.0, clock=clock), RecentIds())
    assert gate.admit("s", "   ", "id-00001") is Verdict.EMPTY
    assert gate.admit("s", "x" * 11, "id-00001") is Verdict.TOO_LONG
    assert gate.admit("s", "x" * 10, "id-00001") is Verdict.ACCEPTED, "refusal not remembered"
    for _ in range(3):
        assert gate.admit("s", "again", "id-00001") is Verdict.DUPLICATE
    assert gate.admit("s", "second", "id-00002") is Verdict.ACCEPTED, "duplicates cost nothing"
    assert gate.admit("s", "third", "id-00003") is Verdict.RATE_LIMITED
    assert gate.admit("s", "third", "id-00003") is Verdict.RATE_LIMITED, "not remembered"
    clock.now += 61
    assert gate.admit("s", "third", "id-00003") is Verdict.ACCEPTED
