"""Masking of personal data: phone numbers, e-mail addresses, card and ID numbers, and
passwords, PINs and one-time codes.

Used wherever user text leaves the conversation: logs, the agent console transcript and
messages that show a contact back to its owner; :func:`mask_secrets` for texts that are
kept (ticket descriptions), where the contact stays but cards, IDs and passwords go.
Detection runs on the shared spaCy segmentation, so digits glued to Chinese text
("手机13812345678") and numbers written in groups ("6222 0212 3456 7890", "138-1234-5678")
are found alike. Text that reaches a log escaped (``"\\u662f13812345678"`` in a JSON dump
or a repr) is unescaped first, and a last pass hides any long digit run the segmentation
left glued to letters.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from gopay_support.core.contact import CN_MOBILE_RE, EMAIL_RE
from gopay_support.core.text import pipeline

_GROUP_JOINERS = {"-", " "}
_ID_RE = re.compile(r"\d{17}[\dXx]|\d{15}")
SECRET_MASK = "******"
#: "password is X", "PIN: X", "验证码是X", "密码 X"...: the word, a joiner, then the secret.
_SECRET_WORDS = (
    r"(?<![A-Za-z])(?:pass(?:word|code|phrase)?|pwd|pin(?:\s*code)?|otp|one[- ]time\s+(?:code|password)"
    r"|verification\s+code|security\s+code|sms\s+code|cvv|cvc)(?![A-Za-z])"
    r"|密码|口令|验证码|校验码|动态码|安全码"
)
#: Words that follow "password is" without being a password.
_NOT_SECRETS = (
    r"(?:wrong|incorrect|correct|right|not|invalid|expired|locked|blocked|forgotten|lost|reset|changed"
    r"|too|the|my|a|an|same|different|weak|strong|required|needed|missing|empty"
    r"|错误|不对|错了|忘了|忘记|不正确|过期|失效|被锁|锁定|多少|什么)(?![\w])"
)
_SECRET_RE = re.compile(
    rf"(?P<word>(?:{_SECRET_WORDS}))"
    rf"(?:(?P<join>\s*(?:\bis\b|\bwas\b|=|:|：|是|为)\s*)(?!{_NOT_SECRETS})"
    r"(?P<secret>[^\s,，。；;、!！?？\"'“”]{2,64})"
    r"|(?P<space>\s*)(?P<code>(?=[^\s,，。；;、!！?？]*\d)[^\s,，。；;、!！?？\"'“”]{3,64}))",
    re.IGNORECASE,
)
_ESCAPE_RE = re.compile(r"\\{1,2}u([0-9a-fA-F]{4})")
#: Any digit run long enough to be a phone, card or ID number, even glued to letters or to
#: another number.
_LONG_DIGITS_RE = re.compile(r"(?<!\d)(\d{20,}|\d{11,19}|\d{17}[Xx])(?![\dXx])")


def unescape(text: str) -> str:
    """``\\uXXXX`` escapes (JSON, reprs) turned back into the characters they stand for."""
    if "\\u" not in text:
        return text
    return _ESCAPE_RE.sub(lambda m: _char(int(m.group(1), 16)), text)


def _char(code: int) -> str:
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


def mask_passwords(text: str) -> str:
    """Hide what follows "password is", "PIN", "验证码是" and the like."""

    def hide(match: re.Match[str]) -> str:
        joiner = match.group("join") if match.group("join") is not None else match.group("space")
        return f"{match.group('word')}{joiner}{SECRET_MASK}"

    return _SECRET_RE.sub(hide, text)


def mask_secrets(text: str) -> str:
    """For texts that are kept: card and ID numbers and passwords hidden, contacts kept."""
    if not text:
        return text
    text = mask_passwords(text)
    doc = pipeline()(text)
    replacements: list[tuple[int, int, str]] = []
    for start, end in _digit_runs(doc):
        raw = text[start:end]
        digits = re.sub(r"\D", "", raw)
        if _ID_RE.fullmatch(raw.strip()) or (12 <= len(digits) <= 19 and not _is_phone(raw)):
            replacements.append((start, end, _mask_number(raw)))
    for start, end, masked in sorted(replacements, reverse=True):
        text = text[:start] + masked + text[end:]
    return text


def _is_phone(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    plus = raw.lstrip().startswith("+")
    return bool(CN_MOBILE_RE.fullmatch(("+" if plus else "") + digits)) or (plus and 8 <= len(digits) <= 15)


def mask(text: str) -> str:
    """``text`` with every phone, e-mail, card-like and ID number and every password masked."""
    if not text:
        return text
    text = mask_passwords(unescape(text))
    return _LONG_DIGITS_RE.sub(lambda m: _mask_long(m.group(1)), _mask_tokens(text))


def _mask_long(raw: str) -> str:
    """A digit run found by the last pass: as a number, or all but 4 digits hidden when
    it is longer than any single number (several glued together)."""
    if len(raw) > 19:
        return "*" * (len(raw) - 4) + raw[-4:]
    return _mask_number(raw)


def _mask_tokens(text: str) -> str:
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
