"""Polling mode: the relay feeds the same handler as the webhook."""

from __future__ import annotations

import asyncio

from support.telegram import ZH_CHAT, run
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import CoreRecorder, running_channel, telegram_settings

from channels.telegram.polling import PollingRelay


def test_polling_relay_feeds_the_same_handler_and_confirms_updates(fake: FakeTelegram, db_url: str) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake, mode="polling"), db_url, core) as bot:
            relay = PollingRelay(telegram_settings(fake), bot.url, poll_timeout=1, backoff=0.1)
            task = asyncio.create_task(relay.run())
            update = load_update("private_text_zh", update_id=900)
            fake.queue_update(update)
            await fake.wait_for_async(lambda: fake.sent_messages(ZH_CHAT), timeout=15)
            fake.queue_update(load_update("sticker", update_id=901))
            await fake.wait_for_async(lambda: len(fake.sent_messages(ZH_CHAT)) == 2, timeout=15)
            relay.stop()
            await task
            assert relay.offset == 902  # both updates confirmed

    run(scenario())
    assert fake.calls_to("deleteWebhook")
    assert not fake.calls_to("setWebhook")  # polling mode never registers a webhook
    assert [m.text for m in core.messages] == ["充值失败了怎么办"]
    offsets = [c.params.get("offset") for c in fake.calls_to("getUpdates")]
    assert 901 in offsets  # update 900 was confirmed only after Rasa accepted it
