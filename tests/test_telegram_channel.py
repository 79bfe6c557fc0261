"""Telegram channel against a fake Bot API server on loopback.

The adapter runs for real (Sanic webhook, python-telegram-bot, SQLite ledger); only Rasa's
``on_new_message`` is replaced, by a recorder that answers through the output channel the
way Rasa core does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.error import NetworkError
from telegram_fake import FakeTelegram, load_update
from telegram_fake.harness import SECRET, CoreRecorder, running_channel, telegram_settings

from channels.telegram import identity
from channels.telegram.formatting import MAX_CALLBACK_DATA, inline_keyboard, split_text
from channels.telegram.input import TelegramInput, disabled_reason
from channels.telegram.polling import PollingRelay
from channels.telegram.ratelimit import RateLimiter
from channels.telegram.routing import (
    EDITED_MESSAGE,
    UNSUPPORTED_MEDIA,
    BotIdentity,
    Ignore,
    Reply,
    Turn,
    decide,
)
from channels.telegram.sender import RetryPolicy, TelegramSender, never_reached_telegram
from channels.telegram.service import make_bot
from channels.telegram.store import TelegramStore
from gopay_support.config import Settings, TelegramSettings

ZH_CHAT = 111111111
EN_CHAT = 222222222
GROUP_CHAT = -1001234567890
BOT = BotIdentity(123456789, "gopay_test_bot")


def run(coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))



@pytest.fixture(autouse=True)
def _clean_fake(fake: FakeTelegram) -> None:
    fake.reset()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


def parse(update: dict[str, Any]) -> Update:
    return Update.de_json(update, Bot("123456789:x"))


def long_answer() -> str:
    first = "第一段：" + "充值失败请先检查网络。" * 280  # ~3,084 characters
    second = "第二段：" + "如仍未到账请联系客服。" * 260  # ~2,864 characters
    return f"{first}\n\n{second}"


# --- routing: every fixture type gets a deliberate decision ---------------------------------
@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("private_text_zh", Turn),
        ("private_text_en", Turn),
        ("callback_query", Turn),
        ("sticker", Reply),
        ("photo", Reply),
        ("voice", Reply),
        ("location", Reply),
        ("edited_message", Reply),
        ("group_not_addressed", Ignore),
        ("group_addressed", Turn),
        ("group_reply_to_bot", Turn),
        ("group_command", Turn),
        ("channel_post", Ignore),
        ("unknown_type", Ignore),
    ],
)
def test_every_update_type_gets_a_decision(fixture: str, expected: type) -> None:
    assert isinstance(decide(parse(load_update(fixture)), BOT), expected)


def test_decisions_carry_what_the_bot_needs() -> None:
    zh = decide(parse(load_update("private_text_zh")), BOT)
    assert zh == Turn(ZH_CHAT, "充值失败了怎么办", "zh-hans", user_id=ZH_CHAT)
    media = decide(parse(load_update("voice")), BOT)
    assert media == Reply(EN_CHAT, UNSUPPORTED_MEDIA, "en")
    assert decide(parse(load_update("edited_message")), BOT).kind == EDITED_MESSAGE
    mention = decide(parse(load_update("group_addressed")), BOT)
    assert mention.text == "充值失败了怎么办" and mention.chat_id == GROUP_CHAT
    assert decide(parse(load_update("group_command")), BOT).text == "你好"
    assert decide(parse(load_update("private_text_en", text="/start")), BOT).text == "Hello"
    button = decide(parse(load_update("callback_query")), BOT)
    assert (button.text, button.callback_query_id, button.callback_message_id) == (
        "/faq/register_problem", "477232164716272930", 13)


def test_group_commands_for_other_bots_and_unknown_username_are_ignored() -> None:
    command = load_update("group_command")
    command["message"]["text"] = "/start@some_other_bot"
    assert isinstance(decide(parse(command), BOT), Ignore)
    # Before getMe answered, a mention cannot be recognised; a reply to the bot still can.
    anonymous = BotIdentity(BOT.id)
    assert isinstance(decide(parse(load_update("group_addressed")), anonymous), Ignore)
    assert isinstance(decide(parse(load_update("group_reply_to_bot")), anonymous), Turn)


def test_typed_intent_shortcuts_do_not_reach_rasa_as_intents() -> None:
    update = load_update("private_text_en", text='/human_handoff{"x": 1}')
    decision = decide(parse(update), BOT)
    assert isinstance(decision, Turn) and not decision.text.startswith("/")


# --- formatting --------------------------------------------------------------------------------
def test_long_text_is_split_on_the_paragraph_boundary_in_order() -> None:
    text = long_answer()
    parts = split_text(text)
    assert len(parts) == 2
    assert all(len(p) <= 4096 for p in parts)
    assert parts == text.split("\n\n")


def test_paragraph_longer_than_the_limit_is_cut_without_losing_text() -> None:
    text = "x" * 9000
    parts = split_text(text)
    assert [len(p) for p in parts] == [4096, 4096, 808]
    assert "".join(parts) == text
    emoji = "😀" * 2100  # 4,200 UTF-16 units: Telegram counts each emoji twice
    assert [len(p) for p in split_text(emoji)] == [2048, 52]


def test_long_button_payloads_are_mapped_to_short_keys(db_url: str) -> None:
    store = TelegramStore.from_url(db_url, BOT.id)
    store.create_tables()
    long_payload = '/open_ticket{"category": "topup_failed", "note": "' + "长" * 40 + '"}'
    buttons = [{"title": "提交工单", "payload": long_payload},
               {"title": "转人工客服", "payload": "/human_handoff"}]
    keyboard = run(inline_keyboard(buttons, store.put_payload))
    data = [row[0].callback_data for row in keyboard.inline_keyboard]
    assert data[1] == "/human_handoff"
    assert len(data[0].encode()) <= MAX_CALLBACK_DATA
    # The key survives a restart: a fresh store on the same database resolves it.
    assert TelegramStore.from_url(db_url, BOT.id).get_payload_sync(data[0]) == long_payload


def test_processed_updates_are_remembered_across_restarts(db_url: str) -> None:
    store = TelegramStore.from_url(db_url, BOT.id)
    store.create_tables()
    assert store.claim_update_sync(42) is True
    assert store.claim_update_sync(42) is False
    store.dispose()
    again = TelegramStore.from_url(db_url, BOT.id)
    assert again.claim_update_sync(42) is False
    assert TelegramStore.from_url(db_url, 987).claim_update_sync(42) is True  # other bot


# --- sender: limits and faults against the fake server ---------------------------------------
def _sender(fake: FakeTelegram, read_timeout: float = 5.0, **limits: float) -> TelegramSender:
    config = telegram_settings(fake)
    return TelegramSender(
        make_bot(config, read_timeout=read_timeout),
        RateLimiter(limits.get("chat_interval", 0.0), limits.get("global_rate", 1000.0)),
        RetryPolicy(first_backoff=0.05),
    )


def test_429_is_waited_out_and_the_message_sent_once(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    run(_sender(fake).send_message(ZH_CHAT, "您好"))
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 200]
    assert [m["text"] for m in fake.sent_messages()] == ["您好"]


def test_server_errors_are_retried_with_backoff(fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 500, times=2)
    run(_sender(fake).send_message(ZH_CHAT, "您好"))
    assert [c.status for c in fake.calls_to("sendMessage")] == [500, 500, 200]
    assert len(fake.sent_messages()) == 1


def test_a_slow_answer_is_not_resent_so_no_duplicate(fake: FakeTelegram) -> None:
    fake.delay_next("sendMessage", 1.5)
    result = run(_sender(fake, read_timeout=0.3).send_message(ZH_CHAT, "只发一次"))
    assert result is None  # outcome unknown to the sender ...
    fake.wait_for(lambda: fake.sent_messages(), timeout=5)
    time.sleep(0.5)
    assert len(fake.calls_to("sendMessage")) == 1  # ... and it did not send it again


def test_connection_failures_are_known_not_to_have_reached_telegram() -> None:
    dead = TelegramSettings(bot_token="1:x", webhook_secret="s",
                            api_base_url=f"http://127.0.0.1:{_closed_port()}")

    async def attempt() -> NetworkError:
        try:
            await make_bot(dead).send_message(1, "hi")
        except NetworkError as exc:
            return exc
        raise AssertionError("sending to a closed port succeeded")

    assert never_reached_telegram(run(attempt()))


def test_messages_to_one_chat_are_paced_but_other_chats_are_not_held_up(
    fake: FakeTelegram,
) -> None:
    sender = _sender(fake, chat_interval=0.4)

    async def burst() -> None:
        await asyncio.gather(
            sender.send_message(ZH_CHAT, "1"), sender.send_message(ZH_CHAT, "2"),
            sender.send_message(ZH_CHAT, "3"), sender.send_message(EN_CHAT, "a"),
        )

    run(burst())
    times = [c.at for c in fake.calls_to("sendMessage") if c.params["chat_id"] == ZH_CHAT]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 3 and min(gaps) >= 0.35
    other = [c.at for c in fake.calls_to("sendMessage") if c.params["chat_id"] == EN_CHAT]
    assert other[0] - times[0] < 0.3


def test_global_rate_limit_spreads_a_burst_over_time(fake: FakeTelegram) -> None:
    sender = _sender(fake, global_rate=5)

    async def burst() -> None:
        await asyncio.gather(*(sender.send_message(1000 + i, "x") for i in range(10)))

    started = time.monotonic()
    run(burst())
    assert len(fake.sent_messages()) == 10
    assert time.monotonic() - started >= 0.9


# --- the webhook and the background processing -----------------------------------------------
def test_private_message_reaches_rasa_with_identity_and_language(
    fake: FakeTelegram, db_url: str
) -> None:
    core = CoreRecorder(delay=0.3)  # Rasa "thinking"

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            reply = await bot.post(load_update("private_text_zh"))
            assert reply.status_code == 200 and reply.json() == {"status": "queued"}
            await bot.drain()

    run(scenario())
    [message] = core.messages
    assert message.sender_id == f"telegram:{ZH_CHAT}"
    assert message.input_channel == "telegram"
    assert message.metadata["language"] == "zh-hans"  # read by the NLU's LanguageExtractor
    assert [m["text"] for m in fake.sent_messages(ZH_CHAT)] == ["echo: 充值失败了怎么办"]
    methods = [c.method for c in fake.calls if c.method in ("sendChatAction", "sendMessage")]
    assert methods[0] == "sendChatAction"  # "typing…" while Rasa works
    assert all("parse_mode" not in m for m in fake.sent_messages())


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_missing_or_wrong_secret_is_403_and_not_processed(
    fake: FakeTelegram, db_url: str, secret: str | None
) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            update = load_update("private_text_zh")
            assert (await bot.post(update, secret=secret)).status_code == 403
            await bot.drain()
            assert core.messages == [] and fake.sent_messages() == []
            # Rejected updates are not remembered: Telegram's genuine delivery still works.
            assert (await bot.post(update)).json() == {"status": "queued"}
            await bot.drain()

    run(scenario())
    assert len(core.messages) == 1


def test_same_update_twice_gives_one_reply_even_after_a_restart(
    fake: FakeTelegram, db_url: str
) -> None:
    core = CoreRecorder()
    update = load_update("private_text_en")

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            assert (await bot.post(update)).json() == {"status": "queued"}
            assert (await bot.post(update)).json() == {"status": "duplicate"}
            await bot.drain()
        async with running_channel(telegram_settings(fake), db_url, core) as restarted:
            assert (await restarted.post(update)).json() == {"status": "duplicate"}
            await restarted.drain()

    run(scenario())
    assert len(core.messages) == 1
    assert len(fake.sent_messages(EN_CHAT)) == 1


def test_webhook_answers_before_processing_and_keeps_each_chat_in_order(
    fake: FakeTelegram, db_url: str
) -> None:
    core = CoreRecorder(delay=1.0)

    async def scenario() -> float:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            started = time.monotonic()
            for n in range(3):
                update = load_update("private_text_zh", update_id=700 + n, text=f"第{n}条")
                assert (await bot.post(update)).status_code == 200
            answered_in = time.monotonic() - started
            await bot.drain()
            return answered_in

    assert run(scenario()) < 1.0  # three answers before even the first turn finished
    assert [m.text for m in core.messages] == ["第0条", "第1条", "第2条"]
    assert [m["text"] for m in fake.sent_messages()] == [f"echo: 第{n}条" for n in range(3)]


def test_buttons_become_an_inline_keyboard_and_a_press_is_the_users_choice(
    fake: FakeTelegram, db_url: str
) -> None:
    long_payload = '/open_ticket{"category": "withdraw_delayed", "detail": "' + "x" * 60 + '"}'

    def answer(message: Any) -> list[dict[str, Any]]:
        return [{"text": "请选择：", "buttons": [
            {"title": "注册遇到问题", "payload": "/faq/register_problem"},
            {"title": "提交工单", "payload": long_payload},
        ]}]

    core = CoreRecorder(answer=answer)

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            await bot.post(load_update("private_text_zh"))
            await bot.drain()
            [sent] = fake.sent_messages()
            rows = sent["reply_markup"]["inline_keyboard"]
            assert [r[0]["text"] for r in rows] == ["注册遇到问题", "提交工单"]
            datas = [r[0]["callback_data"] for r in rows]
            assert datas[0] == "/faq/register_problem"
            assert all(len(d.encode()) <= 64 for d in datas)
            press = load_update("callback_query", update_id=800)
            press["callback_query"]["data"] = datas[1]
            press["callback_query"]["message"]["message_id"] = sent["message_id"]
            assert (await bot.post(press)).status_code == 200
            await bot.drain()

    run(scenario())
    assert core.messages[-1].text == long_payload
    assert core.messages[-1].sender_id == f"telegram:{ZH_CHAT}"
    [answered] = fake.calls_to("answerCallbackQuery")
    assert answered.params["callback_query_id"] == "477232164716272930"
    [edit] = fake.calls_to("editMessageReplyMarkup")
    assert edit.params["message_id"] == fake.sent_messages()[0]["message_id"]


@pytest.mark.parametrize(
    ("fixture", "chat", "expected"),
    [
        ("sticker", ZH_CHAT, "抱歉，我目前只能阅读文字消息"),
        ("photo", ZH_CHAT, "抱歉，我目前只能阅读文字消息"),
        ("voice", EN_CHAT, "Sorry, I can only read text messages"),
        ("location", ZH_CHAT, "抱歉，我目前只能阅读文字消息"),
        ("edited_message", ZH_CHAT, "我无法处理修改过的消息"),
    ],
)
def test_non_text_updates_get_a_polite_reply_without_rasa(
    fake: FakeTelegram, db_url: str, fixture: str, chat: int, expected: str
) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            assert (await bot.post(load_update(fixture))).status_code == 200
            await bot.drain()

    run(scenario())
    assert core.messages == []
    [reply] = fake.sent_messages(chat)
    assert reply["text"].startswith(expected)


@pytest.mark.parametrize("fixture", ["group_not_addressed", "channel_post", "unknown_type"])
def test_unaddressed_group_messages_and_other_updates_are_ignored(
    fake: FakeTelegram, db_url: str, fixture: str
) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            assert (await bot.post(load_update(fixture))).status_code == 200
            await bot.drain()

    run(scenario())
    assert core.messages == [] and fake.sent_messages() == []


def test_group_message_addressed_to_the_bot_is_answered(fake: FakeTelegram, db_url: str) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            await bot.post(load_update("group_addressed"))
            await bot.drain()

    run(scenario())
    [message] = core.messages
    assert message.text == "充值失败了怎么办"
    assert message.sender_id == f"telegram:{GROUP_CHAT}"
    assert [m["chat_id"] for m in fake.sent_messages()] == [GROUP_CHAT]


def test_a_6000_character_answer_arrives_in_order_as_two_messages(
    fake: FakeTelegram, db_url: str
) -> None:
    text = long_answer()
    core = CoreRecorder(answer=lambda _m: [{"text": text}])

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake, chat_interval=0.2), db_url,
                                   core) as bot:
            await bot.post(load_update("private_text_zh"))
            await bot.drain()

    run(scenario())
    sent = [m["text"] for m in fake.sent_messages(ZH_CHAT)]
    assert len(sent) == 2 and "\n\n".join(sent) == text
    assert sent[0].startswith("第一段") and sent[1].startswith("第二段")


def test_bad_bodies_get_400_not_500(fake: FakeTelegram, db_url: str) -> None:
    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, CoreRecorder()) as bot:
            assert (await bot.post(None, raw=b"{not json")).status_code == 400
            assert (await bot.post({"no": "update_id"})).status_code == 400
            bad = {"update_id": 5, "message": {"chat": "not an object"}}
            assert (await bot.post(bad)).status_code == 400

    run(scenario())


# --- configuration and start-up -------------------------------------------------------------
def test_without_a_token_the_channel_loads_disabled_and_answers_503(db_url: str) -> None:
    assert disabled_reason(TelegramSettings()) == "TELEGRAM_BOT_TOKEN is not set"
    assert "SECRET" in disabled_reason(TelegramSettings(bot_token="1:a"))
    assert "TELEGRAM_MODE" in disabled_reason(
        TelegramSettings(bot_token="1:a", webhook_secret="s", mode="push"))
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(TelegramSettings(), db_url, core) as bot:
            reply = await bot.post(load_update("private_text_zh"))
            assert reply.status_code == 503
            assert reply.json() == {"status": "disabled",
                                    "reason": "TELEGRAM_BOT_TOKEN is not set"}
            health = await bot.client.get("/webhooks/telegram/")
            assert health.json()["status"] == "disabled"

    run(scenario())
    assert TelegramInput(Settings(tickets_db_url=db_url)).get_output_channel() is None


def test_webhook_is_registered_with_the_secret_after_telegram_comes_back(
    fake: FakeTelegram, db_url: str
) -> None:
    fake.fail_next("getMe", 502, times=2)
    url = "https://support.example.com/webhooks/telegram/webhook"

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake, webhook_url=url), db_url,
                                   CoreRecorder()) as bot:
            await fake.wait_for_async(lambda: fake.calls_to("setWebhook"), timeout=15)
            health = (await bot.client.get("/webhooks/telegram/")).json()
            assert health["webhook_registered"] and health["bot_username"] == fake.username

    run(scenario())
    assert [c.status for c in fake.calls_to("getMe")][:3] == [502, 502, 200]
    assert fake.webhook["url"] == url and fake.webhook["secret_token"] == SECRET


def test_start_up_neither_blocks_nor_fails_when_telegram_is_unreachable(db_url: str) -> None:
    dead = TelegramSettings(bot_token="123456789:x", webhook_secret=SECRET,
                            api_base_url=f"http://127.0.0.1:{_closed_port()}",
                            webhook_url="https://support.example.com/hook")
    core = CoreRecorder()

    async def scenario() -> None:
        started = time.monotonic()
        async with running_channel(dead, db_url, core) as bot:
            assert time.monotonic() - started < 5
            reply = await bot.post(load_update("private_text_zh"))
            assert reply.json() == {"status": "queued"}  # accepted even though Telegram is down
            await bot.drain()

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


# --- polling mode -----------------------------------------------------------------------------
def test_polling_relay_feeds_the_same_handler_and_confirms_updates(
    fake: FakeTelegram, db_url: str
) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake, mode="polling"), db_url,
                                   core) as bot:
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


def _closed_port() -> int:
    from telegram_fake.harness import free_port

    return free_port()


def test_fixtures_are_valid_json_updates() -> None:
    from telegram_fake.fixtures import FIXTURES

    names = sorted(p.stem for p in FIXTURES.glob("*.json"))
    assert len(names) >= 11
    for name in names:
        assert isinstance(json.loads((FIXTURES / f"{name}.json").read_text())["update_id"], int)


def test_pressing_an_unknown_button_key_is_answered_but_not_sent_to_rasa(
    fake: FakeTelegram, db_url: str
) -> None:
    core = CoreRecorder()

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            press = load_update("callback_query", update_id=810)
            press["callback_query"]["data"] = "k:no-such-key"
            assert (await bot.post(press)).status_code == 200
            await bot.drain()

    run(scenario())
    assert core.messages == []
    assert len(fake.calls_to("answerCallbackQuery")) == 1


def test_images_are_sent_as_photos_and_unknown_commands_get_a_hint(
    fake: FakeTelegram, db_url: str
) -> None:
    core = CoreRecorder(answer=lambda _m: [{"image": "https://example.com/qr.png"}])

    async def scenario() -> None:
        async with running_channel(telegram_settings(fake), db_url, core) as bot:
            await bot.post(load_update("private_text_zh"))
            await bot.post(load_update("private_text_zh", update_id=820, text="/foo"))
            await bot.drain()

    run(scenario())
    [photo] = fake.calls_to("sendPhoto")
    assert photo.params["photo"] == "https://example.com/qr.png"
    [hint] = fake.sent_messages(ZH_CHAT)
    assert hint["text"].startswith("抱歉，我不认识这个命令")
    assert len(core.messages) == 1


def test_idempotent_calls_are_retried_after_server_errors(fake: FakeTelegram) -> None:
    fake.fail_next("answerCallbackQuery", 502, times=2)
    run(_sender(fake).answer_callback_query("cbq-1"))
    assert [c.status for c in fake.calls_to("answerCallbackQuery")] == [502, 502, 200]
