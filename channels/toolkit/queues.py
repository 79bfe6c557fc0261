"""Per-chat FIFO processing: one chat's messages in order, different chats in parallel.

A channel that acknowledges its platform before the message is processed (Telegram's
webhook, a mailbox poll) keeps ordering itself: a customer's second message must not
overtake the first while Rasa is busy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class KeyedQueues(Generic[T]):
    """A worker task per busy chat, created on demand and gone when its queue is empty."""

    def __init__(self, handle: Callable[[T], Awaitable[None]]) -> None:
        self._handle = handle
        self._queues: dict[Hashable, asyncio.Queue[T]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    def submit(self, key: Hashable, item: T) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            task = asyncio.get_running_loop().create_task(self._work(key, queue))
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        queue.put_nowait(item)

    async def _work(self, key: Hashable, queue: asyncio.Queue[T]) -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                # No await between the empty check and the removal: submit() cannot race us.
                del self._queues[key]
                return
            try:
                await self._handle(item)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad message must not stop the chat's later ones
                logger.exception("processing a queued message failed")

    async def join(self, timeout: float | None = None) -> None:
        """Wait until every queued message is processed (tests, graceful shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._workers:
            remaining = None if deadline is None else max(deadline - loop.time(), 0)
            if remaining == 0:
                raise asyncio.TimeoutError
            await asyncio.wait(set(self._workers), timeout=remaining)

    def cancel(self) -> None:
        for task in list(self._workers):
            task.cancel()
