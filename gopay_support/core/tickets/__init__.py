"""Support tickets: what a ticket is, its lifecycle, and the rules for what users type.

``model`` holds the vocabulary (statuses, transitions, categories, priorities); ``validation``
the forgiving parsing of form answers. The store lives in the database adapter.
"""

from gopay_support.core.tickets.model import (
    CATEGORIES,
    CATEGORY_BY_KEY,
    TOPIC_CATEGORY,
    TRANSITIONS,
    Category,
    NewTicket,
    Priority,
    StatusChange,
    Ticket,
    TicketStatus,
    VerifyOutcome,
    can_transition,
    require_transition,
)

__all__ = [
    "CATEGORIES",
    "CATEGORY_BY_KEY",
    "TOPIC_CATEGORY",
    "TRANSITIONS",
    "Category",
    "NewTicket",
    "Priority",
    "StatusChange",
    "Ticket",
    "TicketStatus",
    "VerifyOutcome",
    "can_transition",
    "require_transition",
]
