"""Remembering client message ids so a resent message reaches the bot only once.

The widget keeps unacknowledged messages in an outbox and sends them again after a
reconnect; if the first attempt did arrive (only its acknowledgement was lost), the second
must be dropped here.
"""

from __future__ import annotations

import re
from collections import OrderedDict

_CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def valid_client_id(value: object) -> str | None:
    """The client message id if it is well formed, else ``None`` (no de-duplication)."""
    if isinstance(value, str) and _CLIENT_ID_RE.fullmatch(value):
        return value
    return None


class RecentIds:
    """The last ``per_session`` message ids of the ``max_sessions`` most active sessions."""

    def __init__(self, per_session: int = 500, max_sessions: int = 10_000) -> None:
        self._per_session = per_session
        self._max_sessions = max_sessions
        self._seen: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()

    def seen(self, session: str, message_id: str) -> bool:
        ids = self._seen.get(session)
        return ids is not None and message_id in ids

    def remember(self, session: str, message_id: str) -> None:
        ids = self._seen.pop(session, None) or OrderedDict()
        ids[message_id] = None
        while len(ids) > self._per_session:
            ids.popitem(last=False)
        self._seen[session] = ids
        while len(self._seen) > self._max_sessions:
            self._seen.popitem(last=False)
