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

Tables: :mod:`gopay_support.adapters.db.schema` (Alembic ``0007_email``). The methods block;
the service calls them through :func:`asyncio.to_thread`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from channels.email import threads
from channels.email.options import Option
from channels.toolkit import conventions
from gopay_support.adapters.db import Database
from gopay_support.adapters.db.database import aware
from gopay_support.adapters.db.schema import (
    EmailMailboxRow,
    EmailMessageIdRow,
    EmailThreadRow,
)
from gopay_support.core.clock import Clock, utcnow

CHANNEL = "email"
MAX_ID_CHARS = 255

mailboxes = EmailMailboxRow.__table__
thread_rows = EmailThreadRow.__table__
message_ids = EmailMessageIdRow.__table__


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
    """The channel's tables on one database; every method is one short transaction."""

    def __init__(self, database: Database, clock: Clock = utcnow) -> None:
        self._db = database
        self._clock = clock

    @property
    def engine(self) -> Engine:
        return self._db.engine  # migrated to the newest schema on first use

    # -- read position -------------------------------------------------------------------
    def position(self, mailbox: str) -> Position | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(mailboxes.c.uidvalidity, mailboxes.c.last_uid).where(mailboxes.c.mailbox == mailbox)
            ).first()
        return Position(int(row.uidvalidity), int(row.last_uid)) if row else None

    def position_updated(self, mailbox: str) -> datetime | None:
        """When the read position last moved (the last poll that found mail)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(mailboxes.c.updated_at).where(mailboxes.c.mailbox == mailbox)
            ).scalar_one_or_none()
        return aware(value)

    def set_position(self, mailbox: str, position: Position) -> None:
        """Record the position; a lower UID under the same UIDVALIDITY never moves it back."""
        now = self._clock()
        with self.engine.begin() as conn:
            current = conn.execute(
                select(mailboxes.c.uidvalidity, mailboxes.c.last_uid)
                .where(mailboxes.c.mailbox == mailbox)
                .with_for_update()
            ).first()
            if current is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(mailboxes).values(
                                mailbox=mailbox,
                                uidvalidity=position.uidvalidity,
                                last_uid=position.last_uid,
                                updated_at=now,
                            )
                        )
                    return
                except IntegrityError:
                    pass  # another server recorded it first: update below
            condition = mailboxes.c.mailbox == mailbox
            if current is not None and int(current.uidvalidity) == position.uidvalidity:
                condition = and_(condition, mailboxes.c.last_uid < position.last_uid)
            conn.execute(
                update(mailboxes)
                .where(condition)
                .values(uidvalidity=position.uidvalidity, last_uid=position.last_uid, updated_at=now)
            )

    # -- threads -------------------------------------------------------------------------
    def thread(self, key: str) -> Thread | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(thread_rows).where(thread_rows.c.conversation_key == key)).first()
        return _thread(row) if row else None

    def save_thread(self, thread: Thread) -> None:
        now = self._clock()
        values = {
            "address": thread.address,
            "name": thread.name[:200],
            "subject": thread.subject[:500],
            "language": thread.language,
            "ticket_number": thread.ticket_number,
            "last_message_id": _fits(thread.last_message_id),
            "references": json.dumps([r for r in thread.references if _fits(r)]),
            "options": json.dumps(
                [[o.number, o.title, o.payload] for o in thread.options], ensure_ascii=False
            ),
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            result = conn.execute(
                update(thread_rows).where(thread_rows.c.conversation_key == thread.key).values(**values)
            )
            if result.rowcount == 0:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(thread_rows).values(conversation_key=thread.key, created_at=now, **values)
                        )
                except IntegrityError:
                    conn.execute(
                        update(thread_rows)
                        .where(thread_rows.c.conversation_key == thread.key)
                        .values(**values)
                    )

    # -- Message-IDs ---------------------------------------------------------------------
    def remember_message_id(self, message_id: str | None, key: str, outbound: bool) -> None:
        if not message_id or not _fits(message_id):
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(message_ids).values(
                        message_id=message_id,
                        conversation_key=key,
                        outbound=outbound,
                        created_at=self._clock(),
                    )
                )
        except IntegrityError:
            pass  # seen before (a re-sent mail, a replay): the first conversation keeps it

    def conversation_of(self, ids: Iterable[str]) -> str | None:
        """The conversation of the newest known id among ``ids`` (given oldest first)."""
        wanted = [i for i in ids if i and _fits(i)]
        if not wanted:
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(message_ids.c.message_id, message_ids.c.conversation_key).where(
                    message_ids.c.message_id.in_(wanted)
                )
            ).all()
        known = {row.message_id: row.conversation_key for row in rows}
        for candidate in reversed(wanted):
            if candidate in known:
                return str(known[candidate])
        return None

    def seen_inbound(self, message_id: str | None) -> bool:
        """Whether a customer mail with this Message-ID was processed already."""
        if not message_id or not _fits(message_id):
            return False
        with self.engine.connect() as conn:
            row = conn.execute(
                select(message_ids.c.outbound).where(message_ids.c.message_id == message_id)
            ).first()
        return bool(row is not None and not row.outbound)


def _fits(message_id: str | None) -> str | None:
    return message_id if message_id and len(message_id) <= MAX_ID_CHARS else None


def _thread(row: object) -> Thread:
    data = row._mapping  # type: ignore[attr-defined]
    options: Sequence[Sequence[object]] = json.loads(data["options"] or "[]")
    return Thread(
        key=data["conversation_key"],
        address=data["address"],
        name=data["name"],
        subject=data["subject"],
        language=data["language"],
        ticket_number=data["ticket_number"],
        last_message_id=data["last_message_id"],
        references=tuple(json.loads(data["references"] or "[]")),
        options=tuple(Option(int(str(n)), str(t), str(p)) for n, t, p in options),
    )
