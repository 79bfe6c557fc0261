"""Rasa's Redis lock store with an atomic lock, for several Rasa servers.

Rasa 3.6's ``RedisLockStore`` issues its ticket lock with a read-modify-write of one Redis
key that is not atomic: two servers that receive messages of the same conversation at the
same moment can both believe they hold the lock, and one turn's events are lost (seen in
tests/e2e/test_scaling.py). This store takes redis-py's token lock instead (``SET NX PX``
and a compare-and-delete script), under the same key, so exactly one server processes a
conversation at a time. Enabled in deploy/endpoints.scale.yml.

The lock is a short lease (``lease_seconds``, 5 s by default) that the holder renews while
its turn runs, instead of Rasa's 60 s lifetime: a server killed mid-turn stops renewing, and
its conversations are free again within one lease rather than frozen for a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

#: How often a waiting turn checks whether the conversation is free again.
_POLL_SECONDS = 0.01
#: How long a lock outlives a holder that stopped renewing it (a crashed server).
DEFAULT_LEASE_SECONDS = 5.0


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options: dict[str, Any] = dict(endpoint_config.kwargs)
        super().__init__(
            host=endpoint_config.url or "localhost",
            port=int(options.get("port") or 6379),
            db=int(options["db"]) if options.get("db") not in (None, "") else 1,  # 0 is a db
            username=options.get("username") or None,
            password=options.get("password") or None,
            use_ssl=str(options.get("use_ssl", "")).lower() == "true",
            key_prefix=options.get("key_prefix") or None,
        )
        self.lease_seconds = float(options.get("lease_seconds") or DEFAULT_LEASE_SECONDS)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = _POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        lease = min(self.lease_seconds, lock_lifetime)
        held = self.red.lock(self.key_prefix + conversation_id, timeout=lease)
        deadline = time.monotonic() + lock_lifetime  # how long a turn waits for a busy conversation
        while not held.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise LockError(f"conversation busy for more than {lock_lifetime:.0f} s")
            await asyncio.sleep(min(wait_time_in_seconds, _POLL_SECONDS))
        renewal = asyncio.create_task(_renew(held, lease))
        try:
            yield TicketLock(conversation_id)
        finally:
            renewal.cancel()
            # Expired (a turn stalled past its lease) and taken over: nothing to release.
            # Redis away: the lease ends by itself; failing here would fail a turn that was
            # already saved, and the client's resend would be a second turn.
            with contextlib.suppress(redis.exceptions.LockError, redis.exceptions.ConnectionError):
                held.release()


async def _renew(held: Any, lease: float) -> None:
    """Push the lease's end back while the turn runs, three times per lease."""
    while True:
        await asyncio.sleep(lease / 3)
        with contextlib.suppress(redis.exceptions.LockError):  # lost: the release says so
            held.reacquire()
