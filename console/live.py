"""Live updates pushed to open consoles (Server-Sent Events at ``GET /api/events``).

One watcher per console process looks for changes, whoever made them: a conversation
escalated by the action server, a customer message recorded by Rasa, a claim in another
console. It compares a cheap signature every ``live_interval`` seconds (handoff rows, and
the newest event id of each open conversation from Rasa's tracker store when it is
configured, else the transcripts through Rasa's API; and the console's outbox messages to
each, so a reply's delivery state shows as it changes) and, when something changed, pushes:

* ``queue``: the queue and recently resolved list as ``GET /api/queue`` gives them;
* ``conversation``: ``{"id": n}`` for each open conversation whose transcript or state
  changed (the page then reloads the one it shows).

Actions taken in this process (claim, reply, note...) call :meth:`LiveHub.poke` so the
change goes out at once. The stream's heartbeat also keeps the agent's session (and so
their presence on duty) alive while the page is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from channels.toolkit import conversation
from console import security, views
from gopay_support.core.clock import utcnow

if TYPE_CHECKING:
    from console.app import Console

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20.0


@dataclass(eq=False)
class Subscriber:
    agent: str
    inbox: asyncio.Queue[tuple[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=100))

    def push(self, kind: str, data: Any) -> None:
        if self.inbox.full():  # a stalled page: drop the oldest, the newest state matters
            with contextlib.suppress(asyncio.QueueEmpty):
                self.inbox.get_nowait()
        self.inbox.put_nowait((kind, data))


class LiveHub:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.subscribers: set[Subscriber] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._signature: Any = None
        self._markers: dict[int, Any] = {}
        self._ratings: dict[int, int | None] = {}

    async def start(self, _app: web.Application | None = None) -> None:
        self._wake = asyncio.Event()  # bound to the running loop
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def close_streams(self, _app: web.Application | None = None) -> None:
        """At shutdown: end every open stream, so the server need not wait for them."""
        for subscriber in list(self.subscribers):
            subscriber.push("close", None)

    def poke(self) -> None:
        """Look for changes now (after an action in this process)."""
        self._wake.set()

    def subscribe(self, agent: str) -> Subscriber:
        subscriber = Subscriber(agent)
        self.subscribers.add(subscriber)
        self._signature = None  # the newcomer gets the current state at the next look
        self.poke()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def _run(self) -> None:
        interval = self.console.settings.live_interval
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()
            if not self.subscribers:
                continue
            try:
                await self.look()
            except Exception:  # noqa: BLE001 - a failed look must not stop the updates
                log.exception("console: live update failed")

    async def look(self) -> None:
        console = self.console
        places = console.handoffs.queue()
        rows = tuple(
            (p.handoff.id, p.handoff.status.value, p.handoff.agent, p.handoff.priority.value) for p in places
        )
        resolved = tuple((h.id, h.csat_rating) for h in console.handoffs.recent_resolved())
        sent = await asyncio.to_thread(
            console.outbox.marks, conversation.CHANNEL, [p.handoff.sender_id for p in places]
        )
        if console.tracker is not None:
            latest = await asyncio.to_thread(
                console.tracker.latest_ids, [p.handoff.sender_id for p in places]
            )
            markers = {
                p.handoff.id: (
                    p.handoff.status.value,
                    p.handoff.agent,
                    latest.get(p.handoff.sender_id),
                    sent.get(p.handoff.sender_id),
                )
                for p in places
            }
            signature: Any = (
                rows,
                resolved,
                tuple(sorted(markers.items(), key=lambda kv: kv[0])),
                self._minute(),
            )
            if signature == self._signature:
                return
            places, transcripts, estimates = await console.queue_view()
        else:
            places, transcripts, estimates = await console.queue_view()
            markers = {
                p.handoff.id: (p.handoff.status.value, p.handoff.agent, len(t), sent.get(p.handoff.sender_id))
                for p, t in zip(places, transcripts, strict=True)
            }
            signature = (rows, resolved, tuple(sorted(markers.items(), key=lambda kv: kv[0])), self._minute())
            if signature == self._signature:
                return
        self._signature = signature
        changed = [hid for hid, marker in markers.items() if self._markers.get(hid) != marker]
        changed += [hid for hid in self._markers if hid not in markers]  # resolved or left
        ratings = dict(resolved)
        changed += [hid for hid, rating in ratings.items() if self._ratings.get(hid, rating) != rating]
        self._markers, self._ratings = markers, ratings
        recent = console.handoffs.recent_resolved()
        now = utcnow()
        for subscriber in list(self.subscribers):
            subscriber.push(
                "queue", views.queue(places, transcripts, estimates, recent, now, subscriber.agent)
            )
            for hid in changed:
                subscriber.push("conversation", {"id": hid})

    @staticmethod
    def _minute() -> int:
        """Waiting times and estimates change with the clock: a fresh queue once a minute."""
        return int(utcnow().timestamp() // 60)


async def events(request: web.Request) -> web.StreamResponse:
    """``GET /api/events``: the stream one console page keeps open."""
    from console.app import CONSOLE

    console = request.app[CONSOLE]
    agent = security.agent_of(request)
    token = request.cookies.get(security.COOKIE)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    subscriber = console.live.subscribe(agent)
    try:
        await response.write(b"retry: 2000\n\n")
        while True:
            try:
                kind, data = await asyncio.wait_for(subscriber.inbox.get(), HEARTBEAT_SECONDS)
            except asyncio.TimeoutError:
                # Keeps the session (and the agent on duty) alive; ends the stream after logout.
                if console.sessions.resume(token) is None:
                    await response.write(b"event: logout\ndata: {}\n\n")
                    break
                await response.write(b": heartbeat\n\n")
                continue
            if kind == "close":
                break
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            await response.write(f"event: {kind}\ndata: {payload}\n\n".encode())
    except ConnectionResetError:
        pass
    finally:
        console.live.unsubscribe(subscriber)
    return response


def add_routes(app: web.Application) -> None:
    from console.app import CONSOLE

    app.router.add_get("/api/events", events)
    app.on_shutdown.append(app[CONSOLE].live.close_streams)  # type: ignore[arg-type]
