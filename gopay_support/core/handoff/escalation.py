"""Escalating a conversation to a person: the decision and its side effects in one place.

The Rasa action (actions/handoff.py) only gathers what the tracker knows and turns the
outcome into responses; deciding whether anyone can take the conversation, which ticket
carries it, where it stands in the queue and how long the wait is happens here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gopay_support.core import catalogue
from gopay_support.core.contact import Contact, ContactKind, parse_contact
from gopay_support.core.handoff import transcript as transcripts
from gopay_support.core.handoff.model import QueuePlace, Reason, Turn
from gopay_support.core.handoff.wait import WaitEstimate, estimate
from gopay_support.core.hours import ServiceHours
from gopay_support.core.ports import AgentPresence, HandoffQueue, TicketRepository
from gopay_support.core.settings import HandoffSettings
from gopay_support.core.tickets.model import NewTicket, Ticket, TicketStatus

log = logging.getLogger(__name__)

#: Ticket statuses that still need work: a new handoff links such a ticket instead of
#: filing another one.
_UNFINISHED = {TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_FOR_USER}
#: Longest transcript kept in a ticket description (the newest part is kept).
_MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class Queued:
    place: QueuePlace
    wait: WaitEstimate
    ticket_number: str | None


@dataclass(frozen=True)
class Unavailable:
    """Nobody can take the conversation now; the user is offered a ticket instead."""

    reason: str  # "no_agent" or "queue_full"
    #: The customer's unfinished ticket (e.g. just filed): the answer points to it instead of
    #: suggesting another one.
    ticket_number: str | None = None


@dataclass(frozen=True)
class Request:
    sender_id: str
    channel: str | None
    language: str
    reason: Reason
    events: Sequence[Mapping[str, Any]]
    #: Ticket category the conversation was about, if known (``security`` when compromised).
    category: str | None = None


class Escalation:
    def __init__(
        self,
        handoffs: HandoffQueue,
        presence: AgentPresence,
        tickets: TicketRepository,
        hours: ServiceHours,
        settings: HandoffSettings,
    ) -> None:
        self.handoffs = handoffs
        self.presence = presence
        self.tickets = tickets
        self.hours = hours
        self.settings = settings

    def escalate(self, request: Request, now: datetime) -> Queued | Unavailable:
        agents = self.presence.agents_on_duty()
        existing = self.handoffs.open_for(request.sender_id)
        if existing is None:
            if agents == 0:
                return Unavailable("no_agent", self._unfinished_ticket(request.sender_id))
            if self.handoffs.waiting_count() >= self.settings.queue_limit:
                return Unavailable("queue_full", self._unfinished_ticket(request.sender_id))
        turns = transcripts.turns(request.events)
        ticket = existing.ticket_number if existing else self._ticket_for(request, turns)
        place = self.handoffs.enqueue(
            sender_id=request.sender_id,
            channel=request.channel,
            language=request.language,
            reason=request.reason,
            transcript=turns,
            ticket_number=ticket,
        )
        log.info(
            "handoff %s %s (%s, priority %s, position %s)",
            place.handoff.id,
            "queued" if place.created else "already open",
            request.reason.value,
            place.handoff.priority.value,
            place.position,
        )
        wait = estimate(place.position, agents, now, self.hours, self.settings)
        return Queued(place, wait, place.handoff.ticket_number)

    def _unfinished_ticket(self, sender_id: str) -> str | None:
        for ticket in self.tickets.list(sender_id=sender_id, limit=10):
            if ticket.status in _UNFINISHED:
                return ticket.tracking_number
        return None

    def _ticket_for(self, request: Request, turns: Sequence[Turn]) -> str:
        """The sender's unfinished ticket, or a new one carrying the (masked) transcript."""
        return self._unfinished_ticket(request.sender_id) or self._file(request, turns).tracking_number

    def _file(self, request: Request, turns: Sequence[Turn]) -> Ticket:
        header = catalogue.text("ticket.escalated_header", request.language)
        body = transcripts.as_text(turns, request.language)[-_MAX_DESCRIPTION:]
        contact = _contact_from(request.events)
        new = NewTicket(
            category=request.category or "other",
            description=f"{header} ({request.reason.value}).\n{body}",
            contact=contact.value if contact else "",
            contact_kind=contact.kind if contact else ContactKind.PHONE,
            sender_id=request.sender_id,
            language=request.language,
            channel=request.channel,
        )
        key = _idempotency_key(request)
        ticket, _ = self.tickets.create(new, key)
        return ticket


def _contact_from(events: Sequence[Mapping[str, Any]]) -> Contact | None:
    """The newest phone number or e-mail address the user typed, if any."""
    for event in reversed(events):
        if event.get("event") == "user" and isinstance(event.get("text"), str):
            contact = parse_contact(event["text"])
            if contact is not None:
                return contact
    return None


def _idempotency_key(request: Request) -> str:
    """Same conversation and same escalating message: same ticket, however often retried."""
    marker = next((e.get("timestamp") for e in reversed(request.events) if e.get("event") == "user"), "")
    digest = hashlib.sha256(f"{request.sender_id}\x00{marker}".encode()).hexdigest()
    return f"handoff:{digest}"
