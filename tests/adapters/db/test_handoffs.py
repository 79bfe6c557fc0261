"""The handoff queue on a real SQLite database: order and positions, ownership, transfer,
resolve and CSAT."""

from __future__ import annotations

import pytest
from support.clock import Clock

from gopay_support.adapters.db import Database, HandoffStore
from gopay_support.core.errors import InvalidState, NotOwner
from gopay_support.core.handoff.model import HandoffStatus, Priority, Reason


@pytest.fixture
def store(db: Database, clock: Clock) -> HandoffStore:
    return HandoffStore(db, clock)


def queued(store: HandoffStore, sender: str, reason: Reason = Reason.REQUESTED):
    return store.enqueue(
        sender_id=sender, channel="webchat", language="zh", reason=reason, transcript=[], ticket_number=None
    )


def test_high_priority_goes_before_normal_and_order_is_first_come(store, clock):
    assert queued(store, "a").position == 1
    clock.advance(seconds=1)
    assert queued(store, "b").position == 2
    clock.advance(seconds=1)
    hacked = queued(store, "c", Reason.ACCOUNT_COMPROMISED)
    assert hacked.position == 1 and hacked.handoff.priority is Priority.HIGH
    assert [p.handoff.sender_id for p in store.queue()] == ["c", "a", "b"]
    assert [p.position for p in store.queue()] == [1, 2, 3]


def test_asking_again_keeps_the_place_and_raises_priority(store, clock):
    queued(store, "a")
    clock.advance(seconds=1)
    first = queued(store, "b")
    again = queued(store, "b")
    assert not again.created and again.handoff.id == first.handoff.id and again.position == 2
    raised = queued(store, "b", Reason.ACCOUNT_COMPROMISED)
    assert raised.position == 1 and raised.handoff.priority is Priority.HIGH


def test_only_the_claiming_agent_may_act(store):
    handoff = queued(store, "a").handoff
    assert store.claim(handoff.id, "alice").status is HandoffStatus.ACTIVE
    assert store.claim(handoff.id, "alice").agent == "alice"  # idempotent for the owner
    for attempt in (
        lambda: store.claim(handoff.id, "bob"),
        lambda: store.add_note(handoff.id, "bob", "x"),
        lambda: store.transfer(handoff.id, "bob", "carol"),
        lambda: store.resolve(handoff.id, "bob", "done"),
        lambda: store.require_owner(handoff.id, "bob"),
    ):
        with pytest.raises(NotOwner):
            attempt()
    assert store.get(handoff.id).agent == "alice"


def test_owner_only_actions_need_a_claim_first(store):
    handoff = queued(store, "a").handoff
    with pytest.raises(NotOwner):
        store.add_note(handoff.id, "alice", "note")


def test_transfer_hands_ownership_over_and_is_recorded(store):
    handoff = queued(store, "a").handoff
    store.claim(handoff.id, "alice")
    store.add_note(handoff.id, "alice", "asked for the transaction id")
    assert store.transfer(handoff.id, "alice", "bob").agent == "bob"
    with pytest.raises(NotOwner):
        store.add_note(handoff.id, "alice", "too late")
    store.add_note(handoff.id, "bob", "checking")
    assert [(t.from_agent, t.to_agent) for t in store.transfers(handoff.id)] == [("alice", "bob")]
    assert [n.agent for n in store.notes(handoff.id)] == ["alice", "bob"]


def test_resolve_then_rating_is_stored_once_on_the_latest_resolved(store):
    handoff = queued(store, "a").handoff
    store.claim(handoff.id, "alice")
    assert store.rate("a", 5) is None  # not resolved yet: nothing to rate
    resolved = store.resolve(handoff.id, "alice", "refund re-sent")
    assert resolved.status is HandoffStatus.RESOLVED and resolved.resolution == "refund re-sent"
    assert store.resolve(handoff.id, "alice", "again").status is HandoffStatus.RESOLVED  # retry
    with pytest.raises(InvalidState):
        store.claim(handoff.id, "alice")
    assert store.rate("a", 4).csat_rating == 4
    assert store.rate("a", 2) is None  # already rated
    assert store.get(handoff.id).csat_rating == 4
    with pytest.raises(ValueError):
        store.rate("a", 6)
    assert queued(store, "a").created  # a new request after resolving is a new handoff
