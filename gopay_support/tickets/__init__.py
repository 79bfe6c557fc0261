"""Support tickets (issue 3): model, validation of form input, and the database store.

Import from here; the submodules are an implementation detail:
``from gopay_support.tickets import TicketStore, Status, NewTicket``.
"""

from gopay_support.tickets.model import (
    CATEGORIES,
    CATEGORY_BY_KEY,
    TRANSITIONS,
    Category,
    ContactKind,
    NewTicket,
    Priority,
    Status,
    StatusChange,
    Ticket,
    can_transition,
)
from gopay_support.tickets.store import (
    InvalidTransition,
    TicketError,
    TicketNotFound,
    TicketStore,
    VerifyOutcome,
    default_store,
)

__all__ = [
    "CATEGORIES",
    "CATEGORY_BY_KEY",
    "TRANSITIONS",
    "Category",
    "ContactKind",
    "InvalidTransition",
    "NewTicket",
    "Priority",
    "Status",
    "StatusChange",
    "Ticket",
    "TicketError",
    "TicketNotFound",
    "TicketStore",
    "VerifyOutcome",
    "can_transition",
    "default_store",
]
