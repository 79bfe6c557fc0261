"""The customer's side of the agent queue in the web chat.

While a conversation waits for an agent the bot is paused (Rasa's conversation pause), so
nothing the bot says can acknowledge the customer's messages or let them change their mind.
The channel does it itself, from the handoff store:

* every accepted message's acknowledgement carries the queue state (``waiting`` with the
  position and expected wait, ``active`` with the agent's name, or ``none``), which the
  widget shows under the message and in its queue bar;
* ``handoff_status`` (socket.io, with ack) returns the same state, so the widget can
  refresh the position and wait while the customer reads;
* ``handoff_leave`` takes a waiting conversation out of the queue and hands it back to the
  bot through Rasa's HTTP API (resume, then ``EXTERNAL_handoff_left``, whose rule answers
  ``utter_handoff_left``). Asking again is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gopay_support.adapters.rasa.client import LEFT_INTENT, RasaClient, RasaUnavailable
from gopay_support.core.clock import utcnow
from gopay_support.core.handoff.model import HandoffStatus
from gopay_support.core.handoff.wait import estimate
from gopay_support.wiring import Services, process_services

logger = logging.getLogger(__name__)

NONE: dict[str, Any] = {"state": "none"}


class QueueDesk:
    def __init__(self, services: Services | None = None, rasa: RasaClient | None = None) -> None:
        self._services = services
        self._rasa = rasa
        #: Conversations whose hand-back failed: a repeated "leave" retries it.
        self._pending_hand_back: set[str] = set()

    @property
    def services(self) -> Services:
        if self._services is None:
            # Built by Rasa from credentials.yml: this is the channel's entry point.
            self._services = process_services()
        return self._services

    @property
    def rasa(self) -> RasaClient:
        if self._rasa is None:
            settings = self.services.settings
            self._rasa = RasaClient(settings.rasa_url, settings.rasa_token)
        return self._rasa

    def status(self, conversation: str) -> dict[str, Any]:
        """The queue state of ``conversation`` as the widget shows it."""
        services = self.services
        place = services.handoffs.standing(conversation)
        if place is None:
            return dict(NONE)
        handoff = place.handoff
        if handoff.status is HandoffStatus.ACTIVE:
            return {"state": "active", "agent": handoff.agent}
        settings = services.settings
        wait = estimate(
            place.position,
            services.agent_sessions.agents_on_duty(),
            utcnow(),
            settings.hours,
            settings.handoff,
        )
        return {
            "state": "waiting",
            "position": place.position,
            "wait_minutes": wait.minutes,
            "busy": wait.busy_period,
        }

    async def status_async(self, conversation: str) -> dict[str, Any]:
        try:
            return await asyncio.to_thread(self.status, conversation)
        except Exception:  # noqa: BLE001 - the chat goes on without the queue state
            logger.exception("web chat: queue state unavailable")
            return dict(NONE)

    async def leave(self, conversation: str) -> dict[str, Any]:
        """Back to the bot; returns the state afterwards (plus ``left`` when it happened)."""
        handoff, changed = await asyncio.to_thread(self.services.handoffs.leave, conversation)
        if handoff is None:
            return dict(NONE)
        if handoff.status is HandoffStatus.ACTIVE:
            return {"state": "active", "agent": handoff.agent}
        if changed or conversation in self._pending_hand_back:
            try:
                await self.rasa.hand_back(conversation, LEFT_INTENT)
                self._pending_hand_back.discard(conversation)
            except RasaUnavailable as exc:
                self._pending_hand_back.add(conversation)
                logger.error("web chat: left the queue, but the bot was not resumed: %s", exc)
                return {"state": "error"}
            logger.info("web chat: handoff %s left by the customer", handoff.id)
        return {"state": "none", "left": True}
