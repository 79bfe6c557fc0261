"""Rasa's SQL tracker store with the memoised event-type look-up: same conversations back."""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from gopay_support.adapters.rasa.tracker_store import (
    SQLTrackerStoreFastEvents,
    _resolve_by_type,
    _resolve_uncached,
)


def test_memoised_lookup_agrees_with_rasas_and_still_rejects_unknown_names() -> None:
    for name in ("user", "bot", "slot", "action", "pause", "resume", "active_loop"):
        assert _resolve_by_type(name) is _resolve_uncached(name)
    with pytest.raises(ValueError):
        _resolve_by_type("no_such_event")


def test_a_conversation_saved_on_sqlite_reads_back_event_for_event(tmp_path) -> None:
    domain = Domain.from_dict({"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}})
    store = SQLTrackerStoreFastEvents(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    tracker = DialogueStateTracker("webchat:abc", domain.slots)
    events: list[Event] = [
        ActionExecuted("action_listen"),
        UserUttered("充值失败", parse_data={"intent": {"name": "faq"}, "language": "zh"}),
        SlotSet("language", "zh"),
        BotUttered("请检查网络", metadata={"gopay_agent": "alice"}),
    ]
    for event in events:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve("webchat:abc"))
    assert loaded is not None
    assert [e.as_dict()["event"] for e in loaded.events] == [e.as_dict()["event"] for e in events]
    assert loaded.get_slot("language") == "zh" and loaded.latest_message.text == "充值失败"
