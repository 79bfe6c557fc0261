"""Telegram end to end: the real Rasa server and action server (models/current.tar.gz)
receive webhook POSTs shaped exactly like Telegram's and answer through the fake Bot API
server on loopback. Nothing contacts api.telegram.org.

The 6,000-character answer is covered in tests/test_telegram_channel.py through the real
output channel and the fake server: no bot answer is that long.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
import requests
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import SECRET

from devtools.stack import Stack

pytestmark = pytest.mark.e2e

WEBHOOK_URL = "https://support.example.test/webhooks/telegram/webhook"
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def stack(start_stack: Any, fake: FakeTelegram) -> Stack:
    return start_stack(
        name="telegram",
        env={
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
            "TELEGRAM_MODE": "webhook",
        },
    )


def fresh(fixture: str, **overrides: Any) -> tuple[dict[str, Any], int]:
    """Fixture ``fixture`` with its own update id and chat, so tests never share state."""
    n = next(_ids)
    chat = -(1009000000000 + n) if fixture.startswith("group") else 900000000 + n
    update = load_update(fixture, update_id=600000000 + n, chat_id=chat, **overrides)
    return update, chat


def post(stack: Stack, update: dict[str, Any], secret: str | None = SECRET) -> requests.Response:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return requests.post(
        f"{stack.config.rasa_url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=10
    )


def user_turns(stack: Stack, chat: int) -> list[str]:
    events = stack.tracker(f"telegram:{chat}").get("events", [])
    return [e.get("text") for e in events if e.get("event") == "user"]


def settle(fake: FakeTelegram, chat: int, seconds: float = 3.0) -> list[dict[str, Any]]:
    """Messages to ``chat`` once nothing new arrived for ``seconds``."""
    count, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < seconds:
        now = len(fake.sent_messages(chat))
        if now != count:
            count, quiet_since = now, time.monotonic()
        time.sleep(0.1)
    return fake.sent_messages(chat)


def test_webhook_is_registered_with_the_secret_at_start_up(stack: Stack, fake: FakeTelegram):
    fake.wait_for(lambda: fake.webhook.get("url"), timeout=30)
    assert fake.webhook["url"] == WEBHOOK_URL
    assert fake.webhook["secret_token"] == SECRET
    health = requests.get(f"{stack.config.rasa_url}/webhooks/telegram/", timeout=5).json()
    assert health["status"] == "ok" and health["bot_username"] == fake.username


def test_chinese_faq_question_is_answered_in_chinese(stack: Stack, fake: FakeTelegram):
    update, chat = fresh("private_text_zh")
    assert post(stack, update).json() == {"status": "queued"}
    [answer] = fake.wait_for(lambda: fake.sent_messages(chat), timeout=60)
    assert "充值失败通常是操作不当或网络问题导致的" in answer["text"]
    assert "parse_mode" not in answer
    assert any(c.params.get("chat_id") == chat for c in fake.calls_to("sendChatAction"))


def test_buttons_are_an_inline_keyboard_and_a_press_is_handled(stack: Stack, fake: FakeTelegram):
    update, chat = fresh("private_text_zh", text="怎么注册Gopay钱包？")
    post(stack, update)
    [answer] = fake.wait_for(lambda: fake.sent_messages(chat), timeout=60)
    rows = answer["reply_markup"]["inline_keyboard"]
    buttons = {row[0]["text"]: row[0]["callback_data"] for row in rows}
    assert buttons["注册遇到问题"] == "/faq/register_problem"
    assert all(len(data.encode()) <= 64 for data in buttons.values())

    press, _ = fresh("callback_query")
    press["callback_query"]["message"]["chat"]["id"] = chat
    press["callback_query"]["from"]["id"] = chat
    press["callback_query"]["message"]["message_id"] = answer["message_id"]
    press["callback_query"]["id"] = f"cbq-{chat}"
    press["callback_query"]["data"] = buttons["注册遇到问题"]
    assert post(stack, press).status_code == 200
    fake.wait_for(lambda: len(fake.sent_messages(chat)) == 2, timeout=60)
    second = fake.sent_messages(chat)[1]["text"]
    assert "验证码" in second  # the registration-problem answer, still in Chinese
    answered = [c.params for c in fake.calls_to("answerCallbackQuery")]
    assert {"callback_query_id": f"cbq-{chat}"} in answered


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("private_text_en", "Hi, I'm the Gopay support assistant"), ("private_text_zh", "您好")],
)
def test_start_command_greets_in_the_users_telegram_language(
    stack: Stack, fake: FakeTelegram, fixture: str, expected: str
):
    # "/start" carries no language of its own: the reply follows Telegram's language_code.
    update, chat = fresh(fixture, text="/start")
    post(stack, update)
    [answer] = fake.wait_for(lambda: fake.sent_messages(chat), timeout=60)
    assert answer["text"].startswith(expected)


@pytest.mark.parametrize("secret", [None, "not-the-secret"])
def test_missing_or_wrong_secret_gets_403_and_no_processing(
    stack: Stack, fake: FakeTelegram, secret: str | None
):
    update, chat = fresh("private_text_zh")
    assert post(stack, update, secret=secret).status_code == 403
    assert settle(fake, chat, seconds=3) == []
    assert user_turns(stack, chat) == []


def test_same_update_twice_gives_one_reply_even_after_a_rasa_restart(stack: Stack, fake: FakeTelegram):
    update, chat = fresh("private_text_en")
    assert post(stack, update).json() == {"status": "queued"}
    assert post(stack, update).json() == {"status": "duplicate"}
    fake.wait_for(lambda: fake.sent_messages(chat), timeout=60)
    replies = settle(fake, chat)
    assert len(replies) == 1 and "Gopay" in replies[0]["text"]

    stack.stop("rasa")
    stack.start_rasa()
    assert post(stack, update).json() == {"status": "duplicate"}
    assert settle(fake, chat) == replies
    assert user_turns(stack, chat) == [update["message"]["text"]]


def test_429_is_waited_out_and_the_answer_sent_once(stack: Stack, fake: FakeTelegram):
    update, chat = fresh("private_text_zh")
    fake.fail_next("sendMessage", 429, retry_after=2)
    post(stack, update)
    fake.wait_for(lambda: fake.sent_messages(chat), timeout=60)
    calls = [c for c in fake.calls_to("sendMessage") if c.params.get("chat_id") == chat]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 2.0
    assert len(settle(fake, chat)) == 1


def test_sticker_gets_the_polite_reply(stack: Stack, fake: FakeTelegram):
    update, chat = fresh("sticker")
    post(stack, update)
    [reply] = fake.wait_for(lambda: fake.sent_messages(chat), timeout=30)
    assert reply["text"].startswith("抱歉，我目前只能阅读文字消息")


def test_group_message_not_addressed_is_ignored_but_a_mention_is_answered(stack: Stack, fake: FakeTelegram):
    quiet, group = fresh("group_not_addressed")
    assert post(stack, quiet).status_code == 200
    addressed = load_update("group_addressed", update_id=quiet["update_id"] + 100000, chat_id=group)
    post(stack, addressed)
    [answer] = fake.wait_for(lambda: fake.sent_messages(group), timeout=60)
    assert "充值失败" in answer["text"]
    assert len(settle(fake, group)) == 1  # only the addressed message was answered
    assert user_turns(stack, group) == ["充值失败了怎么办"]


def test_polling_mode_answers_a_message_queued_in_the_fake_server(stack: Stack, fake: FakeTelegram):
    env = stack.environment()
    env["TELEGRAM_MODE"] = "polling"
    relay = subprocess.Popen(
        [sys.executable, "-m", "channels.telegram.polling"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        update, chat = fresh("private_text_en")
        fake.queue_update(update)
        [answer] = fake.wait_for(lambda: fake.sent_messages(chat), timeout=60)
        assert "Gopay" in answer["text"]
        assert fake.calls_to("deleteWebhook")
    finally:
        os.killpg(relay.pid, signal.SIGTERM)
        output, _ = relay.communicate(timeout=20)
    log = output.decode(errors="replace")
    assert relay.returncode == 0, log
    assert fake.token not in log and update["message"]["text"] not in log
