"""Routing: every kind of update gets a deliberate decision."""

from __future__ import annotations

import json

import pytest
from support.telegram import BOT, EN_CHAT, GROUP_CHAT, ZH_CHAT, parse
from support.telegram_fake import load_update

from channels.telegram.routing import (
    EDITED_MESSAGE,
    UNSUPPORTED_MEDIA,
    BotIdentity,
    Ignore,
    Reply,
    Turn,
    decide,
)


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
        "/faq/register_problem",
        "477232164716272930",
        13,
    )


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


def test_fixtures_are_valid_json_updates() -> None:
    from support.telegram_fake.fixtures import FIXTURES

    names = sorted(p.stem for p in FIXTURES.glob("*.json"))
    assert len(names) >= 11
    for name in names:
        assert isinstance(json.loads((FIXTURES / f"{name}.json").read_text())["update_id"], int)
