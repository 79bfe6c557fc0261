"""Human handoff end to end: real action server, Rasa server and agent console processes,
the web chat widget and the agent console in headless Chromium, and a Telegram user through
the fake Bot API server. Nothing leaves loopback.

Screenshots of the console land in reports/screenshots/console-*.png.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect
from support.console_agent import PASSWORDS, ApiAgent, browser_fixture, new_context_fixture  # noqa: F401
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import SECRET

from console.passwords import hash_password
from devtools.stack import Stack
from gopay_support.wiring import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOTS = PROJECT_ROOT / "reports" / "screenshots"
TURN_MS = 60_000
_ids = itertools.count(1)
_VISIBLE_TEXT = """node => [...node.childNodes]
    .filter(child => !(child.classList && child.classList.contains("gc-visually-hidden")))
    .map(child => child.textContent)
    .join("")"""


@pytest.fixture(scope="module")
def stack(start_stack: Any, fake: FakeTelegram) -> Stack:
    agents = ",".join(f"{n}:{hash_password(p)}" for n, p in PASSWORDS.items())
    return start_stack(
        name="handoff",
        env={
            "GOPAY_AGENTS": agents,
            "GOPAY_SUPPORT_PHONE": "400-820-0000",
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_MODE": "polling",  # no setWebhook; updates are POSTed to the webhook here
            "TELEGRAM_CHAT_INTERVAL": "0",
        },
    )


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)


_BUBBLES = ".gc-bot .gc-bubble, .gc-agent .gc-bubble"


def bot_texts(widget: Page) -> list[str]:
    """Bot and agent bubble texts without the screen-reader label ("Gopay 客服: ")."""
    return [bubble.evaluate(_VISIBLE_TEXT) for bubble in widget.locator(_BUBBLES).all()]


def wait_bot_text(widget: Page, pattern: str) -> None:
    expect(widget.locator(_BUBBLES, has_text=re.compile(pattern)).last).to_be_visible(timeout=TURN_MS)


def say(widget: Page, text: str) -> None:
    widget.locator("#gc-input").fill(text)
    widget.locator("#gc-input").press("Enter")
    # Delivered: "sent", or acknowledged for the agent queue / the agent (issue 14).
    delivered = ".gc-status-sent, .gc-status-queuedAck, .gc-status-agentAck"
    expect(widget.locator(".gc-user").last.locator(delivered)).to_be_visible(timeout=TURN_MS)


def test_web_widget_user_is_served_by_an_agent_and_rates_it(stack: Stack, new_context):
    bob = ApiAgent(stack, "bob")  # on duty, so the queue is open
    assert bob.get("/api/me")["agent"] == "bob"
    user_context = new_context(locale="zh-CN")
    widget = user_context.new_page()
    widget.goto(f"{stack.config.rasa_url}/webchat/")
    expect(widget.locator("#gopay-chat")).to_have_attribute("data-state", "online", timeout=30_000)
    say(widget, "我要转人工客服")
    wait_bot_text(widget, "排在第 1 位")
    queued = "\n".join(bot_texts(widget))
    assert re.search(r"预计等待约 \d+ 分钟", queued) and re.search(r"GP-[0-9A-Z]{8}", queued)

    # -- the agent logs in and finds the conversation in the queue ---------------------------
    agent_context = new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    console = agent_context.new_page()
    errors: list[str] = []
    console.on("pageerror", lambda e: errors.append(str(e)))
    console.goto(stack.config.console_url + "/")
    expect(console.locator("#login-form")).to_be_visible()
    shot(console, "login")
    console.fill("#login-agent", "alice")
    console.fill("#login-password", PASSWORDS["alice"])
    console.click("#login-submit")
    row = console.locator("#queue-body li[data-status='waiting']", has_text="我要转人工客服")
    expect(row).to_be_visible(timeout=10_000)
    expect(row.locator(".last")).to_have_text("我要转人工客服")
    shot(console, "queue")
    row.click()
    console.click("#claim")
    expect(console.locator("#owner-tools")).to_be_visible(timeout=10_000)
    expect(console.locator("#conv-ticket")).to_contain_text("GP-")
    expect(console.locator("#conv-status")).to_have_attribute("data-status", "active")
    expect(console.locator("#conv-status")).to_contain_text("(alice)")

    # -- replies reach the widget, in order ---------------------------------------------------
    for text in ("您好，我是客服小李。", "请问是哪一笔退款没有到账？"):
        console.fill("#reply-text", text)
        console.press("#reply-text", "Enter")
        expect(console.locator("#reply-send")).to_be_enabled()
    wait_bot_text(widget, "请问是哪一笔退款没有到账")
    texts = bot_texts(widget)
    assert texts.index("您好，我是客服小李。") < texts.index("请问是哪一笔退款没有到账？")

    # -- the user's answer shows up in the console, masked ----------------------------------
    say(widget, "昨天那笔 200 元的退款，我的手机 13812345678")
    transcript = console.locator("#transcript .user .text").last
    expect(transcript).to_have_text("昨天那笔 200 元的退款，我的手机 138****5678", timeout=10_000)
    assert "13812345678" not in console.content()

    # -- canned answer in the conversation's language, an internal note ---------------------
    console.select_option("#canned", label="退款失败/未到账")
    console.click("#canned-insert")
    assert "退款" in console.input_value("#reply-text")
    console.click("#reply-send")
    wait_bot_text(widget, "退款")
    console.fill("#note-text", "用户已提供交易时间，退款已重新发起")
    console.click("#note-add")
    expect(console.locator("#notes")).to_contain_text("alice: 用户已提供交易时间")
    shot(console, "conversation")

    # -- bob may not touch alice's conversation ------------------------------------------------
    handoff_id = console.locator("#queue-body li.selected").get_attribute("data-id")
    assert bob.post(f"/api/handoffs/{handoff_id}/reply", {"text": "hi"}).status_code == 403

    # -- resolve: ticket resolved, bot back, CSAT asked and stored -------------------------------
    console.fill("#resolution", "退款已重新发起，1-3 个工作日到账")
    console.click("#resolve")
    expect(console.locator("#conv-status")).to_have_attribute("data-status", "resolved", timeout=10_000)
    wait_bot_text(widget, "请从 1（非常不满意）到 5（非常满意）打分")
    ticket = console.locator("#conv-ticket")
    expect(ticket).to_have_attribute("data-status", "resolved")
    widget.locator(".gc-quick-reply", has_text=re.compile(r"^5$")).click()
    wait_bot_text(widget, "感谢您的评价")
    say(widget, "提现多久到账？")
    wait_bot_text(widget, "提现")
    rated = console.locator(f'#resolved li[data-id="{handoff_id}"]')
    expect(rated).to_have_attribute("data-csat", "5", timeout=10_000)
    expect(console.locator("#conv-csat")).to_have_text("5/5", timeout=10_000)
    assert bot_texts(widget)[-1] != "感谢您的评价！还有其他可以帮您的吗？"  # the FAQ answer came
    shot(console, "resolved")
    assert errors == []


# -- Telegram ----------------------------------------------------------------------------


def post_update(stack: Stack, update: dict[str, Any]) -> None:
    reply = requests.post(
        f"{stack.config.rasa_url}/webhooks/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=10,
    )
    assert reply.json() == {"status": "queued"}


def telegram_text(chat: int, text: str) -> dict[str, Any]:
    return load_update("private_text_zh", update_id=700000000 + next(_ids), chat_id=chat, text=text)


def test_telegram_user_is_served_by_an_agent_and_rates_it(stack: Stack, fake: FakeTelegram):
    chat = 910000000 + next(_ids)
    alice = ApiAgent(stack, "alice")
    post_update(stack, telegram_text(chat, "我要人工客服"))
    queued = fake.wait_for(lambda: fake.sent_messages(chat), timeout=60)
    assert re.search(r"排在第 \d+ 位", queued[-1]["text"])
    item = fake.wait_for(lambda: alice.waiting("telegram"), timeout=10)
    assert item["last_message"] == "我要人工客服" and item["language"] == "zh"
    base = f"/api/handoffs/{item['id']}"
    assert alice.post(base + "/claim").status_code == 200
    before = len(fake.sent_messages(chat))
    for text in ("您好，我是客服 Alice。", "请问遇到了什么问题？"):
        assert alice.post(base + "/reply", {"text": text}).status_code == 200
    sent = fake.wait_for(
        lambda: fake.sent_messages(chat)[before:] if len(fake.sent_messages(chat)) >= before + 2 else None,
        timeout=20,
    )
    # Each agent message is marked with the agent's name on Telegram too.
    assert [m["text"] for m in sent] == [
        "👤 alice（人工客服）：\n您好，我是客服 Alice。",
        "👤 alice（人工客服）：\n请问遇到了什么问题？",
    ]

    post_update(stack, telegram_text(chat, "我的邮箱 li.lei@example.com 收不到验证码"))

    def user_said() -> Any:
        return [t for t in alice.get(base)["transcript"] if "验证码" in t["text"]]

    [said] = fake.wait_for(user_said, timeout=20)
    assert "li.lei@example.com" not in said["text"] and said["role"] == "user"
    assert len(fake.sent_messages(chat)) == before + 2, "the bot stays quiet while paused"

    assert alice.post(base + "/resolve", {"resolution": "已重新发送验证码"}).status_code == 200
    csat = fake.wait_for(lambda: [m for m in fake.sent_messages(chat) if "打分" in m["text"]], timeout=30)[-1]
    keyboard = [b for row in csat["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in keyboard] == ["1", "2", "3", "4", "5"]
    press = load_update("callback_query", update_id=700000000 + next(_ids), chat_id=chat)
    press["callback_query"]["data"] = keyboard[3]["callback_data"]
    press["callback_query"]["message"]["message_id"] = csat["message_id"]
    press["callback_query"]["id"] = f"cbq-{chat}"
    post_update(stack, press)
    fake.wait_for(lambda: any("感谢您的评价" in m["text"] for m in fake.sent_messages(chat)), timeout=30)
    post_update(stack, telegram_text(chat, "充值失败了怎么办"))
    fake.wait_for(lambda: any("充值失败通常" in m["text"] for m in fake.sent_messages(chat)), timeout=30)
    detail = alice.get(base)
    assert detail["csat_rating"] == 4 and detail["status"] == "resolved"
    assert detail["ticket"]["status"] == "resolved"
