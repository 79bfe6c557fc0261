"""Outgoing flood control: pacing per chat and overall."""

from __future__ import annotations

import asyncio
import time

from support.telegram import EN_CHAT, ZH_CHAT, paced_sender, run
from support.telegram_fake import FakeTelegram


def test_messages_to_one_chat_are_paced_but_other_chats_are_not_held_up(
    fake: FakeTelegram,
) -> None:
    sender = paced_sender(fake, chat_interval=0.4)

    async def burst() -> None:
        await asyncio.gather(
            sender.send_message(ZH_CHAT, "1"),
            sender.send_message(ZH_CHAT, "2"),
            sender.send_message(ZH_CHAT, "3"),
            sender.send_message(EN_CHAT, "a"),
        )

    run(burst())
    times = [c.at for c in fake.calls_to("sendMessage") if c.params["chat_id"] == ZH_CHAT]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 3 and min(gaps) >= 0.35
    other = [c.at for c in fake.calls_to("sendMessage") if c.params["chat_id"] == EN_CHAT]
    assert other[0] - times[0] < 0.3


def test_global_rate_limit_spreads_a_burst_over_time(fake: FakeTelegram) -> None:
    sender = paced_sender(fake, global_rate=5)

    async def burst() -> None:
        await asyncio.gather(*(sender.send_message(1000 + i, "x") for i in range(10)))

    started = time.monotonic()
    run(burst())
    assert len(fake.sent_messages()) == 10
    assert time.monotonic() - started >= 0.9
