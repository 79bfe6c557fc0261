"""Shaping bot answers for Telegram: message length limit and inline keyboards."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from channels.telegram.store import PAYLOAD_KEY_PREFIX

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
MAX_CALLBACK_DATA = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # 64 bytes

_SENTENCE_END_RE = re.compile(r"(?<=[。！？!?；;])|(?<=[.] )")


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split ``text`` into messages of at most ``limit``, preferring paragraph boundaries.

    A paragraph longer than the limit falls back to line, then sentence boundaries, and
    only as a last resort is cut mid-sentence.
    """
    text = text.strip()
    if telegram_length(text) <= limit:
        return [text] if text else []
    return _pack(_pieces(text, limit), "\n\n", limit)


def _pieces(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if telegram_length(paragraph) <= limit:
            out.append(paragraph)
            continue
        lines = _pack(_split_long(paragraph.split("\n"), limit), "\n", limit)
        out.extend(lines)
    return out


def _split_long(lines: Iterable[str], limit: int) -> list[str]:
    out: list[str] = []
    for line in lines:
        if telegram_length(line) <= limit:
            out.append(line)
            continue
        sentences = [s for s in _SENTENCE_END_RE.split(line) if s]
        for sentence in _pack(sentences, "", limit):
            while telegram_length(sentence) > limit:
                cut = _cut_index(sentence, limit)
                out.append(sentence[:cut])
                sentence = sentence[cut:]
            out.append(sentence)
    return out


def _pack(pieces: list[str], joiner: str, limit: int) -> list[str]:
    """Greedily join consecutive pieces while they fit; order is always kept."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{joiner}{piece}" if current else piece
        if telegram_length(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def _cut_index(text: str, limit: int) -> int:
    """Largest prefix length whose UTF-16 length fits ``limit`` (never splits a surrogate)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return max(index, 1)
    return len(text)


def fits_callback_data(payload: str) -> bool:
    return len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA and not payload.startswith(PAYLOAD_KEY_PREFIX)


async def inline_keyboard(
    buttons: list[dict[str, Any]], store_payload: Callable[[str], Awaitable[str]]
) -> InlineKeyboardMarkup | None:
    """Rasa buttons as an inline keyboard, one button per row.

    Payloads over 64 bytes are replaced by a short key from ``store_payload``; the
    callback handler turns the key back into the payload.
    """
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "").strip()
        if not title:
            continue
        url = button.get("url")
        if url:
            rows.append([InlineKeyboardButton(title, url=str(url))])
            continue
        payload = str(button.get("payload") or title)
        data = payload if fits_callback_data(payload) else await store_payload(payload)
        rows.append([InlineKeyboardButton(title, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None
