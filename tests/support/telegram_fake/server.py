"""A fake Telegram Bot API server: real HTTP on 127.0.0.1, in a background thread.

python-telegram-bot is pointed at it through its ``base_url``; the fake records every call
and can be told to answer 429 (with ``retry_after``), 5xx, or slowly, so the adapter's
fault handling is tested against real HTTP exchanges without touching the internet.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

#: Parameters that are plain strings even when they look like JSON numbers.
_STRING_PARAMS = {"text", "caption", "secret_token", "url", "callback_query_id", "photo"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    delay: float
    times: int


class FakeTelegram:
    """Start with :meth:`start` (or as a context manager); ``base_url`` goes into
    ``TELEGRAM_API_BASE_URL``."""

    def __init__(
        self, token: str = "123456789:TEST-fake-token_abc", username: str = "gopay_test_bot"
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.username = username
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._updates_event: asyncio.Event | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._serve())
            ready.set()
            loop.run_forever()
            pending = asyncio.all_tasks(loop)  # e.g. a long poll whose client went away
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Telegram server did not start")
        return self

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        self._updates_event = asyncio.Event()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- test controls ------------------------------------------------------------------
    def fail_next(
        self, method: str, status: int = 429, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (429 gets
        ``parameters.retry_after``); the call has no effect, like Telegram's."""
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(status, retry_after, 0.0, times))

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next calls of ``method`` only after ``seconds`` (the call still takes
        effect, as when Telegram is slow and the client gives up waiting)."""
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(200, None, seconds, times))

    def queue_update(self, update: dict[str, Any]) -> None:
        """Make ``update`` available to ``getUpdates`` (polling mode)."""
        with self._lock:
            self._updates.append(update)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._updates_event.set)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._faults.clear()
            self._updates.clear()
            self.webhook = {}

    # --- inspection ---------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages Telegram accepted (status 200), in arrival order."""
        return [
            c.params
            for c in self.calls_to("sendMessage")
            if c.status == 200 and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
        """Poll ``condition`` until truthy; its value, or AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout}s; calls: {self.summary()}")

    async def wait_for_async(
        self, condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            await asyncio.sleep(interval)
        raise AssertionError(f"condition not met within {timeout}s; calls: {self.summary()}")

    def summary(self) -> list[tuple[str, int]]:
        with self._lock:
            return [(c.method, c.status) for c in self.calls]

    # --- HTTP -------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        if request.match_info["token"] != self.token:
            return self._answer(
                method, params, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        fault = self._take_fault(method)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status != 200:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": fault.status,
                "description": _describe(fault.status, fault.retry_after),
            }
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            return self._answer(method, params, fault.status, body)
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
        else:
            handler = _METHODS.get(method)
            if handler is None:
                return self._answer(
                    method, params, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
                )
            result = handler(self, params)
        return self._answer(method, params, 200, {"ok": True, "result": result})

    def _answer(self, method: str, params: dict[str, Any], status: int, body: dict) -> web.Response:
        with self._lock:
            self.calls.append(Call(method, params, status))
        return web.json_response(body, status=status)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                # Like Telegram: an offset confirms (forgets) every earlier update.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates)
                self._updates_event.clear()
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0:
                return pending
            try:
                await asyncio.wait_for(self._updates_event.wait(), timeout=remaining)
            except asyncio.TimeoutError:
                pass

    # --- Bot API methods ------------------------------------------------------------------
    def _me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Gopay Test",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        message = {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "supergroup"},
            "from": self._me(),
            **content,
        }
        params["message_id"] = message["message_id"]
        return message

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        content: dict[str, Any] = {"text": params.get("text", "")}
        if "reply_markup" in params:
            content["reply_markup"] = params["reply_markup"]
        return self._message(params, **content)

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = [{"file_id": "fake-photo", "file_unique_id": "fake", "width": 1, "height": 1}]
        return self._message(params, photo=photo)

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _edit_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, text="")


_METHODS: dict[str, Callable[[FakeTelegram, dict[str, Any]], Any]] = {
    "getMe": lambda fake, _params: fake._me(),  # noqa: SLF001
    "setWebhook": FakeTelegram._set_webhook,  # noqa: SLF001
    "deleteWebhook": FakeTelegram._delete_webhook,  # noqa: SLF001
    "sendMessage": FakeTelegram._send_message,  # noqa: SLF001
    "sendPhoto": FakeTelegram._send_photo,  # noqa: SLF001
    "sendChatAction": lambda _fake, _params: True,
    "answerCallbackQuery": lambda _fake, _params: True,
    "editMessageReplyMarkup": FakeTelegram._edit_reply_markup,  # noqa: SLF001
}


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters from JSON, form or multipart bodies (PTB sends forms)."""
    if request.content_type == "application/json":
        raw = await request.json()
        return dict(raw) if isinstance(raw, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            params[key] = "<file>"
            continue
        if key in _STRING_PARAMS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def _describe(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if status >= 500:
        return "Internal Server Error"
    return "Bad Request"
