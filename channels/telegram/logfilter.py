"""Keep the bot token out of every log line.

The token is part of each Bot API URL (``/bot<token>/sendMessage``), and httpx logs request
URLs at INFO level; a leaked token lets anyone impersonate the bot. Instead of hoping
every library logs carefully, the log-record factory redacts the token from each message.
"""

from __future__ import annotations

import logging
from typing import Any

REDACTED = "<telegram-token>"
_secrets: set[str] = set()
_installed = False


def protect_token(token: str) -> None:
    """Redact ``token`` from all log records created from now on (idempotent)."""
    global _installed
    if not token:
        return
    _secrets.add(token)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug, not ours to hide
            return record
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return record

    logging.setLogRecordFactory(factory)
    # httpx logs every request URL (with the token) at INFO, python-telegram-bot every
    # request's parameters (customer-facing text) at DEBUG; warnings and errors remain.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)
    _installed = True


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return text
