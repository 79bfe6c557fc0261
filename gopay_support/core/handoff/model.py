"""What a handoff is: its life cycle, why it happened, how urgent it is.

The single place for the handoff vocabulary; the store, the escalation action and the agent
console import it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from gopay_support.core.tickets.model import Priority

#: Customer-satisfaction ratings: 1 (poor) to 5 (excellent).
CSAT_RANGE = range(1, 6)
# A rating typed instead of pressed: "5", "4分", "3 stars", "5/5", "５" (full-width).
_TYPED_RATING_RE = re.compile(r"^\s*(\d)\s*(?:分|星|颗星|顆星|stars?|/\s*5)?\s*[.!。！]?\s*$", re.IGNORECASE)


def typed_rating(text: str) -> int | None:
    """The 1-5 rating a message consists of, or ``None`` when it is anything else."""
    match = _TYPED_RATING_RE.match(text or "")
    if not match:
        return None
    rating = int(match.group(1))
    return rating if rating in CSAT_RANGE else None


class HandoffStatus(str, enum.Enum):
    WAITING = "waiting"  # in the queue, bot paused, nobody owns it yet
    ACTIVE = "active"  # claimed by an agent
    RESOLVED = "resolved"  # handed back to the bot
    CANCELLED = "cancelled"  # the customer left the queue and went back to the bot


class Reason(str, enum.Enum):
    """What made the bot escalate (button presses arrive as ``human_handoff``)."""

    REQUESTED = "requested"
    NOT_UNDERSTOOD = "not_understood"
    ACCOUNT_COMPROMISED = "account_compromised"

    @property
    def priority(self) -> Priority:
        return Priority.HIGH if self is Reason.ACCOUNT_COMPROMISED else Priority.NORMAL


@dataclass(frozen=True)
class Turn:
    """One message of a transcript, already masked; ``role`` is user, bot or agent."""

    role: str
    text: str
    at: float | None = None
    agent: str | None = None
    #: The outbox key of a message the console sent (its delivery state is shown with it).
    key: str | None = None


@dataclass(frozen=True)
class Handoff:
    id: int
    sender_id: str
    channel: str | None
    language: str
    priority: Priority
    reason: Reason
    status: HandoffStatus
    agent: str | None
    ticket_number: str | None
    transcript: tuple[Turn, ...]
    created_at: datetime
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    csat_rating: int | None = None
    csat_at: datetime | None = None


@dataclass(frozen=True)
class Note:
    id: int
    agent: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Transfer:
    from_agent: str
    to_agent: str
    transferred_at: datetime


@dataclass(frozen=True)
class QueuePlace:
    """Where an escalated conversation stands: 1 = next to be picked up."""

    handoff: Handoff
    position: int
    created: bool
