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

from gopay_support.core import tracking
from gopay_support.core.script import CHARS_PER_WORD, count_cjk

SUPPORTED = ("zh", "en")
DEFAULT = "zh"

_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
# Values people type into forms are not language: e-mail addresses, links and IDs that mix
# letters and digits (TX20261124001). Without this, a Chinese conversation in which the user
# gives "li@example.com" as contact would switch to English.
_NOT_LANGUAGE_RE = re.compile(
    r"[\w.%+-]+@[\w.-]*"  # e-mail address (also half-typed "abc@")
    r"|(?:https?://|www\.)\S+"  # link
    r"|\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{4,}\b",  # ID
    re.ASCII,
)
# Words customers use inside Chinese sentences without switching language.
_NEUTRAL_WORDS = frozenset(
    {
        "gopay",
        "gp",
        "app",
        "ok",
        "okay",
        "id",
        "otp",
        "wifi",
        "sms",
        "pin",
        "vip",
        "qr",
        "apk",
        "ios",
        "android",
        "iphone",
        "email",
        "bug",
        "top",
        "up",
    }
)


# Asking for a reply language: "请用中文", "用英文回答", "in English please", "speak Chinese".
_REQUEST_RE = {
    "en": re.compile(
        r"(?:用|说|講|讲|說|换成|換成|改成|切换到|切換到|来点|回复|回覆)\s*(?:英文|英语|英語)"
        r"|(?:英文|英语|英語)\s*(?:回答|回复|回覆|交流|沟通|溝通)"
        r"|\b(?:in|speak|use|switch\s+to|reply\s+in|answer\s+in|talk\s+in)\s+english\b"
        r"|\benglish\s+only\b|\bonly\s+english\b|^\W*english\s*(?:please|pls|plz)?\W*$",
        re.IGNORECASE,
    ),
    "zh": re.compile(
        r"(?:用|说|講|讲|說|换成|換成|改成|切换到|切換到|回复|回覆)\s*(?:中文|汉语|漢語|普通话|普通話|华语|華語)"
        r"|(?:中文|汉语|漢語)\s*(?:回答|回复|回覆|交流|沟通|溝通)"
        r"|\b(?:in|speak|use|switch\s+to|reply\s+in|answer\s+in|talk\s+in)\s+(?:chinese|mandarin)\b"
        r"|\b(?:chinese|mandarin)\s+only\b|\bonly\s+(?:chinese|mandarin)\b"
        r"|^\W*(?:chinese|mandarin)\s*(?:please|pls|plz)?\W*$",
        re.IGNORECASE,
    ),
}


def requested(text: str) -> str | None:
    """The reply language a message asks for ("请用中文", "in English please"), if exactly one."""
    asked = [code for code, pattern in _REQUEST_RE.items() if pattern.search(text or "")]
    return asked[0] if len(asked) == 1 else None


#: What a message may hold besides the request and still be only a request ("could you", "麻烦").
_REQUEST_ONLY_WORDS, _REQUEST_ONLY_CJK = 3, 4


def only_requests_language(text: str) -> bool:
    """A language request and (almost) nothing else: "could you reply in English", "请说中文"."""
    asked = requested(text)
    if not asked:
        return False
    rest = _REQUEST_RE[asked].sub(" ", text)
    return count_cjk(rest) <= _REQUEST_ONLY_CJK and len(_LATIN_WORD_RE.findall(rest)) <= _REQUEST_ONLY_WORDS


def detect(text: str) -> str | None:
    """Return ``"zh"``, ``"en"`` or ``None`` when the text carries no language signal.

    A request for a language ("用英文回答") is the strongest signal: it names the language.
    """
    if not text or text.lstrip().startswith("/"):
        return None
    return requested(text) or written(text)


def written(text: str) -> str | None:
    """The language ``text`` is written in (``None`` without a signal), whatever it asks for."""
    if not text or text.lstrip().startswith("/"):
        return None
    cjk = count_cjk(text)
    words = [w.lower() for w in _LATIN_WORD_RE.findall(_strip_values(text))]
    english = [w for w in words if w not in _NEUTRAL_WORDS]
    if cjk == 0 and not words:
        return None
    if cjk == 0:
        return "en"
    if cjk / CHARS_PER_WORD >= len(english):
        return "zh"
    return "en"


def resolve(text: str, *fallbacks: str | None) -> str:
    """The language to answer in: the message's own, else the first known fallback."""
    for candidate in (detect(text), *fallbacks):
        normalised = normalize(candidate)
        if normalised:
            return normalised
    return DEFAULT


def of_conversation(user_turns: Iterable[Mapping[str, Any]]) -> str:
    """The reply language of a conversation, from its user turns given newest first.

    Each turn is a serialised user event (``parse_data``, ``metadata``). What the user last
    wrote decides (``parse_data["language"]``, set by the NLU pipeline from the text, see
    ``gopay_support/nlu/entities.py``); a turn without a language signal (emoji, a tracking
    number, a button press) keeps the previous language. Only when the user has written
    nothing with a signal yet does the client's hint count (metadata ``language``: the web
    widget's UI language, Telegram's ``language_code``). A weak signal, one Latin word and
    nothing else ("abc" typed into a Chinese ticket form, "ok"), does not switch a
    language an earlier message established; it counts only when nothing stronger exists.
    """
    turns = list(user_turns)
    weak: str | None = None
    for turn in turns:
        parse = turn.get("parse_data")
        found = normalize(_text_language(parse))
        if not found:
            continue
        if not is_weak_signal(_text(parse)):
            return found
        weak = weak or found
    if weak:
        return weak
    for turn in turns:
        metadata = turn.get("metadata")
        hint = metadata.get("language") if isinstance(metadata, Mapping) else None
        found = normalize(hint if isinstance(hint, str) else None)
        if found:
            return found
    return DEFAULT


def of_events(events: Iterable[Mapping[str, Any]]) -> str:
    """:func:`of_conversation` for a serialised tracker (rasa_sdk ``tracker.events``)."""
    user_events = [e for e in events if e.get("event") == "user"]
    return of_conversation(reversed(user_events))


def is_weak_signal(text: str) -> bool:
    """One Latin word and nothing else: too little to switch a conversation's language."""
    if not text or count_cjk(text) or requested(text):
        return False
    return len(_LATIN_WORD_RE.findall(_strip_values(text))) == 1


def _text(parse_data: Any) -> str:
    value = parse_data.get("text") if isinstance(parse_data, Mapping) else None
    return value if isinstance(value, str) else ""


def _text_language(parse_data: Any) -> str | None:
    value = parse_data.get("language") if isinstance(parse_data, Mapping) else None
    return value if isinstance(value, str) else None


def normalize(code: str | None) -> str | None:
    """Map locale codes such as ``zh-CN``, ``zh_Hans`` or ``en-US`` to ``zh`` / ``en``."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in SUPPORTED else None


def _strip_values(text: str) -> str:
    """``text`` without tracking numbers, e-mail addresses, links and IDs."""
    for start, end, _ in reversed(tracking.find_all(text)):
        text = text[:start] + " " + text[end:]
    return _NOT_LANGUAGE_RE.sub(" ", text)
