"""The outbox channel ``conversation``: messages into a conversation from outside a turn,
delivered through Rasa's HTTP API (:class:`~gopay_support.adapters.rasa.client.RasaClient`).

The agent console enqueues here what it says to a customer, before it acknowledges: an
agent's reply, a ticket status push, the hand-back that resumes the bot and asks for the
rating (the ticket command line enqueues its status pushes the same way). An
:class:`~channels.toolkit.outbox.OutboxWorker` in the console process delivers them with
:func:`rasa_sender`, in order per conversation, retrying while Rasa is unreachable or
answers 5xx, refusing for good on a 4xx that will never succeed.

No duplicates: every message carries its outbox key into Rasa (in the bot event's metadata;
as the entity ``gopay_outbox_key`` of a triggered intent). When a try's outcome is unknown
(a timeout after the request left, a 5xx), the next try first looks for the key in the
conversation's tracker and sends nothing if it is there. The channels' outputs use the same
key for their own outbox entry (``channels.telegram.output``), so an event that reached
Rasa twice still reaches the customer once.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from channels.toolkit.outbox import OutboxMessage, Outgoing, Refused, RetryLater, Sender
from gopay_support.adapters.rasa.client import RESOLVED_INTENT, RasaClient, RasaUnavailable
from gopay_support.core.handoff.transcript import carries_key
from gopay_support.core.pii import mask
from gopay_support.core.tickets.notify import TICKET_UPDATE_INTENT, DeliveryRecord

CHANNEL = "conversation"

AGENT = "agent"  # an agent's reply, shown as theirs
SUPPORT = "support"  # a message from support (a status change while the bot is paused)
INTENT = "intent"  # an intent for the bot to react to (a status change to announce)
HAND_BACK = "hand_back"  # resume the bot, which then asks for the rating


# -- keys: the same message enqueued twice is kept once -------------------------------------


def reply_key(handoff_id: int, agent: str, client_id: str = "") -> str:
    """An agent reply's key: from the page's id for the message when it sent one (a POST
    repeated after a lost answer is enqueued once), else new."""
    if not client_id:
        return f"agent-reply:{handoff_id}:{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{agent}\x00{client_id}".encode()).hexdigest()[:32]
    return f"agent-reply:{handoff_id}:{digest}"


def status_key(change_id: int) -> str:
    """One push per status change, however often it is asked for."""
    return f"status:{change_id}"


def hand_back_key(handoff_id: int) -> str:
    """One hand-back (and rating prompt) per handoff, also between console processes."""
    return f"hand-back:{handoff_id}"


# -- messages -------------------------------------------------------------------------------


def agent_reply(key: str, agent: str, text: str) -> Outgoing:
    return Outgoing(key, {"kind": AGENT, "agent": agent, "text": text})


def support_message(key: str, text: str, change_id: int | None = None) -> Outgoing:
    return Outgoing(key, {"kind": SUPPORT, "text": text, "change": change_id})


def ticket_update(change_id: int, tracking_number: str) -> Outgoing:
    """The bot announces the ticket's status (the action reads it from the store)."""
    return Outgoing(
        status_key(change_id),
        {
            "kind": INTENT,
            "intent": TICKET_UPDATE_INTENT,
            "entities": {"ticket_id": tracking_number},
            "change": change_id,
        },
    )


def hand_back(handoff_id: int, intent: str = RESOLVED_INTENT) -> Outgoing:
    return Outgoing(hand_back_key(handoff_id), {"kind": HAND_BACK, "intent": intent})


# -- delivery -------------------------------------------------------------------------------


def arrived(events: Iterable[Mapping[str, Any]], key: str) -> bool:
    """Whether Rasa's events hold the message with outbox key ``key``."""
    return any(carries_key(event, key) for event in events)


def resume_key(key: str) -> str:
    """The key on the events that end the pause, the first step of a hand-back."""
    return f"{key}:resume"


async def _send(rasa: RasaClient, message: OutboxMessage, events: list[dict[str, Any]] | None) -> None:
    """Send ``message``; ``events``: the tracker as read before this try (after an unknown
    outcome), so a hand-back whose resume arrived goes on with the trigger."""
    payload, to, key = message.payload, message.conversation_id, message.key
    kind = payload.get("kind")
    if kind == AGENT:
        await rasa.send_agent_message(to, str(payload["agent"]), str(payload["text"]), key=key)
    elif kind == SUPPORT:
        await rasa.send_bot_message(to, str(payload["text"]), key=key)
    elif kind == INTENT:
        await rasa.trigger_intent(to, str(payload["intent"]), dict(payload.get("entities") or {}), key=key)
    elif kind == HAND_BACK:
        if events is None or not arrived(events, resume_key(key)):
            await rasa.resume(to, key=resume_key(key))
        await rasa.trigger_intent(to, str(payload.get("intent") or RESOLVED_INTENT), key=key)
    else:
        raise Refused(f"unknown message kind {kind!r}")


def rasa_sender(rasa: RasaClient, record: DeliveryRecord | None = None) -> Sender:
    """The outbox worker's sender for the ``conversation`` channel.

    ``record``: where a status push's outcome is written (the ticket history's notified /
    error), after every try, so the console shows why a push is still waiting.
    """

    async def note(message: OutboxMessage, error: str | None) -> None:
        change = message.payload.get("change")
        if record is not None and isinstance(change, int):
            await asyncio.to_thread(record.mark_notified, change, error)

    async def send(message: OutboxMessage) -> None:
        try:
            events = await rasa.events(message.conversation_id) if message.outcome_unknown else None
            if events is not None and arrived(events, message.key):
                await note(message, None)  # the earlier try got through
                return
            await _send(rasa, message, events)
        except RasaUnavailable as exc:
            error = mask(str(exc))
            await note(message, error)
            if exc.final:
                raise Refused(error) from None
            raise RetryLater(error, outcome_unknown=exc.maybe_applied or message.outcome_unknown) from None
        await note(message, None)

    return send
