"""Exactly-once in and out, inside the channel: the durable inbox before the 200, replies
through the durable outbox, against the fake Bot API server over real HTTP."""

from __future__ import annotations

import asyncio
import time

from support.telegram import EN_CHAT, ZH_CHAT, run
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import CoreRecorder, running_channel, telegram_settings

from channels.toolkit.inbox import Inbox
from channels.toolkit.outbox import DeliveryState
from gopay_support.adapters.db.database import Database


def test_an_update_recorded_before_a_crash_is_answered_once_after_the_restart(
    fake: FakeTelegram, db_url: str
) -> None:
    # What a crash right after the 200 leaves behind: the update is in the inbox, pending.
    update = load_update("private_text_zh", update_id=901)
    Inbox(Database(db_url)).record("telegram", f"telegram:{ZH_CHAT}", "901", update, sequence=901)
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            await bot.drain()  # replayed at start, without any new webhook call
            assert (await bot.post(update)).json() == {"status": "duplicate"}  # Telegram's re-delivery
            await bot.drain()

    run(scenario())
    assert [m.text for m in core.messages] == ["充值失败了怎么办"]
    assert [m["text"] for m in fake.sent_messages(ZH_CHAT)] == ["echo: 充值失败了怎么办"]


def test_updates_of_a_chat_are_processed_in_update_id_order_not_arrival_order(
    fake: FakeTelegram, db_url: str
) -> None:
    core = CoreRecorder()
    updates = [load_update("private_text_zh", update_id=950 + n, text=f"第{n}条") for n in range(3)]
    inbox = Inbox(Database(db_url))
    # Telegram re-delivered the first two late: the third arrived (and was recorded) first.
    for update in (updates[2], updates[0], updates[1]):
        inbox.record(
            "telegram", f"telegram:{ZH_CHAT}", str(update["update_id"]), update, sequence=update["update_id"]
        )

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            await bot.drain()

    run(scenario())
    assert [m.text for m in core.messages] == ["第0条", "第1条", "第2条"]
    assert [m["text"] for m in fake.sent_messages(ZH_CHAT)] == [f"echo: 第{n}条" for n in range(3)]


def test_a_double_tap_on_a_button_is_processed_once(fake: FakeTelegram, db_url: str) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            for n in range(2):  # two taps: two updates, two callback queries, one keyboard
                press = load_update("callback_query", update_id=1000 + n)
                press["callback_query"]["id"] = f"cbq-{n}"
                press["callback_query"]["data"] = "/faq/register_problem"
                assert (await bot.post(press)).json() == {"status": "queued"}
            await bot.drain()

    run(scenario())
    assert [m.text for m in core.messages] == ["/faq/register_problem"]
    assert len(fake.sent_messages(ZH_CHAT)) == 1
    # Both spinners stop; only the first press counts.
    assert {c.params["callback_query_id"] for c in fake.calls_to("answerCallbackQuery")} == {"cbq-0", "cbq-1"}


def test_replies_wait_out_a_bot_api_outage_and_arrive_once_in_order(fake: FakeTelegram, db_url: str) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            fake.stop()  # the Bot API is gone: connections are refused
            for n in range(3):
                await bot.post(load_update("private_text_en", update_id=1100 + n, text=f"question {n}"))
            await bot.drain(deliveries=False)
            await asyncio.sleep(6)  # more than the five tries over ~8 s the old sender made
            fake.start()
            await bot.drain(timeout=30)

    run(scenario(), timeout=90)
    assert [m["text"] for m in fake.sent_messages(EN_CHAT)] == [f"echo: question {n}" for n in range(3)]


def test_429s_are_waited_out_however_many_and_403_is_refused_without_blocking_the_chat(
    fake: FakeTelegram, db_url: str
) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            fake.fail_next("sendMessage", 429, retry_after=1, times=7)  # the old sender gave up after 5
            started = time.monotonic()
            await bot.post(load_update("private_text_zh", update_id=1200))
            await bot.drain(timeout=40)
            assert time.monotonic() - started >= 7
            fake.fail_next("sendMessage", 403)  # blocked by the user
            await bot.post(load_update("private_text_zh", update_id=1201, text="一"))
            await bot.post(load_update("private_text_zh", update_id=1202, text="二"))
            await bot.drain(timeout=20)
            states = await asyncio.to_thread(
                bot.channel.service.outbox.deliveries,
                [f"telegram:123456789:{u}:0" for u in (1200, 1201, 1202)],
            )
            return [states[f"telegram:123456789:{u}:0"].state for u in (1200, 1201, 1202)]

    states = run(scenario(), timeout=90)
    assert states == [DeliveryState.SENT, DeliveryState.REFUSED, DeliveryState.SENT]
    calls = [c.status for c in fake.calls_to("sendMessage")]
    assert calls == [429] * 7 + [200, 403, 200]
    assert [m["text"] for m in fake.sent_messages(ZH_CHAT)] == ["echo: 充值失败了怎么办", "echo: 二"]


def test_a_long_retry_after_is_honoured_not_dropped(fake: FakeTelegram, db_url: str) -> None:
    core = CoreRecorder()

    async def scenario() -> tuple[DeliveryState, float]:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            fake.fail_next("sendMessage", 429, retry_after=600)  # beyond the old 120 s limit
            await bot.post(load_update("private_text_zh", update_id=1300))
            await bot.drain(deliveries=False)
            service = bot.channel.service
            await fake.wait_for_async(lambda: fake.calls_to("sendMessage"))
            await asyncio.sleep(0.5)
            delivery = await asyncio.to_thread(service.outbox.delivery, "telegram:123456789:1300:0")
            wait = (delivery.next_attempt_at - delivery.created_at).total_seconds()
            return delivery.state, wait

    state, wait = run(scenario())
    assert state is DeliveryState.PENDING  # kept, to be sent when Telegram allows
    assert 590 <= wait <= 610
