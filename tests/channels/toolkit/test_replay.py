"""A replayed entry's turn is recognised in the tracker by its message id, with the bot's
messages of that turn only."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.toolkit.replay import saved_turn


def agent_with(events: list) -> SimpleNamespace:
    store = InMemoryTrackerStore(Domain.empty())
    asyncio.run(store.save(DialogueStateTracker.from_events("rest:me", events)))
    return SimpleNamespace(tracker_store=store)


EVENTS = [
    UserUttered("hi", message_id="m1"),
    BotUttered("hello"),
    ActionExecuted("action_listen"),
    UserUttered("refund?", message_id="m2"),
    BotUttered("refunds take 3 days"),
    BotUttered("anything else?"),
    ActionExecuted("action_listen"),
    UserUttered("bye", message_id="m3"),
]


def test_the_saved_turn_gives_its_own_bot_messages() -> None:
    agent = agent_with(EVENTS)
    saved = asyncio.run(saved_turn(agent, "rest:me", "m2"))
    assert saved is not None and [e.text for e in saved] == ["refunds take 3 days", "anything else?"]
    last = asyncio.run(saved_turn(agent, "rest:me", "m3"))
    assert last == []  # saved, but answered with nothing yet


def test_a_turn_that_was_not_saved_is_none() -> None:
    agent = agent_with(EVENTS)
    assert asyncio.run(saved_turn(agent, "rest:me", "m9")) is None
    assert asyncio.run(saved_turn(agent, "rest:other", "m1")) is None
    assert asyncio.run(saved_turn(None, "rest:me", "m1")) is None
