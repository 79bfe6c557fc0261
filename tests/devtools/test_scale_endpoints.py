"""deploy/endpoints.scale.yml as the README starts it: read by Rasa itself (not re-rendered
by the test stack, which hid quoted ``"${VAR}"`` values Rasa does not expand), with the
README's exported variables, gives stores that connect to PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import re
import shlex
import uuid
from pathlib import Path

import pytest
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet

ROOT = Path(__file__).resolve().parents[2]
SCALE = ROOT / "deploy" / "endpoints.scale.yml"


def readme_exports() -> dict[str, str]:
    """The ``export`` block of the README's Scaling section, as the shell would set it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^export (.+?)\n(?=\S)", text, re.S | re.M)
    assert block, "README lost its export block"
    words = shlex.split(block.group(1).replace("\\\n", " "))
    return dict(word.split("=", 1) for word in words)


def test_every_value_of_the_scaled_endpoints_is_filled_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = readme_exports()
    assert env["TRACKER_DB_PORT"] == "5432" and "REDIS_KEY_PREFIX" in env
    for name, value in {**env, "GOPAY_ACTION_TOKEN": "secret-token"}.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(SCALE))
    tracker, lock = endpoints.tracker_store, endpoints.lock_store
    assert tracker is not None and lock is not None and endpoints.action is not None
    values = [tracker.url, lock.url, endpoints.action.url, *tracker.kwargs.values(), *lock.kwargs.values()]
    values += list((endpoints.action.headers or {}).values())
    assert not [v for v in values if "${" in str(v)]
    assert int(tracker.kwargs["port"]) == 5432 and int(lock.kwargs["port"]) == 6379
    assert endpoints.action.headers["X-Gopay-Action-Token"] == "secret-token"


def test_the_scaled_stores_connect_and_keep_a_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        **readme_exports(),
        "TRACKER_DB_NAME": "test",
        "REDIS_KEY_PREFIX": f"scaletest{uuid.uuid4().hex[:8]}",
    }
    for name, value in {**env, "GOPAY_ACTION_TOKEN": "t"}.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(SCALE))
    domain = Domain.from_dict({"slots": {"s": {"type": "any", "mappings": []}}})
    store = TrackerStore.create(endpoints.tracker_store, domain)
    assert type(store).__name__ == "SQLTrackerStoreFastEvents"  # not Rasa's fallback to memory
    lock_store = LockStore.create(endpoints.lock_store)
    assert type(lock_store).__name__ == "AtomicRedisLockStore"
    sender = f"scale-{uuid.uuid4().hex}"

    async def round_trip() -> list[str]:
        tracker = await store.get_or_create_tracker(sender)
        tracker.update(SlotSet("s", "kept"))
        await store.save(tracker)
        async with lock_store.lock(sender):
            again = await store.retrieve(sender)
        assert again is not None
        return [e.value for e in again.events if isinstance(e, SlotSet)]

    assert asyncio.run(round_trip()) == ["kept"]
