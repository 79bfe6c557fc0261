"""The app database's schema: one SQLAlchemy MetaData for every table of the assistant.

Tickets and their history, the handoff queue with notes, transfers and agent sessions, and
the channels' durable records all live in one database (SQLite by default, PostgreSQL in
the scaled profile). The schema is created and changed only by the one Alembic chain in
``migrations/versions``; these classes must match it (``tests/adapters/db/test_schema.py``
runs Alembic autogenerate against them and expects no changes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from gopay_support.core import tracking

#: Typed ``Any``: SQLAlchemy 1.4 declarative classes are not understood by mypy without its plugin.
Base: Any = declarative_base()
metadata = Base.metadata

#: Width of a tracking-number column: derived from the format, never written as a number.
TRACKING_NUMBER = String(tracking.LENGTH)


class TicketRow(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    tracking_number = Column(TRACKING_NUMBER, nullable=False, unique=True)
    #: Derived from the conversation and the form run, so a retried submit finds its ticket.
    idempotency_key = Column(String(128), nullable=False, unique=True)
    category = Column(String(32), nullable=False)
    description = Column(Text, nullable=False)
    contact = Column(String(254), nullable=False)
    contact_kind = Column(String(8), nullable=False)
    transaction_id = Column(String(64))
    problem_time = Column(String(100))
    language = Column(String(8), nullable=False)
    channel = Column(String(64))
    sender_id = Column(String(255), nullable=False, index=True)
    priority = Column(String(16), nullable=False)
    status = Column(String(32), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)

    history = relationship(
        "StatusChangeRow", order_by="StatusChangeRow.id", back_populates="ticket", lazy="selectin"
    )


class StatusChangeRow(Base):
    __tablename__ = "ticket_status_changes"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    from_status = Column(String(32))
    to_status = Column(String(32), nullable=False)
    changed_at = Column(DateTime(timezone=True), nullable=False)
    actor = Column(String(64), nullable=False)
    note = Column(Text)
    #: When the change reached the user's conversation; NULL while not (yet) delivered.
    notified_at = Column(DateTime(timezone=True))
    notify_error = Column(String(255))

    ticket = relationship("TicketRow", back_populates="history")


class VerificationAttemptRow(Base):
    """A contact confirmation for a ticket by someone other than its sender.

    Keyed by the tracking number as typed (not a foreign key), so attempts on numbers that
    do not exist are limited exactly like attempts on real ones. Tries are counted per
    (number, asking conversation) and per client address (``client_key``, a keyed digest
    the channel computed; revision 0008_security).
    """

    __tablename__ = "ticket_verification_attempts"
    __table_args__ = (
        Index("ix_ticket_verification_lookup", "tracking_number", "attempted_at"),
        Index("ix_ticket_verification_client", "client_key", "attempted_at"),
    )

    id = Column(Integer, primary_key=True)
    tracking_number = Column(TRACKING_NUMBER, nullable=False)
    sender_id = Column(String(255), nullable=False)
    client_key = Column(String(32))
    succeeded = Column(Boolean, nullable=False)
    attempted_at = Column(DateTime(timezone=True), nullable=False)


class HandoffRow(Base):
    """One escalated conversation, from waiting in the queue to resolved and rated."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64))
    language = Column(String(8), nullable=False)
    priority = Column(String(16), nullable=False)
    reason = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, index=True)
    agent = Column(String(64))
    ticket_number = Column(TRACKING_NUMBER)
    #: The conversation up to the escalation, already masked (JSON list of turns).
    transcript = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    claimed_at = Column(DateTime(timezone=True))
    resolved_at = Column(DateTime(timezone=True))
    resolution = Column(Text)
    csat_rating = Column(Integer)
    csat_at = Column(DateTime(timezone=True))


class HandoffNoteRow(Base):
    """An internal note: seen by agents only, never sent to the customer."""

    __tablename__ = "handoff_notes"

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    agent = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class HandoffTransferRow(Base):
    __tablename__ = "handoff_transfers"

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    from_agent = Column(String(64), nullable=False)
    to_agent = Column(String(64), nullable=False)
    transferred_at = Column(DateTime(timezone=True), nullable=False)


class AgentSessionRow(Base):
    """A console login. Only a hash of the cookie value is stored."""

    __tablename__ = "agent_sessions"

    token_hash = Column(String(64), primary_key=True)
    agent = Column(String(64), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    last_seen = Column(DateTime(timezone=True), nullable=False, index=True)


class TelegramProcessedUpdateRow(Base):
    """A Telegram update id already handled (update ids are unique per bot only)."""

    __tablename__ = "telegram_processed_updates"

    bot_id = Column(BigInteger, primary_key=True, autoincrement=False)
    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    received_at = Column(DateTime, nullable=False, index=True)


class TelegramCallbackPayloadRow(Base):
    """A button payload longer than Telegram's 64-byte ``callback_data``, under a short key."""

    __tablename__ = "telegram_callback_payloads"

    key = Column(String(32), primary_key=True)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)


class NluReviewRow(Base):
    """A message the bot did not understand, waiting for (or after) an agent's review.

    One row per distinct text (``text_key``: hash of the normalised, case-folded text), so a
    message many customers write the same way is reviewed once; ``seen`` counts them.
    """

    __tablename__ = "nlu_reviews"

    id = Column(Integer, primary_key=True)
    text_key = Column(String(64), nullable=False, unique=True)
    #: Masked (phone numbers, e-mail addresses and card numbers hidden) before it is stored.
    text = Column(Text, nullable=False)
    language = Column(String(8), nullable=False)
    reason = Column(String(32), nullable=False)
    predicted = Column(String(64), nullable=False)
    confidence = Column(Float, nullable=False)
    sender_id = Column(String(255), nullable=False)
    seen = Column(Integer, nullable=False)
    first_seen = Column(DateTime(timezone=True), nullable=False)
    last_seen = Column(DateTime(timezone=True), nullable=False)
    #: pending, labelled (``label`` set; ``out_of_scope`` when truly out of scope) or dismissed.
    status = Column(String(16), nullable=False, index=True)
    label = Column(String(64))
    reviewed_by = Column(String(64))
    reviewed_at = Column(DateTime(timezone=True))


class ConsoleCursorRow(Base):
    """How far the console has read an append-only source (e.g. the tracker store's events)."""

    __tablename__ = "console_cursors"

    name = Column(String(64), primary_key=True)
    position = Column(BigInteger, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)


#: Ids of the delivery tables: 64-bit on PostgreSQL, SQLite's ROWID alias (INTEGER) there.
_DELIVERY_ID = BigInteger().with_variant(Integer(), "sqlite")


class InboxMessageRow(Base):
    """An inbound message, recorded before the platform is answered (channels/toolkit/inbox.py).

    ``(channel, dedup_key)`` is unique, so a re-delivery (Telegram's retry, the widget's resend,
    a REST client's retry) finds the first record instead of making a second turn. Entries of
    one conversation are processed one at a time in ``(sequence, id)`` order; a lease marks
    the process working on one, and a crashed process's lease runs out so another replays it.
    """

    __tablename__ = "inbox_messages"
    __table_args__ = (
        UniqueConstraint("channel", "dedup_key", name="uq_inbox_messages_channel_dedup_key"),
        Index("ix_inbox_messages_due", "state", "next_attempt_at"),
        Index("ix_inbox_messages_conversation", "channel", "conversation_id", "state", "sequence"),
    )

    id = Column(_DELIVERY_ID, primary_key=True)
    channel = Column(String(32), nullable=False)
    conversation_id = Column(String(255), nullable=False)
    dedup_key = Column(String(191), nullable=False)
    #: Order within the conversation (Telegram's update_id; 0 elsewhere: arrival order).
    sequence = Column(BigInteger, nullable=False)
    payload = Column(Text, nullable=False)
    #: pending (to do or being done), done, failed (gave up; the user was told)
    state = Column(String(16), nullable=False)
    attempts = Column(Integer, nullable=False)
    next_attempt_at = Column(DateTime, nullable=False)
    lease_owner = Column(String(64))
    lease_until = Column(DateTime)
    received_at = Column(DateTime, nullable=False, index=True)
    finished_at = Column(DateTime)
    #: What the turn answered (JSON), for a client that asks again with the same key.
    result = Column(Text)
    last_error = Column(String(255))


class OutboxMessageRow(Base):
    """Something to send, kept until delivered or refused (channels/toolkit/outbox.py).

    ``idempotency_key`` is unique: enqueuing the same message twice (a replayed turn, a
    double-clicked button) keeps one. One conversation's messages leave one at a time in
    ``id`` order. ``in_doubt`` is set while a try is under way and stays set when its
    outcome is unknown, so the next try can check the platform first where it can.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_outbox_messages_idempotency_key"),
        Index("ix_outbox_messages_due", "state", "next_attempt_at"),
        Index("ix_outbox_messages_conversation", "channel", "conversation_id", "state", "id"),
    )

    id = Column(_DELIVERY_ID, primary_key=True)
    channel = Column(String(32), nullable=False)
    conversation_id = Column(String(255), nullable=False)
    idempotency_key = Column(String(191), nullable=False)
    payload = Column(Text, nullable=False)
    #: pending (to send or being sent), sent, refused (permanently; or too old to send)
    state = Column(String(16), nullable=False)
    attempts = Column(Integer, nullable=False)
    in_doubt = Column(Boolean, nullable=False)
    next_attempt_at = Column(DateTime, nullable=False)
    lease_owner = Column(String(64))
    lease_until = Column(DateTime)
    created_at = Column(DateTime, nullable=False, index=True)
    finished_at = Column(DateTime)
    #: What the platform answered (JSON), e.g. Telegram's message id.
    result = Column(Text)
    last_error = Column(String(255))


class ChannelRecordRow(Base):
    """A channel's own durable record: a JSON value under ``(channel, kind, key)``
    (channels/toolkit/records.py).

    Every channel keeps what it must remember (read positions, threads, ids it has seen)
    here, under its own ``channel`` name and kinds of its choosing, so adding a channel
    adds no table. ``updated_at`` is when the value last changed; old records of a kind are
    pruned by it.
    """

    __tablename__ = "channel_records"
    __table_args__ = (Index("ix_channel_records_updated", "channel", "kind", "updated_at"),)

    channel = Column(String(32), primary_key=True)
    kind = Column(String(32), primary_key=True)
    key = Column(String(255), primary_key=True)
    #: JSON text.
    value = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
