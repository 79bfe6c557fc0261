"""Agent messages on Telegram carry the agent's name and a "support agent" mark."""

from __future__ import annotations

from support.telegram import ZH_CHAT, paced_sender, run
from support.telegram_fake import FakeTelegram

from channels.telegram.output import TelegramOutput, agent_marked


async def _no_store(payload: str) -> str:
    raise AssertionError("short payloads are not stored")


def test_agent_name_prefix_in_the_message_language(fake: FakeTelegram) -> None:
    output = TelegramOutput(paced_sender(fake), _no_store)
    run(
        output.send_response(
            f"telegram:{ZH_CHAT}", {"text": "您好，请问有什么可以帮您？", "gopay_agent": "Alice"}
        )
    )
    run(output.send_response(f"telegram:{ZH_CHAT}", {"text": "充值失败通常…"}))
    texts = [m["text"] for m in fake.sent_messages()]
    assert texts == ["👤 Alice（人工客服）：\n您好，请问有什么可以帮您？", "充值失败通常…"]
    assert agent_marked("Hello, how can I help?", {"gopay_agent": "Bob"}) == (
        "👤 Bob (support agent):\nHello, how can I help?"
    )
    assert agent_marked("hi", {}) == "hi"
