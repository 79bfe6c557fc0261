"""The single code path for Telegram updates, shared by webhook and polling mode.

``accept`` is all a request handler does: parse, check, and record the update in the
durable inbox (:mod:`channels.toolkit.inbox`, dedup key = ``update_id``), committed *before*
Telegram gets its 200; a re-delivery of the same update finds the first record. The inbox
then works through each chat's updates in ``update_id`` order, one at a time, and crosses an
update off only when its turn is over and every answer is in the durable outbox
(:mod:`channels.telegram.delivery`); updates a crash left unfinished are replayed when the
server starts again. A replayed turn that Rasa had already finished (its user message is
in the tracker under the entry's ``message_id``) is not put to the bot twice, and its
answers, enqueued under keys derived from the update, are not queued twice.

The inbox's handler decides what the update means (:mod:`routing`), answers callbacks,
shows "typing…" and hands the text to Rasa, whose answers flow into the outbox through
:class:`~channels.telegram.output.TelegramOutput`. A second press on the same keyboard
(a double tap: two updates) is answered but not processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from channels.telegram import delivery, identity, texts
from channels.telegram.formatting import MAX_TEXT
from channels.telegram.output import TelegramOutput
from channels.telegram.ratelimit import RateLimiter
from channels.telegram.replies import reply_text
from channels.telegram.routing import BotIdentity, Decision, Ignore, Reply, Turn, decide
from channels.telegram.sender import RetryPolicy, TelegramSender
from channels.telegram.settings import TelegramSettings
from channels.telegram.store import PAYLOAD_KEY_PREFIX, TelegramStore
from channels.toolkit import conventions, replay
from channels.toolkit.backoff import Backoff, retry_until_done
from channels.toolkit.inbox import Defer, Inbox, InboxEntry, InboxProcessor
from channels.toolkit.outbox import Outbox, OutboxWorker, Outgoing
from channels.toolkit.records import Records
from gopay_support.adapters.db.database import Database
from gopay_support.adapters.rasa.action_calls import ActionServerUnavailable
from gopay_support.core import bounds, catalogue, language

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
#: The Rasa server's current agent (``app.ctx.agent``), to recognise finished turns on replay.
AgentGetter = Callable[[], Any]

#: Update types Telegram should deliver; anything else would be ignored anyway.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post"]
#: Parallel webhook connections Telegram may open (its default is 40).
MAX_CONNECTIONS = 40
TYPING_INTERVAL = 4.0  # Telegram shows "typing…" for about 5 seconds per action
FIRST_TYPING_WAIT = 1.0  # never hold a turn longer than this for the typing indicator
#: Retries of replies while the Bot API is away or flood control is on: at most every 10 s.
OUTBOX_BACKOFF = Backoff(first=0.5, maximum=10.0)
#: A crashed server's update is taken over this many seconds after its last sign of life
#: (the lease is renewed while a turn runs).
INBOX_LEASE = 15.0
#: The record kind of a keyboard that was pressed (key ``<chat>:<message id>``).
PRESSED = "pressed"


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
        database: Database,
        *,
        retry: RetryPolicy | None = None,
        startup_backoff: float = 1.0,
        typing_interval: float = TYPING_INTERVAL,
        inbox_scan: float = 2.0,
        outbox_poll: float = 1.0,
    ) -> None:
        self.settings = settings
        self.bot = bot
        self.store = store
        self.database = database
        self.records = Records(database)
        self.identity = BotIdentity(identity.bot_id_from_token(settings.bot_token))
        limiter = RateLimiter(settings.chat_interval, settings.global_rate)
        self.sender = TelegramSender(bot, limiter, retry)
        self.outbox = Outbox(database)
        self.worker = OutboxWorker(
            self.outbox,
            {identity.CHANNEL_NAME: delivery.telegram_sender(bot, limiter)},
            backoff=OUTBOX_BACKOFF,
            poll=outbox_poll,
            name="telegram-outbox",
        )
        self.inbox = InboxProcessor(
            Inbox(database, lease=INBOX_LEASE),
            identity.CHANNEL_NAME,
            self._handle_entry,
            give_up=self._gave_up,
            scan_interval=inbox_scan,
        )
        self.output = TelegramOutput(self._enqueue, store.put_payload, self.identity.id)
        self.on_new_message: OnNewMessage | None = None
        self.agent: AgentGetter = lambda: None
        self._startup_backoff = startup_backoff
        self._typing_interval = typing_interval
        self._bootstrap: asyncio.Task[None] | None = None
        self.webhook_registered = False

    @classmethod
    def from_settings(cls, settings: TelegramSettings, db_url: str) -> TelegramService:
        bot_id = identity.bot_id_from_token(settings.bot_token)
        return cls(settings, make_bot(settings), TelegramStore.from_url(db_url, bot_id), Database(db_url))

    # --- request path: must stay fast --------------------------------------------------
    async def accept(self, payload: Any) -> Accepted:
        """Check one update and record it in the inbox (committed when this returns).

        Raises the database's error when the update cannot be recorded: the webhook then
        answers 5xx and Telegram delivers the update again later.
        """
        if not isinstance(payload, dict) or not bounds.in_int64(payload.get("update_id")):
            return Accepted.INVALID
        try:
            bounds.check_value(payload)  # 64-bit integers, no lone surrogates, bounded depth
            update = Update.de_json(payload, self.bot)
            conversation = _conversation_of(update)
        except Exception:  # malformed nested objects; never a 500 for Telegram to retry
            logger.warning("telegram: unparsable update %s", payload.get("update_id"))
            return Accepted.INVALID
        message = update.effective_message
        if message is not None and len(message.text or message.caption or "") > MAX_TEXT:
            logger.info("telegram: update %s longer than Telegram allows, ignored", update.update_id)
            return Accepted.INVALID
        recorded = await self.inbox.accept(
            conversation, str(update.update_id), payload, sequence=update.update_id
        )
        if not recorded.new:
            logger.info("telegram: update %s received before, ignored", update.update_id)
            return Accepted.DUPLICATE
        return Accepted.QUEUED

    # --- background processing -----------------------------------------------------------
    async def _handle_entry(self, entry: InboxEntry) -> dict[str, str]:
        """The inbox's handler: one update, its turn and its answers in the outbox."""
        update = Update.de_json(entry.payload, self.bot)
        if update.effective_chat is not None and update.effective_chat.type != "private":
            # Groups need the username to spot mentions; start-up may not have got it yet.
            with contextlib.suppress(TelegramError):
                await self._learn_identity()
        decision = decide(update, self.identity)
        logger.info("telegram: update %s -> %s", update.update_id, _describe(decision))
        outcome = await self._act(decision, entry)
        return {"outcome": outcome}

    async def _act(self, decision: Decision, entry: InboxEntry) -> str:
        if isinstance(decision, Ignore):
            if decision.callback_query_id:
                await self.sender.answer_callback_query(decision.callback_query_id)
            return "ignored"
        if isinstance(decision, Reply):
            key = delivery.turn_key(self.identity.id, int(entry.key), 0)
            text = reply_text(decision.kind, decision.language_code)
            await self._enqueue(entry.conversation_id, [delivery.message(key, decision.chat_id, text)])
            return "replied"
        return await self._turn(decision, entry)

    async def _turn(self, turn: Turn, entry: InboxEntry) -> str:
        update_id = int(entry.key)
        text = turn.text
        if turn.callback_query_id:
            await self.sender.answer_callback_query(turn.callback_query_id)
            if turn.callback_message_id is not None:
                if not await self._first_press(turn.chat_id, turn.callback_message_id, update_id):
                    logger.info("telegram: update %s presses a used keyboard, ignored", update_id)
                    return "pressed-before"
                await self.sender.remove_keyboard(turn.chat_id, turn.callback_message_id)
            if text.startswith(PAYLOAD_KEY_PREFIX):
                stored = await self.store.get_payload(text)
                if stored is None:
                    logger.warning("telegram: unknown button key in update %s", update_id)
                    return "unknown-button"
                text = stored
        if self.on_new_message is None:
            raise RuntimeError("no Rasa handler attached yet")
        sender_id = identity.sender_id(turn.chat_id)
        if entry.replay and await self._finished_before(sender_id, entry.message_id):
            logger.info("telegram: update %s was answered before a restart; not asked again", update_id)
            return "replayed"
        message = UserMessage(
            text=text,
            output_channel=self.output.for_update(update_id),
            sender_id=sender_id,
            input_channel=identity.CHANNEL_NAME,
            message_id=entry.message_id,
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
        except ActionServerUnavailable as exc:
            # The turn stopped unsaved: the update stays in the inbox and is replayed; the
            # customer hears once (one key per update) that it is kept.
            notice = catalogue.text(
                "notice.temporarily_unavailable", language.resolve(text, turn.language_code)
            )
            key = delivery.turn_key(self.identity.id, update_id, "unavailable")
            await self._enqueue(sender_id, [delivery.message(key, turn.chat_id, notice)])
            raise Defer(str(exc)) from None
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing
        return "turn"

    async def _first_press(self, chat_id: int, message_id: int, update_id: int) -> bool:
        """Whether ``update_id`` is the first press on this keyboard (or its replay)."""
        key = f"{chat_id}:{message_id}"
        channel = identity.CHANNEL_NAME
        if await asyncio.to_thread(self.records.put_if_absent, channel, PRESSED, key, update_id):
            return True
        first = await asyncio.to_thread(self.records.get, channel, PRESSED, key)
        return first is not None and first.value == update_id

    async def _finished_before(self, sender_id: str, message_id: str) -> bool:
        """Whether Rasa finished (saved) the turn of ``message_id`` before a crash."""
        return await replay.saved_turn(self.agent(), sender_id, message_id) is not None

    async def _enqueue(self, conversation_id: str, messages: list[Outgoing]) -> None:
        if messages:
            await self.outbox.aenqueue(identity.CHANNEL_NAME, conversation_id, messages)
            self.worker.kick()

    async def _gave_up(self, entry: InboxEntry, reason: str) -> None:
        """An update that could not be processed within the inbox's patience: say so."""
        update = Update.de_json(entry.payload, self.bot)
        chat = update.effective_chat
        if chat is None:
            return
        user = update.effective_user
        lang = language.resolve("", user.language_code if user else None)
        key = delivery.turn_key(self.identity.id, int(entry.key), 999)
        await self._enqueue(
            entry.conversation_id, [delivery.message(key, chat.id, texts.NOT_PROCESSED.get(lang))]
        )

    async def drain(self, timeout: float = 20.0, *, deliveries: bool = True) -> None:
        """Wait until every accepted update is processed and (``deliveries``) every answer
        delivered or refused (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        channel = identity.CHANNEL_NAME
        while True:
            pending = await asyncio.to_thread(self.inbox.inbox.pending_count, channel)
            if deliveries:
                pending += await asyncio.to_thread(self.outbox.pending_count, [channel])
            if not pending:
                return
            if time.monotonic() > deadline:
                raise asyncio.TimeoutError(f"{pending} Telegram messages still pending")
            await asyncio.sleep(0.05)

    async def _keep_typing(self, chat_id: int) -> None:
        while True:
            await asyncio.sleep(self._typing_interval)
            await self.sender.send_typing(chat_id)

    # --- lifecycle -----------------------------------------------------------------------
    def start(self, agent: AgentGetter | None = None) -> None:
        """Begin start-up work in the background; never blocks the server's start. The
        outbox worker and the inbox start at once: unfinished updates are replayed, replies
        not yet delivered are sent."""
        if agent is not None:
            self.agent = agent
        self.worker.start()
        self.inbox.start()
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
            max_connections=MAX_CONNECTIONS,
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
        await self.inbox.stop(timeout)
        await self.worker.stop()
        await self.bot.request.shutdown()
        await asyncio.to_thread(self.store.dispose)


def _conversation_of(update: Update) -> str:
    """The inbox's conversation of an update: its chat's, else its user's (in order per chat).

    ``ValueError`` for an id that is no 64-bit integer (a forged update): a 400, not a 500.
    """
    owner = update.effective_chat or update.effective_user
    if owner is None:
        return f"{identity.CHANNEL_NAME}:-"
    if not bounds.in_int64(owner.id):
        raise ValueError("chat or user id is not a 64-bit integer")
    return identity.sender_id(owner.id)


def _describe(decision: Decision) -> str:
    """Log line without user text: the decision type and its reason/kind only."""
    if isinstance(decision, Ignore):
        return f"ignore ({decision.reason})"
    if isinstance(decision, Reply):
        return f"reply ({decision.kind})"
    return "callback turn" if decision.callback_query_id else "turn"
