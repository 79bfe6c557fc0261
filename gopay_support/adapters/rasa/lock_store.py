"""Rasa's Redis lock store with an atomic lock, for several Rasa servers.

Rasa 3.6's ``RedisLockStore`` issues its ticket lock with a read-modify-write of one Redis
key that is not atomic: two servers that receive messages of the same conversation at the
same moment can both believe they hold the lock, and one turn's events are lost (seen in
tests/e2e/test_scaling.py). This store takes redis-py's token lock instead (``SET NX PX``
and a compare-and-delete script), under the same key, so exactly one server processes a
conversation at a time. Enabled in deploy/endpoints.scale.yml.
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


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options: dict[str, Any] = dict(endpoint_config.kwargs)
        super().__init__(
            host=endpoint_config.url or "localhost",
            port=int(options.get("port") or 6379),
            db=int(options.get("db") or 1),
            username=options.get("username") or None,
            password=options.get("password") or None,
            use_ssl=str(options.get("use_ssl", "")).lower() == "true",
            key_prefix=options.get("key_prefix") or None,
        )

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = _POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        held = self.red.lock(self.key_prefix + conversation_id, timeout=lock_lifetime)
        deadline = time.monotonic() + lock_lifetime
        while not held.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise LockError(f"conversation busy for more than {lock_lifetime:.0f} s")
            await asyncio.sleep(min(wait_time_in_seconds, _POLL_SECONDS))
        try:
            yield TicketLock(conversation_id)
        finally:
            # Expired (a turn longer than the lifetime) and taken over: nothing to release.
            with contextlib.suppress(redis.exceptions.LockError):
                held.release()
