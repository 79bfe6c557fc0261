"""Helpers for the inbox/outbox tests: a naive-UTC controllable clock, a recording sender,
and worker processes that deliver or process from a shared database (run with
``python -m support.delivery <role> <database url> <log file> ...``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channels.toolkit.outbox import OutboxMessage, RetryLater

ROOT = Path(__file__).resolve().parents[2]


class NaiveClock:
    """Naive UTC time that tests move forward (the delivery tables store naive UTC)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 9, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@dataclass
class RecordingSender:
    """A sender that records what it got; ``failures`` maps a key to the exceptions its
    next tries raise, in order."""

    sent: list[OutboxMessage] = field(default_factory=list)
    tries: list[OutboxMessage] = field(default_factory=list)
    #: ``time.monotonic()`` of each try.
    times: list[float] = field(default_factory=list)
    failures: dict[str, list[BaseException]] = field(default_factory=dict)
    delay: float = 0.0

    async def __call__(self, message: OutboxMessage) -> Any:
        self.tries.append(message)
        self.times.append(time.monotonic())
        if self.delay:
            await asyncio.sleep(self.delay)
        pending = self.failures.get(message.key)
        if pending:
            raise pending.pop(0)
        self.sent.append(message)
        return {"delivered": message.key}

    def keys(self) -> list[str]:
        return [m.key for m in self.sent]


def retry(reason: str = "down", **options: Any) -> RetryLater:
    return RetryLater(reason, **options)


async def until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout}s")


def spawn(role: str, db_url: str, log: Path, *args: str) -> subprocess.Popen:
    """A worker process (see :func:`_main`) on the shared database."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    return subprocess.Popen(
        [sys.executable, "-m", "support.delivery", role, db_url, str(log), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _append(log: str, line: str) -> None:
    # O_APPEND writes of one short line are atomic across processes.
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


async def _outbox_worker(db_url: str, log: str, seconds: str, together: str = "1") -> None:
    """Deliver until the outbox is empty; with ``together`` > 1, start only once that many
    workers are ready (a worker whose imports finish first would otherwise drain it alone)."""
    from channels.toolkit.outbox import Outbox, OutboxWorker

    async def send(message: OutboxMessage) -> None:
        await asyncio.sleep(0.002)
        _append(log, f"{message.conversation_id} {message.payload['n']} {os.getpid()}")

    box = Outbox.from_url(db_url, lease=10.0)
    worker = OutboxWorker(box, {"test": send}, poll=0.05, concurrency=4)
    await _all_ready(log, int(together))
    worker.start()
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline and await asyncio.to_thread(box.pending_count):
        await asyncio.sleep(0.1)
    await worker.stop()


async def _all_ready(log: str, together: int, timeout: float = 60.0) -> None:
    """A start barrier between worker processes: ready files beside ``log``."""
    folder, name = os.path.split(log)
    _append(os.path.join(folder, f"{name}.ready.{os.getpid()}"), "ready")
    deadline = time.monotonic() + timeout
    while sum(f.startswith(f"{name}.ready.") for f in os.listdir(folder or ".")) < together:
        if time.monotonic() > deadline:
            raise SystemExit("the other workers did not start")
        await asyncio.sleep(0.02)


async def _inbox_worker(db_url: str, log: str, seconds: str, conversations: str) -> None:
    from channels.toolkit.inbox import Inbox, InboxEntry, InboxProcessor

    async def handle(entry: InboxEntry) -> str:
        await asyncio.sleep(0.002)
        _append(log, f"{entry.conversation_id} {entry.payload['n']} {os.getpid()}")
        return "ok"

    inbox = Inbox.from_url(db_url, lease=10.0)
    processor = InboxProcessor(inbox, "test", handle, scan_interval=0.05)
    processor.start()
    total = int(conversations) * 10
    # Every process receives every message (as several servers would, from retries).
    for n in range(total):
        await processor.accept(f"c{n % int(conversations)}", f"k{n}", {"n": n}, sequence=n)
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline and await asyncio.to_thread(inbox.pending_count, "test"):
        await asyncio.sleep(0.1)
    await processor.stop()


def _main() -> None:
    role, db_url, log, *rest = sys.argv[1:]
    if role == "outbox":
        asyncio.run(_outbox_worker(db_url, log, *rest))
    elif role == "inbox":
        asyncio.run(_inbox_worker(db_url, log, *rest))
    else:
        raise SystemExit(f"unknown role {role}")


if __name__ == "__main__":
    _main()
