"""The bot's messages as one mail: numbered options across the mail, links, the hint; and
the Rasa output channels that collect a turn or deliver a message from outside a turn."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from channels.email.options import HINTS, Option, choose
from channels.email.output import BotMessage, EmailOutput, TurnCollector, mail_body
from gopay_support.core.handoff.transcript import AGENT_KEY


def test_options_are_numbered_across_the_whole_mail_and_chosen_back() -> None:
    messages = [
        BotMessage("您想咨询哪个问题？", ({"title": "充值失败", "payload": "/faq_topup"},)),
        BotMessage(
            "或者：",
            (
                {"title": "转人工客服", "payload": "/human_handoff"},
                {"title": "官网", "url": "https://gopay.example"},
            ),
        ),
    ]
    body = mail_body(messages, "zh")
    assert body.options == (Option(1, "充值失败", "/faq_topup"), Option(2, "转人工客服", "/human_handoff"))
    assert "1. 充值失败" in body.text and "2. 转人工客服" in body.text
    assert "官网: https://gopay.example" in body.text
    assert body.text.endswith(HINTS["zh"])
    assert choose("2", body.options) == "/human_handoff"


def test_a_mail_without_buttons_has_no_hint() -> None:
    body = mail_body([BotMessage("Support is available around the clock.")], "en")
    assert body == type(body)("Support is available around the clock.", ())


def test_rasa_messages_keep_text_custom_text_images_and_the_agent() -> None:
    message = BotMessage.from_rasa(
        {
            "text": "Hello",
            "custom": {"text": "more", "payload": "widget only"},
            "image": "https://gopay.example/a.png",
            "quick_replies": [{"title": "Yes", "payload": "/affirm"}],
            "utter_action": "utter_greet",
            AGENT_KEY: "alice",
        }
    )
    assert message.text == "Hello\n\nmore\n\nhttps://gopay.example/a.png"
    assert message.buttons == ({"title": "Yes", "payload": "/affirm"},)
    assert message.response == "utter_greet" and message.agent == "alice"
    assert BotMessage.from_rasa({"custom": {"payload": "x"}}).empty


def test_the_turn_collector_and_the_output_channel_are_named_email() -> None:
    collector = TurnCollector()
    asyncio.run(
        collector.send_response(
            "email:email-a", {"text": "one", "buttons": [{"title": "A", "payload": "/a"}]}
        )
    )
    asyncio.run(collector.send_text_message("email:email-a", "two"))
    assert [m.text for m in collector.messages] == ["one", "two"]
    assert TurnCollector.name() == EmailOutput.name() == "email"

    delivered: list[tuple[str, Sequence[BotMessage]]] = []

    async def deliver(recipient: str, messages: Sequence[BotMessage]) -> None:
        delivered.append((recipient, messages))

    output = EmailOutput(deliver)
    asyncio.run(output.send_response("email:email-a", {"text": "Your ticket is in progress."}))
    asyncio.run(output.send_response("email:email-a", {"custom": {"payload": "no text"}}))
    assert [(r, [m.text for m in ms]) for r, ms in delivered] == [
        ("email:email-a", ["Your ticket is in progress."])
    ]
