"""Exponential backoff: how long to wait before the next try, and a retry loop for steps
that must eventually succeed (registering a webhook, reaching a dependency).

Every channel retries with this one policy, so "how patient is the assistant" is tuned in
one place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class Backoff:
    """Waits of ``first``, ``first * factor``, ... capped at ``maximum`` seconds."""

    first: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.first * self.factor ** max(attempt - 1, 0), self.maximum)

    def delays(self) -> Iterator[float]:
        attempt = 1
        while True:
            yield self.delay(attempt)
            attempt += 1


async def retry_until_done(
    what: str,
    step: Callable[[], Awaitable[T]],
    backoff: Backoff,
    *,
    retry_on: tuple[type[BaseException], ...],
    fatal: tuple[type[BaseException], ...] = (),
    logger: logging.Logger,
    sleep: Sleep = asyncio.sleep,
    give_up: Callable[[], bool] = lambda: False,
) -> T | None:
    """Run ``step`` until it returns, waiting ``backoff`` after each ``retry_on`` failure.

    Any other exception, and any ``fatal`` one even if it is also a ``retry_on`` kind,
    propagates at once (a wrong token will not fix itself). Returns
    ``None`` when ``give_up()`` turns true between tries (e.g. the process is stopping).
    """
    for delay in backoff.delays():
        if give_up():
            return None
        try:
            return await step()
        except fatal:
            raise
        except retry_on as exc:
            logger.warning("%s failed (%s); retrying in %.0fs", what, type(exc).__name__, delay)
        await sleep(delay)
    return None  # pragma: no cover - delays() is endless
