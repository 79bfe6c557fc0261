"""The web chat widget in a real browser against the real assistant.

Debian's Chromium (headless, driven by Playwright) opens the demo page served by the Rasa
server (models/current.tar.gz) with the action server behind it, both started by the
``start_stack`` fixture on free loopback ports. Nothing leaves loopback.

Screenshots land in reports/screenshots/webchat-*.png.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from support.browser import ARGS, executable

from channels.webchat import identity
from devtools.stack import Stack, free_port
from gopay_support.wiring import IDENTITY_KEY, PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOTS = PROJECT_ROOT / "reports" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
TURN_TIMEOUT_MS = 60_000
CJK = re.compile(r"[\u4e00-\u9fff]")
_VISIBLE_TEXT = """node => [...node.childNodes]
    .filter(child => !(child.classList && child.classList.contains("gc-visually-hidden")))
    .map(child => child.textContent)
    .join("")"""


class HostSite:
    """Another web site on loopback whose page embeds the widget with one script tag."""

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.chat_url = ""  # set once the stack runs: where widget.js comes from
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body = site.page().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self) -> str:
        config = '{"title": "Shop help", "startOpen": true, "colors": {"primary": "#8a2be2"}}'
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>Shop</title></head>"
            "<body><h1>Some shop</h1>"
            f"<script src='{self.chat_url}/webchat/static/widget.js' defer"
            f" data-config='{config}'></script></body></html>"
        )


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, HostSite]]:
    sites = {"allowed": HostSite(), "foreign": HostSite()}
    yield sites
    for site in sites.values():
        site.server.shutdown()


@pytest.fixture(scope="module")
def stack(start_stack: Any, sites: dict[str, HostSite]) -> Stack:
    """A stack of its own: one test stops and restarts its Rasa server."""
    stack = start_stack(name="webchat", env={"GOPAY_WEBCHAT_ORIGINS": sites["allowed"].origin})
    for site in sites.values():
        site.chat_url = stack.config.rasa_url
    return stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable(), args=ARGS)
        yield browser
        browser.close()


class Chat:
    """The demo page and its widget, with the checks every test wants."""

    def __init__(self, page: Page, stack: Stack) -> None:
        self.page = page
        self.stack = stack
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._on_console)
        self.input = page.locator("#gc-input")
        self.send_button = page.locator(".gc-send")
        self.banner = page.locator(".gc-banner")

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    @property
    def url(self) -> str:
        return f"{self.stack.config.rasa_url}/webchat/"

    def open(self) -> Chat:
        self.page.goto(self.url)
        self.wait_online()
        return self

    def wait_online(self, timeout: float = 30_000) -> None:
        expect(self.page.locator("#gopay-chat")).to_have_attribute("data-state", "online", timeout=timeout)

    def bubbles(self, role: str) -> Locator:
        return self.page.locator(f".gc-{role} .gc-bubble")

    def texts(self, role: str) -> list[str]:
        """Bubble texts without the screen-reader label ("您: ", "Gopay 客服: ")."""
        return [bubble.evaluate(_VISIBLE_TEXT) for bubble in self.bubbles(role).all()]

    def type_and_send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def wait_delivered(self) -> None:
        """The last message was acknowledged, which the server does after the bot answered."""
        last = self.page.locator(".gc-user").last
        expect(last.locator(".gc-status-sent")).to_be_visible(timeout=TURN_TIMEOUT_MS)
        expect(self.page.locator(".gc-typing")).to_be_hidden()

    def ask(self, text: str) -> list[str]:
        """Send ``text`` and return the texts of the bot bubbles it got."""
        before = self.bubbles("bot").count()
        self.type_and_send(text)
        self.wait_delivered()
        return self.texts("bot")[before:]

    def session_id(self) -> str:
        return self.page.evaluate(
            "() => JSON.parse(localStorage.getItem(Object.keys(localStorage)"
            ".find(key => key.endsWith(':session'))))"
        )

    def user_events(self) -> list[dict[str, Any]]:
        """The user messages Rasa stored for this conversation."""
        # The conversation is a keyed digest of the browser's session secret (identity.py).
        conversation = identity.conversation_for_session(self.stack.secret(IDENTITY_KEY), self.session_id())
        events = self.stack.tracker(conversation)["events"]
        return [event for event in events if event["event"] == "user"]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"webchat-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def assert_clean(self, allowed: str | None = None) -> None:
        errors = [e for e in self.errors if not (allowed and re.search(allowed, e))]
        assert errors == [], "errors in the page (CSP violations, exceptions...)"
        assert self.dialogs == []


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield context
    context.close()


@pytest.fixture
def chat(context: BrowserContext, stack: Stack) -> Chat:
    return Chat(context.new_page(), stack).open()


def test_chinese_and_english_faqs_get_their_answers(chat: Chat) -> None:
    expect(chat.page.locator(".gc-title")).to_have_text("Gopay 在线客服")
    # Record every time the typing indicator is shown: too brief to catch by polling.
    chat.page.locator(".gc-typing").evaluate(
        """node => {
            window.typingShown = 0;
            new MutationObserver(() => { if (!node.hidden) window.typingShown += 1; })
                .observe(node, { attributes: true, attributeFilter: ["hidden"] });
        }"""
    )
    zh = "\n".join(chat.ask("刚充了200块显示失败 钱呢"))
    assert chat.page.evaluate("() => window.typingShown") >= 1, "typing shown while waiting"
    assert "充值失败通常是操作不当或网络问题导致的" in zh
    en = chat.ask("cash out to my bank still processing since monday")
    assert "A withdrawal can be delayed" in en[0]
    assert len(en) == 1 and "complete the withdrawal" in en[0], "one answer, one bubble, all of it"
    assert not any(CJK.search(text) for text in en)
    times = chat.page.locator(".gc-msg time")
    expect(times.first).to_have_text(re.compile(r"^\d{2}:\d{2}$"))
    assert times.count() == chat.page.locator(".gc-msg").count(), "every message has a time"
    chat.screenshot("desktop")
    chat.page.set_viewport_size(PHONE)
    panel = chat.page.locator(".gc-panel").bounding_box()
    assert panel is not None and panel["width"] == PHONE["width"], "full width on a phone"
    assert chat.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    chat.screenshot("phone")
    chat.page.set_viewport_size({"width": 360, "height": 640})  # the narrowest phones in use
    for part in (chat.input, chat.send_button, chat.page.locator(".gc-close")):
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    chat.assert_clean()


def test_quick_reply_sends_its_payload_and_shows_its_title(chat: Chat) -> None:
    out_of_scope = "\n".join(chat.ask("帮我订一张去上海的机票"))
    assert "超出了我的服务范围" in out_of_scope
    button = chat.page.locator(".gc-quick-reply", has_text="提交工单")
    expect(button).to_be_visible()
    before = chat.bubbles("bot").count()
    button.click()
    chat.wait_delivered()
    assert chat.texts("user")[-1] == "提交工单"
    expect(button).to_have_count(0)  # answered buttons go; the form's own buttons follow
    assert any("类别" in text for text in chat.texts("bot")[before:]), "the ticket form started"
    expect(chat.page.locator(".gc-quick-reply", has_text="充值")).to_be_visible()
    assert chat.user_events()[-1]["text"] == "/open_ticket"
    chat.assert_clean()


def test_reload_restores_the_conversation_and_it_continues(chat: Chat) -> None:
    chat.ask("客服周末上班吗")
    session = chat.session_id()
    assert re.fullmatch(r"[0-9a-f]{32}", session), "a 128-bit random session id"
    shown = chat.texts("bot")
    chat.page.reload()
    chat.wait_online()
    assert chat.session_id() == session
    assert chat.texts("user") == ["客服周末上班吗"]
    assert chat.texts("bot") == shown
    chat.ask("那客服邮箱是多少")
    texts = [event["text"] for event in chat.user_events()]
    assert texts == ["客服周末上班吗", "那客服邮箱是多少"], "one conversation across the reload"
    chat.assert_clean()


def test_markup_is_shown_as_text_and_never_run(chat: Chat) -> None:
    markup = "<img src=x onerror=alert(1)>"
    chat.ask(markup)
    assert chat.texts("user")[-1] == markup
    assert chat.page.locator("img").count() == 0, "no <img> element, in the page or the widget"
    chat.page.wait_for_timeout(500)
    chat.assert_clean()


def test_interface_follows_the_browser_and_the_switch_reaches_the_bot(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    try:
        chat = Chat(context.new_page(), stack).open()
        expect(chat.page.locator(".gc-title")).to_have_text("Gopay Support")
        expect(chat.input).to_have_attribute("placeholder", "Type your question…")
        switch = chat.page.get_by_role("button", name="切换到中文")
        switch.click()
        expect(chat.page.locator(".gc-title")).to_have_text("Gopay 在线客服")
        # A message without any language signal: the interface language decides.
        reply = "\n".join(chat.ask("😀"))
        assert CJK.search(reply), reply
        assert chat.user_events()[-1]["metadata"]["language"] == "zh"
        chat.assert_clean()
    finally:
        context.close()


def test_keyboard_and_screen_reader_basics(chat: Chat) -> None:
    page = chat.page
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")
    page.get_by_label("输入您的问题").focus()
    page.keyboard.type("你好")
    page.keyboard.press("Enter")
    chat.wait_delivered()
    page.keyboard.press("Escape")
    launcher = page.get_by_role("button", name="打开 Gopay 在线客服")
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(page.get_by_label("输入您的问题")).to_be_focused()
    # Backwards from the input: quick replies if any, the log (scrollable by keyboard), then
    # the header buttons.
    for _ in range(page.locator(".gc-quick-reply").count()):
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(log).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="关闭聊天窗口")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Switch to English")).to_be_focused()
    chat.assert_clean()


def test_message_over_the_limit_is_refused_by_widget_and_server(chat: Chat) -> None:
    chat.input.fill("长" * 2001)
    expect(chat.page.locator(".gc-counter")).to_have_text("2001 / 2000")
    expect(chat.page.locator(".gc-error")).to_contain_text("2000")
    expect(chat.send_button).to_be_disabled()
    chat.input.press("Enter")
    expect(chat.page.locator(".gc-user")).to_have_count(0)
    chat.input.fill("长" * 2000)
    expect(chat.send_button).to_be_enabled()
    # A client that skips the widget's check is refused by the server, with a notice.
    result = chat.page.evaluate(
        """async ([text, sessionId, messageId]) => {
            const socket = io({ transports: ["websocket"] });
            await new Promise(resolve => socket.on("connect", resolve));
            const confirmed = new Promise(resolve => socket.on("session_confirm", resolve));
            socket.emit("session_request", { session_id: sessionId });
            await confirmed;
            const notices = [];
            socket.on("bot_uttered", message => notices.push(message));
            const ack = await socket.timeout(10000).emitWithAck("user_uttered", {
                message: text, session_id: sessionId, client_message_id: messageId,
                metadata: { language: "en" },
            });
            socket.disconnect();
            return { ack, notices };
        }""",
        ["x" * 2001, uuid.uuid4().hex, uuid.uuid4().hex],
    )
    assert result["ack"]["status"] == "too_long"
    (notice,) = result["notices"]
    assert notice["notice"] == "too_long" and "2,000" in notice["text"]
    chat.assert_clean()


def test_widget_embeds_in_an_allowed_site_and_is_refused_elsewhere(
    context: BrowserContext, stack: Stack, sites: dict[str, HostSite]
) -> None:
    chat = Chat(context.new_page(), stack)
    chat.page.goto(sites["allowed"].origin + "/")
    chat.wait_online()
    expect(chat.page.locator(".gc-title")).to_have_text("Shop help")
    primary = chat.page.locator(".gc-header").evaluate("node => getComputedStyle(node).backgroundColor")
    assert primary == "rgb(138, 43, 226)", "colours come from the config"
    assert "2000" in chat.page.locator(".gc-counter").inner_text()
    assert "Gopay" in "\n".join(chat.ask("你好"))
    chat.assert_clean()

    foreign = Chat(context.new_page(), stack)
    logs: list[str] = []
    foreign.page.on("console", lambda message: logs.append(message.text))
    foreign.page.goto(sites["foreign"].origin + "/")
    # A clear setup error instead of "reconnecting" forever; the console names the setting.
    expect(foreign.page.locator("#gopay-chat")).to_have_attribute("data-state", "refused", timeout=30_000)
    expect(foreign.banner).to_contain_text("此网站暂时无法使用在线客服")
    expect(foreign.input).to_be_disabled()
    expect(foreign.page.locator(".gc-quick")).to_be_hidden()
    assert any("GOPAY_WEBCHAT_ORIGINS" in line for line in logs)
    foreign.screenshot("refused-origin")
    assert foreign.bubbles("user").count() == 0
    # The refusal is the server's (HTTP 400 at the handshake), reported as a console error.
    foreign.assert_clean(allowed=r"CORS|Failed to load|ERR_FAILED|400|xhr poll error|GOPAY_WEBCHAT_ORIGINS")


def test_offline_message_is_delivered_once_after_the_server_restarts(chat: Chat) -> None:
    """Runs last in this module: it stops and restarts the stack's Rasa server."""
    chat.ask("你好")
    chat.stack.stop("rasa")
    try:
        expect(chat.banner).to_be_visible(timeout=20_000)
        expect(chat.banner).to_contain_text("连接已断开")
        chat.type_and_send("提现到银行卡一直显示处理中")
        pending = chat.page.locator(".gc-user").last
        expect(pending.locator(".gc-status-pending")).to_be_visible()
        chat.page.set_viewport_size(PHONE)
        chat.screenshot("offline")
        chat.page.set_viewport_size(DESKTOP)
    finally:
        chat.stack.start_rasa()
    chat.wait_online(timeout=60_000)
    expect(chat.banner).to_be_hidden()
    chat.wait_delivered()
    texts = [event["text"] for event in chat.user_events()]
    assert texts.count("提现到银行卡一直显示处理中") == 1
    assert chat.texts("user").count("提现到银行卡一直显示处理中") == 1
    assert any("提现" in text for text in chat.texts("bot")[-3:])
    chat.assert_clean(allowed=r"ERR_CONNECTION_REFUSED|WebSocket connection|Failed to load")
