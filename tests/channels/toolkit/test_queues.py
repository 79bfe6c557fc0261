"""Per-chat FIFO processing: in order within a chat, in parallel across chats."""

from __future__ import annotations

import asyncio

from channels.toolkit.queues import KeyedQueues


def test_one_chat_in_order_other_chats_in_parallel_and_failures_isolated() -> None:
    seen: list[tuple[str, int]] = []

    async def handle(item: tuple[str, int]) -> None:
        chat, n = item
        if (chat, n) == ("a", 2):
            raise RuntimeError("one bad message")
        await asyncio.sleep(0.01 if chat == "a" else 0)
        seen.append(item)

    async def scenario() -> None:
        queues: KeyedQueues[tuple[str, int]] = KeyedQueues(handle)
        for n in range(1, 5):
            queues.submit("a", ("a", n))
        queues.submit("b", ("b", 1))
        await queues.join(5)

    asyncio.run(scenario())
    assert [n for chat, n in seen if chat == "a"] == [1, 3, 4]
    assert seen.index(("b", 1)) < seen.index(("a", 3))  # b was not held up behind a
