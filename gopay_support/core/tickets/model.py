"""What a support ticket is: statuses and their allowed transitions, categories, priorities.

This is the single place that defines the ticket vocabulary; the store, the CLI, the
actions and the tests all import it, so a new status or category is added here only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from gopay_support.core.catalogue import Bilingual
from gopay_support.core.contact import ContactKind
from gopay_support.core.errors import InvalidTransition


class TicketStatus(str, enum.Enum):
    """Where a ticket is in its lifecycle (see ``TRANSITIONS``)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_USER = "waiting_for_user"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: Allowed status changes. ``closed`` is final; a resolved ticket can be reopened when the
#: user reports the problem is still there.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.WAITING_FOR_USER, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.IN_PROGRESS: frozenset(
        {TicketStatus.WAITING_FOR_USER, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.WAITING_FOR_USER: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}


def can_transition(current: TicketStatus, new: TicketStatus) -> bool:
    return new in TRANSITIONS[current]


def require_transition(number: str, current: TicketStatus, new: TicketStatus) -> None:
    """Raise :class:`InvalidTransition` unless the lifecycle allows ``current`` -> ``new``."""
    if not can_transition(current, new):
        raise InvalidTransition(number, current.value, new.value, (s.value for s in TRANSITIONS[current]))


class Priority(str, enum.Enum):
    """How urgent a ticket or a handoff is; security problems are always high."""

    NORMAL = "normal"
    HIGH = "high"


class VerifyOutcome(str, enum.Enum):
    """Result of a contact confirmation (a ``str`` so it can be stored in a slot)."""

    VERIFIED = "verified"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class Category:
    key: str
    title: Bilingual
    priority: Priority = Priority.NORMAL

    def label(self, language: str | None) -> str:
        return self.title.get(language)


#: Ticket categories in the order they are offered as buttons.
CATEGORIES: tuple[Category, ...] = (
    Category("account_access", Bilingual("注册/登录", "Sign-up / login")),
    Category("topup", Bilingual("充值", "Top-up")),
    Category("withdrawal", Bilingual("提现", "Withdrawal")),
    Category("refund", Bilingual("退款", "Refund")),
    Category(
        "security", Bilingual("账户安全/可疑交易", "Account security / suspicious payment"), Priority.HIGH
    ),
    Category("privacy", Bilingual("隐私与数据", "Privacy & data")),
    Category("other", Bilingual("其他问题", "Other")),
)
CATEGORY_BY_KEY: dict[str, Category] = {c.key: c for c in CATEGORIES}

#: FAQ topics (``faq/<topic>``, see docs/nlu_labels.md) and plain intents that name a
#: ticket category, used to pre-fill the category from what the user was just asking about.
TOPIC_CATEGORY: dict[str, str] = {
    "faq/register": "account_access",
    "faq/register_problem": "account_access",
    "faq/login_problem": "account_access",
    "faq/topup_failed": "topup",
    "faq/withdraw_delayed": "withdrawal",
    "faq/refund_failed": "refund",
    "faq/account_security": "security",
    "faq/is_it_safe": "security",
    "account_compromised": "security",
    "faq/privacy": "privacy",
}


@dataclass(frozen=True)
class NewTicket:
    """What the ticket form collected; validated and normalised before it gets here."""

    category: str
    description: str = field(repr=False)
    contact: str = field(repr=False)
    contact_kind: ContactKind
    sender_id: str
    language: str = "zh"
    channel: str | None = None
    transaction_id: str | None = None
    problem_time: str | None = None


@dataclass(frozen=True)
class StatusChange:
    id: int
    from_status: TicketStatus | None
    to_status: TicketStatus
    changed_at: datetime
    actor: str
    note: str | None
    notified_at: datetime | None
    notify_error: str | None


@dataclass(frozen=True)
class Ticket:
    """A detached, read-only view of a stored ticket (no open database session needed).

    Personal data is left out of ``repr`` so that logging a ticket cannot leak it.
    """

    tracking_number: str
    category: str
    description: str = field(repr=False)
    contact: str = field(repr=False)
    contact_kind: ContactKind
    transaction_id: str | None = field(repr=False)
    problem_time: str | None = field(repr=False)
    language: str
    channel: str | None
    sender_id: str
    priority: Priority
    status: TicketStatus
    created_at: datetime
    updated_at: datetime
    history: tuple[StatusChange, ...] = ()
