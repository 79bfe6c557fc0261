"""Rasa's SQL tracker store with the memoised event-type look-up: same conversations back; and
its privacy side: erasure when a turn confirmed it, retention purge."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from gopay_support.adapters.rasa.tracker_store import (
    ERASED_SLOT,
    SQLTrackerStoreFastEvents,
    TrackerStoreUnavailable,
    _resolve_by_type,
    _resolve_uncached,
    erased_this_turn,
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


def store(tmp_path: Path) -> SQLTrackerStoreFastEvents:
    return SQLTrackerStoreFastEvents(dialect="sqlite", db=str(tmp_path / "tracker.db"))


def tracker(sender: str, texts: list[str], at: float) -> DialogueStateTracker:
    events = []
    for index, text in enumerate(texts):
        events += [UserUttered(text, timestamp=at + index), BotUttered("ok", timestamp=at + index + 0.5)]
    return DialogueStateTracker.from_events(sender, events)


def stored_senders(db: SQLTrackerStoreFastEvents) -> set[str]:
    with db.session_scope() as session:
        return {row[0] for row in session.query(db.SQLEvent.sender_id).distinct()}


def test_a_confirmed_erasure_deletes_the_whole_conversation(tmp_path: Path) -> None:
    db = store(tmp_path)
    keep, erase = (
        tracker("rest:keep", ["hi"], time.time()),
        tracker("rest:gone", ["phone 13812345678"], time.time()),
    )
    asyncio.run(db.save(keep))
    asyncio.run(db.save(erase))
    erase.update(UserUttered("yes delete"))
    erase.update(ActionExecuted("action_privacy_erase"))
    assert not erased_this_turn(erase), "the action alone (unconfirmed) erases nothing"
    erase.update(SlotSet(ERASED_SLOT, True))
    assert erased_this_turn(erase)
    asyncio.run(db.save(erase))
    assert stored_senders(db) == {"rest:keep"}
    erase.update(UserUttered("hello again"))
    assert not erased_this_turn(erase), "only the turn that confirmed"


def test_purge_removes_conversations_untouched_since_the_cutoff(tmp_path: Path) -> None:
    db = store(tmp_path)
    now = time.time()
    asyncio.run(db.save(tracker("rest:old", ["a", "b"], now - 200 * 86400)))
    asyncio.run(db.save(tracker("rest:recent", ["a"], now - 200 * 86400)))
    recent = asyncio.run(db.retrieve("rest:recent"))
    assert recent is not None
    recent.update(UserUttered("still here", timestamp=now))
    asyncio.run(db.save(recent))
    assert db.purge_inactive(now - 180 * 86400) == 1
    assert stored_senders(db) == {"rest:recent"}


def test_a_missing_sqlite_folder_fails_at_start_instead_of_falling_back_to_memory(tmp_path) -> None:
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from gopay_support.adapters.rasa.tracker_store import TrackerStoreMisconfigured

    missing = tmp_path / "no-such-folder" / "tracker.db"
    config = EndpointConfig(
        type="gopay_support.adapters.rasa.tracker_store.SQLTrackerStoreFastEvents",
        dialect="sqlite",
        db=str(missing),
    )
    with pytest.raises(TrackerStoreMisconfigured, match="does not exist"):
        TrackerStore.create(config, Domain.empty())
    # The same configuration with the folder in place is a working persistent store.
    missing.parent.mkdir()
    store = TrackerStore.create(config, Domain.empty())
    assert (
        "SQLTrackerStoreFastEvents" in type(store).__name__
        or "SQLTrackerStoreFastEvents" in type(getattr(store, "_tracker_store", store)).__name__
    )


def test_a_store_that_fails_during_a_turn_stops_the_turn_instead_of_falling_back_to_memory(
    tmp_path: Path,
) -> None:
    """Rasa wraps every store in its FailSafeTrackerStore: a failed read gave the turn a new,
    empty conversation and a failed save kept the turn in memory only, while the client was
    answered as if all was well (seen with PostgreSQL stopped under load, bench_faults.py).
    The turn must stop instead, so the channel can tell the client to send it again."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import FailSafeTrackerStore

    primary = store(tmp_path)
    asyncio.run(primary.save(tracker("rest:a", ["hi"], 1000.0)))
    failsafe = FailSafeTrackerStore(primary)
    with primary.engine.begin() as connection:  # the database goes away (its tables, here)
        connection.execute(sa.text("DROP TABLE events"))
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(failsafe.retrieve("rest:a"))
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(failsafe.save(tracker("rest:a", ["hi", "yes"], 1000.0)))
    assert asyncio.run(failsafe.fallback_tracker_store.retrieve("rest:a")) is None
