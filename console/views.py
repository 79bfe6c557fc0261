"""JSON shapes the console's browser code reads. Texts are sent as data and rendered with
``textContent`` on the page; transcripts are masked before they get here.

Conversations are named by their short public id (:func:`~gopay_support.core.conversation.public_id`),
never by the conversation id itself: for older web chat conversations that id was the
customer's session secret, and agents have no use for any channel's raw id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from channels.toolkit.outbox import Delivery, DeliveryState
from gopay_support.core.conversation import public_id
from gopay_support.core.handoff.model import Handoff, Note, QueuePlace, Transfer, Turn
from gopay_support.core.pii import mask
from gopay_support.core.tickets.model import TRANSITIONS, Ticket


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _summary(h: Handoff, me: str) -> dict[str, Any]:
    """What both the queue row and the conversation view show about a handoff."""
    return {
        "id": h.id,
        "conversation": public_id(h.sender_id),
        "channel": h.channel or "-",
        "language": h.language,
        "priority": h.priority.value,
        "reason": h.reason.value,
        "status": h.status.value,
        "agent": h.agent,
        "mine": h.agent == me,
    }


def times(h: Handoff, now: datetime) -> dict[str, int | None]:
    """Waiting stops at the claim (or when the customer left); handling runs from the claim
    to the resolution."""
    waited_until = h.claimed_at or h.resolved_at or now
    handled_until = h.resolved_at or now
    return {
        "waiting_seconds": max(0, int((waited_until - h.created_at).total_seconds())),
        "handling_seconds": (
            max(0, int((handled_until - h.claimed_at).total_seconds())) if h.claimed_at else None
        ),
    }


def queue_item(
    place: QueuePlace, turns: list[Turn], now: datetime, me: str, estimate_minutes: int | None = None
) -> dict[str, Any]:
    h = place.handoff
    last = next((t for t in reversed(turns) if t.role == "user"), None)
    return {
        **_summary(h, me),
        **times(h, now),
        "position": place.position,
        "estimate_minutes": estimate_minutes,
        "created_at": _iso(h.created_at),
        "last_message": last.text if last else "",
        #: Messages the customer wrote so far: the page counts the ones the agent has not seen.
        "user_messages": sum(1 for t in turns if t.role == "user"),
    }


def queue(
    places: list[QueuePlace],
    transcripts: list[list[Turn]],
    estimates: dict[int, int],
    recent: list[Handoff],
    now: datetime,
    me: str,
) -> dict[str, Any]:
    items = [
        queue_item(place, turns, now, me, estimates.get(place.handoff.id))
        for place, turns in zip(places, transcripts, strict=True)
    ]
    return {"queue": items, "resolved": [rated(h) for h in recent]}


def rated(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "agent": handoff.agent,
        "channel": handoff.channel or "-",
        "resolved_at": _iso(handoff.resolved_at),
        "csat_rating": handoff.csat_rating,
    }


def turn(item: Turn) -> dict[str, Any]:
    return {"role": item.role, "text": item.text, "at": item.at, "agent": item.agent, "key": item.key}


#: The delivery states the page shows (the outbox's states in the agents' words).
DELIVERY_STATES = {
    DeliveryState.PENDING: "queued",
    DeliveryState.SENT: "sent",
    DeliveryState.REFUSED: "failed",
}


def delivery_state(item: Delivery | None) -> str:
    return DELIVERY_STATES[item.state] if item is not None else "queued"


def delivery(item: Delivery) -> dict[str, Any]:
    """A message the console sent to the conversation, and where it stands; texts masked."""
    text = item.payload.get("text")
    return {
        "key": item.key,
        "kind": item.payload.get("kind"),
        "agent": item.payload.get("agent"),
        "text": mask(text) if isinstance(text, str) else None,
        "state": delivery_state(item),
        "attempts": item.attempts,
        "error": item.last_error if item.state is not DeliveryState.SENT else None,
        "at": _iso(item.created_at),
    }


def note(item: Note) -> dict[str, Any]:
    return {"agent": item.agent, "text": item.text, "at": _iso(item.created_at)}


def transfer(item: Transfer) -> dict[str, Any]:
    return {"from": item.from_agent, "to": item.to_agent, "at": _iso(item.transferred_at)}


def ticket(item: Ticket | None, language: str) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "number": item.tracking_number,
        "status": item.status.value,
        "category": item.category,
        "priority": item.priority.value,
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
        "next": sorted(s.value for s in TRANSITIONS[item.status]),
        "history": [
            {
                "from": c.from_status.value if c.from_status else None,
                "to": c.to_status.value,
                "at": _iso(c.changed_at),
                "actor": c.actor,
                "note": c.note,
                "notified": c.notified_at is not None,
                "notify_error": bool(c.notify_error),
            }
            for c in item.history
        ],
    }


def detail(
    h: Handoff,
    transcript: list[Turn],
    notes: list[Note],
    transfers: list[Transfer],
    linked: Ticket | None,
    me: str,
    now: datetime,
    deliveries: Sequence[Delivery] = (),
) -> dict[str, Any]:
    return {
        **_summary(h, me),
        **times(h, now),
        "created_at": _iso(h.created_at),
        "claimed_at": _iso(h.claimed_at),
        "resolved_at": _iso(h.resolved_at),
        "resolution": h.resolution,
        "csat_rating": h.csat_rating,
        "transcript": [turn(t) for t in transcript],
        "notes": [note(n) for n in notes],
        "transfers": [transfer(t) for t in transfers],
        "ticket": ticket(linked, h.language),
        "deliveries": [delivery(d) for d in deliveries],
    }
