"""Reading an incoming mail: who wrote, in which thread, what they wrote this time.

The result, :class:`IncomingMail`, is what the channel hands on: the sender's address, the
threading headers, the new text in plain form (text/plain preferred, HTML converted to safe
text, history and signature stripped) and the attachments as names and sizes only; their
content is never kept, opened or executed. Mails over a limit are not read at all: only
their headers, so the sender can be told with a notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses

from channels.email import quoting, threads
from channels.email.charsets import decode_bytes, decode_header_value
from channels.email.htmltext import html_to_text
from channels.email.limits import TOO_LARGE, TOO_MANY_ATTACHMENTS, TOO_MANY_PARTS, MailLimits
from gopay_support.core.pii import mask_email

MAX_SUBJECT_CHARS = 500
MAX_REFERENCES = 100
_ADDRESS_RE = re.compile(r"[^@\s<>()\[\]\\,;:\"]+@[^@\s<>()\[\]\\,;:\"]+\.[^@\s<>()\[\]\\,;:\"]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Attachment:
    """An attachment as noted for the ticket: never its content."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class IncomingMail:
    """One customer mail, reduced to what the conversation needs."""

    sender: str  #: lower-cased address of From ("" when it has none)
    sender_name: str
    subject: str
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str  #: the new text, plain, at most ``max_text_chars``
    attachments: tuple[Attachment, ...] = ()
    size: int = 0
    #: Why the mail was not read (``limits.TOO_LARGE`` …); the sender gets a notice instead.
    problem: str | None = None
    truncated: bool = False
    #: The parsed message (only its headers for an oversize mail), for :mod:`.noise`.
    message: Message | None = field(default=None, repr=False, compare=False)

    @property
    def tracking_number(self) -> str | None:
        """The ticket this mail refers to through its subject tag, if any."""
        return threads.subject_tracking_number(self.subject)

    @property
    def thread_root(self) -> str | None:
        return threads.thread_root(self.message_id, self.in_reply_to, self.references)

    @property
    def conversation_key(self) -> str:
        return threads.conversation_key(self.sender, self.thread_root, self.subject)

    def summary(self) -> str:
        """A line for the logs: masked address, no subject, no text."""
        parts = [
            f"mail {self.conversation_key} from {mask_email(self.sender) if self.sender else '?'}",
            f"{self.size} bytes",
            f"{len(self.text)} chars",
            f"{len(self.attachments)} attachments",
        ]
        if self.problem:
            parts.append(f"not read: {self.problem}")
        return ", ".join(parts)


def parse_mail(raw: bytes, limits: MailLimits | None = None, size: int | None = None) -> IncomingMail:
    """Read a raw RFC 5322 mail.

    ``size`` is the mail's full size when ``raw`` holds its headers only (an intake that
    saw ``RFC822.SIZE`` over the limit fetches no more); by default ``len(raw)``.
    """
    limits = limits or MailLimits()
    size = len(raw) if size is None else size
    if size > limits.max_message_bytes:
        headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        return _mail(headers, size=size, problem=TOO_LARGE)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    leaves = _leaves(message, limits.max_parts)
    if leaves is None:
        return _mail(message, size=size, problem=TOO_MANY_PARTS)
    attachments = tuple(_attachment(part) for part in leaves if _is_attachment(part))
    if len(attachments) > limits.max_attachments:
        return _mail(message, size=size, attachments=attachments, problem=TOO_MANY_ATTACHMENTS)
    text = quoting.new_text(body_text(message))
    truncated = len(text) > limits.max_text_chars
    if truncated:
        text = _cut(text, limits.max_text_chars)
    return _mail(message, size=size, text=text, attachments=attachments, truncated=truncated)


def body_text(message: EmailMessage) -> str:
    """The mail's whole text (history included): text/plain, else its HTML as plain text."""
    text = ""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None and not _is_attachment(plain):
        text = _part_text(plain)
    if not text.strip():
        html = message.get_body(preferencelist=("html",))
        if html is not None and not _is_attachment(html):
            text = html_to_text(_part_text(html))
    return text.strip()


def header(message: Message, name: str) -> str | None:
    """The decoded value of the first ``name`` header, robust to mislabelled charsets."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return decode_header_value(str(value))
    return None


def sender_address(message: Message) -> tuple[str, str]:
    """``(address, display name)`` of From; the address is ``""`` when From has none.

    The address comes from the structured parse of the raw header (an encoded display name
    such as ``=?utf-8?B?...?=`` for "Doe, John" cannot break it); the name from the decoded
    header, charset fallbacks included.
    """
    decoded = header(message, "From") or ""
    pairs = getaddresses([decoded])
    address = _structured_address(message) or (pairs[0][1] if pairs else "")
    address = address.strip().lower()
    if not _ADDRESS_RE.fullmatch(address):
        address = ""
    angle = re.fullmatch(r"\s*(.*?)\s*<[^<>]*>\s*", decoded, re.DOTALL)
    name = angle.group(1).strip().strip('"') if angle else (pairs[0][0] if pairs else "")
    return address, _CONTROL_RE.sub("", name).strip()


def _structured_address(message: Message) -> str:
    try:
        value = message["From"]
        addresses = getattr(value, "addresses", ())
        return str(addresses[0].addr_spec) if addresses else ""
    except (IndexError, TypeError, ValueError, AttributeError):
        return ""


def _mail(
    message: Message,
    *,
    size: int,
    text: str = "",
    attachments: tuple[Attachment, ...] = (),
    problem: str | None = None,
    truncated: bool = False,
) -> IncomingMail:
    sender, name = sender_address(message)
    subject = _CONTROL_RE.sub(" ", header(message, "Subject") or "").strip()[:MAX_SUBJECT_CHARS]
    own_id = threads.message_ids(header(message, "Message-ID"))
    reply_to_ids = threads.message_ids(header(message, "In-Reply-To"))
    return IncomingMail(
        sender=sender,
        sender_name=name,
        subject=subject,
        message_id=own_id[0] if own_id else None,
        in_reply_to=reply_to_ids[0] if reply_to_ids else None,
        references=threads.message_ids(header(message, "References"))[:MAX_REFERENCES],
        text=text,
        attachments=attachments,
        size=size,
        problem=problem,
        truncated=truncated,
        message=message,
    )


def _leaves(message: MIMEPart, max_parts: int) -> list[MIMEPart] | None:
    """The non-multipart parts in order, or ``None`` past ``max_parts`` parts in all.

    An attached mail (message/rfc822) is one leaf: its own parts are not the customer's text.
    """
    leaves: list[MIMEPart] = []
    pending: list[MIMEPart] = [message]
    seen = 0
    while pending:
        part = pending.pop(0)
        seen += 1
        if seen > max_parts:
            return None
        if part.get_content_maintype() == "multipart" and part.is_multipart():
            pending[:0] = list(part.iter_parts())
        else:
            leaves.append(part)
    return leaves


def _is_attachment(part: MIMEPart) -> bool:
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return True
    return part.get_content_type() not in ("text/plain", "text/html")


def _attachment(part: MIMEPart) -> Attachment:
    return Attachment(filename=_filename(part), content_type=part.get_content_type(), size=_size(part))


def _filename(part: MIMEPart) -> str:
    """The attachment's base name as the sender gave it, decoded, without any path."""
    name = part.get_filename() or ""
    if "=?" in name or any("\udc80" <= ch <= "\udcff" for ch in name):
        name = decode_header_value(name)
    name = re.split(r"[\\/]", name)[-1]
    return _CONTROL_RE.sub("", name).strip()[:200]


def _size(part: MIMEPart) -> int:
    """Decoded size in bytes; an attached mail counts as its serialized form."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return len(payload)
    inner = part.get_payload()
    try:
        if isinstance(inner, list):
            return sum(len(item.as_bytes()) for item in inner if isinstance(item, Message))
        return len(str(inner).encode("utf-8", "surrogateescape"))
    except (TypeError, ValueError, LookupError, UnicodeError):
        return 0


def _part_text(part: MIMEPart) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset()).replace("\r\n", "\n").replace("\r", "\n")
    if str(part.get_param("format", "") or "").lower() == "flowed":
        text = _unflow(text, delsp=str(part.get_param("delsp", "") or "").lower() == "yes")
    return text


def _unflow(text: str, delsp: bool) -> str:
    """Undo format=flowed (RFC 3676): soft line breaks joined, space-stuffing removed."""
    out: list[str] = []
    pending: tuple[int, str] | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if pending is not None and (pending[0] != depth or content == "-- "):
            out.append(_quoted(*pending))
            pending = None
        if pending is not None:
            content = pending[1] + content
            pending = None
        if content.endswith(" ") and content != "-- ":
            pending = (depth, content[:-1] if delsp else content)
        else:
            out.append(_quoted(depth, content))
    if pending is not None:
        out.append(_quoted(*pending))
    return "\n".join(out)


def _quoted(depth: int, content: str) -> str:
    return f"{'>' * depth} {content}" if depth else content


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at a line or word end when one is near."""
    head = text[:limit]
    for mark in ("\n", " "):
        at = head.rfind(mark)
        if at >= limit * 0.8:
            return head[:at].rstrip()
    return head
