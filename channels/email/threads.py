"""Threading: which conversation and ticket a mail belongs to.

A mail continues a conversation through its headers (References, In-Reply-To) and a ticket
through the ``[GP-XXXXXXXX]`` tag the bot puts in the subject. Mail clients keep the subject
of the mail they answer, so the tag survives even when a client drops the headers.
"""

from __future__ import annotations

import hashlib
import re

from gopay_support.core import tracking

_MSGID_RE = re.compile(r"<[^<>\s]+>")
# "Re:", "RE :", "Re[2]:", "Fwd:", "FW:", "AW:", "SV:", "回复：", "答复:", "转发:"
_PREFIX_RE = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|wg|antw)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]|(?:回复|答复|回覆|转发|轉寄)\s*[:：])\s*",
    re.IGNORECASE,
)
REPLY_PREFIX = "Re: "
MAX_REFERENCES = 20


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every ``<id>`` in a Message-ID, In-Reply-To or References value, in order."""
    return tuple(_MSGID_RE.findall(value or ""))


def subject_tracking_number(subject: str) -> str | None:
    """The tracking number of the first ``[GP-XXXXXXXX]`` tag in ``subject``, canonical."""
    for start, end, value in tracking.find_all(subject):
        if _bracketed(subject, start, end):
            return value
    return None


def clean_subject(subject: str) -> str:
    """``subject`` without reply/forward prefixes and tracking tags: what the mail is about."""
    text = _without_tags(subject)
    while True:
        stripped = _PREFIX_RE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return re.sub(r"\s+", " ", text).strip()


def reply_subject(subject: str, tracking_number: str | None = None, fallback: str = "Gopay") -> str:
    """``Re: <subject> [GP-XXXXXXXX]``: one "Re:", one tag, whatever the mail's subject held.

    Without ``tracking_number`` the tag already in the subject (if any) is kept.
    """
    base = clean_subject(subject) or fallback
    number = tracking_number or subject_tracking_number(subject)
    tag = f" [{number}]" if number else ""
    return f"{REPLY_PREFIX}{base}{tag}"


def thread_root(message_id: str | None, in_reply_to: str | None, references: tuple[str, ...]) -> str | None:
    """The first message of the thread as far as this mail knows it.

    The first References entry is the thread's origin (RFC 5322 keeps it when trimming);
    without References, the mail answered; without either, the mail itself.
    """
    if references:
        return references[0]
    ids = message_ids(in_reply_to)
    if ids:
        return ids[0]
    return message_id


def conversation_key(sender: str, root: str | None, subject: str = "") -> str:
    """A stable conversation id for a sender's thread; no address or id in clear.

    The key names the conversation in Rasa and in logs, so it is a hash. A mail without any
    Message-ID (rare, broken clients) falls back to its tracking tag, then its subject.
    """
    anchor = root or subject_tracking_number(subject) or clean_subject(subject).casefold()
    digest = hashlib.sha256(f"{sender.strip().lower()}\n{anchor}".encode()).hexdigest()
    return f"email-{digest[:32]}"


def references_for_reply(
    message_id: str | None, in_reply_to: str | None, references: tuple[str, ...]
) -> tuple[str, ...]:
    """References of a reply: the mail's own, else its In-Reply-To, then the mail itself.

    Long threads keep the first id (the root) and the most recent ones (RFC 5322 3.6.4).
    """
    chain = list(references) or list(message_ids(in_reply_to)[:1])
    if message_id and message_id not in chain:
        chain.append(message_id)
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return tuple(chain)


def _bracketed(text: str, start: int, end: int) -> bool:
    before = text[:start].rstrip()
    after = text[end:].lstrip()
    return before.endswith(("[", "【")) and after.startswith(("]", "】"))


def _without_tags(subject: str) -> str:
    for start, end, _value in reversed(tracking.find_all(subject)):
        if _bracketed(subject, start, end):
            left = subject[:start].rstrip()[:-1]
            right = subject[end:].lstrip()[1:]
            subject = f"{left.rstrip()} {right.lstrip()}"
    return subject
