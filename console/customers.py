"""The customer panel, search, and ticket status changes from the console.

* ``GET /api/handoffs/{id}/customer``: who the customer is to support: channel, language,
  their tickets with status and history, their earlier conversations with agents, CSAT;
* ``GET /api/search?q=``: a tracking number finds its ticket and conversations; any other
  text finds conversations whose messages, resolution or notes contain it;
* ``POST /api/tickets/{number}/status``: move a ticket (the lifecycle of
  :mod:`gopay_support.core.tickets.model`) and tell the customer on their own channel,
  through the console's outbox (retried until Rasa takes it; the history entry records
  notified or the last error). Asking for the status a ticket already has changes nothing
  and sends nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from channels.toolkit import conversation
from channels.toolkit.outbox import Outgoing
from console import security, views
from console.http import error, json_body
from gopay_support.core import catalogue, tracking
from gopay_support.core.errors import HandoffError, InvalidTransition, NotOwner, TicketNotFound
from gopay_support.core.handoff.model import Handoff, HandoffStatus
from gopay_support.core.pii import mask
from gopay_support.core.tickets.model import StatusChange, Ticket, TicketStatus

log = logging.getLogger(__name__)

MAX_QUERY = 100


def _console(request: web.Request) -> Any:
    from console.app import CONSOLE

    return request.app[CONSOLE]


def _handoff_row(h: Handoff, me: str, snippet: str | None = None) -> dict[str, Any]:
    return {
        "id": h.id,
        "status": h.status.value,
        "channel": h.channel or "-",
        "language": h.language,
        "agent": h.agent,
        "mine": h.agent == me,
        "created_at": views._iso(h.created_at),
        "resolved_at": views._iso(h.resolved_at),
        "ticket": h.ticket_number,
        "resolution": h.resolution,
        "csat_rating": h.csat_rating,
        "snippet": snippet,
    }


async def customer(request: web.Request) -> web.Response:
    console, me = _console(request), security.agent_of(request)
    try:
        handoff = console.handoffs.get(int(request.match_info["id"]))
    except HandoffError as exc:
        return error(str(exc), exc.code, 404)
    if handoff.status is HandoffStatus.ACTIVE and handoff.agent != me:
        refusal = NotOwner(f"claimed by {handoff.agent}", code="claimed_by", agent=handoff.agent or "")
        return error(str(refusal), refusal.code, 403, **refusal.params)
    tickets = console.tickets.list(sender_id=handoff.sender_id, limit=20)
    earlier = [h for h in console.handoffs.of_sender(handoff.sender_id) if h.id != handoff.id]
    ratings = [h.csat_rating for h in [handoff, *earlier] if h.csat_rating]
    return web.json_response(
        {
            "channel": handoff.channel or "-",
            "language": handoff.language,
            "tickets": [views.ticket(t, handoff.language) for t in tickets],
            "conversations": [_handoff_row(h, me) for h in earlier],
            "csat": {
                "ratings": ratings,
                "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            },
        }
    )


async def search(request: web.Request) -> web.Response:
    console, me = _console(request), security.agent_of(request)
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    if len(query) < 2:
        return error("query: at least 2 characters", "query_too_short", 400)
    number = tracking.normalize(query)
    tickets = []
    found: dict[int, tuple[Handoff, str | None]] = {}
    if number:
        ticket = console.tickets.get(number)
        if ticket is not None:
            tickets.append(views.ticket(ticket, ticket.language))
            for h in console.handoffs.by_senders([ticket.sender_id]):
                found[h.id] = (h, None)
    else:
        for h in console.handoffs.search(query):
            found[h.id] = (h, _snippet(h, query))
        if console.tracker is not None:
            senders = await asyncio.to_thread(console.tracker.search_senders, query)
            events = await asyncio.to_thread(console.tracker.of_senders, senders)
            for h in console.handoffs.by_senders(senders):
                snippet = _snippet(h, query) or _event_snippet(events.get(h.sender_id, []), query)
                found.setdefault(h.id, (h, snippet))
    rows = [_handoff_row(h, me, snippet) for h, snippet in sorted(found.values(), key=lambda x: -x[0].id)]
    return web.json_response({"query": query, "tickets": tickets, "conversations": rows[:30]})


def _snippet(h: Handoff, query: str) -> str | None:
    folded = query.casefold()
    for turn in h.transcript:
        if folded in turn.text.casefold():
            return turn.text[:160]
    return None


def _event_snippet(events: list[dict[str, Any]], query: str) -> str | None:
    """The customer's message containing ``query`` among stored events, masked."""
    folded = query.casefold()
    for event in reversed(events):
        text = event.get("text")
        if event.get("event") == "user" and isinstance(text, str) and folded in text.casefold():
            return mask(text)[:160]
    return None


async def ticket_detail(request: web.Request) -> web.Response:
    console = _console(request)
    ticket = console.tickets.get(request.match_info["number"])
    if ticket is None:
        return error("no such ticket", "no_such_ticket", 404)
    return web.json_response(views.ticket(ticket, ticket.language))


async def ticket_status(request: web.Request) -> web.Response:
    console, agent = _console(request), security.agent_of(request)
    body = await json_body(request)
    raw = body.get("status") if isinstance(body, dict) else None
    note = body.get("note") if isinstance(body, dict) else None
    try:
        status = TicketStatus(raw)
    except ValueError:
        return error("unknown status", "bad_status", 400)
    note_text = note.strip()[:1000] if isinstance(note, str) and note.strip() else None
    number = request.match_info["number"]
    current = console.tickets.get(number)
    if current is None:
        return error("no such ticket", "no_such_ticket", 404)
    if current.status is status:  # already there: a repeated request changes nothing
        return web.json_response({"ticket": views.ticket(current, current.language), "changed": False})
    try:
        ticket, change = console.tickets.set_status(number, status, actor=f"agent:{agent}", note=note_text)
    except TicketNotFound:
        return error("no such ticket", "no_such_ticket", 404)
    except InvalidTransition as exc:
        return error(str(exc), "bad_transition", 409, current=exc.current, new=exc.new)
    pushed = await console.send(ticket.sender_id, _status_push(console, ticket, change))
    log.info("console: %s moved ticket %s to %s", agent, ticket.tracking_number, status.value)
    console.live.poke()
    fresh = console.tickets.get(number) or ticket
    state = views.delivery_state(pushed)
    return web.json_response(
        {
            "ticket": views.ticket(fresh, fresh.language),
            "changed": True,
            "notified": state == "sent",
            "delivery": state,
        },
    )


def _status_push(console: Any, ticket: Ticket, change: StatusChange) -> Outgoing:
    """The bot announces the change (it reads the current status from the store), except
    while the bot is paused for an agent: then the console tells the customer itself, in
    their language."""
    if console.handoffs.open_for(ticket.sender_id) is None:
        return conversation.ticket_update(change.id, ticket.tracking_number)
    lang = ticket.language
    text = catalogue.text(
        "ticket.status_changed",
        lang,
        number=ticket.tracking_number,
        status=catalogue.text(f"ticket.status.{change.to_status.value}", lang),
    )
    return conversation.support_message(conversation.status_key(change.id), text, change.id)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/handoffs/{id:\\d{1,18}}/customer", customer)
    app.router.add_get("/api/search", search)
    app.router.add_get("/api/tickets/{number}", ticket_detail)
    app.router.add_post("/api/tickets/{number}/status", ticket_status)
