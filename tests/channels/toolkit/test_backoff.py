"""One backoff policy and one retry loop for every channel."""

from __future__ import annotations

import asyncio
import logging

import pytest

from channels.toolkit.backoff import Backoff, retry_until_done

LOG = logging.getLogger("test")


class Fatal(ConnectionError):
    """A retryable kind that must nevertheless stop the loop (like a rejected token)."""


def test_delays_grow_and_are_capped() -> None:
    backoff = Backoff(first=0.5, maximum=4.0)
    assert [backoff.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    delays = backoff.delays()
    assert [next(delays) for _ in range(3)] == [0.5, 1.0, 2.0]


def test_a_step_is_retried_until_it_succeeds_waiting_the_policys_delays() -> None:
    calls, waits = [], []

    async def step() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "done"

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = asyncio.run(
        retry_until_done(
            "x", step, Backoff(first=1, maximum=10), retry_on=(ConnectionError,), logger=LOG, sleep=sleep
        )
    )
    assert result == "done" and waits == [1, 2]


def test_fatal_and_unexpected_errors_stop_at_once() -> None:
    async def fatal() -> None:
        raise Fatal("token rejected")

    async def unexpected() -> None:
        raise KeyError("bug")

    for step, error in ((fatal, Fatal), (unexpected, KeyError)):
        with pytest.raises(error):
            asyncio.run(
                retry_until_done(
                    "x", step, Backoff(), retry_on=(ConnectionError,), fatal=(Fatal,), logger=LOG
                )
            )


def test_giving_up_returns_none() -> None:
    async def never() -> None:
        raise ConnectionError

    async def sleep(_: float) -> None:
        stop.append(True)

    stop: list[bool] = []
    result = asyncio.run(
        retry_until_done(
            "x",
            never,
            Backoff(),
            retry_on=(ConnectionError,),
            logger=LOG,
            sleep=sleep,
            give_up=lambda: bool(stop),
        )
    )
    assert result is None and stop == [True]
