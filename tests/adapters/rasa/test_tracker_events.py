"""Reading Rasa's SQL tracker store table directly (dashboard, learning loop, search)."""

from __future__ import annotations

from support.conversations import T0, add_events, bot, tracker_db, user

from gopay_support.adapters.rasa.tracker_events import TrackerEvents


def test_reads_conversations_by_time_id_and_text(tmp_path):
    url = tracker_db(
        str(tmp_path / "tracker.db"),
        {
            "webchat:a": [
                user("充值失败了怎么办", "faq", T0, topic="faq/topup_failed"),
                bot("充值失败通常…", T0 + 1),
            ],
            "telegram:1": [user("where is my refund", "faq", T0 + 100, channel="telegram")],
            "webchat:old": [user("旧消息", "greet", T0 - 86400)],
        },
    )
    tracker = TrackerEvents(url)
    try:
        found = tracker.between(T0, T0 + 3600)
        assert sorted(found) == ["telegram:1", "webchat:a"]
        assert [e["event"] for e in found["webchat:a"]] == ["user", "bot"]
        assert tracker.search_senders("充值失败") == ["webchat:a"]
        assert tracker.search_senders("REFUND") == ["telegram:1"]  # case-insensitive like SQLite's LIKE
        assert tracker.search_senders("100%_") == []
        latest = tracker.latest_ids(["webchat:a", "telegram:1", "nobody"])
        assert set(latest) == {"webchat:a", "telegram:1"}

        events, newest, fresh = tracker.after(0)
        assert newest == 4 and set(events) == {"webchat:a", "telegram:1", "webchat:old"}
        add_events(url, {"webchat:a": [user("还有问题", "nlu_fallback", T0 + 200)]})
        events, newest2, fresh = tracker.after(newest)
        assert newest2 == 5 and list(events) == ["webchat:a"] and len(events["webchat:a"]) == 3
        assert fresh == {"webchat:a": T0 + 200}
        assert tracker.after(newest2) == ({}, newest2, {})
    finally:
        tracker.dispose()


def test_a_store_without_the_table_yet_reads_as_empty(tmp_path):
    tracker = TrackerEvents(f"sqlite:///{tmp_path / 'none.db'}")
    assert (
        tracker.between(0, T0) == {} and tracker.after(0) == ({}, 0, {}) and tracker.search_senders("x") == []
    )
    tracker.dispose()
