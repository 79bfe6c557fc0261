"""Telegram under faults, with real processes: the Rasa server and action server
(models/current.tar.gz), the fake Bot API server on loopback, and ``kill -9``.

Each scenario counts what the customer gets: every message answered exactly once, in order.
The figures are in docs/delivery.md.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
import requests
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import SECRET

from devtools.stack import Stack

pytestmark = pytest.mark.e2e

_ids = itertools.count(1)
QUESTIONS = ["充值失败了怎么办", "怎么注册Gopay钱包？", "提现多久到账"]


@pytest.fixture(scope="module")
def stack(start_stack: Any, fake: FakeTelegram) -> Stack:
    return start_stack(
        name="telegram-faults",
        env={
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_MODE": "webhook",
        },
    )


def update(text: str, chat: int) -> dict[str, Any]:
    return load_update("private_text_zh", update_id=700000000 + next(_ids), chat_id=chat, text=text)


def new_chat() -> int:
    return 910000000 + next(_ids)


def post(stack: Stack, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{stack.config.rasa_url}/webhooks/telegram/webhook",
        json=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=10,
    )


def bot_texts(stack: Stack, chat: int) -> list[str]:
    """What the bot said in the chat's conversation, in order (the tracker's record)."""
    events = stack.tracker(f"telegram:{chat}").get("events", [])
    return [e.get("text") for e in events if e.get("event") == "bot" and e.get("text")]


def user_texts(stack: Stack, chat: int) -> list[str]:
    events = stack.tracker(f"telegram:{chat}").get("events", [])
    return [e.get("text") for e in events if e.get("event") == "user"]


def settle(fake: FakeTelegram, chats: list[int], seconds: float = 4.0, timeout: float = 120) -> None:
    """Wait until nothing new was sent to ``chats`` for ``seconds``."""
    count, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - quiet_since < seconds and time.monotonic() < deadline:
        now = sum(len(fake.sent_messages(c)) for c in chats)
        if now != count:
            count, quiet_since = now, time.monotonic()
        time.sleep(0.1)


def delivered_exactly_once_in_order(stack: Stack, fake: FakeTelegram, chat: int) -> None:
    sent = [m["text"] for m in fake.sent_messages(chat)]
    assert sent == bot_texts(stack, chat), f"chat {chat}: sent {sent}"


def test_kill_9_of_rasa_right_after_the_200_loses_nothing(stack: Stack, fake: FakeTelegram) -> None:
    chats = [new_chat() for _ in QUESTIONS]
    for chat, question in zip(chats, QUESTIONS, strict=True):
        assert post(stack, update(question, chat)).json() == {"status": "queued"}
    stack.kill("rasa")  # within milliseconds of the last 200
    stack.start_rasa()
    fake.wait_for(lambda: all(fake.sent_messages(c) for c in chats), timeout=120)
    # A reply can leave (outbox) before the killed server saved its turn: the update is then
    # replayed once the killed server's lease runs out, under the same outbox keys. Wait for
    # every conversation's record, then for the chats to go quiet.
    fake.wait_for(lambda: all(user_texts(stack, c) for c in chats), timeout=120)
    settle(fake, chats)
    for chat, question in zip(chats, QUESTIONS, strict=True):
        assert user_texts(stack, chat) == [question]  # one turn each, not zero, not two
        assert len(fake.sent_messages(chat)) >= 1
        delivered_exactly_once_in_order(stack, fake, chat)


def test_a_bot_api_outage_of_20_seconds_loses_and_doubles_nothing(stack: Stack, fake: FakeTelegram) -> None:
    chats = [new_chat(), new_chat()]
    fake.stop()
    try:
        for question in QUESTIONS:
            for chat in chats:
                assert post(stack, update(question, chat)).status_code == 200
        deadline = time.monotonic() + 22
        while time.monotonic() < deadline:  # the turns run meanwhile; answers cannot leave
            time.sleep(0.5)
        assert all(len(user_texts(stack, c)) == len(QUESTIONS) for c in chats)
    finally:
        fake.start()
    fake.wait_for(lambda: all(len(fake.sent_messages(c)) >= len(QUESTIONS) for c in chats), timeout=90)
    settle(fake, chats)
    for chat in chats:
        assert user_texts(stack, chat) == QUESTIONS
        delivered_exactly_once_in_order(stack, fake, chat)


def test_seven_429s_in_a_row_delay_the_answer_but_do_not_drop_it(stack: Stack, fake: FakeTelegram) -> None:
    chat = new_chat()
    fake.fail_next("sendMessage", 429, retry_after=2, times=7)
    started = time.monotonic()
    post(stack, update(QUESTIONS[0], chat))
    fake.wait_for(lambda: fake.sent_messages(chat), timeout=90)
    assert time.monotonic() - started >= 14
    settle(fake, [chat])
    statuses = [c.status for c in fake.calls_to("sendMessage") if c.params.get("chat_id") == chat]
    assert statuses == [429] * 7 + [200]
    delivered_exactly_once_in_order(stack, fake, chat)
