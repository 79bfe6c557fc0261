"""Telling a customer that their ticket's status changed: the rule's names.

The status change itself is committed before the push, so an outage of the conversation
gateway (Rasa) never loses it. The push is a message in the durable outbox
(``channels/toolkit/conversation.py``), retried until Rasa takes it; each try's outcome is
recorded on the history entry (notified, or the last error). The gateway injects
``EXTERNAL_ticket_update`` into the conversation that filed the ticket; the announce action
then reads the current status from the store and tells the user on their own channel.
"""

from __future__ import annotations

from typing import Protocol

TICKET_UPDATE_INTENT = "EXTERNAL_ticket_update"


class DeliveryRecord(Protocol):
    """Where the outcome of a push is written (the ticket store's history entry)."""

    def mark_notified(self, change_id: int, error: str | None = None) -> None: ...
