"""Remembering client message ids so a resent message reaches the bot only once.

The widget keeps unacknowledged messages in an outbox and sends them again after a
reconnect; if the first attempt did arrive (only its acknowledgement was lost), the second
must be dropped here. The resend may reach another Rasa server (scaled profile) or the same
one after a restart, so the channel remembers ids in the app database (:class:`SharedIds`,
on the channel toolkit's records); :class:`RecentIds` keeps them in this process only, for
tests of the bare channel.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import timedelta
from typing import Protocol

from channels.toolkit.records import Records


class SeenIds(Protocol):
    """Where the gate remembers client message ids."""

    async def seen(self, session: str, message_id: str) -> bool: ...

    async def claim(self, session: str, message_id: str) -> bool:
        """Remember ``message_id``; ``False`` if it was remembered already (by anyone)."""
        ...

    async def release(self, session: str, message_id: str) -> None:
        """Forget ``message_id``: its turn did not happen, so a resend must go through."""
        ...


class RecentIds:
    """The last ``per_session`` message ids of the ``max_sessions`` most active sessions."""

    def __init__(self, per_session: int = 500, max_sessions: int = 10_000) -> None:
        self._per_session = per_session
        self._max_sessions = max_sessions
        self._seen: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()

    async def seen(self, session: str, message_id: str) -> bool:
        ids = self._seen.get(session)
        return ids is not None and message_id in ids

    async def claim(self, session: str, message_id: str) -> bool:
        if await self.seen(session, message_id):
            return False
        ids = self._seen.pop(session, None) or OrderedDict()
        ids[message_id] = None
        while len(ids) > self._per_session:
            ids.popitem(last=False)
        self._seen[session] = ids
        while len(self._seen) > self._max_sessions:
            self._seen.popitem(last=False)
        return True

    async def release(self, session: str, message_id: str) -> None:
        ids = self._seen.get(session)
        if ids is not None:
            ids.pop(message_id, None)


#: The channel's name in the records table, and the kind of its message-id records.
RECORDS_CHANNEL, MESSAGE_ID_KIND = "webchat", "message_id"
#: How long a client message id is remembered: far longer than the widget keeps a message.
KEEP_IDS = timedelta(days=2)


class SharedIds:
    """Client message ids in the app database, shared by every process of the channel.

    The first process to claim ``(conversation, id)`` wins (an insert of a new key), so a
    resend that reaches another server, or this one after a restart, is a duplicate.
    Records older than :data:`KEEP_IDS` are pruned now and then.
    """

    def __init__(self, records: Records, prune_every: int = 1000) -> None:
        self.records = records
        self._prune_every = prune_every
        self._claims = 0

    async def seen(self, session: str, message_id: str) -> bool:
        found = await asyncio.to_thread(
            self.records.get, RECORDS_CHANNEL, MESSAGE_ID_KIND, _key(session, message_id)
        )
        return found is not None

    async def claim(self, session: str, message_id: str) -> bool:
        self._claims += 1
        if self._claims % self._prune_every == 0:
            await asyncio.to_thread(self.records.prune, RECORDS_CHANNEL, MESSAGE_ID_KIND, KEEP_IDS)
        return await asyncio.to_thread(
            self.records.put_if_absent, RECORDS_CHANNEL, MESSAGE_ID_KIND, _key(session, message_id), 1
        )

    async def release(self, session: str, message_id: str) -> None:
        await asyncio.to_thread(
            self.records.delete, RECORDS_CHANNEL, MESSAGE_ID_KIND, _key(session, message_id)
        )


def _key(session: str, message_id: str) -> str:
    return f"{session}/{message_id}"
