"""What to do with an incoming update, decided without any I/O.

Each update becomes one of three decisions: a :class:`Turn` for Rasa, a fixed polite
:class:`Reply` (media the bot cannot read, edited messages, unknown commands) or a
deliberate :class:`Ignore`. Keeping this pure makes every update type testable from its
JSON alone, and guarantees that odd updates can never reach Rasa or crash the handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import CallbackQuery, Chat, Message, MessageEntity, Update

from gopay_support.core import catalogue, language

#: Commands that open a conversation. Rasa gets a plain greeting in the user's Telegram
#: language, not the ``/greet`` intent shortcut: Rasa's shortcut parsing drops the NLU's
#: language hint, so an English user would be greeted in the default Chinese.
GREETING_COMMANDS = frozenset({"start", "help"})

_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{3,64}))?(?:\s+(.*))?$", re.S)


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is, to recognise mentions and replies in groups."""

    id: int
    username: str | None = None


@dataclass(frozen=True)
class Turn:
    """A user message (or button press) for the Rasa conversation of ``chat_id``."""

    chat_id: int
    text: str
    language_code: str | None
    user_id: int | None = None
    chat_type: str = Chat.PRIVATE
    #: Set for button presses: answered, and the raw data resolved to the button payload.
    callback_query_id: str | None = None
    callback_message_id: int | None = None


@dataclass(frozen=True)
class Reply:
    """A fixed short answer from :mod:`channels.telegram.replies` (``kind`` names it)."""

    chat_id: int
    kind: str
    language_code: str | None


@dataclass(frozen=True)
class Ignore:
    """Deliberately no answer; ``callback_query_id`` is still answered to stop the spinner."""

    reason: str
    chat_id: int | None = None
    callback_query_id: str | None = None


Decision = Turn | Reply | Ignore

UNSUPPORTED_MEDIA = "unsupported_media"
EDITED_MESSAGE = "edited_message"
UNKNOWN_COMMAND = "unknown_command"


def decide(update: Update, bot: BotIdentity) -> Decision:
    if update.callback_query is not None:
        return _callback(update.callback_query)
    if update.message is not None:
        return _message(update.message, bot)
    if update.edited_message is not None:
        message = update.edited_message
        if message.chat.type == Chat.PRIVATE:
            return Reply(message.chat.id, EDITED_MESSAGE, _language_code(message))
        return Ignore("edited group message", message.chat.id)
    if update.channel_post is not None or update.edited_channel_post is not None:
        return Ignore("channel post")
    return Ignore("unhandled update type")


def _callback(query: CallbackQuery) -> Decision:
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    if not query.data:
        return Ignore("callback without data", chat_id, query.id)
    return Turn(
        chat_id=chat_id,
        text=query.data,
        language_code=query.from_user.language_code,
        user_id=query.from_user.id,
        chat_type=message.chat.type if message is not None else Chat.PRIVATE,
        callback_query_id=query.id,
        callback_message_id=message.message_id if message is not None else None,
    )


def _message(message: Message, bot: BotIdentity) -> Decision:
    chat = message.chat
    if chat.type == Chat.CHANNEL:
        return Ignore("channel post")
    private = chat.type == Chat.PRIVATE
    text = message.text
    if text is None:
        if message.effective_attachment is None:
            return Ignore("service message", chat.id)  # joins, pins, title changes...
        if private or _replies_to_bot(message, bot):
            return Reply(chat.id, UNSUPPORTED_MEDIA, _language_code(message))
        return Ignore("group media not addressed", chat.id)

    command = _COMMAND_RE.match(text.strip())
    if command:
        name, target, args = command.group(1).lower(), command.group(2), command.group(3)
        if not private and not _is_us(target, bot) and not _replies_to_bot(message, bot):
            return Ignore("group command not addressed", chat.id)
        if target and not _is_us(target, bot):
            return Ignore("command for another bot", chat.id)
        if name in GREETING_COMMANDS and not args:
            return _turn(
                message, catalogue.text("notice.greeting", language.resolve("", _language_code(message)))
            )
        if args and args.strip():
            return _turn(message, args.strip())
        return Reply(chat.id, UNKNOWN_COMMAND, _language_code(message))

    if not private:
        if not (_mentions_bot(message, bot) or _replies_to_bot(message, bot)):
            return Ignore("group message not addressed", chat.id)
        text = _strip_mentions(message, bot)
    text = text.strip()
    if not text:
        return Ignore("empty text", chat.id)
    # A typed "/intent{...}" would be an intent shortcut for Rasa: only buttons may use it.
    return _turn(message, text.lstrip("/") if text.startswith("/") else text)


def _turn(message: Message, text: str) -> Turn:
    return Turn(
        chat_id=message.chat.id,
        text=text,
        language_code=_language_code(message),
        user_id=message.from_user.id if message.from_user else None,
        chat_type=message.chat.type,
    )


def _language_code(message: Message) -> str | None:
    return message.from_user.language_code if message.from_user else None


def _is_us(username: str | None, bot: BotIdentity) -> bool:
    return bool(username and bot.username and username.lower() == bot.username.lower())


def _replies_to_bot(message: Message, bot: BotIdentity) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot.id)


def _mentions_bot(message: Message, bot: BotIdentity) -> bool:
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
        if entity.type == MessageEntity.MENTION and _is_us(value.lstrip("@"), bot):
            return True
    return False


def _strip_mentions(message: Message, bot: BotIdentity) -> str:
    text = message.text or ""
    if bot.username:
        text = re.sub(rf"@{re.escape(bot.username)}\b", " ", text, flags=re.I)
    return re.sub(r"\s{2,}", " ", text)
