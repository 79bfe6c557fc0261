"""Fixed short answers for updates the assistant cannot read (Chinese first, English second).

These never reach Rasa: a sticker or a voice note carries no text to understand, so the
channel answers itself and points the customer back to typing.
"""

from __future__ import annotations

from channels.telegram.routing import EDITED_MESSAGE, UNKNOWN_COMMAND, UNSUPPORTED_MEDIA
from gopay_support.core import catalogue, language

_NOTICE_KEYS = {
    UNSUPPORTED_MEDIA: "notice.unsupported_media",
    EDITED_MESSAGE: "notice.edited_message",
    UNKNOWN_COMMAND: "notice.unknown_command",
}


def reply_text(kind: str, language_code: str | None) -> str:
    """The reply ``kind`` in the customer's Telegram language (Chinese by default)."""
    return catalogue.text(_NOTICE_KEYS[kind], language.resolve("", language_code))
