"""What a support ticket is: statuses and their allowed transitions, categories, priorities.

This is the single place that defines the ticket vocabulary; the store, the CLI, the
actions and the tests all import it, so a new status or category is added here only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Status(str, enum.Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_USER = "waiting_for_user"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: Allowed status changes. ``closed`` is final; a resolved ticket can be reopened when the
#: user reports the problem is still there.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_FOR_USER, Status.RESOLVED, Status.CLOSED}
    ),
    Status.IN_PROGRESS: frozenset({Status.WAITING_FOR_USER, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING_FOR_USER: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def can_transition(current: Status, new: Status) -> bool:
    return new in TRANSITIONS[current]


class Priority(str, enum.Enum):
    NORMAL = "normal"
    HIGH = "high"


class ContactKind(str, enum.Enum):
    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True)
class Category:
    key: str
    zh: str
    en: str
    priority: Priority = Priority.NORMAL

    def label(self, language: str | None) -> str:
        return self.en if language == "en" else self.zh


#: Ticket categories in the order they are offered as buttons.
CATEGORIES: tuple[Category, ...] = (
    Category("account_access", "注册/登录", "Sign-up / login"),
    Category("topup", "充值", "Top-up"),
    Category("withdrawal", "提现", "Withdrawal"),
    Category("refund", "退款", "Refund"),
    Category("security", "账户安全/可疑交易", "Account security / suspicious payment",
             Priority.HIGH),
    Category("privacy", "隐私与数据", "Privacy & data"),
    Category("other", "其他问题", "Other"),
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
    from_status: Status | None
    to_status: Status
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
    status: Status
    created_at: datetime
    updated_at: datetime
    history: tuple[StatusChange, ...] = ()
