"""Loading the Telegram update fixtures in ``tests/fixtures/telegram/``."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telegram"


@cache
def _raw(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def load_update(
    name: str, *, update_id: int | None = None, chat_id: int | None = None, text: str | None = None
) -> dict[str, Any]:
    """A fresh copy of fixture ``name``; tests vary ids so each test owns its chat."""
    update = copy.deepcopy(_raw(name))
    if update_id is not None:
        update["update_id"] = update_id
    if chat_id is not None or text is not None:
        for key in ("message", "edited_message", "channel_post"):
            if key in update:
                if chat_id is not None:
                    update[key]["chat"]["id"] = chat_id
                    if update[key]["chat"]["type"] == "private":
                        update[key]["from"]["id"] = chat_id
                if text is not None:
                    update[key]["text"] = text
        if "callback_query" in update and chat_id is not None:
            update["callback_query"]["message"]["chat"]["id"] = chat_id
            update["callback_query"]["from"]["id"] = chat_id
    return update
