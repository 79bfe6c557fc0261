"""Tickets under faults, with real processes: the action server killed (``kill -9``) during
the submit, or away for longer than the Rasa server waits for it.

A confirmed ticket is filed exactly once (the tickets store's unique idempotency key,
derived from the conversation and the form run), and the customer gets the tracking number
or is told the message is kept (``notice.temporarily_unavailable``): never silence, never
"anything else?". The figures are in docs/delivery.md.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

import pytest
from support.replies import texts

from devtools.stack import Stack
from gopay_support.adapters.db import Database, TicketStore
from gopay_support.core import catalogue
from gopay_support.core.tickets.model import Ticket

pytestmark = pytest.mark.e2e

NUMBER_RE = re.compile(r"GP-[0-9A-HJKMNP-TV-Z]{8}")
#: How long the Rasa server keeps trying the action server before it stops the turn.
RETRY_SECONDS = 6
STEPS = [
    "I want to file a complaint",
    "refund",
    "The refund for my order from last week never arrived in my wallet",
    "Li.Ming@Example.com",
    "TX20261124001",
    "yesterday around 3pm",
]
NOTICE = {catalogue.text("notice.temporarily_unavailable", lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def stack(start_stack: Any) -> Stack:
    return start_stack(name="ticket-faults", env={"GOPAY_ACTION_RETRY_SECONDS": str(RETRY_SECONDS)})


def to_confirmation(stack: Stack) -> str:
    sender = f"fault-{uuid.uuid4().hex[:12]}"
    for step in STEPS:
        replies = stack.send(sender, step)
    assert "TX20261124001" in texts(replies)  # the summary, waiting for "yes"
    return sender


def tickets_of(stack: Stack, sender: str) -> list[Ticket]:
    store = TicketStore(Database(stack.environment()["TICKETS_DB_URL"]))
    try:
        return store.list(sender_id=Stack.conversation(sender))
    finally:
        store.dispose()


def bot_texts(stack: Stack, sender: str) -> str:
    events = stack.tracker(Stack.conversation(sender))["events"]
    return "\n".join(e.get("text") or "" for e in events if e["event"] == "bot")


def send_in_background(stack: Stack, sender: str, text: str) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(stack.send(sender, text, timeout=120)))
    thread.start()
    return thread, result


@pytest.mark.parametrize("after_ms", [30, 45, 60])
def test_action_server_killed_during_the_submit_files_the_ticket_once(stack: Stack, after_ms: int) -> None:
    sender = to_confirmation(stack)
    thread, result = send_in_background(stack, sender, "yes")
    time.sleep(after_ms / 1000)
    stack.kill("actions")
    stack.start_actions()  # a supervisor brings it back within the Rasa server's patience
    thread.join(120)
    [replies] = result
    numbers = set(NUMBER_RE.findall(texts(replies)))
    assert len(numbers) == 1, texts(replies)  # the customer has the tracking number
    [ticket] = tickets_of(stack, sender)
    assert numbers == {ticket.tracking_number}


def test_action_server_away_longer_the_message_is_kept_and_the_ticket_filed_once(stack: Stack) -> None:
    sender = to_confirmation(stack)
    stack.kill("actions")
    try:
        replies = stack.send(sender, "yes", timeout=60)
        # Not silence, not "anything else?": the notice, in the conversation's language.
        assert [r.get("text") for r in replies] == [catalogue.text("notice.temporarily_unavailable", "en")]
        assert tickets_of(stack, sender) == []
        # A message sent meanwhile queues behind the kept one and gets the same notice.
        assert texts(stack.send(sender, "thanks", timeout=60)) in NOTICE
    finally:
        stack.start_actions()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not tickets_of(stack, sender):
        time.sleep(0.5)
    time.sleep(3)  # anything doubled would show up by now
    [ticket] = tickets_of(stack, sender)
    said = bot_texts(stack, sender)
    assert ticket.tracking_number in said  # the replayed turn answered with the number
    users = [
        e.get("text") for e in stack.tracker(Stack.conversation(sender))["events"] if e["event"] == "user"
    ]
    assert users[-2:] == ["yes", "thanks"] and users.count("yes") == 1
