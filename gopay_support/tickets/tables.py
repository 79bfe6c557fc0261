"""SQLAlchemy 1.4 table definitions of the ticket store.

The schema itself is created and changed only by the Alembic migrations in
``migrations/versions``; these classes must be kept in step with them (a test compares).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class TicketRow(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    tracking_number = Column(String(11), nullable=False, unique=True)
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
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                       index=True)
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
    do not exist are limited exactly like attempts on real ones.
    """

    __tablename__ = "ticket_verification_attempts"
    __table_args__ = (Index("ix_ticket_verification_lookup", "tracking_number", "attempted_at"),)

    id = Column(Integer, primary_key=True)
    tracking_number = Column(String(11), nullable=False)
    sender_id = Column(String(255), nullable=False)
    succeeded = Column(Boolean, nullable=False)
    attempted_at = Column(DateTime(timezone=True), nullable=False)
