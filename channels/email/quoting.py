"""The new part of a reply: quoted history and signatures stripped.

Customers answer on top of the whole conversation, and mail clients mark the history in
different ways: ``>`` lines, an attribution ("On … wrote:", "在 … 写道："), a separator
("-----Original Message-----", QQ Mail's "------------------ 原始邮件 ------------------",
Outlook's underscores) or a header block ("From: … Sent: …", "发件人: … 发送时间: …"). The bot
must only see what the customer wrote this time, or it answers its own earlier replies.
"""

from __future__ import annotations

import re

# One line that starts the history on its own.
_SEPARATOR_RE = re.compile(
    r"^(?:-{2,}\s*(?:original message|original|forwarded by .*|原始邮件|原邮件|回复的原邮件)\s*-{2,}"
    r"|_{10,}|={10,})$",
    re.IGNORECASE,
)
_ATTRIBUTION_EN_RE = re.compile(r"^(?:on|am|le)\s.{4,250}\s(?:wrote|schrieb|a écrit)\s?:$", re.IGNORECASE)
_ATTRIBUTION_ZH_RE = re.compile(r"^.{4,250}(?:写道|寫道)\s?[:：]$")
# A header block of a quoted message: "From:" followed by other header lines.
_BLOCK_FROM_RE = re.compile(r"^\*?(?:from|发件人|寄件者)\s*\*?\s*[:：]", re.IGNORECASE)
_BLOCK_FIELD_RE = re.compile(
    r"^\*?(?:sent|date|to|subject|cc|发送时间|时间|日期|收件人|主题|抄送|寄件日期|收件者|主旨)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_QUOTE_RE = re.compile(r"^\s*>")
_SIGNATURE_DELIMITER = "--"
# Sign-offs that mail apps add at the very end of a message; device words only, so a last
# line such as "Sent from my bank account" stays.
_DEVICE = (
    r"(?:iphone|ipad|android|mobile|phone|smartphone|galaxy|huawei|xiaomi"
    r"|[\w ]{0,20}(?:phone|device|tablet))"
)
_DEVICE_ZH = r"\s*(?:iphone|ipad|android|[\w ]{0,10}(?:手机|平板|设备))"
_APP_SIGNOFF_RE = re.compile(
    rf"^(?:sent from my {_DEVICE}|sent from (?:mail|outlook|yahoo mail|gmail) for [\w ]{{1,20}}"
    r"|sent from (?:outlook|yahoo mail|gmail)|get outlook for [\w ]{1,20}"
    rf"|(?:发自|来自)我的{_DEVICE_ZH}|从我的{_DEVICE_ZH}\s*发送"
    r"|发自[\w ]{1,12}(?:邮箱|邮件)[\w ]{0,6})\.?$",
    re.IGNORECASE,
)


def new_text(text: str) -> str:
    """What the sender wrote this time: history and signature removed.

    When nothing would remain (a mail that is only a forwarded message), the ``>`` lines and
    the signature are still dropped but the rest is kept, so a forward is not read as empty.
    """
    lines = _normalise(text)
    start, end = _history_marker(lines)
    fresh = strip_signature("\n".join(_drop_quote_lines(lines[:start])))
    if fresh:
        return fresh
    return strip_signature("\n".join(_drop_quote_lines(lines[end:])))


def strip_quoted(text: str) -> str:
    """``text`` without the quoted history: cut at its first marker, ``>`` lines dropped."""
    lines = _normalise(text)
    return _tidy(_drop_quote_lines(lines[: _history_marker(lines)[0]]))


def strip_signature(text: str) -> str:
    """``text`` without a ``-- `` signature block and without app sign-offs at its end."""
    lines = _normalise(text)
    seen_content = False
    for index, line in enumerate(lines):
        if line.rstrip() == _SIGNATURE_DELIMITER and seen_content:
            lines = lines[:index]
            break
        seen_content = seen_content or bool(line.strip())
    while lines and (not lines[-1].strip() or _APP_SIGNOFF_RE.match(lines[-1].strip())):
        lines.pop()
    return _tidy(lines)


def _history_marker(lines: list[str]) -> tuple[int, int]:
    """Where the quoted history starts, and where the line(s) announcing it end.

    ``(len(lines), len(lines))`` when there is no history. A header block ("From:") is part
    of the history itself, so it starts right at its first line.
    """
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line or _QUOTE_RE.match(raw):
            continue
        if _SEPARATOR_RE.match(line) and (
            not line.startswith(("_", "=")) or _header_block_follows(lines, index + 1)
        ):
            return index, index + 1
        if _is_attribution(line):
            return index, index + 1
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if following and not _is_attribution(following) and _is_attribution(f"{line} {following}"):
            return index, index + 2  # an attribution the client wrapped over two lines
        if _BLOCK_FROM_RE.match(line) and _header_block_follows(lines, index + 1):
            return index, index
    return len(lines), len(lines)


def _is_attribution(line: str) -> bool:
    """ "On <date>, <name> wrote:" and its Chinese forms; a date or an address must be in it."""
    if not any(ch.isdigit() or ch == "@" for ch in line):
        return False
    return bool(_ATTRIBUTION_EN_RE.match(line) or _ATTRIBUTION_ZH_RE.match(line))


def _header_block_follows(lines: list[str], start: int) -> bool:
    """Whether the next non-blank line after ``start`` is a header line ("Sent:", "发件人:")."""
    for raw in lines[start : start + 3]:
        line = raw.strip()
        if line:
            return bool(_BLOCK_FIELD_RE.match(line) or _BLOCK_FROM_RE.match(line))
    return False


def _drop_quote_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if not _QUOTE_RE.match(line)]


def _normalise(text: str) -> list[str]:
    return [line.rstrip("\r") for line in text.replace("\r\n", "\n").split("\n")]


def _tidy(lines: list[str]) -> str:
    """Join lines, trimming trailing spaces and blank runs (never a signature's "-- ")."""
    out: list[str] = []
    for line in lines:
        line = line if line == "-- " else line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip("\n")
