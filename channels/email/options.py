"""Buttons in mail: numbered options out, the customer's "1" back to a payload.

Mail has no buttons, so the bot's quick replies become a numbered list the customer can
answer with the number ("2", "２", "#2", "第2个") or the option's text. Link buttons stay
links. Only a short answer that is nothing but a choice is read as one: "1 more thing: …"
is a message, not option 1.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

HINTS = {
    "zh": "回复选项前的数字即可选择（例如回复 1）。",
    "en": "To choose, reply with the option's number (for example 1).",
}
_CHINESE_NUMERALS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_CHOICE_RE = re.compile(
    r"^(?:option|no\.?|number|#|选|选择|选项|第)?\s*[(\[（【]?\s*(\d{1,2}|[一二两三四五六七八九十])\s*[)\]）】]?"
    r"\s*(?:个|项|号)?\s*[.。,，、!！]?$",
    re.IGNORECASE,
)
_PUNCTUATION_RE = re.compile(r"[\s\"'“”‘’.,，。!！?？:：;；、()\[\]（）【】]+")
MAX_CHOICE_CHARS = 40


@dataclass(frozen=True)
class Option:
    """One numbered choice: what the customer sees, and what the bot receives."""

    number: int
    title: str
    payload: str


def numbered_options(buttons: Iterable[Mapping[str, Any]]) -> list[Option]:
    """The choosable buttons (not link buttons) of a bot response, numbered from 1."""
    options: list[Option] = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or "").strip()
        if button.get("url") or not (title or payload):
            continue
        options.append(Option(len(options) + 1, title or payload, payload or title))
    return options


def render(text: str, buttons: Iterable[Mapping[str, Any]], language: str) -> str:
    """A bot response as mail text: its text, then "1. …" lines, link buttons and a hint."""
    buttons = list(buttons)
    blocks = [text.strip()] if text and text.strip() else []
    options = numbered_options(buttons)
    if options:
        blocks.append("\n".join(f"{option.number}. {option.title}" for option in options))
    links = [b for b in buttons if b.get("url")]
    if links:
        blocks.append(
            "\n".join(f"{str(b.get('title') or '').strip()}: {b['url']}".lstrip(": ") for b in links)
        )
    if options:
        blocks.append(HINTS.get(language, HINTS["en"]))
    return "\n\n".join(blocks)


def choose(reply: str, options: Sequence[Option]) -> str | None:
    """The payload the customer picked with ``reply`` (already stripped of quotes), if any."""
    text = unicodedata.normalize("NFKC", reply).strip()
    if not options or not text or len(text) > MAX_CHOICE_CHARS or "\n" in text:
        return None
    match = _CHOICE_RE.match(text)
    if match:
        token = match.group(1)
        number = int(token) if token.isdigit() else _CHINESE_NUMERALS[token]
        return next((option.payload for option in options if option.number == number), None)
    wanted = _comparable(text)
    for option in options:
        if wanted and wanted == _comparable(option.title):
            return option.payload
    return None


def _comparable(text: str) -> str:
    return _PUNCTUATION_RE.sub("", unicodedata.normalize("NFKC", text)).casefold()
