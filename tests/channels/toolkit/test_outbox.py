"""The outbox on SQLite and PostgreSQL: durable, idempotent, in order per conversation,
patient with failures, and safe with several worker processes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from pathlib import Path

from support.delivery import NaiveClock, RecordingSender, retry, spawn, until

from channels.toolkit.backoff import Backoff
from channels.toolkit.outbox import DeliveryState, Outbox, OutboxMessage, OutboxWorker, Outgoing, Refused

FAST = Backoff(first=0.05, maximum=0.2)


def outbox(db_url: str, **options: object) -> Outbox:
    return Outbox.from_url(db_url, **options)  # type: ignore[arg-type]


def test_enqueuing_a_key_twice_keeps_one_message(db_url: str) -> None:
    box = outbox(db_url)
    assert box.enqueue("test", "c1", [Outgoing("k1", {"text": "a"}), Outgoing("k2", {"text": "b"})]) == [
        True,
        True,
    ]
    assert box.enqueue("test", "c1", [Outgoing("k1", {"text": "changed"})]) == [False]
    assert box.pending_count(["test"]) == 2
    assert box.delivery("k1").state is DeliveryState.PENDING  # type: ignore[union-attr]


def test_messages_leave_in_order_per_conversation_and_are_recorded_sent(db_url: str) -> None:
    box = outbox(db_url)
    for n in range(5):
        box.enqueue_one("test", "c1", f"c1-{n}", {"n": n})
        box.enqueue_one("test", "c2", f"c2-{n}", {"n": n})
    sender = RecordingSender(delay=0.01)

    async def scenario() -> None:
        await OutboxWorker(box, {"test": sender}, backoff=FAST).run_until_idle()

    asyncio.run(scenario())
    by_conversation = defaultdict(list)
    for message in sender.sent:
        by_conversation[message.conversation_id].append(message.payload["n"])
    assert by_conversation == {"c1": [0, 1, 2, 3, 4], "c2": [0, 1, 2, 3, 4]}
    delivery = box.delivery("c1-3")
    assert (
        delivery is not None
        and delivery.state is DeliveryState.SENT
        and delivery.result == {"delivered": "c1-3"}
    )
    assert box.pending_count() == 0


def test_a_failing_message_is_retried_and_holds_back_its_conversation_only(db_url: str) -> None:
    box = outbox(db_url)
    box.enqueue("test", "c1", [Outgoing("first", {}), Outgoing("second", {})])
    box.enqueue_one("test", "c2", "other", {})
    sender = RecordingSender(failures={"first": [retry(), retry(), retry()]})

    async def scenario() -> None:
        worker = OutboxWorker(box, {"test": sender}, backoff=FAST, poll=0.02)
        worker.start()
        await until(lambda: sender.keys() == ["other"] or "first" in sender.keys())
        await until(lambda: len(sender.sent) == 3)
        await worker.stop()

    asyncio.run(scenario())
    assert sender.keys().index("first") < sender.keys().index("second")
    assert [m.attempt for m in sender.tries if m.key == "first"] == [1, 2, 3, 4]
    assert box.delivery("first").attempts == 4  # type: ignore[union-attr]


def test_retry_after_from_the_platform_is_waited_out(db_url: str) -> None:
    box = outbox(db_url)
    box.enqueue_one("test", "c1", "k", {})
    sender = RecordingSender(failures={"k": [retry("429", retry_after=0.6)]})

    async def scenario() -> None:
        worker = OutboxWorker(box, {"test": sender}, backoff=FAST, poll=0.02)
        worker.start()
        await until(lambda: sender.sent, timeout=5)
        await worker.stop()

    asyncio.run(scenario())
    assert box.delivery("k").state is DeliveryState.SENT  # type: ignore[union-attr]
    assert len(sender.tries) == 2
    assert sender.times[1] - sender.times[0] >= 0.6  # not the 0.05 s backoff


def test_refused_is_final_and_the_conversation_moves_on(db_url: str) -> None:
    box = outbox(db_url)
    box.enqueue("test", "c1", [Outgoing("blocked", {}), Outgoing("next", {})])
    sender = RecordingSender(failures={"blocked": [Refused("Forbidden: bot was blocked by the user")]})

    async def scenario() -> None:
        await OutboxWorker(box, {"test": sender}, backoff=FAST).run_until_idle()

    asyncio.run(scenario())
    refused = box.delivery("blocked")
    assert refused is not None and refused.state is DeliveryState.REFUSED
    assert "blocked" in (refused.last_error or "")
    assert sender.keys() == ["next"]


def test_an_unknown_outcome_is_told_to_the_next_try(db_url: str) -> None:
    box = outbox(db_url)
    box.enqueue_one("test", "c1", "k", {})
    sender = RecordingSender(failures={"k": [retry("timeout", outcome_unknown=True), retry("refused")]})

    async def scenario() -> None:
        worker = OutboxWorker(box, {"test": sender}, backoff=FAST, poll=0.02)
        worker.start()
        await until(lambda: sender.sent)
        await worker.stop()

    asyncio.run(scenario())
    # try 1: first; try 2: after an unknown outcome; try 3: after a known "not sent".
    assert [m.outcome_unknown for m in sender.tries] == [False, True, False]


def test_a_crashed_workers_message_is_taken_over_after_its_lease_in_doubt(db_url: str) -> None:
    clock = NaiveClock()
    box = outbox(db_url, lease=30.0, clock=clock)
    box.enqueue_one("test", "c1", "k", {"text": "hi"})
    [claimed] = box.claim(["test"], "crashed-worker", 10)  # ...and the process dies
    assert claimed.outcome_unknown is False
    assert box.claim(["test"], "other", 10) == []  # still leased
    clock.advance(seconds=31)
    [again] = box.claim(["test"], "other", 10)
    assert again.attempt == 2 and again.outcome_unknown is True
    assert box.finish_sent(again, "other", {"ok": 1})
    assert not box.finish_sent(claimed, "crashed-worker")  # a late writer cannot finish it again
    assert box.delivery("k").state is DeliveryState.SENT  # type: ignore[union-attr]


def test_messages_older_than_max_age_are_given_up(db_url: str) -> None:
    clock = NaiveClock()
    box = outbox(db_url, clock=clock)
    box.enqueue_one("test", "c1", "old", {})
    clock.advance(hours=2)
    sender = RecordingSender()

    async def scenario() -> None:
        await OutboxWorker(box, {"test": sender}, max_age=dt.timedelta(hours=1)).run_until_idle()

    asyncio.run(scenario())
    assert sender.tries == []
    assert box.delivery("old").state is DeliveryState.REFUSED  # type: ignore[union-attr]


def test_a_message_enqueued_before_a_restart_is_delivered_after_it(db_url: str) -> None:
    first = outbox(db_url)
    first.enqueue_one("test", "c1", "k", {"text": "survives"})
    first.database.dispose()  # the process ends
    sender = RecordingSender()

    async def scenario() -> None:
        await OutboxWorker(outbox(db_url), {"test": sender}).run_until_idle()

    asyncio.run(scenario())
    assert [m.payload for m in sender.sent] == [{"text": "survives"}]


def test_only_channels_with_a_sender_are_claimed(db_url: str) -> None:
    box = outbox(db_url)
    box.enqueue_one("telegram", "c1", "t", {})
    box.enqueue_one("email", "c1", "e", {})
    sender = RecordingSender()

    async def scenario() -> None:
        await OutboxWorker(box, {"telegram": sender}).run_until_idle()

    asyncio.run(scenario())
    assert sender.keys() == ["t"]
    assert box.delivery("e").state is DeliveryState.PENDING  # type: ignore[union-attr]


def test_three_worker_processes_deliver_each_message_once_in_order(db_url: str, tmp_path: Path) -> None:
    box = outbox(db_url)
    conversations, per_conversation = 6, 15
    for n in range(per_conversation):
        for c in range(conversations):
            box.enqueue_one("test", f"c{c}", f"c{c}-{n}", {"n": n})
    log = tmp_path / "sent.log"
    workers = [spawn("outbox", db_url, log, "60", "3") for _ in range(3)]  # started together
    try:
        for worker in workers:
            output, _ = worker.communicate(timeout=90)
            assert worker.returncode == 0, output.decode(errors="replace")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    lines = [line.split() for line in log.read_text().splitlines()]
    assert len(lines) == conversations * per_conversation  # nothing lost, nothing doubled
    by_conversation: dict[str, list[int]] = defaultdict(list)
    for conversation, n, _pid in lines:
        by_conversation[conversation].append(int(n))
    assert all(ns == list(range(per_conversation)) for ns in by_conversation.values())
    assert len({pid for _, _, pid in lines}) > 1  # the work was really shared
    assert box.pending_count() == 0


def test_a_conversations_messages_and_marks(db_url: str) -> None:
    """What the console reads: one conversation's messages since a moment (aware or naive
    UTC), and a mark per conversation that changes with every enqueue and final outcome."""
    clock = NaiveClock()
    box = outbox(db_url, clock=clock)
    box.enqueue_one("test", "c1", "old", {"text": "before"})
    clock.advance(minutes=5)
    since = clock.now.replace(tzinfo=dt.timezone.utc)
    box.enqueue("test", "c1", [Outgoing("a", {"text": "one"}), Outgoing("b", {"text": "two"})])
    box.enqueue_one("test", "c2", "other", {"text": "elsewhere"})
    box.enqueue_one("else", "c1", "other-channel", {"text": "not this channel"})
    assert [d.payload["text"] for d in box.of_conversation("test", "c1", since=since)] == ["one", "two"]
    assert [d.key for d in box.of_conversation("test", "c1")] == ["old", "a", "b"]
    before = box.marks("test", ["c1", "c2", "c3"])
    assert set(before) == {"c1", "c2"} and before["c1"][1:] == (3, 0)
    [message] = box.claim(["test"], "w", 1)
    box.finish_refused(message, "w", "no")
    after = box.marks("test", ["c1", "c2"])
    assert after["c1"][1:] == (2, 1) and after["c2"] == before["c2"]


def test_the_outcome_listener_hears_each_try_after_it_is_recorded(db_url: str) -> None:
    box = outbox(db_url)
    box.enqueue("test", "c1", [Outgoing("a", {}), Outgoing("b", {})])
    sender = RecordingSender(failures={"a": [retry()], "b": [Refused("gone")]})
    heard: list[tuple[str, DeliveryState, DeliveryState | None]] = []

    def listen(message: OutboxMessage, state: DeliveryState) -> None:
        recorded = box.delivery(message.key)
        heard.append((message.key, state, recorded.state if recorded else None))

    async def drain() -> None:
        worker = OutboxWorker(box, {"test": sender}, backoff=FAST, on_outcome=listen)
        while box.pending_count():
            await worker.run_until_idle()
            await asyncio.sleep(0.02)

    asyncio.run(drain())
    assert heard == [
        ("a", DeliveryState.PENDING, DeliveryState.PENDING),
        ("a", DeliveryState.SENT, DeliveryState.SENT),
        ("b", DeliveryState.REFUSED, DeliveryState.REFUSED),
    ]
