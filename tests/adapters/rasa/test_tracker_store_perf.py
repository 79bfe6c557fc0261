"""The tracker store's per-turn cost and its start-up checks (issue 11), on real SQLite files:
WAL with synchronous=NORMAL on every connection, one commit and no count query per save, a
bounded prediction window that keeps the conversation's state, the full tracker still
complete, and a misconfigured store that fails at start instead of Rasa's fall-back to memory.
The timing side (turn 90 against turn 10) is a benchmark: bench/bench_rest.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event as sa_event

from gopay_support.adapters.rasa.tracker_store import (
    DEFAULT_WINDOW_USER_TURNS,
    SQLTrackerStoreFastEvents,
    TrackerStoreMisconfigured,
)

ROOT = Path(__file__).resolve().parents[3]

DOMAIN = Domain.from_dict(
    {
        "slots": {
            "language": {"type": "text", "mappings": [{"type": "custom"}]},
            "contact": {"type": "text", "mappings": [{"type": "custom"}]},
            "counter": {"type": "float", "mappings": [{"type": "custom"}]},
            "erased": {"type": "bool", "initial_value": False, "mappings": [{"type": "custom"}]},
        },
        "forms": {"ticket_form": {"required_slots": ["contact"]}},
    }
)


def new_store(tmp_path: Path, **kwargs: object) -> SQLTrackerStoreFastEvents:
    return SQLTrackerStoreFastEvents(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), **kwargs)


def turn(store: SQLTrackerStoreFastEvents, sender: str, events: list[Event]) -> DialogueStateTracker:
    """One turn as Rasa's processor has it: read the tracker back, add the turn, save."""
    tracker = asyncio.run(store.retrieve(sender))
    if tracker is None:
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
    for event in events:
        event.timestamp = time.time()  # in the order they happen, as Rasa stamps them
        tracker.update(event)
    asyncio.run(store.save(tracker))
    return tracker


def user_turn(n: int, *extra: Event) -> list[Event]:
    return [
        UserUttered(f"message {n}", parse_data={"intent": {"name": "faq", "confidence": 1.0}}),
        *extra,
        ActionExecuted("utter_answer"),
        BotUttered(f"answer {n}"),
        ActionExecuted("action_listen"),
    ]


def long_conversation(store: SQLTrackerStoreFastEvents, sender: str, turns: int) -> None:
    for n in range(turns):
        extra: list[Event] = []
        if n == 0:
            extra = [SlotSet("language", "zh"), SlotSet("erased", False)]
        elif n == 3:
            extra = [SlotSet("contact", "13812345678")]
        elif n == 7:
            extra = [SlotSet("language", "en")]
        extra.append(SlotSet("counter", float(n)))
        if n == 20:
            extra.append(ConversationPaused())
        if n == 25:
            extra.append(ConversationResumed())
        if n == turns - 2:  # a form starts near the end and is still running
            extra = [ActiveLoop("ticket_form"), *extra]
        turn(store, sender, user_turn(n, *extra))


def comparable(tracker: DialogueStateTracker) -> dict:
    return {
        "slots": tracker.current_slot_values(),
        "active_loop": tracker.active_loop_name,
        "paused": tracker.is_paused(),
        "latest_message": tracker.latest_message.text if tracker.latest_message else None,
        "latest_bot": tracker.latest_bot_utterance.text if tracker.latest_bot_utterance else None,
        "latest_action": tracker.latest_action_name,
        "last_user_texts": [e.text for e in tracker.events if isinstance(e, UserUttered)][-10:],
    }


def test_every_connection_is_in_wal_mode_with_synchronous_normal(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    first, second = store.engine.connect(), store.engine.connect()  # two pooled connections
    try:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        first.close()
        second.close()
    with store.session_scope() as session:
        assert session.connection().exec_driver_sql("PRAGMA synchronous").scalar() == 1


def test_a_turn_is_saved_with_one_commit_and_without_counting_the_stored_events(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    turn(store, "rest:a", user_turn(0))
    tracker = asyncio.run(store.retrieve("rest:a"))
    assert tracker is not None
    statements: list[str] = []
    commits: list[int] = []
    sa_event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    sa_event.listen(store.engine, "commit", lambda *args: commits.append(1))
    for event in user_turn(1):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    assert len(commits) == 1
    assert not [s for s in statements if "count(" in s.lower()], statements
    full = asyncio.run(store.retrieve_full_tracker("rest:a"))
    assert full is not None and [e.text for e in full.events if isinstance(e, UserUttered)] == [
        "message 0",
        "message 1",
    ]


def test_the_prediction_tracker_of_a_long_conversation_is_bounded_and_keeps_its_state(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    long_conversation(store, "rest:long", 90)
    window = asyncio.run(store.retrieve("rest:long"))
    full = asyncio.run(store.retrieve_full_tracker("rest:long"))
    assert window is not None and full is not None
    assert comparable(window) == comparable(full)
    assert window.get_slot("contact") == "13812345678", "a slot set 87 turns ago"
    assert window.get_slot("language") == "en" and window.get_slot("counter") == 89.0
    assert window.active_loop_name == "ticket_form"
    user_turns = [e for e in window.events if isinstance(e, UserUttered)]
    assert DEFAULT_WINDOW_USER_TURNS <= len(user_turns) <= 2 * DEFAULT_WINDOW_USER_TURNS
    assert len(full.events) > 4 * len(window.events)
    assert len([e for e in full.events if isinstance(e, UserUttered)]) == 90, "the full tracker is complete"


def test_a_paused_conversation_stays_paused_after_the_window_moves_past_the_pause(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    turn(store, "rest:handoff", user_turn(0, ConversationPaused()))
    for n in range(1, 40):
        turn(store, "rest:handoff", user_turn(n))
    window = asyncio.run(store.retrieve("rest:handoff"))
    full = asyncio.run(store.retrieve_full_tracker("rest:handoff"))
    assert window is not None and full is not None
    assert full.is_paused() and window.is_paused()
    assert not any(isinstance(e, UserUttered) and e.text == "message 0" for e in window.events)


def test_the_window_does_not_start_inside_a_running_form(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    turn(store, "rest:form", user_turn(0, ActiveLoop("ticket_form")))
    for n in range(1, 45):
        turn(store, "rest:form", user_turn(n))
    window = asyncio.run(store.retrieve("rest:form"))
    assert window is not None
    assert window.active_loop_name == "ticket_form"
    assert any(isinstance(e, ActiveLoop) and e.name == "ticket_form" for e in window.events)


def test_a_new_session_inside_the_window_drops_what_came_before_as_rasa_does(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    long_conversation(store, "rest:sessions", 30)
    turn(
        store,
        "rest:sessions",
        [ActionExecuted("action_session_start"), SessionStarted(), SlotSet("language", "zh")]
        + [ActionExecuted("action_listen")]
        + user_turn(100),
    )
    window = asyncio.run(store.retrieve("rest:sessions"))
    assert window is not None
    assert [e.text for e in window.events if isinstance(e, UserUttered)] == ["message 100"]
    assert window.get_slot("language") == "zh" and window.get_slot("contact") is None


def test_erasure_and_purge_remove_the_window_too(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    long_conversation(store, "rest:gone", 30)
    assert store.erase("rest:gone") > 0
    assert asyncio.run(store.retrieve("rest:gone")) is None
    turn(store, "rest:gone", user_turn(0))
    window = asyncio.run(store.retrieve("rest:gone"))
    assert window is not None and window.get_slot("contact") is None, "nothing of the erased conversation"
    long_conversation(store, "rest:old", 30)
    assert store.purge_inactive(time.time() + 1) == 2
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM gopay_tracker_windows").scalar() == 0


def test_window_off_reads_the_whole_session(tmp_path: Path) -> None:
    store = new_store(tmp_path, window_user_turns=0)
    long_conversation(store, "rest:all", 40)
    window = asyncio.run(store.retrieve("rest:all"))
    assert window is not None and len([e for e in window.events if isinstance(e, UserUttered)]) == 40


def test_a_missing_folder_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(TrackerStoreMisconfigured, match="does not exist"):
        SQLTrackerStoreFastEvents(DOMAIN, dialect="sqlite", db=str(tmp_path / "nowhere" / "tracker.db"))
    with pytest.raises(TrackerStoreMisconfigured, match="not be persistent"):
        SQLTrackerStoreFastEvents(DOMAIN, dialect="sqlite", db=":memory:")


def test_rasas_factory_raises_instead_of_falling_back_to_memory(tmp_path: Path) -> None:
    config = EndpointConfig(
        type="gopay_support.adapters.rasa.tracker_store.SQLTrackerStoreFastEvents",
        dialect="sqlite",
        db=str(tmp_path / "missing" / "tracker.db"),
    )
    with pytest.raises(TrackerStoreMisconfigured):
        TrackerStore.create(config, DOMAIN)


def test_the_default_var_folder_is_created_on_a_fresh_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: E501
    monkeypatch.chdir(tmp_path)
    store = SQLTrackerStoreFastEvents(DOMAIN, dialect="sqlite", db="var/rasa_tracker.db")
    turn(store, "rest:fresh", user_turn(0))
    assert (tmp_path / "var" / "rasa_tracker.db").is_file()


def test_rasa_run_with_a_missing_tracker_folder_exits_with_the_reason(tmp_path: Path) -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["tracker_store"]["db"] = str(tmp_path / "no-such-folder" / "rasa_tracker.db")
    path = tmp_path / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints))
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run(
        [sys.executable, "-m", "rasa", "run", "--enable-api", "-i", "127.0.0.1", "-p", "0"]
        + ["--model", str(ROOT / "models" / "current.tar.gz"), "--endpoints", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    assert "does not exist" in output and "no-such-folder" in output, output[-3000:]
    assert "InMemoryTrackerStore" not in output
