"""The single code path for Telegram updates, shared by webhook and polling mode.

``accept`` is all a request handler does: parse, de-duplicate (persistently), queue. The
per-chat workers then decide what the update means (:mod:`routing`), answer callbacks,
show "typing…" and hand the text to Rasa, whose answers flow back through
:class:`~channels.telegram.output.TelegramOutput`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from channels.telegram import identity
from channels.telegram.formatting import MAX_TEXT
from channels.telegram.output import TelegramOutput
from channels.telegram.ratelimit import RateLimiter
from channels.telegram.replies import reply_text
from channels.telegram.routing import BotIdentity, Decision, Ignore, Reply, Turn, decide
from channels.telegram.sender import RetryPolicy, TelegramSender
from channels.telegram.settings import TelegramSettings
from channels.telegram.store import PAYLOAD_KEY_PREFIX, TelegramStore
from channels.toolkit import conventions
from channels.toolkit.backoff import Backoff, retry_until_done
from channels.toolkit.queues import KeyedQueues
from gopay_support.core import bounds

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

#: Update types Telegram should deliver; anything else would be ignored anyway.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post"]
TYPING_INTERVAL = 4.0  # Telegram shows "typing…" for about 5 seconds per action
FIRST_TYPING_WAIT = 1.0  # never hold a turn longer than this for the typing indicator


class Accepted(enum.Enum):
    QUEUED = "queued"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


def api_base_url(base: str) -> str:
    """PTB's ``base_url`` for a Bot API server root (``{token}`` placeholders kept)."""
    base = base.rstrip("/")
    return base if "{token}" in base or base.endswith("/bot") else f"{base}/bot"


def make_bot(settings: TelegramSettings, read_timeout: float = 10.0, connect_timeout: float = 5.0) -> Bot:
    """A Bot on the configured API server; one request object, closed by ``stop``."""
    request = HTTPXRequest(read_timeout=read_timeout, connect_timeout=connect_timeout)
    return Bot(
        settings.bot_token,
        base_url=api_base_url(settings.api_base_url),
        request=request,
        get_updates_request=request,
    )


class TelegramService:
    def __init__(
        self,
        settings: TelegramSettings,
        bot: Bot,
        store: TelegramStore,
        *,
        retry: RetryPolicy | None = None,
        startup_backoff: float = 1.0,
        typing_interval: float = TYPING_INTERVAL,
    ) -> None:
        self.settings = settings
        self.bot = bot
        self.store = store
        self.sender = TelegramSender(bot, RateLimiter(settings.chat_interval, settings.global_rate), retry)
        self.output = TelegramOutput(self.sender, store.put_payload)
        self.identity = BotIdentity(identity.bot_id_from_token(settings.bot_token))
        self.on_new_message: OnNewMessage | None = None
        self.queues: KeyedQueues[Update] = KeyedQueues(self._process)
        self._startup_backoff = startup_backoff
        self._typing_interval = typing_interval
        self._bootstrap: asyncio.Task[None] | None = None
        self.webhook_registered = False

    @classmethod
    def from_settings(cls, settings: TelegramSettings, db_url: str) -> TelegramService:
        bot_id = identity.bot_id_from_token(settings.bot_token)
        return cls(settings, make_bot(settings), TelegramStore.from_url(db_url, bot_id))

    # --- request path: must stay fast --------------------------------------------------
    async def accept(self, payload: Any) -> Accepted:
        """Parse, de-duplicate and queue one update; processing happens in the background."""
        if not isinstance(payload, dict) or not bounds.in_int64(payload.get("update_id")):
            return Accepted.INVALID
        try:
            bounds.check_value(payload)  # 64-bit integers, no lone surrogates, bounded depth
            update = Update.de_json(payload, self.bot)
            key = _queue_key(update)
        except Exception:  # malformed nested objects; never a 500 for Telegram to retry
            logger.warning("telegram: unparsable update %s", payload.get("update_id"))
            return Accepted.INVALID
        message = update.effective_message
        if message is not None and len(message.text or message.caption or "") > MAX_TEXT:
            logger.info("telegram: update %s longer than Telegram allows, ignored", update.update_id)
            return Accepted.INVALID
        if not await self.store.claim_update(update.update_id):
            logger.info("telegram: update %s already processed, ignored", update.update_id)
            return Accepted.DUPLICATE
        self.queues.submit(key, update)
        return Accepted.QUEUED

    # --- background processing -----------------------------------------------------------
    async def _process(self, update: Update) -> None:
        if update.effective_chat is not None and update.effective_chat.type != "private":
            # Groups need the username to spot mentions; start-up may not have got it yet.
            with contextlib.suppress(TelegramError):
                await self._learn_identity()
        decision = decide(update, self.identity)
        logger.info("telegram: update %s -> %s", update.update_id, _describe(decision))
        await self._act(decision, update.update_id)

    async def _act(self, decision: Decision, update_id: int) -> None:
        if isinstance(decision, Ignore):
            if decision.callback_query_id:
                await self.sender.answer_callback_query(decision.callback_query_id)
        elif isinstance(decision, Reply):
            await self.sender.send_message(
                decision.chat_id, reply_text(decision.kind, decision.language_code)
            )
        else:
            await self._turn(decision, update_id)

    async def _turn(self, turn: Turn, update_id: int) -> None:
        text = turn.text
        if turn.callback_query_id:
            await self.sender.answer_callback_query(turn.callback_query_id)
            if turn.callback_message_id is not None:
                # One press per keyboard: a double tap must not submit twice.
                await self.sender.remove_keyboard(turn.chat_id, turn.callback_message_id)
            if text.startswith(PAYLOAD_KEY_PREFIX):
                stored = await self.store.get_payload(text)
                if stored is None:
                    logger.warning("telegram: unknown button key in update %s", update_id)
                    return
                text = stored
        if self.on_new_message is None:
            logger.error("telegram: no Rasa handler attached; update %s dropped", update_id)
            return
        message = UserMessage(
            text=text,
            output_channel=self.output,
            sender_id=identity.sender_id(turn.chat_id),
            input_channel=identity.CHANNEL_NAME,
            # The client's language hint counts when the text has none (emoji, "/start").
            metadata=conventions.metadata(
                identity.CHANNEL_NAME,
                turn.language_code,
                chat_type=turn.chat_type,
                update_id=update_id,
                language_code=turn.language_code,
            ),
        )
        # The first "typing…" goes out before Rasa starts, so it can never arrive after the
        # answer and linger; slow turns get it refreshed in the background.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.sender.send_typing(turn.chat_id), FIRST_TYPING_WAIT)
        typing = asyncio.create_task(self._keep_typing(turn.chat_id))
        try:
            await self.on_new_message(message)
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing

    async def _keep_typing(self, chat_id: int) -> None:
        while True:
            await asyncio.sleep(self._typing_interval)
            await self.sender.send_typing(chat_id)

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Begin start-up work in the background; never blocks the server's start."""
        self._bootstrap = asyncio.get_running_loop().create_task(self._start_up())

    async def _start_up(self) -> None:
        await asyncio.to_thread(self.store.create_tables)
        if not await self._retry_until_done("getMe", self._learn_identity):
            return
        if self.settings.mode == "polling":
            logger.info("telegram: polling mode; updates arrive from channels.telegram.polling")
        elif self.settings.webhook_url:
            await self._retry_until_done("setWebhook", self._set_webhook)
        else:
            logger.warning(
                "telegram: TELEGRAM_WEBHOOK_URL is not set, so no webhook is registered; "
                "set it, or run in polling mode (see docs/telegram.md)"
            )

    async def _learn_identity(self) -> bool:
        if self.identity.username:
            return True
        me = await self.bot.get_me()
        self.identity = BotIdentity(me.id, me.username)
        logger.info("telegram: connected as @%s", me.username)
        return True

    async def _set_webhook(self) -> bool:
        await self.bot.set_webhook(
            self.settings.webhook_url,
            secret_token=self.settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )
        self.webhook_registered = True
        logger.info("telegram: webhook registered")
        return True

    async def _retry_until_done(self, what: str, step: Callable[[], Awaitable[bool]]) -> bool:
        try:
            done = await retry_until_done(
                f"telegram: {what} (Telegram unreachable?)",
                step,
                Backoff(first=self._startup_backoff, maximum=60.0),
                retry_on=(TelegramError,),
                fatal=(InvalidToken,),
                logger=logger,
            )
        except InvalidToken:
            logger.error("telegram: %s rejected the bot token; check TELEGRAM_BOT_TOKEN", what)
            return False
        return bool(done)

    async def stop(self, timeout: float = 10.0) -> None:
        if self._bootstrap is not None:
            self._bootstrap.cancel()
        with contextlib.suppress(asyncio.TimeoutError):
            await self.queues.join(timeout)
        self.queues.cancel()
        await self.bot.request.shutdown()
        await asyncio.to_thread(self.store.dispose)


def _queue_key(update: Update) -> int | None:
    """The chat (or user) an update is ordered by; ``ValueError`` for an id that is no integer."""
    owner = update.effective_chat or update.effective_user
    if owner is None:
        return None
    if not bounds.in_int64(owner.id):
        raise ValueError("chat or user id is not a 64-bit integer")
    return int(owner.id)


def _describe(decision: Decision) -> str:
    """Log line without user text: the decision type and its reason/kind only."""
    if isinstance(decision, Ignore):
        return f"ignore ({decision.reason})"
    if isinstance(decision, Reply):
        return f"reply ({decision.kind})"
    return "callback turn" if decision.callback_query_id else "turn"
