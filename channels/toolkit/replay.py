"""Recognising, on replay, a turn Rasa saved before the process died.

An inbox entry is replayed when the process holding it died or could not write its outcome;
if Rasa had already saved the turn (the user message carries the entry's ``message_id``),
running it again would be a second turn. The channels ask here first.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import BotUttered, UserUttered


async def saved_turn(agent: Any, conversation_id: str, message_id: str) -> list[BotUttered] | None:
    """The bot's messages of the saved turn of ``message_id``, or ``None`` when the turn was
    not saved (or no Rasa agent is loaded yet)."""
    if agent is None:
        return None
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return None
    replies: list[BotUttered] = []
    found = False
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == message_id
        elif found and isinstance(event, BotUttered):
            replies.append(event)
    return replies if found else None
