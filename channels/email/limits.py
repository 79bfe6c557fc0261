"""Size and count limits of incoming mail.

A support mailbox is an open door: anyone can send a 50 MB mail or a thousand nested parts.
Mails over a limit are answered with a short notice instead of being read, and the text
handed to the bot is capped, so one mail can neither stall the intake nor flood the model.
"""

from __future__ import annotations

from dataclasses import dataclass

TOO_LARGE = "too_large"
TOO_MANY_ATTACHMENTS = "too_many_attachments"
TOO_MANY_PARTS = "too_many_parts"


@dataclass(frozen=True)
class MailLimits:
    """Limits applied by :func:`channels.email.parse.parse_mail` (all configurable)."""

    #: Raw size of a whole mail, attachments included; larger mails get a notice.
    max_message_bytes: int = 10 * 1024 * 1024
    #: Attachments noted per mail; more get a notice.
    max_attachments: int = 10
    #: MIME parts walked per mail (nested multiparts included); more get a notice.
    max_parts: int = 100
    #: Characters of new text passed on to the bot; the rest is cut, not refused.
    max_text_chars: int = 4000

    def __post_init__(self) -> None:
        for name in ("max_message_bytes", "max_parts", "max_text_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_attachments < 0:
            raise ValueError("max_attachments must not be negative")
