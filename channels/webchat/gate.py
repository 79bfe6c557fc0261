"""The decision whether an incoming chat message goes to the bot.

Checks run cheapest-first and in an order that keeps the outcome fair: a refused message
is not remembered as seen (the customer may shorten and resend it), and a resent
duplicate does not use up the session's rate limit.
"""

from __future__ import annotations

from enum import Enum

from channels.webchat.dedup import RecentIds
from channels.webchat.settings import WebChatSettings
from gopay_support.core.ratelimit import SlidingWindowLimiter


class Verdict(str, Enum):
    """The outcome for one message; its value is the ``status`` acknowledged to the widget."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    RATE_LIMITED = "rate_limited"


class MessageGate:
    def __init__(self, max_chars: int, limiter: SlidingWindowLimiter, recent: RecentIds) -> None:
        self.max_chars = max_chars
        self._limiter = limiter
        self._recent = recent

    @classmethod
    def from_settings(cls, webchat: WebChatSettings) -> MessageGate:
        limiter = SlidingWindowLimiter(webchat.rate_limit_messages, webchat.rate_limit_window)
        return cls(webchat.max_message_chars, limiter, RecentIds())

    def admit(self, session: str, text: str, client_id: str | None) -> Verdict:
        """Decide about ``text`` from ``session``; an accepted id is remembered as seen."""
        if not text.strip():
            return Verdict.EMPTY
        if len(text) > self.max_chars:
            return Verdict.TOO_LONG
        if client_id and self._recent.seen(session, client_id):
            return Verdict.DUPLICATE
        if not self._limiter.allow(session):
            return Verdict.RATE_LIMITED
        if client_id:
            self._recent.remember(session, client_id)
        return Verdict.ACCEPTED
