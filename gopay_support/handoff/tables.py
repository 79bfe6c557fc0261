"""SQLAlchemy 1.4 tables of the human handoff: queue entries, notes, transfers, sessions.

They live in the app database next to the tickets; the schema is created and changed only by
the Alembic revision ``0003_handoff`` (gopay_support/tickets/migrations), which these
classes must match.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


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
    ticket_number = Column(String(11))
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
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    agent = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class HandoffTransferRow(Base):
    __tablename__ = "handoff_transfers"

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False,
                        index=True)
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
