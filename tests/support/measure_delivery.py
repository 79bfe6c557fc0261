"""Count what customers get under faults, with real processes (docs/delivery.md).

``PYTHONPATH=tests .venv/bin/python -m support.measure_delivery`` starts an isolated stack
(action server, Rasa server, console) on free loopback ports with the fake Bot API server,
runs each fault N times and prints lost/doubled counts. Unlike the fault tests it does not
stop at the first failure, so it measures the code before a fix as well as after.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from devtools.stack import Stack, StackConfig
from gopay_support.adapters.db import Database, TicketStore
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import SECRET

_ids = itertools.count(int(time.time()) % 100000 * 1000)
QUESTIONS = ["充值失败了怎么办", "怎么注册Gopay钱包？", "提现多久到账"]
NUMBER_RE = re.compile(r"GP-[0-9A-HJKMNP-TV-Z]{8}")
STEPS = [
    "I want to file a complaint",
    "refund",
    "The refund for my order from last week never arrived in my wallet",
    "Li.Ming@Example.com",
    "TX20261124001",
    "yesterday around 3pm",
]


def post(stack: Stack, body: dict[str, Any]) -> int:
    reply = requests.post(
        f"{stack.config.rasa_url}/webhooks/telegram/webhook",
        json=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=30,
    )
    return reply.status_code


def update(text: str, chat: int) -> dict[str, Any]:
    return load_update("private_text_zh", update_id=next(_ids), chat_id=chat, text=text)


def chat() -> int:
    return 920000000 + next(_ids) % 1000000


def user_turns(stack: Stack, conversation: str) -> int:
    with contextlib.suppress(requests.RequestException):
        events = stack.tracker(conversation).get("events", [])
        return sum(1 for e in events if e.get("event") == "user")
    return -1


def wait_quiet(fake: FakeTelegram, seconds: float, limit: float) -> None:
    count, since, end = -1, time.monotonic(), time.monotonic() + limit
    while time.monotonic() - since < seconds and time.monotonic() < end:
        now = len(fake.calls_to("sendMessage"))
        if now != count:
            count, since = now, time.monotonic()
        time.sleep(0.2)


def telegram_kill(stack: Stack, fake: FakeTelegram, n: int) -> str:
    chats = [chat() for _ in range(n)]
    for c, q in zip(chats, itertools.cycle(QUESTIONS), strict=False):
        post(stack, update(q, c))
    stack.kill("rasa")
    stack.start_rasa()
    wait_quiet(fake, 25, 120)  # a killed server's lease (15 s) runs out first
    answers = [len(fake.sent_messages(c)) for c in chats]
    turns = [user_turns(stack, f"telegram:{c}") for c in chats]
    lost = sum(1 for a in answers if a == 0)
    doubled = sum(1 for t in turns if t > 1)
    return f"kill -9 of Rasa right after the 200: {n} messages, {lost} never answered, {doubled} doubled"


def telegram_outage(stack: Stack, fake: FakeTelegram, seconds: float) -> str:
    chats = [chat(), chat()]
    fake.stop()
    for q in QUESTIONS:
        for c in chats:
            post(stack, update(q, c))
    time.sleep(seconds)
    fake.start()
    wait_quiet(fake, 15, 120)
    expected = len(QUESTIONS) * len(chats)
    lost = doubled = 0
    for c in chats:
        texts = [m["text"] for m in fake.sent_messages(c)]
        doubled += len(texts) - len(set(texts))
        lost += len(QUESTIONS) - len(set(texts))
    return f"Bot API down {seconds:.0f} s: {expected} replies due, {lost} lost, {doubled} doubled"


def telegram_429(stack: Stack, fake: FakeTelegram, times: int) -> str:
    c = chat()
    fake.fail_next("sendMessage", 429, retry_after=2, times=times)
    post(stack, update(QUESTIONS[0], c))
    wait_quiet(fake, 10, 90)
    got = len(fake.sent_messages(c))
    lost, doubled = 1 - min(got, 1), max(got - 1, 0)
    return f"{times} x 429 (retry_after 2 s) in a row: 1 reply due, {lost} lost, {doubled} doubled"


def tickets_kill(stack: Stack, n: int) -> str:
    store = TicketStore(Database(stack.environment()["TICKETS_DB_URL"]))
    filed = doubled = told = silent = 0
    for i in range(n):
        sender = f"measure-{uuid.uuid4().hex[:10]}"
        for step in STEPS:
            stack.send(sender, step, timeout=120)
        result: list[Any] = []

        def confirm(s: str = sender, into: list[Any] = result) -> None:
            into.append(stack.send(s, "yes", timeout=120))

        thread = threading.Thread(target=confirm)
        thread.start()
        time.sleep((30 + 6 * i) / 1000)
        stack.kill("actions")
        stack.start_actions()
        thread.join(150)
        replies = "\n".join(r.get("text", "") for r in (result[0] if result else []))
        time.sleep(10)  # a kept message is replayed meanwhile
        tickets = store.list(sender_id=f"rest:{sender}")
        filed += len(tickets) == 1
        doubled += len(tickets) > 1
        told += bool(NUMBER_RE.search(replies) or "temporarily unavailable" in replies)
        silent += not replies.strip()
    store.dispose()
    return (
        f"action server kill -9 30-{30 + 6 * (n - 1)} ms after 'yes': {n} tickets confirmed, "
        f"{filed} filed once, {n - filed - doubled} never filed, {doubled} doubled; "
        f"{told} told the number or that it is kept, {silent} got an empty reply"
    )


def main() -> None:
    run_dir = Path(tempfile.mkdtemp(prefix="measure-delivery-"))
    with FakeTelegram() as fake:
        config = StackConfig.isolated(
            run_dir,
            {
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "TELEGRAM_MODE": "webhook",
                "GOPAY_REST_RATE_LIMIT": "10000/60",
                "GOPAY_REST_ADDRESS_RATE_LIMIT": "100000/60",
            },
        )
        stack = Stack(config)
        stack.start()
        try:
            for line in (
                telegram_kill(stack, fake, 6),
                telegram_outage(stack, fake, 22),
                telegram_429(stack, fake, 7),
                tickets_kill(stack, 6),
            ):
                print(line, flush=True)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
