"""The lock store of the scaling setup, against the real Redis at 127.0.0.1:6379: two
"servers" (threads with their own event loop and connection) update one conversation's
state with a read-sleep-write; with a correct lock no update is lost."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis
from rasa.utils.endpoints import EndpointConfig

from gopay_support.adapters.rasa.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.redis

ROUNDS = 40


def _store(prefix: str) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=6379, db=0, key_prefix=prefix))


def _server(prefix: str, conversation: str, counter: str) -> None:
    store = _store(prefix)
    client = redis.Redis(host="127.0.0.1", port=6379)

    async def turns() -> None:
        for _ in range(ROUNDS):
            async with store.lock(conversation):
                value = int(client.get(counter) or 0)
                await asyncio.sleep(0.001)
                client.set(counter, value + 1)

    asyncio.run(turns())


def test_two_servers_never_hold_one_conversation_at_once() -> None:
    prefix = f"locktest{uuid.uuid4().hex[:8]}"
    counter = f"{prefix}:counter"
    servers = [threading.Thread(target=_server, args=(prefix, "conv", counter)) for _ in range(3)]
    for server in servers:
        server.start()
    for server in servers:
        server.join()
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        assert int(client.get(counter)) == 3 * ROUNDS
        assert client.get(f"{prefix}:lock:conv") is None  # released after the last turn
    finally:
        client.delete(counter)


def test_lock_key_is_rasas() -> None:
    assert _store("gopay").key_prefix == "gopay:lock:"
