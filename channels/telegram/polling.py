"""Polling mode: ``python -m channels.telegram.polling`` (``make telegram``).

For running without a public HTTPS URL. The relay long-polls ``getUpdates`` and POSTs each
update, with the webhook secret, to the Rasa server's Telegram webhook, so polling and
webhook mode share one code path (de-duplication, ordering, answers). An update is
confirmed to Telegram (by advancing the offset) only after Rasa accepted it, so a crash
re-delivers it and the persistent de-duplication keeps the answer single.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

import httpx
from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from channels.telegram.input import SECRET_HEADER, disabled_reason
from channels.telegram.logfilter import protect_token
from channels.telegram.sender import retry_after_seconds
from channels.telegram.service import ALLOWED_UPDATES, make_bot
from channels.telegram.settings import TelegramSettings
from channels.toolkit.backoff import Backoff, retry_until_done
from gopay_support.adapters import logmask
from gopay_support.wiring import load_settings

logger = logging.getLogger("channels.telegram.polling")

WEBHOOK_PATH = "/webhooks/telegram/webhook"
MAX_BACKOFF = 30.0


class RelayConfigError(RuntimeError):
    """The relay cannot work until the configuration is fixed (wrong secret or token)."""


class PollingRelay:
    def __init__(
        self,
        config: TelegramSettings,
        rasa_url: str,
        *,
        poll_timeout: int = 30,
        backoff: float = 1.0,
    ) -> None:
        self.config = config
        self.webhook = rasa_url.rstrip("/") + WEBHOOK_PATH
        self.poll_timeout = poll_timeout
        self.backoff = backoff
        self._retry_backoff = Backoff(first=backoff, maximum=MAX_BACKOFF)
        self.bot = make_bot(config, read_timeout=10.0)
        self.offset: int | None = None
        self.stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Relay until :meth:`stop`; raises :class:`RelayConfigError` on fatal config."""
        self._task = asyncio.current_task()
        async with httpx.AsyncClient(timeout=30.0) as client:
            try:
                await self._until_done("deleteWebhook", self._delete_webhook)
                while not self.stopping.is_set():
                    updates = await self._poll()
                    for update in updates:
                        await self._forward(client, update)
                        self.offset = update.update_id + 1
            except asyncio.CancelledError:
                if not self.stopping.is_set():
                    raise
            finally:
                await self.bot.request.shutdown()

    def stop(self) -> None:
        """Stop at once, even mid long-poll; an unconfirmed update is simply re-delivered."""
        self.stopping.set()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()

    async def _delete_webhook(self) -> None:
        # getUpdates answers 409 while a webhook is set; pending updates are kept.
        await self.bot.delete_webhook(drop_pending_updates=False)
        logger.info("telegram polling: webhook removed, long-polling getUpdates")

    async def _poll(self) -> tuple[Update, ...]:
        try:
            return await self.bot.get_updates(
                offset=self.offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
        except InvalidToken as exc:
            raise RelayConfigError("Telegram rejected TELEGRAM_BOT_TOKEN") from exc
        except RetryAfter as exc:
            await self._sleep(retry_after_seconds(exc))
        except Conflict:
            logger.warning("telegram polling: 409 conflict (webhook set or another poller)")
            await self._until_done("deleteWebhook", self._delete_webhook)
        except TelegramError as exc:
            logger.warning(
                "telegram polling: getUpdates failed (%s); retrying in %.0fs",
                type(exc).__name__,
                self.backoff,
            )
            await self._sleep(self.backoff)
        return ()

    async def _forward(self, client: httpx.AsyncClient, update: Update) -> None:
        """POST one update to Rasa until it is accepted (or rejected for good)."""
        delays = self._retry_backoff.delays()
        body = update.to_json()
        headers = {SECRET_HEADER: self.config.webhook_secret, "Content-Type": "application/json"}
        while not self.stopping.is_set():
            try:
                reply = await client.post(self.webhook, content=body, headers=headers)
            except httpx.HTTPError as exc:
                problem = f"Rasa unreachable ({type(exc).__name__})"
            else:
                if reply.status_code == 200:
                    return
                if reply.status_code == 403:
                    raise RelayConfigError(
                        "Rasa rejected the webhook secret: TELEGRAM_WEBHOOK_SECRET differs "
                        "between the Rasa server and this relay"
                    )
                if reply.status_code == 400:
                    logger.error(
                        "telegram polling: Rasa refused update %s as invalid; skipped", update.update_id
                    )
                    return
                problem = f"Rasa answered {reply.status_code}"
            delay = next(delays)
            logger.warning(
                "telegram polling: update %s not delivered (%s); retrying in %.0fs",
                update.update_id,
                problem,
                delay,
            )
            await self._sleep(delay)

    async def _until_done(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        try:
            await retry_until_done(
                f"telegram polling: {what} (Telegram unreachable?)",
                step,
                self._retry_backoff,
                retry_on=(TelegramError,),
                fatal=(InvalidToken,),
                logger=logger,
                sleep=self._sleep,
                give_up=self.stopping.is_set,
            )
        except InvalidToken as exc:
            raise RelayConfigError("Telegram rejected TELEGRAM_BOT_TOKEN") from exc

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once when the relay is stopped."""
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass


async def _main() -> int:
    config = TelegramSettings.from_env()
    reason = disabled_reason(config)
    if reason:
        logger.error("telegram polling cannot start: %s (see docs/telegram.md)", reason)
        return 2
    protect_token(config.bot_token)
    relay = PollingRelay(config, load_settings().rasa_url)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, relay.stop)
    logger.info("telegram polling: relaying updates to %s", relay.webhook)
    try:
        await relay.run()
    except RelayConfigError as exc:
        logger.error("telegram polling stopped: %s", exc)
        return 2
    return 0


def main() -> None:
    logmask.install()  # personal data masked in every record, as on the Rasa server
    sys.exit(asyncio.run(_main()))


if __name__ == "__main__":
    main()
