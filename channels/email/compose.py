"""Composing the bot's mails: replies that thread, and never trigger other robots.

Every mail carries a fresh Message-ID in our domain (so the customer's answer can be matched
to it), ``In-Reply-To`` and ``References`` of the mail it answers (so clients show one
thread), the ``[GP-XXXXXXXX]`` tag in the subject (so the ticket survives clients that drop
headers), ``Auto-Submitted`` (RFC 3834, so well-behaved auto-responders stay silent) and
``X-Auto-Response-Suppress`` (the same request in Exchange's dialect).
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from channels.email import threads
from channels.email.parse import IncomingMail

#: Content-Language values of the bot's languages.
CONTENT_LANGUAGES = {"zh": "zh-CN", "en": "en"}
FALLBACK_SUBJECTS = {"zh": "Gopay 客服", "en": "Gopay support"}
_URL_RE = re.compile(r"https?://[^\s<>()（）]+[^\s<>()（）.,;:!?。，；：！？]")


def compose(
    *,
    from_address: str,
    to: str,
    subject: str,
    text: str,
    language: str,
    from_name: str = "",
    to_name: str = "",
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    auto_submitted: str = "auto-generated",
    with_html: bool = False,
    domain: str | None = None,
) -> EmailMessage:
    """A complete mail from the bot: plain text, optionally with a simple HTML alternative.

    ``auto_submitted`` is ``auto-replied`` for answers to a mail and ``auto-generated`` for
    mail the bot starts (status updates). ``domain`` names the Message-ID's right-hand side;
    by default the From address's domain, never this machine's host name.
    """
    message = EmailMessage()
    message["From"] = Address(display_name=from_name, addr_spec=from_address)
    message["To"] = Address(display_name=to_name, addr_spec=to)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain=domain or from_address.rpartition("@")[2])
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    message["Auto-Submitted"] = auto_submitted
    message["X-Auto-Response-Suppress"] = "All"
    # Quoted-printable: lines of a long answer in UTF-8 (3 bytes per Chinese character) would
    # break SMTP's 998-byte line limit as 8bit; relays refuse such mail ("line too long").
    message.set_content(_normalise(text), subtype="plain", charset="utf-8", cte="quoted-printable")
    if with_html:
        message.add_alternative(
            text_to_html(text, language), subtype="html", charset="utf-8", cte="quoted-printable"
        )
    # After the body: set_content() drops every Content-* header set before it.
    message["Content-Language"] = CONTENT_LANGUAGES.get(language, language)
    return message


def compose_reply(
    mail: IncomingMail,
    text: str,
    *,
    from_address: str,
    language: str,
    from_name: str = "",
    tracking_number: str | None = None,
    with_html: bool = False,
    domain: str | None = None,
) -> EmailMessage:
    """The bot's answer to ``mail``, in its thread, to its From address only.

    The answer goes to From, never to Reply-To or Cc: the conversation (and any ticket) is
    keyed by that address, so a forged Reply-To cannot route answers elsewhere.
    """
    if not mail.sender:
        raise ValueError("a mail without a sender address cannot be answered")
    fallback = FALLBACK_SUBJECTS.get(language, FALLBACK_SUBJECTS["en"])
    return compose(
        from_address=from_address,
        from_name=from_name,
        to=mail.sender,
        to_name=mail.sender_name,
        subject=threads.reply_subject(mail.subject, tracking_number, fallback=fallback),
        text=text,
        language=language,
        in_reply_to=mail.message_id,
        references=threads.references_for_reply(mail.message_id, mail.in_reply_to, mail.references),
        auto_submitted="auto-replied",
        with_html=with_html,
        domain=domain,
    )


def wire_bytes(message: EmailMessage) -> bytes:
    """The mail as it goes over SMTP: CRLF line ends (relays refuse bare LF, or read the whole
    mail as one over-long line)."""
    return message.as_bytes(policy=policy.SMTP)


def text_to_html(text: str, language: str = "en") -> str:
    """A minimal HTML rendering of ``text``: escaped paragraphs, line breaks, live links."""
    paragraphs = [p for p in re.split(r"\n\s*\n", _normalise(text).strip()) if p.strip()]
    body = "\n".join(f"<p>{_linked(p).replace(chr(10), '<br>' + chr(10))}</p>" for p in paragraphs)
    lang = html.escape(CONTENT_LANGUAGES.get(language, language), quote=True)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif; line-height: 1.5">\n{body}\n</body></html>\n'
    )


def _linked(paragraph: str) -> str:
    out, last = [], 0
    for match in _URL_RE.finditer(paragraph):
        out.append(html.escape(paragraph[last : match.start()]))
        url = html.escape(match.group(0), quote=True)
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(paragraph[last:]))
    return "".join(out)


def _normalise(text: str) -> str:
    """Unix line ends and no trailing spaces (which format=flowed readers would join)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"
