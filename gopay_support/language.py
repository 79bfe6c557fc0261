"""Per-message language detection for Simplified Chinese and English.

Customers mix scripts ("gopay 充值失败", "my 验证码 never came"), so the decision weighs
Chinese characters against English words instead of looking for any single character.
Messages with no language signal (emoji, digits, a tracking number, a button payload)
return ``None`` so callers keep the language the conversation already has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

SUPPORTED = ("zh", "en")
DEFAULT = "zh"

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
# Words customers use inside Chinese sentences without switching language.
_NEUTRAL_WORDS = frozenset(
    {"gopay", "gp", "app", "ok", "okay", "id", "otp", "wifi", "sms", "pin", "vip", "qr", "apk",
     "ios", "android", "iphone", "email", "bug", "top", "up"}
)
# Roughly how many Chinese characters carry the weight of one English word.
_CHARS_PER_WORD = 1.5


def detect(text: str) -> str | None:
    """Return ``"zh"``, ``"en"`` or ``None`` when the text carries no language signal."""
    if not text or text.lstrip().startswith("/"):
        return None
    cjk = len(_CJK_RE.findall(text))
    words = [w.lower() for w in _LATIN_WORD_RE.findall(_strip_tracking_numbers(text))]
    english = [w for w in words if w not in _NEUTRAL_WORDS]
    if cjk == 0 and not words:
        return None
    if cjk == 0:
        return "en"
    if cjk / _CHARS_PER_WORD >= len(english):
        return "zh"
    return "en"


def resolve(text: str, *fallbacks: str | None) -> str:
    """The language to answer in: the message's own, else the first known fallback."""
    for candidate in (detect(text), *fallbacks):
        normalised = normalize(candidate)
        if normalised:
            return normalised
    return DEFAULT


def of_conversation(parse_datas: Iterable[Mapping[str, Any]]) -> str:
    """The reply language of a conversation, given user parse results newest first.

    The NLU pipeline stores each message's language (or the client's hint) under
    ``parse_data["language"]`` (see ``gopay_support/nlu/entities.py``); a message without a
    language signal (emoji, a tracking number, a button press) keeps the previous one.
    """
    for parse_data in parse_datas:
        found = normalize(parse_data.get("language") if parse_data else None)
        if found:
            return found
    return DEFAULT


def of_events(events: Iterable[Mapping[str, Any]]) -> str:
    """:func:`of_conversation` for a serialised tracker (rasa_sdk ``tracker.events``)."""
    user_events = [e for e in events if e.get("event") == "user"]
    return of_conversation(e.get("parse_data") or {} for e in reversed(user_events))


def normalize(code: str | None) -> str | None:
    """Map locale codes such as ``zh-CN``, ``zh_Hans`` or ``en-US`` to ``zh`` / ``en``."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in SUPPORTED else None


def _strip_tracking_numbers(text: str) -> str:
    from gopay_support import tracking

    for start, end, _ in reversed(tracking.find_all(text)):
        text = text[:start] + " " + text[end:]
    return text
