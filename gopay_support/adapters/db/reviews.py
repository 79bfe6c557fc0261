"""The learning loop's review list: misunderstood messages and the labels agents gave them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gopay_support.adapters.db.database import Database, aware
from gopay_support.adapters.db.schema import ConsoleCursorRow, NluReviewRow
from gopay_support.core import review
from gopay_support.core.clock import Clock, utcnow

PENDING, LABELLED, DISMISSED = "pending", "labelled", "dismissed"
STATUSES = (PENDING, LABELLED, DISMISSED)


@dataclass(frozen=True)
class ReviewItem:
    id: int
    text: str
    language: str
    reason: str
    predicted: str
    confidence: float
    seen: int
    first_seen: datetime
    last_seen: datetime
    status: str
    label: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None


class ReviewNotFound(LookupError):
    pass


class ReviewStore:
    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    def record(self, misses: Iterable[review.Miss], fresh_since: float = 0.0) -> int:
        """Add misunderstood messages; a text already listed counts one more sighting, keeps
        its review, and takes the strongest reason seen.

        Misses older than ``fresh_since`` were read before (their conversation had new
        events): they only strengthen the reason, they are not counted again.
        """
        added = 0
        for miss in misses:
            seen_at = (
                datetime.fromtimestamp(miss.timestamp, tz=timezone.utc) if miss.timestamp else self.clock()
            )
            try:
                with self.db.session() as session:
                    row = session.execute(
                        select(NluReviewRow).where(NluReviewRow.text_key == miss.key).with_for_update()
                    ).scalar_one_or_none()
                    if row is None:
                        session.add(
                            NluReviewRow(
                                text_key=miss.key,
                                text=miss.text,
                                language=miss.language,
                                reason=miss.reason,
                                predicted=miss.predicted[:64],
                                confidence=miss.confidence,
                                sender_id=miss.sender_id,
                                seen=1,
                                first_seen=seen_at,
                                last_seen=seen_at,
                                status=PENDING,
                            )
                        )
                        added += 1
                        continue
                    if miss.timestamp < fresh_since:
                        row.reason = review.stronger(row.reason, miss.reason)
                        continue  # the same sighting read again
                    row.seen += 1
                    row.reason = review.stronger(row.reason, miss.reason)
                    row.sender_id = miss.sender_id
                    row.last_seen = max(aware(row.last_seen), seen_at)
            except IntegrityError:
                continue  # another console process added it at the same moment
        return added

    def items(self, status: str | None = PENDING, limit: int = 200) -> list[ReviewItem]:
        with self.db.session() as session:
            query = select(NluReviewRow).order_by(NluReviewRow.seen.desc(), NluReviewRow.last_seen.desc())
            if status:
                query = query.where(NluReviewRow.status == status)
            rows = session.execute(query.limit(limit)).scalars().all()
            return [_item(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.db.session() as session:
            rows = session.execute(
                select(NluReviewRow.status, func.count(NluReviewRow.id)).group_by(NluReviewRow.status)
            ).all()
        found = dict.fromkeys(STATUSES, 0)
        found.update({status: int(count) for status, count in rows})
        return found

    def label(self, item_id: int, label: str | None, reviewer: str) -> ReviewItem:
        """Give ``label`` (``None``: dismiss as noise). Giving the same answer again is a no-op."""
        if label is not None and not review.is_label(label):
            raise ValueError(f"unknown label {label!r}")
        with self.db.session() as session:
            row = session.get(NluReviewRow, item_id, with_for_update=True)
            if row is None:
                raise ReviewNotFound(item_id)
            status = LABELLED if label else DISMISSED
            if row.status != status or row.label != label:
                row.status, row.label = status, label
                row.reviewed_by, row.reviewed_at = reviewer, self.clock()
            return _item(row)

    def reopen(self, item_id: int) -> ReviewItem:
        with self.db.session() as session:
            row = session.get(NluReviewRow, item_id, with_for_update=True)
            if row is None:
                raise ReviewNotFound(item_id)
            row.status, row.label, row.reviewed_by, row.reviewed_at = PENDING, None, None, None
            return _item(row)

    def labelled(self) -> list[tuple[str, str]]:
        """``(label, text)`` of every labelled item, oldest review first."""
        with self.db.session() as session:
            rows = session.execute(
                select(NluReviewRow.label, NluReviewRow.text)
                .where(NluReviewRow.status == LABELLED)
                .order_by(NluReviewRow.reviewed_at, NluReviewRow.id)
            ).all()
            return [(str(label), str(text)) for label, text in rows]

    # -- cursors ---------------------------------------------------------------------------

    def cursor(self, name: str) -> int:
        with self.db.session() as session:
            row = session.get(ConsoleCursorRow, name)
            return int(row.position) if row else 0

    def move_cursor(self, name: str, position: int) -> None:
        with self.db.session() as session:
            row = session.get(ConsoleCursorRow, name, with_for_update=True)
            if row is None:
                session.add(ConsoleCursorRow(name=name, position=position, updated_at=self.clock()))
            elif position > row.position:
                row.position, row.updated_at = position, self.clock()


def _item(row: NluReviewRow) -> ReviewItem:
    return ReviewItem(
        id=row.id,
        text=row.text,
        language=row.language,
        reason=row.reason,
        predicted=row.predicted,
        confidence=row.confidence,
        seen=row.seen,
        first_seen=aware(row.first_seen),
        last_seen=aware(row.last_seen),
        status=row.status,
        label=row.label,
        reviewed_by=row.reviewed_by,
        reviewed_at=aware(row.reviewed_at),
    )
