"""What the core needs from the outside world, as protocols the adapters implement.

The escalation rule and the status push are written against these; the database adapter
(:mod:`gopay_support.adapters.db`) and the Rasa client (:mod:`gopay_support.adapters.rasa`)
implement them, and tests may pass in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gopay_support.core.handoff.model import Handoff, QueuePlace, Reason, Turn
from gopay_support.core.tickets.model import NewTicket, Ticket, TicketStatus


class TicketRepository(Protocol):
    def create(self, new: NewTicket, idempotency_key: str) -> tuple[Ticket, bool]: ...

    def get(self, number: str) -> Ticket | None: ...

    def list(
        self, *, status: TicketStatus | None = None, sender_id: str | None = None, limit: int = 50
    ) -> list[Ticket]: ...


class HandoffQueue(Protocol):
    def open_for(self, sender_id: str) -> Handoff | None: ...

    def waiting_count(self) -> int: ...

    def enqueue(
        self,
        *,
        sender_id: str,
        channel: str | None,
        language: str,
        reason: Reason,
        transcript: Sequence[Turn],
        ticket_number: str | None,
    ) -> QueuePlace: ...


class AgentPresence(Protocol):
    def agents_on_duty(self) -> int: ...
