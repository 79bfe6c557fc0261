"""Durable memory of the e-mail channel, in the app database (``TICKETS_DB_URL``).

* **Read position** of the mailbox folder: its UIDVALIDITY and the highest UID seen, so a
  restart reads only mail that arrived since.
  (Each new mail is then recorded in the shared inbox, :mod:`channels.toolkit.inbox`,
  before the position moves past it: that is what makes it processed exactly once.)
* **Threads**: whom a conversation answers (the From address of its first mail), its
  subject, ticket, the thread's Message-IDs for ``In-Reply-To``/``References``, the language
  of the latest mail and the numbered options of the latest answer.
* **Message-IDs** seen and sent per conversation: a reply that carries only
  ``In-Reply-To: <our answer>`` still finds its conversation.

Kept as the toolkit's generic channel records (:mod:`channels.toolkit.records`, channel
``"email"``) of the kinds ``"mailbox"`` (key: :func:`mailbox_id`), ``"thread"`` (key: the
conversation key) and ``"message_id"`` (key: the Message-ID): the channel has no table of
its own. The methods block; the service calls them through :func:`asyncio.to_thread`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from channels.email import threads
from channels.email.options import Option
from channels.toolkit import conventions
from channels.toolkit.records import MAX_KEY_CHARS, Records
from gopay_support.adapters.db import Database
from gopay_support.core.clock import Clock, utcnow

CHANNEL = "email"
MAX_ID_CHARS = MAX_KEY_CHARS

#: Kinds of the channel's records.
MAILBOX = "mailbox"
THREAD = "thread"
MESSAGE_ID = "message_id"


def mailbox_id(host: str, user: str, folder: str) -> str:
    """A stable name for one folder of one account, without the address in clear."""
    return hashlib.sha256(f"{host.lower()}\n{user.lower()}\n{folder}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class MailRef:
    """Where a mail is: the folder, its UIDVALIDITY and the mail's UID."""

    mailbox: str
    uidvalidity: int
    uid: int

    @property
    def key(self) -> str:
        """A short unique name of the mail (idempotency keys, tracker metadata)."""
        # Hex, so no long run of digits (which log masking would take for a phone number).
        return f"{self.mailbox[:12]}-v{self.uidvalidity:x}-u{self.uid:x}"


@dataclass(frozen=True)
class Position:
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class Thread:
    """One mail conversation, as the channel needs it to answer in the right thread."""

    key: str
    address: str
    name: str = ""
    subject: str = ""
    language: str | None = None
    ticket_number: str | None = None
    last_message_id: str | None = None
    references: tuple[str, ...] = ()
    options: tuple[Option, ...] = field(default=())

    @property
    def conversation_id(self) -> str:
        return conventions.conversation_id(CHANNEL, self.key)

    def with_message(self, message_id: str | None) -> Thread:
        """The thread after ``message_id`` (ours or the customer's) joined it."""
        if not message_id:
            return self
        chain = threads.references_for_reply(message_id, None, self.references)
        return replace(self, last_message_id=message_id, references=chain)


class EmailStore:
    """The channel's records on one database; every method is one short transaction."""

    def __init__(self, database: Database, clock: Clock = utcnow) -> None:
        self.records = Records(database, clock)

    @property
    def engine(self) -> Engine:
        return self.records.engine  # migrated to the newest schema on first use

    # -- read position -------------------------------------------------------------------
    def position(self, mailbox: str) -> Position | None:
        record = self.records.get(CHANNEL, MAILBOX, mailbox)
        return _position(record.value) if record else None

    def position_updated(self, mailbox: str) -> datetime | None:
        """When the read position last moved (the last poll that found mail)."""
        record = self.records.get(CHANNEL, MAILBOX, mailbox)
        return record.updated_at if record else None

    def set_position(self, mailbox: str, position: Position) -> None:
        """Record the position; a lower UID under the same UIDVALIDITY never moves it back."""

        def forward(current: Mapping[str, Any] | None) -> dict[str, int] | None:
            if current is not None:
                known = _position(current)
                if known.uidvalidity == position.uidvalidity and known.last_uid >= position.last_uid:
                    return None  # a late writer with an older view: keep what is there
            return {"uidvalidity": position.uidvalidity, "last_uid": position.last_uid}

        self.records.update(CHANNEL, MAILBOX, mailbox, forward)

    # -- threads -------------------------------------------------------------------------
    def thread(self, key: str) -> Thread | None:
        record = self.records.get(CHANNEL, THREAD, key)
        return _thread(key, record.value) if record else None

    def save_thread(self, thread: Thread) -> None:
        self.records.put(
            CHANNEL,
            THREAD,
            thread.key,
            {
                "address": thread.address,
                "name": thread.name[:200],
                "subject": thread.subject[:500],
                "language": thread.language,
                "ticket_number": thread.ticket_number,
                "last_message_id": _fits(thread.last_message_id),
                "references": [r for r in thread.references if _fits(r)],
                "options": [[o.number, o.title, o.payload] for o in thread.options],
            },
        )

    # -- Message-IDs ---------------------------------------------------------------------
    def remember_message_id(self, message_id: str | None, key: str, outbound: bool) -> None:
        """Note the conversation of a Message-ID; the first conversation keeps it (a
        re-sent mail, a replay)."""
        if not message_id or not _fits(message_id):
            return
        self.records.put_if_absent(
            CHANNEL, MESSAGE_ID, message_id, {"conversation": key, "outbound": outbound}
        )

    def conversation_of(self, ids: Iterable[str]) -> str | None:
        """The conversation of the newest known id among ``ids`` (given oldest first)."""
        wanted = [i for i in ids if i and _fits(i)]
        if not wanted:
            return None
        known = self.records.get_many(CHANNEL, MESSAGE_ID, wanted)
        for candidate in reversed(wanted):
            if candidate in known:
                return str(known[candidate].value["conversation"])
        return None

    def seen_inbound(self, message_id: str | None) -> bool:
        """Whether a customer mail with this Message-ID was processed already."""
        if not message_id or not _fits(message_id):
            return False
        record = self.records.get(CHANNEL, MESSAGE_ID, message_id)
        return bool(record is not None and not record.value["outbound"])


def _fits(message_id: str | None) -> str | None:
    return message_id if message_id and len(message_id) <= MAX_ID_CHARS else None


def _position(value: Mapping[str, Any]) -> Position:
    return Position(int(value["uidvalidity"]), int(value["last_uid"]))


def _thread(key: str, value: Mapping[str, Any]) -> Thread:
    return Thread(
        key=key,
        address=value["address"],
        name=value["name"],
        subject=value["subject"],
        language=value["language"],
        ticket_number=value["ticket_number"],
        last_message_id=value["last_message_id"],
        references=tuple(value["references"]),
        options=tuple(Option(int(n), str(t), str(p)) for n, t, p in value["options"]),
    )
