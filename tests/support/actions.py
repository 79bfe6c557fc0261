"""Running rasa_sdk actions in tests: trackers from JSON fixtures, a real dispatcher and
domain, and the assistant's services on a test database.

Test modules set the services for their tests with :func:`use_services` (an autouse
fixture), and build actions with :func:`services` so each action gets them explicitly.
"""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from gopay_support.wiring import Services

TESTS = Path(__file__).resolve().parent.parent
FIXTURES = json.loads((TESTS / "fixtures" / "ticket_trackers.json").read_text())
DOMAIN = Domain.load(str(TESTS.parent / "domain")).as_dict()
_current: dict[str, Services] = {}


def use_services(services: Services) -> None:
    _current["services"] = services


def services() -> Services:
    """The services the current test set with :func:`use_services`."""
    return _current["services"]


def tracker(
    name: str,
    *,
    sender: str | None = None,
    slots: dict | None = None,
    turn: tuple[str, str] | None = None,
    entities: list | None = None,
    faq_key: str | None = None,
    slot_value: tuple[str, Any] | None = None,
) -> Tracker:
    """A fixture tracker, optionally with one more user message and the slot it filled."""
    data = copy.deepcopy(FIXTURES[name])
    if sender:
        data["sender_id"] = sender
    data["slots"].update(slots or {})
    if turn:
        text, intent = turn
        parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
        if faq_key:
            parse["response_selector"] = {"faq": {"response": {"intent_response_key": faq_key}}}
        data["events"].append(
            {
                "event": "user",
                "timestamp": 1764000500.0,
                "text": text,
                "parse_data": parse,
                "input_channel": "rest",
            }
        )
        data["events"].append(
            {
                "event": "action",
                "name": data["active_loop"].get("name") or "ticket_form",
                "timestamp": 1764000500.1,
            }
        )
        data["latest_message"] = parse
    if slot_value:
        data["events"].append({"event": "slot", "name": slot_value[0], "value": slot_value[1]})
        data["slots"][slot_value[0]] = slot_value[1]
    return Tracker.from_dict(data)


def run(action, tr: Tracker) -> tuple[dict[str, Any], list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tr, DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, dispatcher.messages, events


def responses(messages: list[dict]) -> list[str | None]:
    return [m.get("response") for m in messages]


def user_turn(text: str, intent: str, ts: float, **parse: Any) -> dict[str, Any]:
    """A serialised user event with its parse data (``language`` defaults to Chinese)."""
    data = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], **parse}
    return {"event": "user", "timestamp": ts, "text": text, "parse_data": data, "input_channel": "rest"}


def conversation(sender: str, *turns: dict[str, Any], language: str = "zh") -> Tracker:
    """A tracker made of ``turns`` (user events), the latest being the message being handled."""
    events: list[dict[str, Any]] = [{"event": "action", "timestamp": 1.0, "name": "action_listen"}]
    for turn in turns:
        events += [turn, {"event": "action", "timestamp": turn["timestamp"] + 0.1, "name": "action_listen"}]
    events.pop()  # the latest message is being handled now
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {"language": language},
            "latest_message": turns[-1]["parse_data"],
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )
