"""Telling a customer that their ticket's status changed.

The status change itself is committed before the push, so an outage of the conversation
gateway (Rasa) never loses it: the failure is logged (masked) and recorded on the history
entry. The gateway injects ``EXTERNAL_ticket_update`` into the conversation that filed the
ticket; the announce action then reads the current status from the store and tells the user
on their own channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from gopay_support.core.pii import mask
from gopay_support.core.ports import ConversationGateway
from gopay_support.core.tickets.model import StatusChange, Ticket

log = logging.getLogger(__name__)

TICKET_UPDATE_INTENT = "EXTERNAL_ticket_update"


class DeliveryRecord(Protocol):
    """Where the outcome of a push is written (the ticket store's history entry)."""

    def mark_notified(self, change_id: int, error: str | None = None) -> None: ...


@dataclass(frozen=True)
class NotifyResult:
    delivered: bool
    error: str | None = None


class Notifier:
    def __init__(self, record: DeliveryRecord, gateway: ConversationGateway) -> None:
        self.record = record
        self.gateway = gateway

    async def push(self, ticket: Ticket, change: StatusChange) -> NotifyResult:
        """Trigger the update in the ticket's conversation and record the outcome."""
        try:
            # Only the number: the announce action reads the current status from the store.
            await self.gateway.trigger_intent(
                ticket.sender_id, TICKET_UPDATE_INTENT, {"ticket_id": ticket.tracking_number}
            )
            error = None
        except Exception as exc:  # noqa: BLE001 - any gateway failure is reported, not raised
            error = mask(f"{type(exc).__name__}: {exc}")
        if error is None:
            self.record.mark_notified(change.id)
            log.info("pushed status %s of %s", change.to_status.value, ticket.tracking_number)
            return NotifyResult(True)
        log.warning(
            "could not push status %s of %s: %s", change.to_status.value, ticket.tracking_number, error
        )
        self.record.mark_notified(change.id, error=error)
        return NotifyResult(False, error)
