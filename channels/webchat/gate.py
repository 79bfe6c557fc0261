"""The decision whether an incoming chat message goes to the bot.

Checks run cheapest-first and in an order that keeps the outcome fair: a refused message
is not remembered as seen (the customer may shorten and resend it), and a resent
duplicate does not use up any rate limit. Messages are counted per conversation, per socket
connection and per client address, all of which must have room: a new session before every
message does not reset the count, and neither does a new connection.
"""

from __future__ import annotations

from enum import Enum

from channels.webchat.dedup import RecentIds, SeenIds
from channels.webchat.settings import WebChatSettings
from gopay_support.adapters.shared_limits import LimiterFactory
from gopay_support.core.ratelimit import SlidingWindowLimiter, WindowLimiter, allow_all


class Verdict(str, Enum):
    """The outcome for one message; its value is the ``status`` acknowledged to the widget."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    RATE_LIMITED = "rate_limited"


class MessageGate:
    def __init__(
        self,
        max_chars: int,
        limiter: WindowLimiter,
        recent: SeenIds,
        per_address: WindowLimiter | None = None,
    ) -> None:
        self.max_chars = max_chars
        #: Counts per conversation and per connection (keys ``c:`` and ``s:``).
        self._limiter = limiter
        if per_address is None:
            per_address = SlidingWindowLimiter(limiter.limit * 3, limiter.window)
        self._per_address = per_address
        self._recent = recent

    @classmethod
    def from_settings(
        cls, webchat: WebChatSettings, recent: SeenIds | None = None, limiters: LimiterFactory | None = None
    ) -> MessageGate:
        """The gate of ``webchat``; ids and limits shared by every server when given."""
        limiters = limiters or LimiterFactory()
        window = webchat.rate_limit_window
        limiter = limiters("webchat", webchat.rate_limit_messages, window)
        per_address = limiters("webchat-address", webchat.address_rate_limit, window)
        return cls(webchat.max_message_chars, limiter, recent or RecentIds(), per_address)

    async def admit(
        self, session: str, text: str, client_id: str | None, *, connection: str = "", address: str = ""
    ) -> Verdict:
        """Decide about ``text`` in conversation ``session``; an accepted id is remembered."""
        if not text.strip():
            return Verdict.EMPTY
        if len(text) > self.max_chars:
            return Verdict.TOO_LONG
        if client_id and await self._recent.seen(session, client_id):
            return Verdict.DUPLICATE
        checks = [(self._limiter, f"c:{session}")]
        if connection:
            checks.append((self._limiter, f"s:{connection}"))
        if address:
            checks.append((self._per_address, address))
        if allow_all(checks) is not None:
            return Verdict.RATE_LIMITED
        if client_id and not await self._recent.claim(session, client_id):
            return Verdict.DUPLICATE  # the same resend, admitted meanwhile by another server
        return Verdict.ACCEPTED

    async def release(self, session: str, client_id: str | None) -> None:
        """An admitted message whose turn did not happen: its resend is not a duplicate."""
        if client_id:
            await self._recent.release(session, client_id)

    def admit_connection(self, address: str) -> bool:
        """A new socket from ``address``: counted against the same per-address budget."""
        return allow_all([(self._per_address, f"connect:{address}")]) is None
