"""The agent console: an aiohttp app with a static single page and a small JSON API.

Handlers stay thin: ownership rules are in :class:`~gopay_support.adapters.db.handoffs.HandoffStore`,
security is the middleware of :mod:`console.security`. What the console says to a customer
(agent replies, status pushes, the hand-back that asks for the rating) is written to the
durable outbox before the request is answered (:mod:`channels.toolkit.conversation`); the
console's outbox worker delivers it through Rasa (:mod:`gopay_support.adapters.rasa.client`),
retrying while Rasa is away, also after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp import web

from channels.toolkit import conversation
from channels.toolkit.outbox import Delivery, DeliveryState, Outbox, OutboxMessage, OutboxWorker, Outgoing
from console import customers, dashboard, learning, live, security, views
from console.http import MAX_BODY_BYTES, error, json_body
from console.passwords import AgentDirectory
from console.settings import ConsoleSettings
from gopay_support.adapters.db.reviews import ReviewStore
from gopay_support.adapters.rasa import canned
from gopay_support.adapters.rasa.client import RasaClient, RasaUnavailable
from gopay_support.adapters.rasa.tracker_events import TrackerEvents
from gopay_support.core import clientaddr
from gopay_support.core.clock import utcnow
from gopay_support.core.errors import HandoffError, HandoffNotFound, InvalidTransition, NotOwner
from gopay_support.core.handoff import transcript
from gopay_support.core.handoff.model import Handoff, HandoffStatus, QueuePlace, Turn
from gopay_support.core.handoff.wait import estimate
from gopay_support.core.tickets.model import TicketStatus
from gopay_support.wiring import Services

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_TEXT = 4000
#: Handoff ids in URLs: at most 18 digits, so every id fits a 64-bit database column.
ID = "{id:\\d{1,18}}"


class Console:
    """The console's dependencies, shared by the handlers."""

    def __init__(self, services: Services, settings: ConsoleSettings, rasa: RasaClient) -> None:
        self.services = services
        self.settings = settings
        self.handoffs = services.handoffs
        self.sessions = services.agent_sessions
        self.tickets = services.tickets
        self.agents = AgentDirectory(dict(settings.agents))
        self.rasa = rasa
        self.throttle = security.LoginThrottle()
        self.trusted_proxies = clientaddr.networks(services.settings.trusted_proxies)
        #: One request at a time per handoff (a double click waits for the first).
        self.send_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        #: What the console says to customers, durable, delivered by this process's worker
        #: in order per conversation (rows left pending by a stopped console are resumed).
        self.outbox = Outbox(services.database)
        self.worker = OutboxWorker(
            self.outbox,
            {conversation.CHANNEL: conversation.rasa_sender(rasa, services.tickets)},
            name="console-outbox",
            on_outcome=self._outcome,
        )
        self._waiting: dict[str, list[asyncio.Future[DeliveryState]]] = {}
        #: Rasa's tracker store read directly (dashboard, learning loop, search, live updates).
        self.tracker = TrackerEvents(settings.tracker_db_url) if settings.tracker_db_url else None
        self.reviews = ReviewStore(services.database)
        self.live = live.LiveHub(self)
        #: Notes by (agent, client id): a note sent again after a lost answer is added once.
        self.recent_notes: dict[tuple[str, str], dict[str, Any]] = {}

    async def send(self, sender_id: str, message: Outgoing) -> Delivery | None:
        """Enqueue ``message`` for the conversation (committed), then give its first try up to
        ``ack_wait`` seconds: the delivery as it stands then (``None``: not readable now).

        A message enqueued before under the same key is not enqueued again.
        """
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[DeliveryState] = loop.create_future()
        self._waiting.setdefault(message.key, []).append(outcome)
        try:
            await asyncio.to_thread(self.outbox.enqueue, conversation.CHANNEL, sender_id, [message])
            self.worker.kick()
            known = await asyncio.to_thread(self.outbox.delivery, message.key)
            if known is not None and known.final:
                return known
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(outcome), self.settings.ack_wait)
        finally:
            waiting = self._waiting.get(message.key, [])
            if outcome in waiting:
                waiting.remove(outcome)
            if not waiting:
                self._waiting.pop(message.key, None)
        self.live.poke()
        try:
            return await asyncio.to_thread(self.outbox.delivery, message.key)
        except Exception:  # noqa: BLE001 - the message is committed; its state can wait
            log.exception("console: delivery state not readable")
            return None

    def _outcome(self, message: OutboxMessage, state: DeliveryState) -> None:
        """A try ended: wake whoever waits for it, show the new state on open consoles."""
        for waiter in self._waiting.get(message.key, []):
            if not waiter.done():
                waiter.set_result(state)
        self.live.poke()

    def deliveries(self, handoff: Handoff) -> list[Delivery]:
        """What the console sent to the conversation since the handoff began."""
        return self.outbox.of_conversation(conversation.CHANNEL, handoff.sender_id, since=handoff.created_at)

    async def live_transcript(self, handoff: Handoff) -> list[Turn]:
        """The conversation as Rasa has it now (masked); the stored copy if Rasa is down."""
        try:
            return transcript.turns(await self.rasa.events(handoff.sender_id))
        except RasaUnavailable:
            return list(handoff.transcript)

    async def queue_view(self) -> tuple[list[QueuePlace], list[list[Turn]], dict[int, int]]:
        """The open handoffs with their live transcripts, and each waiting one's estimate."""
        places = self.handoffs.queue()
        transcripts = await asyncio.gather(*(self.live_transcript(p.handoff) for p in places))
        settings = self.services.settings
        on_duty = self.sessions.agents_on_duty()
        now = utcnow()
        estimates = {
            p.handoff.id: estimate(p.position, on_duty, now, settings.hours, settings.handoff).minutes
            for p in places
            if p.position
        }
        return places, list(transcripts), estimates


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)


def build_app(
    services: Services, settings: ConsoleSettings, rasa: RasaClient | None = None
) -> web.Application:
    """The console on ``services``; ``rasa`` defaults to a client for the configured server."""
    rasa = rasa or RasaClient(services.settings.rasa_url, services.settings.rasa_token)
    console = Console(services, settings, rasa)
    app = web.Application(
        middlewares=[security.headers, security.require_session], client_max_size=MAX_BODY_BYTES
    )
    app[CONSOLE] = console
    app[security.SESSION_KEY] = console.sessions
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC, show_index=False)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/queue", queue)
    app.router.add_get(f"/api/handoffs/{ID}", detail)
    app.router.add_get(f"/api/handoffs/{ID}/canned", canned_answers)
    app.router.add_post(f"/api/handoffs/{ID}/claim", claim)
    app.router.add_post(f"/api/handoffs/{ID}/reply", reply)
    app.router.add_post(f"/api/handoffs/{ID}/notes", add_note)
    app.router.add_post(f"/api/handoffs/{ID}/transfer", transfer)
    app.router.add_post(f"/api/handoffs/{ID}/resolve", resolve)
    live.add_routes(app)
    customers.add_routes(app)
    dashboard.add_routes(app)
    learning.add_routes(app)
    app.on_startup.append(console.live.start)  # type: ignore[arg-type]
    app.on_startup.append(_start_worker)  # type: ignore[arg-type]
    app.on_cleanup.append(_close)  # type: ignore[arg-type]  # aiohttp types its Signal oddly
    return app


async def _start_worker(app: web.Application) -> None:
    """Deliver what the console enqueued, including what a stopped console left pending."""
    app[CONSOLE].worker.start()


async def _close(app: web.Application) -> None:
    console = app[CONSOLE]
    await console.worker.stop()
    await console.live.stop()
    await console.rasa.close()
    if console.tracker is not None:
        console.tracker.dispose()


def _console(request: web.Request) -> Console:
    return request.app[CONSOLE]


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def _text(request: web.Request, field: str, required: bool = True) -> str:
    body = await json_body(request)
    value = body.get(field) if isinstance(body, dict) else None
    text = value.strip() if isinstance(value, str) else ""
    if (required and not text) or len(text) > MAX_TEXT or "\x00" in text:
        raise web.HTTPBadRequest(
            text=json.dumps(
                {
                    "error": f"{field}: 1-{MAX_TEXT} characters",
                    "code": "text_length",
                    "params": {"field": field, "max": MAX_TEXT},
                }
            ),
            content_type="application/json",
        )
    return text


def _refusal(exc: HandoffError) -> web.Response:
    status = 404 if isinstance(exc, HandoffNotFound) else 403 if isinstance(exc, NotOwner) else 409
    return error(str(exc), exc.code, status, **exc.params)


# -- pages and login --------------------------------------------------------------------


async def index(request: web.Request) -> web.StreamResponse:
    """The single page; without a session it is answered 401 and shows only the login."""
    status = 200 if security.session_of(request) else 401
    return web.Response(
        body=(STATIC / "index.html").read_bytes(), status=status, content_type="text/html", charset="utf-8"
    )


async def login(request: web.Request) -> web.Response:
    console = _console(request)
    name, password = await _text(request, "agent"), await _text(request, "password")
    address = security.client_address(request, console.trusted_proxies)
    if console.throttle.blocked(name, address):
        return error("too many attempts, try again later", "throttled", 429)
    if not console.agents.authenticate(name, password):
        console.throttle.failed(name, address)
        log.info("console: failed login")
        await asyncio.sleep(console.throttle.delay())
        return error("wrong name or password", "wrong_login", 401)
    console.throttle.succeeded(name, address)
    old = request.cookies.get(security.COOKIE)
    console.sessions.end(old)  # a new session id at every login (no fixation)
    token, session = console.sessions.create(name)
    log.info("console: %s logged in", name)
    response = web.json_response({"agent": name, "csrf_token": session.csrf_token})
    security.set_cookie(response, token, console.settings)
    return response


async def logout(request: web.Request) -> web.Response:
    _console(request).sessions.end(request.cookies.get(security.COOKIE))
    response = web.json_response({"status": "logged out"})
    security.clear_cookie(response)
    return response


async def me(request: web.Request) -> web.Response:
    session, console = request["session"], _console(request)
    on_duty = set(console.sessions.on_duty_names())
    others = [a for a in console.agents.names() if a != session.agent]
    return web.json_response(
        {
            "agent": session.agent,
            "role": console.settings.role(session.agent),
            "csrf_token": session.csrf_token,
            "agents": others,
            "colleagues": [{"name": a, "on_duty": a in on_duty} for a in others],
        }
    )


# -- queue and conversations ---------------------------------------------------------------


async def queue(request: web.Request) -> web.Response:
    console, me_ = _console(request), security.agent_of(request)
    places, transcripts, estimates = await console.queue_view()
    recent = console.handoffs.recent_resolved()
    return web.json_response(views.queue(places, transcripts, estimates, recent, utcnow(), me_))


async def detail(request: web.Request) -> web.Response:
    console, me_ = _console(request), security.agent_of(request)
    try:
        handoff = console.handoffs.get(_id(request))
    except HandoffError as exc:
        return _refusal(exc)
    if handoff.status is HandoffStatus.ACTIVE and handoff.agent != me_:
        return _refusal(NotOwner(f"claimed by {handoff.agent}", code="claimed_by", agent=handoff.agent or ""))
    turns = await console.live_transcript(handoff)
    linked = console.tickets.get(handoff.ticket_number) if handoff.ticket_number else None
    deliveries = await asyncio.to_thread(console.deliveries, handoff)
    return web.json_response(
        views.detail(
            handoff,
            turns,
            console.handoffs.notes(handoff.id),
            console.handoffs.transfers(handoff.id),
            linked,
            me_,
            utcnow(),
            deliveries,
        )
    )


async def canned_answers(request: web.Request) -> web.Response:
    console = _console(request)
    try:
        handoff = console.handoffs.require_owner(_id(request), security.agent_of(request))
    except HandoffError as exc:
        return _refusal(exc)
    answers = canned.answers(handoff.language, console.services.settings.contact)
    return web.json_response([{"key": a.key, "title": a.title, "text": a.text} for a in answers])


async def claim(request: web.Request) -> web.Response:
    console, agent = _console(request), security.agent_of(request)
    try:
        handoff = console.handoffs.claim(_id(request), agent)
    except HandoffError as exc:
        return _refusal(exc)
    if handoff.ticket_number:
        _move_ticket(console, handoff, TicketStatus.IN_PROGRESS, f"claimed by {agent}")
    log.info("console: %s claimed handoff %s", agent, handoff.id)
    console.live.poke()
    return web.json_response({"status": handoff.status.value, "agent": handoff.agent})


async def reply(request: web.Request) -> web.Response:
    """The reply is in the outbox when this answers: 200 when it reached the conversation
    already (``state`` sent, or failed when refused for good), else 202 (queued; the page
    shows when it is sent). ``client_id``: the page's id for the message, so a request
    repeated after a lost answer is sent once."""
    console, agent = _console(request), security.agent_of(request)
    text = await _text(request, "text")
    client_id = await _text(request, "client_id", required=False)
    try:
        handoff = console.handoffs.require_owner(_id(request), agent)
    except HandoffError as exc:
        return _refusal(exc)
    key = conversation.reply_key(handoff.id, agent, client_id)
    sent = await console.send(handoff.sender_id, conversation.agent_reply(key, agent, text))
    state = views.delivery_state(sent)
    return web.json_response({"key": key, "state": state}, status=202 if state == "queued" else 200)


async def add_note(request: web.Request) -> web.Response:
    console, agent = _console(request), security.agent_of(request)
    text = await _text(request, "text")
    request_id = await _text(request, "client_id", required=False)
    key = (agent, request_id)
    if request_id and key in console.recent_notes:
        return web.json_response(console.recent_notes[key])  # a retried request: added once
    try:
        added = console.handoffs.add_note(_id(request), agent, text)
    except HandoffError as exc:
        return _refusal(exc)
    body = views.note(added)
    if request_id:
        console.recent_notes[key] = body
        while len(console.recent_notes) > 1000:
            console.recent_notes.pop(next(iter(console.recent_notes)))
    console.live.poke()
    return web.json_response(body)


async def transfer(request: web.Request) -> web.Response:
    console, agent = _console(request), security.agent_of(request)
    to_agent = await _text(request, "to")
    if to_agent not in console.agents:
        return error("no such agent", "no_such_agent", 400)
    try:
        handoff = console.handoffs.transfer(_id(request), agent, to_agent)
    except HandoffError as exc:
        return _refusal(exc)
    log.info("console: handoff %s transferred from %s to %s", handoff.id, agent, to_agent)
    console.live.poke()
    return web.json_response({"agent": handoff.agent})


async def resolve(request: web.Request) -> web.Response:
    """Ticket resolved with the agent's resolution, bot resumed, CSAT asked (by the bot)."""
    console, agent = _console(request), security.agent_of(request)
    resolution = await _text(request, "resolution")
    async with console.send_locks[_id(request)]:  # a double click waits for the first
        try:
            handoff = console.handoffs.resolve(_id(request), agent, resolution)
        except HandoffError as exc:
            return _refusal(exc)
        if handoff.ticket_number:
            _move_ticket(console, handoff, TicketStatus.RESOLVED, resolution)
        # The hand-back (and the rating prompt it triggers) is enqueued once per handoff, also
        # between console processes (its key); a repeat only reports where it stands.
        handed_back = await console.send(handoff.sender_id, conversation.hand_back(handoff.id))
    log.info("console: %s resolved handoff %s", agent, handoff.id)
    console.live.poke()
    return web.json_response({"status": handoff.status.value, "hand_back": views.delivery_state(handed_back)})


def _move_ticket(console: Console, handoff: Handoff, status: TicketStatus, note: Any) -> None:
    """Keep the linked ticket in step; a ticket already further along is left alone."""
    if not handoff.ticket_number:
        return
    try:
        console.tickets.set_status(
            handoff.ticket_number, status, actor=f"agent:{handoff.agent}", note=str(note)
        )
    except InvalidTransition:
        log.info("ticket %s not moved to %s", handoff.ticket_number, status.value)
