"""Transcripts of conversations, built from Rasa tracker events and masked on the way out.

Both the escalation action (the ticket and the queue entry carry the conversation so far)
and the agent console (the live view) read the same serialised events, so the rules for
what a turn is and what is masked live here once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from gopay_support.core import catalogue
from gopay_support.core.handoff.model import Turn
from gopay_support.core.pii import mask

#: Prefix Rasa gives the text of intents triggered from outside (``trigger_intent``).
_EXTERNAL_PREFIX = "EXTERNAL: "
#: Key under which an agent's name travels in the metadata of a bot event.
AGENT_KEY = "gopay_agent"
#: Key under which a message's outbox key travels: in a bot event's metadata, or as an
#: entity of an intent triggered from outside (channels/toolkit/conversation.py).
OUTBOX_KEY = "gopay_outbox_key"


def carries_key(event: Mapping[str, Any], key: str) -> bool:
    """Whether a serialised tracker event is the message with outbox key ``key``: a bot event
    with it in its metadata, or an external user event with it as an entity."""
    if (event.get("metadata") or {}).get(OUTBOX_KEY) == key:
        return True
    if event.get("event") != "user":
        return False
    entities = (event.get("parse_data") or {}).get("entities") or []
    return any(
        isinstance(e, dict) and e.get("entity") == OUTBOX_KEY and e.get("value") == key for e in entities
    )


def turns(events: Iterable[Mapping[str, Any]], limit: int = 200) -> list[Turn]:
    """The user, bot and agent messages among ``events``, masked, oldest first."""
    found: list[Turn] = []
    for event in events:
        kind = event.get("event")
        text = event.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        if kind == "user" and text.startswith(_EXTERNAL_PREFIX):
            continue
        metadata = (event.get("metadata") or {}) if kind == "bot" else {}
        agent, key = metadata.get(AGENT_KEY), metadata.get(OUTBOX_KEY)
        role = "agent" if agent else kind
        found.append(
            Turn(
                role=role,
                text=mask(text),
                at=event.get("timestamp"),
                agent=str(agent) if agent else None,
                key=str(key) if key else None,
            )
        )
    return found[-limit:]


def as_text(transcript: Iterable[Turn], language: str = "zh") -> str:
    """A plain-text rendering for the ticket description."""
    lines = []
    for turn in transcript:
        label = catalogue.text(f"transcript.{turn.role}", language)
        lines.append(f"{label}: {turn.text}")
    return "\n".join(lines)


def dumps(transcript: Iterable[Turn]) -> str:
    return json.dumps([turn.__dict__ for turn in transcript], ensure_ascii=False)


def loads(raw: str | None) -> tuple[Turn, ...]:
    if not raw:
        return ()
    return tuple(Turn(**item) for item in json.loads(raw))
