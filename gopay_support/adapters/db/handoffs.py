"""The handoff queue: escalated conversations, who owns them, notes, transfers and ratings.

Ownership rules are enforced here rather than in the console's handlers, so every way of
changing a handoff (console, tests, a future CLI) refuses an agent acting on a conversation
someone else has claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from gopay_support.adapters.db.database import Database, aware
from gopay_support.adapters.db.schema import HandoffNoteRow, HandoffRow, HandoffTransferRow
from gopay_support.core.clock import Clock, utcnow
from gopay_support.core.errors import HandoffNotFound, InvalidState, NotOwner
from gopay_support.core.handoff import transcript as transcripts
from gopay_support.core.handoff.model import (
    CSAT_RANGE,
    Handoff,
    HandoffStatus,
    Note,
    QueuePlace,
    Reason,
    Transfer,
    Turn,
)
from gopay_support.core.tickets.model import Priority

_OPEN = (HandoffStatus.WAITING.value, HandoffStatus.ACTIVE.value)
#: High priority first, then first come, first served.
_QUEUE_ORDER = (
    case((HandoffRow.priority == Priority.HIGH.value, 0), else_=1),
    HandoffRow.created_at,
    HandoffRow.id,
)


class HandoffStore:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    # -- escalation (bot side) -------------------------------------------------------------

    def enqueue(
        self,
        *,
        sender_id: str,
        channel: str | None,
        language: str,
        reason: Reason,
        transcript: Sequence[Turn],
        ticket_number: str | None,
    ) -> QueuePlace:
        """Put a conversation in the queue, or report where it already is.

        Asking again while waiting keeps the place (a raised priority is applied), so a
        user pressing the button twice does not end up at the back of the queue.
        """
        with self.db.session() as session:
            row = self._open_row(session, sender_id)
            created = row is None
            if row is None:
                row = HandoffRow(
                    sender_id=sender_id,
                    channel=channel,
                    language=language,
                    priority=reason.priority.value,
                    reason=reason.value,
                    status=HandoffStatus.WAITING.value,
                    ticket_number=ticket_number,
                    transcript=transcripts.dumps(transcript),
                    created_at=self.clock(),
                )
                session.add(row)
            elif reason.priority is Priority.HIGH:
                row.priority = Priority.HIGH.value
            session.flush()
            return QueuePlace(_to_handoff(row), self._position(session, row), created)

    def open_for(self, sender_id: str) -> Handoff | None:
        with self.db.session() as session:
            row = self._open_row(session, sender_id)
            return _to_handoff(row) if row else None

    def waiting_count(self) -> int:
        with self.db.session() as session:
            return session.execute(
                select(func.count(HandoffRow.id)).where(HandoffRow.status == HandoffStatus.WAITING.value)
            ).scalar_one()

    def rate(self, sender_id: str, rating: int) -> Handoff | None:
        """Store the CSAT rating on the sender's latest resolved, not yet rated handoff."""
        if rating not in CSAT_RANGE:
            raise ValueError("rating must be 1-5")
        with self.db.session() as session:
            row = session.execute(
                select(HandoffRow)
                .where(
                    HandoffRow.sender_id == sender_id,
                    HandoffRow.status == HandoffStatus.RESOLVED.value,
                    HandoffRow.csat_rating.is_(None),
                )
                .order_by(HandoffRow.resolved_at.desc(), HandoffRow.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if row is None:
                return None
            row.csat_rating, row.csat_at = rating, self.clock()
            return _to_handoff(row)

    # -- the console (agent side) ----------------------------------------------------------

    def queue(self) -> list[QueuePlace]:
        """Waiting conversations in pick-up order, then the claimed ones."""
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(HandoffRow).where(HandoffRow.status.in_(_OPEN)).order_by(*_QUEUE_ORDER)
                )
                .scalars()
                .all()
            )
            waiting = [r for r in rows if r.status == HandoffStatus.WAITING.value]
            active = [r for r in rows if r.status == HandoffStatus.ACTIVE.value]
            return [QueuePlace(_to_handoff(r), i, False) for i, r in enumerate(waiting, 1)] + [
                QueuePlace(_to_handoff(r), 0, False) for r in active
            ]

    def recent_resolved(self, limit: int = 20) -> list[Handoff]:
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(HandoffRow)
                    .where(HandoffRow.status == HandoffStatus.RESOLVED.value)
                    .order_by(HandoffRow.resolved_at.desc())
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            return [_to_handoff(r) for r in rows]

    def get(self, handoff_id: int) -> Handoff:
        with self.db.session() as session:
            return _to_handoff(self._row(session, handoff_id))

    def claim(self, handoff_id: int, agent: str) -> Handoff:
        with self.db.session() as session:
            row = self._row(session, handoff_id, for_update=True)
            if row.status == HandoffStatus.RESOLVED.value:
                raise InvalidState("this conversation is already resolved", code="already_resolved")
            if row.status == HandoffStatus.CANCELLED.value:
                raise InvalidState("the customer left the queue", code="customer_left")
            if row.status == HandoffStatus.ACTIVE.value and row.agent != agent:
                raise NotOwner(f"claimed by {row.agent}", code="claimed_by", agent=row.agent or "")
            if row.status == HandoffStatus.WAITING.value:
                row.status, row.agent, row.claimed_at = HandoffStatus.ACTIVE.value, agent, self.clock()
            return _to_handoff(row)

    def require_owner(self, handoff_id: int, agent: str) -> Handoff:
        """The handoff if ``agent`` owns it now; refuses everybody else."""
        with self.db.session() as session:
            return _to_handoff(self._owned(session, handoff_id, agent))

    def transfer(self, handoff_id: int, agent: str, to_agent: str) -> Handoff:
        with self.db.session() as session:
            row = self._row(session, handoff_id, for_update=True)
            if row.status == HandoffStatus.ACTIVE.value and row.agent == to_agent != agent:
                last = session.execute(
                    select(HandoffTransferRow)
                    .where(HandoffTransferRow.handoff_id == row.id)
                    .order_by(HandoffTransferRow.id.desc())
                    .limit(1)
                ).scalar_one_or_none()
                if last is not None and last.from_agent == agent:
                    return _to_handoff(row)  # the same transfer again: already done
            row = self._owned(session, handoff_id, agent)
            if to_agent == agent:
                raise InvalidState("choose another agent", code="same_agent")
            row.agent = to_agent
            session.add(
                HandoffTransferRow(
                    handoff_id=row.id, from_agent=agent, to_agent=to_agent, transferred_at=self.clock()
                )
            )
            return _to_handoff(row)

    def resolve(self, handoff_id: int, agent: str, resolution: str) -> Handoff:
        """Hand the conversation back; repeating it (to retry resuming the bot) is allowed
        for the agent who resolved it."""
        with self.db.session() as session:
            row = self._row(session, handoff_id, for_update=True)
            if row.status == HandoffStatus.RESOLVED.value and row.agent == agent:
                return _to_handoff(row)
            row = self._owned(session, handoff_id, agent)
            row.status, row.resolved_at = HandoffStatus.RESOLVED.value, self.clock()
            row.resolution = resolution
            return _to_handoff(row)

    def add_note(self, handoff_id: int, agent: str, text: str) -> Note:
        with self.db.session() as session:
            row = self._owned(session, handoff_id, agent)
            note = HandoffNoteRow(handoff_id=row.id, agent=agent, text=text, created_at=self.clock())
            session.add(note)
            session.flush()
            return _to_note(note)

    def notes(self, handoff_id: int) -> list[Note]:
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(HandoffNoteRow)
                    .where(HandoffNoteRow.handoff_id == handoff_id)
                    .order_by(HandoffNoteRow.id)
                )
                .scalars()
                .all()
            )
            return [_to_note(r) for r in rows]

    def transfers(self, handoff_id: int) -> list[Transfer]:
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(HandoffTransferRow)
                    .where(HandoffTransferRow.handoff_id == handoff_id)
                    .order_by(HandoffTransferRow.id)
                )
                .scalars()
                .all()
            )
            return [Transfer(r.from_agent, r.to_agent, aware(r.transferred_at)) for r in rows]

    # -- the customer leaving the queue, queue standing ---------------------------------------

    def standing(self, sender_id: str) -> QueuePlace | None:
        """Where the sender's open handoff stands (position 0 once an agent claimed it)."""
        with self.db.session() as session:
            row = self._open_row(session, sender_id)
            if row is None:
                return None
            return QueuePlace(_to_handoff(row), self._position(session, row), False)

    def leave(self, sender_id: str) -> tuple[Handoff | None, bool]:
        """The customer goes back to the bot while still waiting.

        Returns the handoff and whether this call changed it: repeating the request after the
        handoff was cancelled returns it unchanged, so a retried "back to the bot" is harmless.
        A claimed conversation is not left this way (the agent is already with the customer).
        """
        with self.db.session() as session:
            row = self._open_row(session, sender_id)
            if row is not None and row.status == HandoffStatus.WAITING.value:
                row.status, row.resolved_at = HandoffStatus.CANCELLED.value, self.clock()
                return _to_handoff(row), True
            if row is not None:
                return _to_handoff(row), False
            latest = session.execute(
                select(HandoffRow)
                .where(HandoffRow.sender_id == sender_id)
                .order_by(HandoffRow.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if latest is not None and latest.status == HandoffStatus.CANCELLED.value:
                return _to_handoff(latest), False
            return None, False

    # -- history, search and figures (console) ----------------------------------------------

    def of_sender(self, sender_id: str, limit: int = 50) -> list[Handoff]:
        """Every handoff of one conversation id, newest first."""
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(HandoffRow)
                    .where(HandoffRow.sender_id == sender_id)
                    .order_by(HandoffRow.id.desc())
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            return [_to_handoff(r) for r in rows]

    def between(self, start: datetime, end: datetime) -> list[Handoff]:
        """Handoffs created, or rated, in ``[start, end)``."""
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(HandoffRow)
                    .where(
                        or_(
                            and_(HandoffRow.created_at >= start, HandoffRow.created_at < end),
                            and_(HandoffRow.csat_at >= start, HandoffRow.csat_at < end),
                        )
                    )
                    .order_by(HandoffRow.id)
                )
                .scalars()
                .all()
            )
            return [_to_handoff(r) for r in rows]

    def search(self, text: str, limit: int = 20) -> list[Handoff]:
        """Handoffs whose transcript, resolution or notes contain ``text`` (newest first)."""
        pattern = f"%{_escape_like(text)}%"
        with self.db.session() as session:
            noted = select(HandoffNoteRow.handoff_id).where(HandoffNoteRow.text.like(pattern, escape="\\"))
            rows = (
                session.execute(
                    select(HandoffRow)
                    .where(
                        or_(
                            HandoffRow.transcript.like(pattern, escape="\\"),
                            HandoffRow.resolution.like(pattern, escape="\\"),
                            HandoffRow.ticket_number == text.upper(),
                            HandoffRow.id.in_(noted),
                        )
                    )
                    .order_by(HandoffRow.id.desc())
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            return [_to_handoff(r) for r in rows]

    def by_senders(self, sender_ids: Sequence[str]) -> list[Handoff]:
        if not sender_ids:
            return []
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(HandoffRow)
                    .where(HandoffRow.sender_id.in_(list(sender_ids)))
                    .order_by(HandoffRow.id.desc())
                )
                .scalars()
                .all()
            )
            return [_to_handoff(r) for r in rows]

    # -- helpers ---------------------------------------------------------------------------

    # -- privacy (docs/privacy.md) ---------------------------------------------------------

    def count_for(self, sender_id: str) -> int:
        with self.db.session() as session:
            return len(session.execute(select(HandoffRow.id).where(HandoffRow.sender_id == sender_id)).all())

    def forget_transcripts(self, sender_id: str) -> int:
        """Erase the stored transcripts of ``sender_id``'s handoffs (the queue history stays)."""
        with self.db.session() as session:
            rows = (
                session.execute(select(HandoffRow).where(HandoffRow.sender_id == sender_id)).scalars().all()
            )
            for row in rows:
                row.transcript = "[]"
            return len(rows)

    def forget_transcripts_before(self, cutoff: datetime) -> int:
        """Erase the transcripts of handoffs resolved before ``cutoff`` (retention)."""
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(HandoffRow).where(
                        HandoffRow.resolved_at.is_not(None),
                        HandoffRow.resolved_at < cutoff,
                        HandoffRow.transcript != "[]",
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.transcript = "[]"
            return len(rows)

    @staticmethod
    def _row(session: Session, handoff_id: int, for_update: bool = False) -> HandoffRow:
        query = select(HandoffRow).where(HandoffRow.id == handoff_id)
        if for_update:
            query = query.with_for_update()
        row = session.execute(query).scalar_one_or_none()
        if row is None:
            raise HandoffNotFound(f"no handoff {handoff_id}", code="not_found")
        return row

    def _owned(self, session: Session, handoff_id: int, agent: str) -> HandoffRow:
        row = self._row(session, handoff_id, for_update=True)
        if row.status == HandoffStatus.RESOLVED.value:
            raise InvalidState("this conversation is already resolved", code="already_resolved")
        if row.status == HandoffStatus.CANCELLED.value:
            raise InvalidState("the customer left the queue", code="customer_left")
        if row.status != HandoffStatus.ACTIVE.value:
            raise NotOwner("claim the conversation first", code="claim_first")
        if row.agent != agent:
            raise NotOwner(f"claimed by {row.agent}", code="claimed_by", agent=row.agent or "")
        return row

    @staticmethod
    def _open_row(session: Session, sender_id: str) -> HandoffRow | None:
        return session.execute(
            select(HandoffRow)
            .where(HandoffRow.sender_id == sender_id, HandoffRow.status.in_(_OPEN))
            .order_by(HandoffRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    @staticmethod
    def _position(session: Session, row: HandoffRow) -> int:
        if row.status != HandoffStatus.WAITING.value:
            return 0
        ids = (
            session.execute(
                select(HandoffRow.id)
                .where(HandoffRow.status == HandoffStatus.WAITING.value)
                .order_by(*_QUEUE_ORDER)
            )
            .scalars()
            .all()
        )
        return ids.index(row.id) + 1


def _to_handoff(row: HandoffRow) -> Handoff:
    return Handoff(
        id=row.id,
        sender_id=row.sender_id,
        channel=row.channel,
        language=row.language,
        priority=Priority(row.priority),
        reason=Reason(row.reason),
        status=HandoffStatus(row.status),
        agent=row.agent,
        ticket_number=row.ticket_number,
        transcript=transcripts.loads(row.transcript),
        created_at=aware(row.created_at),
        claimed_at=aware(row.claimed_at),
        resolved_at=aware(row.resolved_at),
        resolution=row.resolution,
        csat_rating=row.csat_rating,
        csat_at=aware(row.csat_at),
    )


def _to_note(row: HandoffNoteRow) -> Note:
    return Note(id=row.id, agent=row.agent, text=row.text, created_at=aware(row.created_at))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
