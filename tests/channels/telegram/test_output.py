"""The output channel: agent marks, and every message into the outbox under a key that a
replayed turn repeats."""

from __future__ import annotations

from typing import Any

from support.telegram import ZH_CHAT, run

from channels.telegram.output import TelegramOutput, agent_marked
from channels.toolkit.outbox import Outgoing


async def _no_store(payload: str) -> str:
    raise AssertionError("short payloads are not stored")


class Queue:
    def __init__(self) -> None:
        self.queued: list[tuple[str, Outgoing]] = []

    async def __call__(self, conversation_id: str, messages: list[Outgoing]) -> None:
        self.queued += [(conversation_id, m) for m in messages]

    def payloads(self) -> list[dict[str, Any]]:
        return [dict(m.payload) for _, m in self.queued]


def test_agent_name_prefix_in_the_message_language() -> None:
    queue = Queue()
    output = TelegramOutput(queue, _no_store, 123)
    run(
        output.send_response(
            f"telegram:{ZH_CHAT}", {"text": "您好，请问有什么可以帮您？", "gopay_agent": "Alice"}
        )
    )
    run(output.send_response(f"telegram:{ZH_CHAT}", {"text": "充值失败通常…"}))
    texts = [p["text"] for p in queue.payloads()]
    assert texts == ["👤 Alice（人工客服）：\n您好，请问有什么可以帮您？", "充值失败通常…"]
    assert {c for c, _ in queue.queued} == {f"telegram:{ZH_CHAT}"}
    assert agent_marked("Hello, how can I help?", {"gopay_agent": "Bob"}) == (
        "👤 Bob (support agent):\nHello, how can I help?"
    )
    assert agent_marked("hi", {}) == "hi"


def test_a_turns_messages_get_the_same_keys_on_a_replay_and_loose_ones_never_repeat() -> None:
    queue = Queue()
    base = TelegramOutput(queue, _no_store, 123)

    async def turn() -> None:
        output = base.for_update(4711)
        await output.send_response(f"telegram:{ZH_CHAT}", {"text": "一"})
        await output.send_response(f"telegram:{ZH_CHAT}", {"image": "https://example.com/a.png"})

    run(turn())
    run(turn())  # the replay after a crash
    keys = [m.key for _, m in queue.queued]
    assert keys == ["telegram:123:4711:0", "telegram:123:4711:1"] * 2
    run(base.send_response(f"telegram:{ZH_CHAT}", {"text": "x"}))
    run(base.send_response(f"telegram:{ZH_CHAT}", {"text": "x"}))
    loose = [m.key for _, m in queue.queued[4:]]
    assert len(set(loose)) == 2 and all(":x:" in k for k in loose)


def test_a_message_the_console_sent_twice_keeps_its_outbox_key() -> None:
    """An agent reply whose bot event reached Rasa twice (a retry after a lost answer) is
    enqueued under the same keys both times, so the outbox sends it once."""
    queue = Queue()
    output = TelegramOutput(queue, _no_store, 123)
    message = {"text": "您好" * 3000, "gopay_agent": "Alice", "gopay_outbox_key": "agent-reply:1:abc"}
    for _ in range(2):
        run(output.send_response(f"telegram:{ZH_CHAT}", dict(message)))
    run(output.send_response(f"telegram:{ZH_CHAT}", {"text": "hi", "gopay_outbox_key": "agent-reply:1:def"}))
    keys = [m.key for _, m in queue.queued]
    parts = (len(keys) - 1) // 2
    first, second, other = keys[:parts], keys[parts:-1], keys[-1]
    assert parts > 1 and first == second and len(set(first)) == parts  # long: split, same keys
    assert other not in first
