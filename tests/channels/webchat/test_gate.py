"""The decision whether an incoming message goes to the bot."""

from __future__ import annotations

import asyncio

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
    limited = MessageGate(10, SlidingWindowLimiter(2, 60.0, clock=clock), RecentIds())

    def admit(session: str, text: str, client_id: str) -> Verdict:
        return asyncio.run(limited.admit(session, text, client_id))

    assert admit("s", "   ", "id-00001") is Verdict.EMPTY
    assert admit("s", "x" * 11, "id-00001") is Verdict.TOO_LONG
    assert admit("s", "x" * 10, "id-00001") is Verdict.ACCEPTED, "refusal not remembered"
    for _ in range(3):
        assert admit("s", "again", "id-00001") is Verdict.DUPLICATE
    assert admit("s", "second", "id-00002") is Verdict.ACCEPTED, "duplicates cost nothing"
    assert admit("s", "third", "id-00003") is Verdict.RATE_LIMITED
    assert admit("s", "third", "id-00003") is Verdict.RATE_LIMITED, "not remembered"
    clock.now += 61
    assert admit("s", "third", "id-00003") is Verdict.ACCEPTED
