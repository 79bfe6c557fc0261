"""Outgoing flood control: about one message per second per chat and 30 per second overall.

Telegram answers 429 beyond these limits; pacing ourselves keeps answers flowing instead of
stalling for ``retry_after`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Waits until a message to ``chat_id`` may be sent under both limits."""

    def __init__(
        self,
        chat_interval: float = 1.0,
        global_rate: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._chat_interval = chat_interval
        self._global_rate = max(global_rate, 0.001)
        self._clock = clock
        self._next_for_chat: dict[int, float] = {}
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._recent: deque[float] = deque()
        self._global_lock = asyncio.Lock()

    async def acquire(self, chat_id: int) -> None:
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            delay = self._next_for_chat.get(chat_id, 0.0) - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._acquire_global()
            self._next_for_chat[chat_id] = self._clock() + self._chat_interval
        self._forget_idle_chats()

    async def acquire_global(self) -> None:
        """For calls that are not chat messages (chat actions, callback answers)."""
        await self._acquire_global()

    async def _acquire_global(self) -> None:
        async with self._global_lock:
            window = 1.0
            while True:
                now = self._clock()
                while self._recent and now - self._recent[0] >= window:
                    self._recent.popleft()
                if len(self._recent) < self._global_rate:
                    self._recent.append(now)
                    return
                await asyncio.sleep(window - (now - self._recent[0]))

    def _forget_idle_chats(self) -> None:
        if len(self._next_for_chat) < 1024:
            return
        now = self._clock()
        for chat_id, ready_at in list(self._next_for_chat.items()):
            lock = self._chat_locks.get(chat_id)
            if ready_at < now and (lock is None or not lock.locked()):
                self._next_for_chat.pop(chat_id, None)
                self._chat_locks.pop(chat_id, None)
