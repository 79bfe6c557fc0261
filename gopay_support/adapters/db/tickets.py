"""The ticket repository: create, read, change status and check who may see a ticket.

One :class:`TicketStore` wraps one database (SQLite by default, PostgreSQL through
``TICKETS_DB_URL``). The schema is brought to the newest Alembic revision the first time
the store is used, so a fresh checkout, the action server and the CLI all just work.
"""

from __future__ import annotations

import builtins
import logging
from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gopay_support.adapters.db.database import Database, aware
from gopay_support.adapters.db.schema import StatusChangeRow, TicketRow, VerificationAttemptRow
from gopay_support.core import tracking
from gopay_support.core.clock import Clock, utcnow
from gopay_support.core.contact import ContactKind, contact_matches
from gopay_support.core.errors import TicketError, TicketNotFound
from gopay_support.core.pii import mask_secrets
from gopay_support.core.tickets.model import (
    CATEGORY_BY_KEY,
    NewTicket,
    Priority,
    StatusChange,
    Ticket,
    TicketStatus,
    VerifyOutcome,
    require_transition,
)

log = logging.getLogger(__name__)

#: What an erased personal field reads afterwards.
ERASED = "[erased at the customer's request]"
#: Tracking-number collisions are astronomically rare (32^8); retry a few times anyway.
_MAX_NUMBER_ATTEMPTS = 5


class TicketStore:
    """Repository of support tickets in the app database."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = utcnow,
        verify_max_attempts: int = 3,
        verify_window: timedelta = timedelta(minutes=60),
        verify_max_per_address: int = 10,
    ) -> None:
        self._db = db
        self._clock = clock
        self.verify_max_attempts = verify_max_attempts
        self.verify_window = verify_window
        #: Wrong confirmations allowed from one client address (any tickets) per window.
        self.verify_max_per_address = verify_max_per_address

    @property
    def url(self) -> str:
        return self._db.url

    # -- setup -------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine, created and migrated to the newest schema on first use."""
        return self._db.engine

    def _session(self) -> AbstractContextManager[Session]:
        return self._db.session()

    def dispose(self) -> None:
        self._db.dispose()

    # -- tickets ---------------------------------------------------------------------

    def create(self, new: NewTicket, idempotency_key: str) -> tuple[Ticket, bool]:
        """Store ``new`` unless a ticket with ``idempotency_key`` exists.

        Returns the ticket and whether it was created now; a repeated call (Rasa retrying
        the submit action after a timeout) returns the first ticket instead of a duplicate.
        """
        if new.category not in CATEGORY_BY_KEY:
            raise TicketError(f"unknown category {new.category!r}")
        existing = self._by_key(idempotency_key)
        if existing is not None:
            return existing, False
        for _ in range(_MAX_NUMBER_ATTEMPTS):
            number = tracking.generate()
            try:
                return self._insert(new, idempotency_key, number), True
            except IntegrityError:
                existing = self._by_key(idempotency_key)
                if existing is not None:  # a concurrent retry won the race
                    return existing, False
                log.warning("tracking number collision, drawing a new one")
        raise TicketError("could not allocate a unique tracking number")

    def _insert(self, new: NewTicket, key: str, number: str) -> Ticket:
        now = self._clock()
        with self._session() as session:
            row = TicketRow(
                tracking_number=number,
                idempotency_key=key,
                category=new.category,
                # Stored for support staff: contacts stay, card and ID numbers and passwords go.
                description=mask_secrets(new.description),
                contact=new.contact,
                contact_kind=new.contact_kind.value,
                transaction_id=new.transaction_id,
                problem_time=new.problem_time,
                language=new.language,
                channel=new.channel,
                sender_id=new.sender_id,
                priority=CATEGORY_BY_KEY[new.category].priority.value,
                status=TicketStatus.OPEN.value,
                created_at=now,
                updated_at=now,
            )
            row.history.append(
                StatusChangeRow(
                    from_status=None,
                    to_status=TicketStatus.OPEN.value,
                    changed_at=now,
                    actor="assistant",
                    note=None,
                )
            )
            session.add(row)
            session.flush()
            return _to_ticket(row)

    def _by_key(self, key: str) -> Ticket | None:
        with self._session() as session:
            row = session.execute(
                select(TicketRow).where(TicketRow.idempotency_key == key)
            ).scalar_one_or_none()
            return _to_ticket(row) if row else None

    def get(self, number: str) -> Ticket | None:
        """The ticket with tracking number ``number`` in any spelling, or ``None``."""
        canonical = tracking.normalize(number or "")
        if canonical is None:
            return None
        with self._session() as session:
            row = self._row(session, canonical)
            return _to_ticket(row) if row else None

    def require(self, number: str) -> Ticket:
        ticket = self.get(number)
        if ticket is None:
            raise TicketNotFound(number)
        return ticket

    def list(
        self,
        *,
        status: TicketStatus | None = None,
        sender_id: str | None = None,
        limit: int = 50,
    ) -> list[Ticket]:
        """Newest first."""
        query = select(TicketRow).order_by(TicketRow.created_at.desc(), TicketRow.id.desc())
        if status is not None:
            query = query.where(TicketRow.status == status.value)
        if sender_id is not None:
            query = query.where(TicketRow.sender_id == sender_id)
        with self._session() as session:
            rows = session.execute(query.limit(limit)).scalars().all()
            return [_to_ticket(row) for row in rows]

    def set_status(
        self, number: str, new: TicketStatus, *, actor: str, note: str | None = None
    ) -> tuple[Ticket, StatusChange]:
        """Move a ticket to ``new`` if the transition is allowed, recording the history."""
        canonical = tracking.normalize(number or "") or number
        with self._session() as session:
            row = self._row(session, canonical, for_update=True)
            if row is None:
                raise TicketNotFound(number)
            current = TicketStatus(row.status)
            require_transition(row.tracking_number, current, new)
            now = self._clock()
            change = StatusChangeRow(
                from_status=current.value, to_status=new.value, changed_at=now, actor=actor, note=note
            )
            row.history.append(change)
            row.status = new.value
            row.updated_at = now
            session.flush()
            return _to_ticket(row), _to_change(change)

    def mark_notified(self, change_id: int, error: str | None = None) -> None:
        """Record whether a status change reached the user's conversation."""
        with self._session() as session:
            change = session.get(StatusChangeRow, change_id)
            if change is None:
                return
            if error is None:
                change.notified_at = self._clock()
                change.notify_error = None
            else:
                change.notify_error = error[:255]

    # -- privacy (docs/privacy.md) ---------------------------------------------------------

    def forget_personal_data(self, sender_id: str) -> builtins.list[str]:
        """Remove the personal fields of every ticket ``sender_id`` filed; their numbers,
        categories and status history stay for support. Returns the tracking numbers."""
        with self._session() as session:
            rows = session.execute(select(TicketRow).where(TicketRow.sender_id == sender_id)).scalars().all()
            for row in rows:
                row.contact = ERASED
                row.description = ERASED
                row.transaction_id = None
                row.problem_time = None
                row.updated_at = self._clock()
            return [row.tracking_number for row in rows]

    @staticmethod
    def _row(session: Session, canonical: str, for_update: bool = False) -> TicketRow | None:
        query = select(TicketRow).where(TicketRow.tracking_number == canonical)
        if for_update:
            query = query.with_for_update()
        return session.execute(query).scalar_one_or_none()

    # -- who may see a ticket ------------------------------------------------------------

    def is_owner(self, number: str, sender_id: str) -> bool:
        ticket = self.get(number)
        return ticket is not None and ticket.sender_id == sender_id

    def can_view(self, number: str, sender_id: str) -> bool:
        """The sender that filed the ticket, or one that confirmed its contact lately."""
        ticket = self.get(number)
        if ticket is None:
            return False
        if ticket.sender_id == sender_id:
            return True
        since = self._clock() - self.verify_window
        with self._session() as session:
            verified = session.execute(
                select(func.count(VerificationAttemptRow.id)).where(
                    VerificationAttemptRow.tracking_number == ticket.tracking_number,
                    VerificationAttemptRow.sender_id == sender_id,
                    VerificationAttemptRow.succeeded.is_(True),
                    VerificationAttemptRow.attempted_at >= since,
                )
            ).scalar_one()
        return verified > 0

    def is_locked(self, number: str, sender_id: str, client: str | None = None) -> bool:
        """Whether ``sender_id`` (from client address digest ``client``) may try no more.

        Wrong confirmations count per (ticket, asking conversation) and per client address
        (across tickets), never per ticket alone: a stranger's wrong tries lock out the
        stranger, not the customer confirming from their own conversation and address.
        """
        canonical = tracking.normalize(number or "") or (number or "")[: tracking.LENGTH]
        with self._session() as session:
            return self._locked(session, canonical, sender_id, client)

    def verify(self, number: str, sender_id: str, answer: str, client: str | None = None) -> VerifyOutcome:
        """Check a contact confirmation for ``number`` from someone who did not file it.

        Unknown numbers are answered and counted exactly like someone else's ticket, so the
        outcome never reveals whether a tracking number exists. ``client`` is the keyed
        digest of the asker's network address the channel put into the message metadata.
        """
        canonical = tracking.normalize(number or "") or (number or "")[: tracking.LENGTH]
        with self._session() as session:
            if self._locked(session, canonical, sender_id, client):
                return VerifyOutcome.LOCKED
            row = self._row(session, canonical)
            ok = row is not None and contact_matches(row.contact, ContactKind(row.contact_kind), answer)
            session.add(
                VerificationAttemptRow(
                    tracking_number=canonical,
                    sender_id=sender_id,
                    client_key=client,
                    succeeded=ok,
                    attempted_at=self._clock(),
                )
            )
            session.flush()
            if ok:
                return VerifyOutcome.VERIFIED
            if self._locked(session, canonical, sender_id, client):
                return VerifyOutcome.LOCKED
            return VerifyOutcome.WRONG

    def _locked(self, session: Session, canonical: str, sender_id: str, client: str | None) -> bool:
        since = self._clock() - self.verify_window
        failed = select(func.count(VerificationAttemptRow.id)).where(
            VerificationAttemptRow.succeeded.is_(False), VerificationAttemptRow.attempted_at >= since
        )
        mine = session.execute(
            failed.where(
                VerificationAttemptRow.tracking_number == canonical,
                VerificationAttemptRow.sender_id == sender_id,
            )
        ).scalar_one()
        if mine >= self.verify_max_attempts:
            return True
        if client:
            from_address = session.execute(
                failed.where(VerificationAttemptRow.client_key == client)
            ).scalar_one()
            return from_address >= self.verify_max_per_address
        return False


def _to_change(row: StatusChangeRow) -> StatusChange:
    return StatusChange(
        id=row.id,
        from_status=TicketStatus(row.from_status) if row.from_status else None,
        to_status=TicketStatus(row.to_status),
        changed_at=aware(row.changed_at),
        actor=row.actor,
        note=row.note,
        notified_at=aware(row.notified_at),
        notify_error=row.notify_error,
    )


def _to_ticket(row: TicketRow) -> Ticket:
    return Ticket(
        tracking_number=row.tracking_number,
        category=row.category,
        description=row.description,
        contact=row.contact,
        contact_kind=ContactKind(row.contact_kind),
        transaction_id=row.transaction_id,
        problem_time=row.problem_time,
        language=row.language,
        channel=row.channel,
        sender_id=row.sender_id,
        priority=Priority(row.priority),
        status=TicketStatus(row.status),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        history=tuple(_to_change(change) for change in row.history),
    )
