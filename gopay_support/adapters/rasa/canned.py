"""Canned answers for agents: the bot's own FAQ answers, in the conversation's language.

Read from domain/faq.yml so agents and the bot never disagree; the ``{support_phone}``-style
placeholders are filled from configuration exactly as the bot's response generator does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from gopay_support.core import topics
from gopay_support.core.settings import ContactDetails

#: The domain file with the FAQ answers (the repository's ``domain/faq.yml``).
FAQ_DOMAIN = Path(__file__).resolve().parents[3] / "domain" / "faq.yml"
_PREFIX = "utter_"
_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class CannedAnswer:
    key: str  # faq/<topic>
    title: str
    text: str


def answers(language: str, contact: ContactDetails, path: Path = FAQ_DOMAIN) -> list[CannedAnswer]:
    """Every FAQ answer in ``language`` (``en``, else the Chinese default)."""
    slots = contact.as_slots(language)
    found = []
    for name, variations in _responses(str(path)).items():
        key = name[len(_PREFIX) :]
        text = _variation(variations, language)
        if text is None:
            continue
        filled = _PLACEHOLDER_RE.sub(lambda m: slots.get(m.group(1), m.group(0)), text)
        found.append(CannedAnswer(key, topics.title(key, language), filled))
    return found


def _variation(variations: list[dict], language: str) -> str | None:
    """The variation whose language condition matches, else the unconditioned default."""
    default = None
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            default = default or variation.get("text")
        elif any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return variation.get("text")
    return default


@lru_cache(maxsize=4)
def _responses(path: str) -> dict[str, list[dict]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {
        name: value
        for name, value in (data.get("responses") or {}).items()
        if name.startswith(f"{_PREFIX}faq/")
    }
