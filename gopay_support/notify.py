"""Pushing ticket status changes into the user's conversation through Rasa's HTTP API.

Rasa's ``POST /conversations/{sender}/trigger_intent?output_channel=latest`` injects the
external intent ``EXTERNAL_ticket_update`` into the conversation that filed the ticket; the
announce action then tells the user, on whatever channel the user last used. The status
change itself is committed before the push, so a Rasa outage never loses it: the failure is
logged (masked) and recorded on the history entry for a later retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import requests

from gopay_support.config import settings
from gopay_support.pii import mask
from gopay_support.tickets import StatusChange, Ticket, TicketStore

log = logging.getLogger(__name__)

EXTERNAL_INTENT = "EXTERNAL_ticket_update"


class Transport(Protocol):
    """Sends one JSON POST; raises on network errors, returns the HTTP status code."""

    def post(self, url: str, payload: dict, params: dict[str, str]) -> int: ...


class HttpTransport:
    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout if timeout is not None else settings().tickets.notify_timeout

    def post(self, url: str, payload: dict, params: dict[str, str]) -> int:
        return requests.post(url, json=payload, params=params, timeout=self.timeout).status_code


@dataclass(frozen=True)
class NotifyResult:
    delivered: bool
    error: str | None = None


class Notifier:
    def __init__(self, store: TicketStore, transport: Transport | None = None,
                 rasa_url: str | None = None, token: str | None = None) -> None:
        self.store = store
        self.transport = transport or HttpTransport()
        self.rasa_url = (rasa_url or settings().rasa_url).rstrip("/")
        self.token = settings().rasa_token if token is None else token

    def push(self, ticket: Ticket, change: StatusChange) -> NotifyResult:
        """Trigger the update in the ticket's conversation and record the outcome."""
        url = f"{self.rasa_url}/conversations/{quote(ticket.sender_id, safe='')}/trigger_intent"
        params = {"output_channel": "latest"}
        if self.token:
            params["token"] = self.token
        # Only the number: the announce action reads the current status from the store.
        payload = {"name": EXTERNAL_INTENT, "entities": {"ticket_id": ticket.tracking_number}}
        try:
            status = self.transport.post(url, payload, params)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except Exception as exc:  # noqa: BLE001 - any transport failure is reported, not raised
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self.store.mark_notified(change.id)
            log.info("pushed status %s of %s", change.to_status.value, ticket.tracking_number)
            return NotifyResult(True)
        error = mask(error)
        log.warning("could not push status %s of %s to conversation %s: %s",
                    change.to_status.value, ticket.tracking_number, mask(ticket.sender_id), error)
        self.store.mark_notified(change.id, error=error)
        return NotifyResult(False, error)
