"""Rasa's SQL tracker store, with events read back without a per-event class search, and
the erasure a customer can ask for (docs/privacy.md).

Every turn Rasa loads the conversation from the store and rebuilds each event from its
JSON; for each one ``Event.resolve_by_type`` walks the whole ``Event`` class tree (about
30 subclasses, recursively) to find the class for a type name. In a 30-turn conversation
that was 4-5 ms of a 20 ms turn. The mapping never changes once the classes are loaded, so
it is memoised here, when the Rasa server loads this store (``endpoints.yml``:
``type: gopay_support.adapters.rasa.tracker_store.SQLTrackerStoreFastEvents``). Behaviour is unchanged:
unknown names still raise, and only successful look-ups are remembered.

Privacy: when a turn set the ``privacy_erased`` slot (``action_privacy_erase``, after the
customer confirmed), saving that turn deletes every stored event of the conversation
instead of appending the turn, so nothing of it remains;
:meth:`SQLTrackerStoreFastEvents.purge_inactive` removes the conversations untouched for
longer than the retention period
(``python -m gopay_support privacy purge``).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import sqlalchemy
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from sqlalchemy import func

logger = logging.getLogger(__name__)

#: The slot action_privacy_erase sets once it erased the customer's data (actions/privacy.py).
ERASED_SLOT = "privacy_erased"

_resolve_uncached = Event.resolve_by_type


@lru_cache(maxsize=256)
def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    return _resolve_uncached(type_name, default)


def memoise_event_type_lookup() -> None:
    """Idempotent: install the memoised look-up on Rasa's ``Event`` class."""
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


class TrackerStoreUnusable(RasaException):
    """The configured tracker store cannot keep conversations (Rasa would use memory)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The tracker store cannot be used ({detail}). Fix tracker_store in the endpoints "
            "file (for SQLite: the folder of `db` must exist) instead of running without one."
        )


class SQLTrackerStoreFastEvents(SQLTrackerStore):
    """``type: SQL`` as Rasa ships it, plus the memoised event-type look-up."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - Rasa's signature
        memoise_event_type_lookup()
        super().__init__(*args, **kwargs)
        self._require_tables()

    def _require_tables(self) -> None:
        """Fail the server's start when the store cannot be used.

        Rasa's SQL store only logs "Could not create tables" (e.g. an SQLite file in a folder
        that does not exist) and then every turn falls back to an in-memory store: the
        conversations would be lost at the next restart without anyone noticing.
        """
        try:
            ready = sqlalchemy.inspect(self.engine).has_table(self.Base.metadata.sorted_tables[0].name)
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise TrackerStoreUnusable(f"{self.engine.url!r}: {type(exc).__name__}: {exc}") from exc
        if not ready:
            raise TrackerStoreUnusable(f"{self.engine.url!r}: the events table could not be created")

    async def save(self, tracker: DialogueStateTracker) -> None:
        if erased_this_turn(tracker):
            removed = self.erase(tracker.sender_id)
            logger.info("privacy: a conversation was erased at the customer's request (%d events)", removed)
            return
        await super().save(tracker)

    def erase(self, sender_id: str) -> int:
        """Delete every stored event of ``sender_id``; returns how many there were."""
        with self.session_scope() as session:
            removed = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        return int(removed or 0)

    def purge_inactive(self, before: float) -> int:
        """Delete the conversations whose newest event is older than ``before`` (a Unix time);
        returns how many conversations were removed."""
        with self.session_scope() as session:
            stale = (
                session.query(self.SQLEvent.sender_id)
                .group_by(self.SQLEvent.sender_id)
                .having(func.max(self.SQLEvent.timestamp) < before)
                .all()
            )
            senders = [row[0] for row in stale]
            for start in range(0, len(senders), 500):
                chunk = senders[start : start + 500]
                session.query(self.SQLEvent).filter(self.SQLEvent.sender_id.in_(chunk)).delete(
                    synchronize_session=False
                )
            session.commit()
        return len(senders)


def erased_this_turn(tracker: DialogueStateTracker) -> bool:
    """Whether the erasure was confirmed since the conversation's latest user message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == ERASED_SLOT and event.value is True:
            return True
    return False
