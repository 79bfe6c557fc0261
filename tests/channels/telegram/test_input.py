"""The Rasa input channel: configuration, start-up, identity and token safety."""

from __future__ import annotations

import asyncio
import time

import pytest
from support.telegram import GROUP_CHAT, closed_port, run
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import SECRET, CoreRecorder, running_channel, telegram_settings

from channels.telegram import identity
from channels.telegram.input import TelegramInput, disabled_reason
from channels.telegram.settings import TelegramSettings


def test_without_a_token_the_channel_loads_disabled_and_answers_503(db_url: str) -> None:
    assert disabled_reason(TelegramSettings()) == "TELEGRAM_BOT_TOKEN is not set"
    assert "SECRET" in disabled_reason(TelegramSettings(bot_token="1:a"))
    assert "TELEGRAM_MODE" in disabled_reason(
        TelegramSettings(bot_token="1:a", webhook_secret="s", mode="push")
    )
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(TelegramSettings(), db_url, core) as bot:
            reply = await bot.post(load_update("private_text_zh"))
            assert reply.status_code == 503
            assert reply.json() == {"status": "disabled", "reason": "TELEGRAM_BOT_TOKEN is not set"}
            health = await bot.client.get("/webhooks/telegram/")
            assert health.json()["status"] == "disabled"

    run(scenario())
    assert TelegramInput(TelegramSettings(), database_url=db_url).get_output_channel() is None


def test_webhook_is_registered_with_the_secret_after_telegram_comes_back(
    fake: FakeTelegram, db_url: str
) -> None:
    fake.fail_next("getMe", 502, times=2)
    url = "https://support.example.com/webhooks/telegram/webhook"

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake, webhook_url=url), db_url, CoreRecorder()) as bot:
            await fake.wait_for_async(lambda: fake.calls_to("setWebhook"), timeout=15)
            health = (await bot.client.get("/webhooks/telegram/")).json()
            assert health["webhook_registered"] and health["bot_username"] == fake.username

    run(scenario())
    assert [c.status for c in fake.calls_to("getMe")][:3] == [502, 502, 200]
    assert fake.webhook["url"] == url and fake.webhook["secret_token"] == SECRET
    assert fake.webhook["max_connections"] == 40


def test_start_up_neither_blocks_nor_fails_when_telegram_is_unreachable(db_url: str) -> None:
    dead = TelegramSettings(
        bot_token="123456789:x",
        webhook_secret=SECRET,
        api_base_url=f"http://127.0.0.1:{closed_port()}",
        webhook_url="https://support.example.com/hook",
    )
    core = CoreRecorder()

    async def scenario() -> None:
        started = time.monotonic()
        async with running_channel(dead, db_url, core) as bot:
            assert time.monotonic() - started < 5
            reply = await bot.post(load_update("private_text_zh"))
            assert reply.json() == {"status": "queued"}  # accepted even though Telegram is down
            await bot.drain(deliveries=False)
            # The answer waits in the outbox until Telegram is back.
            assert await asyncio.to_thread(bot.channel.service.outbox.pending_count) == 1

    run(scenario())
    assert len(core.messages) == 1


def test_sender_id_round_trip() -> None:
    assert identity.chat_id(identity.sender_id(GROUP_CHAT)) == GROUP_CHAT
    with pytest.raises(ValueError):
        identity.chat_id("rest-user")


def test_bot_token_never_appears_in_logs(fake: FakeTelegram, db_url: str, caplog) -> None:
    caplog.set_level("DEBUG")

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, CoreRecorder()) as bot:
            await bot.post(load_update("private_text_zh"))
            await bot.drain()

    run(scenario())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "sendMessage" in text or "telegram" in text
    assert fake.token not in text
    assert "充值失败了怎么办" not in text
