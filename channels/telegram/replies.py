"""Fixed short answers for updates the assistant cannot read (Chinese first, English second).

These never reach Rasa: a sticker or a voice note carries no text to understand, so the
channel answers itself and points the customer back to typing.
"""

from __future__ import annotations

from channels.telegram.routing import EDITED_MESSAGE, UNKNOWN_COMMAND, UNSUPPORTED_MEDIA
from gopay_support import language

_REPLIES: dict[str, dict[str, str]] = {
    UNSUPPORTED_MEDIA: {
        "zh": "抱歉，我目前只能阅读文字消息。请用文字描述您的问题，我会尽快为您解答。",
        "en": "Sorry, I can only read text messages for now. "
        "Please describe your question in words and I'll help right away.",
    },
    EDITED_MESSAGE: {
        "zh": "我无法处理修改过的消息。如需更正，请直接发送一条新消息。",
        "en": "I can't process edited messages. To correct something, please send a new message.",
    },
    UNKNOWN_COMMAND: {
        "zh": "抱歉，我不认识这个命令。请直接用文字描述您的问题，或发送 /start 开始。",
        "en": "Sorry, I don't know that command. Just describe your question in words, "
        "or send /start to begin.",
    },
}


def reply_text(kind: str, language_code: str | None) -> str:
    """The reply ``kind`` in the customer's Telegram language (Chinese by default)."""
    lang = language.resolve("", language_code)
    return _REPLIES[kind][lang]
