"""The lock store of the scaling setup, against the real Redis at 127.0.0.1:6379: two
"servers" (threads with their own event loop and connection) update one conversation's
state with a read-sleep-write; with a correct lock no update is lost."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
from rasa.utils.endpoints import EndpointConfig

from gopay_support.adapters.rasa.lock_store import DEFAULT_LEASE_SECONDS, AtomicRedisLockStore

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


def _leased_store(prefix: str, lease: float) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(
        EndpointConfig(url="127.0.0.1", port=6379, db=0, key_prefix=prefix, lease_seconds=lease)
    )


_HOLD_AND_WAIT = """
import asyncio, sys, time
from rasa.utils.endpoints import EndpointConfig
from gopay_support.adapters.rasa.lock_store import DEFAULT_LEASE_SECONDS, AtomicRedisLockStore

async def main():
    store = AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=6379, db=0, key_prefix=sys.argv[1]))
    async with store.lock("conv"):
        print("held", flush=True)
        await asyncio.sleep(600)  # a turn that never ends: the server is killed here

asyncio.run(main())
"""


def test_a_killed_servers_lock_frees_its_conversation_within_one_lease() -> None:
    prefix = f"locktest{uuid.uuid4().hex[:8]}"
    server = subprocess.Popen(
        [sys.executable, "-c", _HOLD_AND_WAIT, prefix], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "held"
        time.sleep(DEFAULT_LEASE_SECONDS)  # renewed meanwhile: still held
        assert redis.Redis(host="127.0.0.1", port=6379).get(f"{prefix}:lock:conv") is not None
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    killed = time.monotonic()

    async def next_turn() -> float:
        async with _store(prefix).lock("conv", lock_lifetime=60):
            return time.monotonic() - killed

    waited = asyncio.run(next_turn())
    assert waited <= DEFAULT_LEASE_SECONDS + 1  # before: Rasa's 60 s lock lifetime


def test_a_turn_longer_than_the_lease_keeps_its_lock() -> None:
    prefix = f"locktest{uuid.uuid4().hex[:8]}"
    store = _leased_store(prefix, 0.6)
    client = redis.Redis(host="127.0.0.1", port=6379)

    async def long_turn() -> list[bool]:
        taken = []
        async with store.lock("conv"):
            for _ in range(8):  # 2 s, more than three leases
                await asyncio.sleep(0.25)
                taken.append(client.set(f"{prefix}:lock:conv", "intruder", nx=True) is not None)
        return taken

    assert asyncio.run(long_turn()) == [False] * 8
    assert client.get(f"{prefix}:lock:conv") is None


def test_a_turn_that_ran_is_not_failed_because_redis_went_away_before_the_release(tmp_path) -> None:
    """Redis killed while a turn holds the lock: the turn (already saved by then) must not
    raise at the release, or the channel would answer "send it again" and the resend would
    be a second turn. The lock is a lease: it ends by itself."""
    from devtools.private_services import PrivateRedis

    private = PrivateRedis(tmp_path / "redis")
    private.start()
    try:
        store = AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=private.port, db=0, key_prefix="t"))

        async def turn() -> None:
            async with store.lock("conv"):
                private.kill()

        asyncio.run(turn())
    finally:
        private.close()
