"""JSON shapes the console's browser code reads. Texts are sent as data and rendered with
``textContent`` on the page; transcripts are masked before they get here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gopay_support.core.handoff.model import Handoff, Note, QueuePlace, Transfer, Turn
from gopay_support.core.tickets.model import Ticket


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _summary(h: Handoff, me: str) -> dict[str, Any]:
    """What both the queue row and the conversation view show about a handoff."""
    return {
        "id": h.id,
        "channel": h.channel or "-",
        "language": h.language,
        "priority": h.priority.value,
        "reason": h.reason.value,
        "status": h.status.value,
        "agent": h.agent,
        "mine": h.agent == me,
    }


def queue_item(place: QueuePlace, last: Turn | None, now: datetime, me: str) -> dict[str, Any]:
    h = place.handoff
    return {
        **_summary(h, me),
        "position": place.position,
        "waiting_seconds": int((now - h.created_at).total_seconds()),
        "last_message": last.text if last else "",
    }


def rated(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "agent": handoff.agent,
        "channel": handoff.channel or "-",
        "resolved_at": _iso(handoff.resolved_at),
        "csat_rating": handoff.csat_rating,
    }


def turn(item: Turn) -> dict[str, Any]:
    return {"role": item.role, "text": item.text, "at": item.at, "agent": item.agent}


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
    }


def detail(
    h: Handoff,
    transcript: list[Turn],
    notes: list[Note],
    transfers: list[Transfer],
    linked: Ticket | None,
    me: str,
) -> dict[str, Any]:
    return {
        **_summary(h, me),
        "sender": h.sender_id,
        "created_at": _iso(h.created_at),
        "resolution": h.resolution,
        "csat_rating": h.csat_rating,
        "transcript": [turn(t) for t in transcript],
        "notes": [note(n) for n in notes],
        "transfers": [transfer(t) for t in transfers],
        "ticket": ticket(linked, h.language),
    }
