"""Masking of personal data: phone numbers, e-mail addresses, card and ID numbers.

Used wherever user text leaves the conversation: logs, the agent console transcript and
messages that show a contact back to its owner. Detection runs on the shared spaCy
segmentation, so digits glued to Chinese text ("手机13812345678") and numbers written in
groups ("6222 0212 3456 7890", "138-1234-5678") are found alike.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from gopay_support.core.contact import CN_MOBILE_RE, EMAIL_RE
from gopay_support.core.text import pipeline

_GROUP_JOINERS = {"-", " "}
_ID_RE = re.compile(r"\d{17}[\dXx]|\d{15}")


def mask(text: str) -> str:
    """``text`` with every phone, e-mail, card-like and ID number masked."""
    if not text:
        return text
    doc = pipeline()(text)
    replacements: list[tuple[int, int, str]] = []
    for start, end in _digit_runs(doc):
        raw = text[start:end]
        masked = _mask_number(raw)
        if masked != raw:
            replacements.append((start, end, masked))
    for token in doc:
        if token.like_email or EMAIL_RE.search(token.text):
            replacements.append((token.idx, token.idx + len(token.text), mask_email(token.text)))
    for start, end, masked in sorted(replacements, reverse=True):
        text = text[:start] + masked + text[end:]
    return text


def mask_contact(value: str) -> str:
    """Show a phone number or e-mail address back to its owner without revealing it."""
    value = value.strip()
    if "@" in value:
        return mask_email(value)
    return mask_phone(value)


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) < 7:
        return "*" * len(digits)
    prefix = "+" if value.strip().startswith("+") else ""
    if len(digits) == 13 and digits.startswith("86") and digits[2] == "1":
        prefix, digits = prefix + "86 ", digits[2:]
    return f"{prefix}{digits[:3]}****{digits[-4:]}"


def _mask_number(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    plus = raw.lstrip().startswith("+")
    if not digits:
        return raw
    if CN_MOBILE_RE.fullmatch(("+" if plus else "") + digits) or (plus and 8 <= len(digits) <= 15):
        return mask_phone(raw)
    if _ID_RE.fullmatch(raw.strip()):
        raw = raw.strip()
        return raw[:3] + "*" * (len(raw) - 7) + raw[-4:]
    if 12 <= len(digits) <= 19:
        return "**** " * 3 + digits[-4:]
    return raw


def _digit_runs(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of numbers, including ones written in groups or with a ``+``."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(doc):
        token = doc[i]
        starts_plus = token.text == "+" and i + 1 < len(doc) and _is_digits(doc[i + 1].text)
        if not (_is_digits(token.text) or starts_plus or _is_plus_number(token.text)):
            i += 1
            continue
        j = i
        while j + 1 < len(doc) and _continues(doc, j):
            j += 1
        runs.append((token.idx, doc[j].idx + len(doc[j].text)))
        i = j + 1
    return runs


def _continues(doc: Doc, j: int) -> bool:
    """Whether the number ending at token ``j`` goes on with the next token(s)."""
    current, nxt = doc[j], doc[j + 1]
    if current.text == "+" or current.text in _GROUP_JOINERS:
        return _is_digits(nxt.text)
    if not _is_digits(current.text) and not _is_plus_number(current.text):
        return False
    if nxt.text in _GROUP_JOINERS and not current.whitespace_:
        return j + 2 < len(doc) and _is_digits(doc[j + 2].text)
    return _is_digits(nxt.text) and len(nxt.text) >= 3


def _is_digits(text: str) -> bool:
    """Digits only, or a Chinese resident ID number whose check character is ``X``."""
    return text.isascii() and (text.isdigit() or bool(_ID_RE.fullmatch(text)))


def _is_plus_number(text: str) -> bool:
    return text.startswith("+") and _is_digits(text[1:])
