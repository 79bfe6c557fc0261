"""Rasa's SQL tracker store, with events read back without a per-event class search, and
the erasure a customer can ask for (docs/privacy.md).

Every turn Rasa loads the conversation from the store and rebuilds each event from its
JSON; for each one ``Event.resolve_by_type`` walks the whole ``Event`` class tree (about
30 subclasses, recursively) to find the class for a type name. In a 30-turn conversation
that was 4-5 ms of a 20 ms turn. The mapping never changes once the classes are loaded, so
it is memoised here, when the Rasa server loads this store (``endpoints.yml``:
``type: gopay_support.adapters.rasa.tracker_store.SQLTrackerStoreFastEvents``). Behaviour is unchanged:
unknown names still raise, and only successful look-ups are remembered.

Per-turn cost (issue 11), with the durability a process crash needs:

* SQLite runs in WAL mode with ``synchronous=NORMAL`` on every connection of the store's
  engine (a listener on ``connect``), and the connections are pooled instead of opened per
  query: a commit appends to the write-ahead log without waiting for the disk, and a
  committed turn survives a crash of the Rasa process (a power cut may lose the last turns).
* One commit and no count per save: the events to add are the ones after those the tracker
  was read back with, instead of Rasa's count of the stored events of the session.
* A bounded window for prediction: :meth:`retrieve` (every turn) reads the events from a
  stored window start on (the latest ``window_user_turns`` to twice that many user turns,
  10-20 by default), preceded by events that re-create the state before it (the slots that
  were set, a paused conversation), so the work per turn does not grow with the
  conversation. The window starts at an ``action_listen`` before a user turn and only
  where no form is active; a session started inside it ends what came before, as in
  Rasa's query. :meth:`retrieve_full_tracker` (the console, Rasa's HTTP API) still reads
  every event. What the action server receives is the window: a handoff transcript or a
  contact typed more than 10-20 user turns ago is not in it. ``window_user_turns: 0`` in
  endpoints.yml turns the window off.

Misconfiguration fails at start (:class:`TrackerStoreMisconfigured`) instead of Rasa's
silent fall-back to a tracker in memory: an SQLite file whose folder is missing or not
writable, or a database the store cannot create its table in. Only the default folder
``var/`` is created when missing (a fresh clone). At run time, a read or save that fails
stops the turn (:func:`refuse_memory_fallback`) instead of Rasa's fall-back to memory.

Privacy: when a turn set the ``privacy_erased`` slot (``action_privacy_erase``, after the
customer confirmed), saving that turn deletes every stored event of the conversation
instead of appending the turn, so nothing of it remains;
:meth:`SQLTrackerStoreFastEvents.purge_inactive` removes the conversations untouched for
longer than the retention period
(``python -m gopay_support privacy purge``).
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event as sa_event
from sqlalchemy import func
from sqlalchemy.orm import declarative_base
from sqlalchemy.pool import QueuePool

from gopay_support.adapters.rasa import graph_runner

logger = logging.getLogger(__name__)

#: The slot action_privacy_erase sets once it erased the customer's data (actions/privacy.py).
ERASED_SLOT = "privacy_erased"

#: Default of ``window_user_turns``: the window holds the latest 10 to 20 user turns.
DEFAULT_WINDOW_USER_TURNS = 10

#: The folder of the default SQLite file (endpoints.yml: ``db: var/rasa_tracker.db``), the
#: only one the store creates when it is missing.
DEFAULT_FOLDER = Path("var")

#: On a tracker read back from the store: how many of its events are stored (or re-create
#: the stored state), and the database ids of the stored ones; ``save`` adds the rest.
_STORED = "_gopay_stored_events"
_IDS = "_gopay_event_ids"

_resolve_uncached = Event.resolve_by_type

_WindowBase: Any = declarative_base()


class SQLWindow(_WindowBase):
    """Where a conversation's prediction window starts, and the state before it."""

    __tablename__ = "gopay_tracker_windows"
    sender_id = sa.Column(sa.String(255), primary_key=True)
    first_event_id = sa.Column(sa.Integer, nullable=False)
    state = sa.Column(sa.Text, nullable=False)


class TrackerStoreMisconfigured(RuntimeError):
    """The persistent tracker store cannot work as configured; raised at start."""


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store failed during a turn (its database away): the turn stops."""


def _refuse_fallback(self: FailSafeTrackerStore, error: Exception) -> None:
    raise TrackerStoreUnavailable(f"tracker store failed: {type(error).__name__}") from error


def refuse_memory_fallback() -> None:
    """Idempotent: make Rasa's ``FailSafeTrackerStore`` raise instead of falling back.

    Rasa wraps every tracker store in it: a failed read gave the turn a new, empty
    conversation (a form half-filled forgotten, a new session appended to the old one), and a
    failed save kept the turn in process memory only while the customer was answered as if
    it was recorded. Raising stops the turn; the channels then answer "send it again" (REST)
    or keep the message in their inbox and replay it (Telegram, REST with a client message id).
    """
    FailSafeTrackerStore.on_tracker_store_error = _refuse_fallback  # type: ignore[method-assign]
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _refuse_fallback  # type: ignore[method-assign]


@lru_cache(maxsize=256)
def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    return _resolve_uncached(type_name, default)


def memoise_event_type_lookup() -> None:
    """Idempotent: install the memoised look-up on Rasa's ``Event`` class."""
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


class SQLTrackerStoreFastEvents(SQLTrackerStore):
    """``type: SQL`` as Rasa ships it, plus the memoised event-type look-up, WAL, one commit
    and no count query per save, the prediction window and failing loudly at start."""

    engine: sa.engine.Engine

    def __init__(self, *args, window_user_turns: int | str = DEFAULT_WINDOW_USER_TURNS, **kwargs) -> None:  # noqa: ANN002, ANN003 - Rasa's signature
        memoise_event_type_lookup()
        refuse_memory_fallback()
        # Rasa builds the tracker store before it loads the model: the place for the
        # process's other plug-in of the per-turn cost.
        graph_runner.install()
        self.window_user_turns = int(window_user_turns)
        dialect = kwargs.get("dialect", "sqlite")
        if dialect == "sqlite" and not kwargs.get("host"):
            prepare_sqlite_folder(str(kwargs.get("db", "rasa.db")))
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._use_pooled_wal_engine()
        try:
            _WindowBase.metadata.create_all(self.engine)
        except sa.exc.SQLAlchemyError as error:
            # Servers started together race to create it, as Rasa's own table; checked below.
            logger.warning("tracker store: could not create the window table: %s", error)
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.select(self.SQLEvent.id).limit(1)).all()
                connection.execute(sa.select(SQLWindow.sender_id).limit(1)).all()
        except sa.exc.SQLAlchemyError as error:
            raise TrackerStoreMisconfigured(
                f"the tracker store cannot use its database {self.engine.url!r}: {error}"
            ) from error
        self._statements = _Statements(self.SQLEvent.__table__, SQLWindow.__table__)

    def _use_pooled_wal_engine(self) -> None:
        """Pooled connections, each in WAL mode with synchronous=NORMAL."""
        url = self.engine.url
        self.engine.dispose()
        engine = sa.create_engine(
            url, poolclass=QueuePool, pool_size=2, connect_args={"check_same_thread": False}
        )
        sa_event.listen(engine, "connect", _sqlite_pragmas)
        self.engine = engine
        self.sessionmaker = sa.orm.session.sessionmaker(bind=engine)

    # -- reading ---------------------------------------------------------------------------
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker for the next turn: the latest session, from the window start on."""
        if self.window_user_turns <= 0:
            return await self._retrieve(sender_id, fetch_events_from_all_sessions=False)
        statements = self._statements
        with self.engine.connect() as connection:
            window = connection.execute(statements.window, {"sender_id": sender_id}).first()
            if window is None:
                rows = connection.execute(statements.latest_session, {"sender_id": sender_id}).all()
                prefix: list[dict] = []
            else:
                rows = connection.execute(
                    statements.from_id, {"sender_id": sender_id, "first_id": window.first_event_id}
                ).all()
                prefix = json.loads(window.state)
                # As Rasa's query: a session started since the window start ends what was before.
                starts = [i for i, row in enumerate(rows) if row.type_name == SessionStarted.type_name]
                if starts:
                    rows, prefix = rows[starts[-1] :], []
        return self._tracker_from(sender_id, prefix, rows)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
        return self._tracker_from(sender_id, [], rows)

    def _tracker_from(self, sender_id: str, prefix: list[dict], rows: list) -> DialogueStateTracker | None:
        if not self.domain or not rows:
            return None
        events = prefix + [json.loads(row.data) for row in rows]
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        setattr(tracker, _STORED, len(events))
        setattr(tracker, _IDS, [None] * len(prefix) + [row.id for row in rows])
        return tracker

    # -- writing ---------------------------------------------------------------------------
    async def save(self, tracker: DialogueStateTracker) -> None:
        if erased_this_turn(tracker):
            removed = self.erase(tracker.sender_id)
            logger.info("privacy: a conversation was erased at the customer's request (%d events)", removed)
            return
        await self.stream_events(tracker)
        events = list(tracker.events)
        stored = getattr(tracker, _STORED, None)
        ids = getattr(tracker, _IDS, None)
        if stored is None or ids is None or stored > len(events):
            # Not read back by this store (a new conversation): Rasa's way, by counting.
            with self.session_scope() as session:
                new = list(self._additional_events(session, tracker))
            ids = [None] * (len(events) - len(new))
        else:
            new = events[stored:]
        statements = self._statements
        # One transaction (one commit) through SQLAlchemy Core: the ORM's unit of work and
        # identity map cost about 1 ms a turn for rows that are only appended.
        with self.engine.begin() as connection:
            added = [
                connection.execute(
                    statements.insert_event, _row(tracker.sender_id, event)
                ).inserted_primary_key[0]
                for event in new
            ]
            ids = list(ids) + added
            if self.window_user_turns > 0 and added:
                self._move_window(connection, tracker, events, ids)
        setattr(tracker, _STORED, len(events))
        setattr(tracker, _IDS, ids)
        logger.debug("tracker %s stored (%d new events)", tracker.sender_id, len(new))

    def _move_window(
        self, connection: sa.engine.Connection, tracker: DialogueStateTracker, events: list[Event], ids: list
    ) -> None:
        """Start the window at the ``window_user_turns``-th latest user turn once it holds
        twice that many, where no form is active; the state before it is stored with it."""
        turns = [
            i
            for i in range(1, len(events))
            if isinstance(events[i], UserUttered)
            and ids[i] is not None
            and isinstance(events[i - 1], ActionExecuted)
            and events[i - 1].action_name == ACTION_LISTEN_NAME
            and ids[i - 1] is not None
        ]
        if len(turns) < 2 * self.window_user_turns:
            return
        start = turns[-self.window_user_turns] - 1  # the action_listen before that user turn
        before = DialogueStateTracker.from_events(tracker.sender_id, events[:start], self.domain.slots)
        if before.active_loop_name:
            return  # a form is running: keep its whole turn history for the form logic
        state = state_events(before, events[start].timestamp)
        values = {"window_of": tracker.sender_id, "first_id": ids[start], "window_state": json.dumps(state)}
        moved = connection.execute(self._statements.update_window, values)
        if moved.rowcount == 0:
            connection.execute(self._statements.insert_window, values)

    def erase(self, sender_id: str) -> int:
        """Delete every stored event of ``sender_id``; returns how many there were."""
        with self.session_scope() as session:
            removed = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.query(SQLWindow).filter(SQLWindow.sender_id == sender_id).delete()
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
                session.query(SQLWindow).filter(SQLWindow.sender_id.in_(chunk)).delete(
                    synchronize_session=False
                )
            session.commit()
        return len(senders)


class _Statements:
    """The statements of every turn, built once (SQLAlchemy caches their compiled form)."""

    def __init__(self, events: sa.Table, windows: sa.Table) -> None:
        sender = sa.bindparam("sender_id")
        columns = (events.c.id, events.c.type_name, events.c.data)
        self.window = sa.select(windows.c.first_event_id, windows.c.state).where(
            windows.c.sender_id == sender
        )
        self.from_id = (
            sa.select(*columns)
            .where(events.c.sender_id == sender, events.c.id >= sa.bindparam("first_id"))
            .order_by(events.c.id)
        )
        # Rasa's query for the latest session: the events from the latest session start on,
        # or all of them when no session was started.
        session_start = (
            sa.select(func.max(events.c.timestamp))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        self.latest_session = (
            sa.select(*columns)
            .where(
                events.c.sender_id == sender,
                sa.or_(events.c.timestamp >= session_start, session_start.is_(None)),
            )
            .order_by(events.c.id)
        )
        self.insert_event = events.insert()
        self.update_window = (
            windows.update()
            .where(windows.c.sender_id == sa.bindparam("window_of"))
            .values(first_event_id=sa.bindparam("first_id"), state=sa.bindparam("window_state"))
        )
        self.insert_window = windows.insert().values(
            sender_id=sa.bindparam("window_of"),
            first_event_id=sa.bindparam("first_id"),
            state=sa.bindparam("window_state"),
        )


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """The columns of Rasa's events table for ``event``, as Rasa's own store fills them."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def state_events(tracker: DialogueStateTracker, timestamp: float) -> list[dict]:
    """Events that re-create ``tracker``'s lasting state on an empty tracker: the slots
    that were set, and a paused conversation (a handoff). The window never starts inside a
    form, so no active loop is carried."""
    events: list[Event] = [
        SlotSet(slot.name, slot.value, timestamp=timestamp)
        for slot in tracker.slots.values()
        if slot.has_been_set
    ]
    if tracker.is_paused():
        events.append(ConversationPaused(timestamp=timestamp))
    return [event.as_dict() for event in events]


def prepare_sqlite_folder(db: str) -> None:
    """Fail at start when the SQLite file cannot be created where configured, instead of
    Rasa's fall-back to a tracker in memory; create only the default folder ``var/``."""
    if not db or db == ":memory:" or db.startswith("file:"):
        raise TrackerStoreMisconfigured(
            f"tracker store: SQLite database {db!r} would not be persistent; give a file path"
        )
    folder = Path(db).parent
    if not folder.exists() and folder == DEFAULT_FOLDER:
        folder.mkdir(parents=True)
        logger.info("tracker store: created the folder %s for %s", folder.resolve(), db)
    if not folder.is_dir():
        raise TrackerStoreMisconfigured(
            f"tracker store: the folder of the SQLite database {db!r} ({folder.resolve()}) does not exist"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TrackerStoreMisconfigured(f"tracker store: the folder {folder.resolve()} is not writable")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def erased_this_turn(tracker: DialogueStateTracker) -> bool:
    """Whether the erasure was confirmed since the conversation's latest user message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == ERASED_SLOT and event.value is True:
            return True
    return False
