"""Rasa's SQL tracker store, with events read back without a per-event class search.

Every turn Rasa loads the conversation from the store and rebuilds each event from its
JSON; for each one ``Event.resolve_by_type`` walks the whole ``Event`` class tree (about
30 subclasses, recursively) to find the class for a type name. In a 30-turn conversation
that was 4-5 ms of a 20 ms turn. The mapping never changes once the classes are loaded, so
it is memoised here, when the Rasa server loads this store (``endpoints.yml``:
``type: gopay_support.adapters.rasa.tracker_store.SQLTrackerStoreFastEvents``). Behaviour is unchanged:
unknown names still raise, and only successful look-ups are remembered.
"""

from __future__ import annotations

from functools import lru_cache

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event

_resolve_uncached = Event.resolve_by_type


@lru_cache(maxsize=256)
def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    return _resolve_uncached(type_name, default)


def memoise_event_type_lookup() -> None:
    """Idempotent: install the memoised look-up on Rasa's ``Event`` class."""
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


class SQLTrackerStoreFastEvents(SQLTrackerStore):
    """``type: SQL`` as Rasa ships it, plus the memoised event-type look-up."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - Rasa's signature
        memoise_event_type_lookup()
        super().__init__(*args, **kwargs)
