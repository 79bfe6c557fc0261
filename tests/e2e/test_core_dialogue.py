"""The core assistant end to end: real action server and Rasa server, REST channel.

Utterances here are new (neither training nor held-out data) and written the way users
type; answers are checked against the seed-based responses of domain/faq.yml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml
from support.replies import texts

pytestmark = pytest.mark.e2e

FAQ = yaml.safe_load((Path(__file__).parents[2] / "domain" / "faq.yml").read_text())["responses"]

QUESTIONS = {
    "register": ("新用户咋注册gopay啊", "how do i make a new gopay wallet"),
    "register_problem": ("注册到一半验证码死活收不到", "signing up but the otp text never shows up"),
    "login_problem": ("密码忘了 账号也被锁了", "locked out of my account after wrong password"),
    "topup_failed": ("刚充了200块显示失败 钱呢", "topped up 50 dollars it says failed"),
    "withdraw_delayed": ("提现到银行卡一直显示处理中", "cash out to my bank still processing since monday"),
    "account_security": ("怎么设置才能让账号更安全", "tips to protect my wallet account"),
    "refund_failed": ("商家说退了但我没收到退款", "merchant refunded me but nothing arrived"),
    "privacy": ("我的个人资料你们会泄露吗", "what do you do with my personal information"),
    "service_hours": ("客服周末上班吗", "is support open on weekends"),
    "contact_channels": ("有客服热线吗", "is there a phone number for support"),
    "contact_email": ("客服邮箱是多少", "whats the support email address"),
    "ticket_process": ("提交问题后多久能处理好", "after i report an issue how long until it is fixed"),
    "contact_tips": ("怎么才能让客服快点解决我的问题", "any tips to get my problem solved quicker"),
    "is_it_safe": ("gopay靠谱吗 会不会被骗", "is it safe to keep money in gopay"),
}


def _variation(topic: str, lang: str) -> dict:
    variations = FAQ[f"utter_faq/{topic}"]
    if lang == "en":
        return next(v for v in variations if v.get("condition"))
    return next(v for v in variations if not v.get("condition"))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("topic", sorted(QUESTIONS))
def test_every_faq_topic_is_answered_in_the_language_of_the_question(bot, sender, topic, lang):
    question = QUESTIONS[topic][0 if lang == "zh" else 1]
    replies = bot.send(sender, question)
    expected = _variation(topic, lang)
    first_line = expected["text"].splitlines()[0].split("{")[0]
    assert first_line in texts(replies), f"{question!r} did not get the {topic} answer"
    titles = [b["title"] for r in replies for b in r.get("buttons", [])]
    assert titles == [b["title"] for b in expected.get("buttons", [])]


def test_contact_details_come_from_configuration(start_stack, sender):
    stack = start_stack(
        env={"GOPAY_SUPPORT_PHONE": "+00 TEST 0000", "GOPAY_SUPPORT_EMAIL": "help@test.invalid"},
        name="contacts",
    )
    reply = texts(stack.send(sender, "how can i reach customer support"))
    assert "+00 TEST 0000" in reply
    reply = texts(stack.send(sender, "客服邮箱是多少"))
    assert "help@test.invalid" in reply
    assert "{" not in reply


def test_reply_language_switches_per_message(bot, sender):
    assert "Gopay" in texts(bot.send(sender, "hello"))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts(bot.send(sender, "退款失败怎么办")))
    english = texts(bot.send(sender, "my refund failed"))
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in english)
    # A message with no language signal keeps the conversation's language.
    emoji = texts(bot.send(sender, "😀"))
    assert emoji and not any("\u4e00" <= ch <= "\u9fff" for ch in emoji)


def test_client_language_hint_used_for_buttons(bot, sender):
    reply = texts(bot.send(sender, "/faq/account_security", metadata={"language": "en"}))
    assert _variation("account_security", "en")["text"].splitlines()[0] in reply


def test_small_talk_both_languages(bot, sender):
    assert "智能客服" in texts(bot.send(sender, "你好呀"))
    assert "virtual assistant" in texts(bot.send(sender, "am i chatting with a robot"))
    assert "不客气" in texts(bot.send(sender, "多谢啦"))
    assert "Goodbye" in texts(bot.send(sender, "ok bye for now"))


def test_out_of_scope_says_what_the_assistant_can_do(bot, sender):
    assert "超出了我的服务范围" in texts(bot.send(sender, "帮我订一张去上海的机票"))
    assert "outside what I can help with" in texts(bot.send(sender, "who will win the world cup"))


def test_account_compromised_gives_safety_steps_first(bot, sender):
    replies = bot.send(sender, "有人盗了我的号还转走了钱")
    reply = texts(replies)
    for step in ("修改密码", "二次验证", "交易记录"):
        assert step in reply
    # Then the escalation (issue 6); no agent is logged in to this stack's console, so the
    # bot says so and offers a ticket instead (tests/e2e/test_handoff_e2e.py: with agents).
    assert reply.index("修改密码") < reply.index("暂时没有可接待的人工客服")
    assert any(b["payload"] == "/open_ticket" for r in replies for b in r.get("buttons", []))


def test_low_confidence_clarifies_then_helps(bot, sender):
    first = bot.send(sender, "我的钱")
    buttons = [b for r in first for b in r.get("buttons", [])]
    assert 2 <= len(buttons) <= 4 and buttons[-1]["payload"] == "/out_of_scope"
    second = texts(bot.send(sender, "help with money"))
    assert "my top-up failed" in second  # the seed 5.2 hint on describing problems clearly


@pytest.mark.parametrize(
    "text",
    [
        "😀😀😀",
        "x" * 2000,
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "充值 failed 了 ??? 123",
        "\u200b\u200b",
        "ＧＯＰＡＹ？！",
    ],
)
def test_bad_input_gets_a_reply_not_an_error(bot, sender, text):
    replies = bot.send(sender, text)
    assert replies, f"no reply to {text[:20]!r}"
    assert all("Traceback" not in r.get("text", "") for r in replies)


@pytest.mark.parametrize(("text", "status"), [("", 400), ("   ", 400), ("x" * 2001, 413)])
def test_empty_or_over_long_rest_messages_are_a_clear_4xx(bot, sender, text, status):
    response = requests.post(
        f"{bot.config.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=10
    )
    assert response.status_code == status
    assert "message" in response.json()["error"]


def test_script_tags_are_not_answered_as_an_faq(bot, sender):
    reply = texts(bot.send(sender, "<script>alert(1)</script>"))
    assert "password" not in reply.lower()


def test_malformed_json_is_a_clear_400(bot):
    response = requests.post(
        f"{bot.config.rasa_url}/webhooks/rest/webhook",
        data="{bad json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_parse_reports_the_label_contract(bot):
    parsed = bot.parse("我的提现还没到账 单号gp-4m8z p1rt")
    assert parsed["intent"]["name"] in {"faq", "ticket_status"}
    assert {"entity": "ticket_id", "value": "GP-4M8ZP1RT"}.items() <= parsed["entities"][0].items()
    faq = bot.parse("how to sign up for gopay")
    assert faq["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/register"
