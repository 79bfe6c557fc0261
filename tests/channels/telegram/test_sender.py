"""Every Bot API call under limits and faults, against the fake server."""

from __future__ import annotations

import time

from support.telegram import ZH_CHAT, closed_port, paced_sender, run
from support.telegram_fake import FakeTelegram
from telegram.error import NetworkError

from channels.telegram.sender import never_reached_telegram
from channels.telegram.service import make_bot
from channels.telegram.settings import TelegramSettings


def test_429_is_waited_out_and_the_message_sent_once(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    run(paced_sender(fake).send_message(ZH_CHAT, "您好"))
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 200]
    assert [m["text"] for m in fake.sent_messages()] == ["您好"]


def test_server_errors_are_retried_with_backoff(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 500, times=2)
    run(paced_sender(fake).send_message(ZH_CHAT, "您好"))
    assert [c.status for c in fake.calls_to("sendMessage")] == [500, 500, 200]
    assert len(fake.sent_messages()) == 1


def test_a_slow_answer_is_not_resent_so_no_duplicate(fake: FakeTelegram) -> None:
    fake.delay_next("sendMessage", 1.5)
    result = run(paced_sender(fake, read_timeout=0.3).send_message(ZH_CHAT, "只发一次"))
    assert result is None  # outcome unknown to the sender ...
    fake.wait_for(lambda: fake.sent_messages(), timeout=5)
    time.sleep(0.5)
    assert len(fake.calls_to("sendMessage")) == 1  # ... and it did not send it again


def test_connection_failures_are_known_not_to_have_reached_telegram() -> None:
    dead = TelegramSettings(
        bot_token="1:x", webhook_secret="s", api_base_url=f"http://127.0.0.1:{closed_port()}"
    )

    async def attempt() -> NetworkError:
        try:
            await make_bot(dead).send_message(1, "hi")
        except NetworkError as exc:
            return exc
        raise AssertionError("sending to a closed port succeeded")

    assert never_reached_telegram(run(attempt()))


def test_idempotent_calls_are_retried_after_server_errors(fake: FakeTelegram) -> None:
    fake.fail_next("answerCallbackQuery", 502, times=2)
    run(paced_sender(fake).answer_callback_query("cbq-1"))
    assert [c.status for c in fake.calls_to("answerCallbackQuery")] == [502, 502, 200]
