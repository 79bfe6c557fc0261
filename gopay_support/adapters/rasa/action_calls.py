"""Calls to the action server that survive its restart, and a turn that stops cleanly when
it stays away.

Rasa's :class:`~rasa.core.actions.action.RemoteAction` gives up on the first refused or
broken connection, and its processor swallows the error: the action's events are lost, the
turn goes on and is saved (a confirmed ticket form then ends without a ticket, and the
customer's "yes" sent again gets "anything else?"). Installed in the Rasa server
(:func:`install`, called when Rasa builds the response generator from ``endpoints.yml``),
this module changes two things:

* a call that failed because the action server was unreachable, went away during the
  request, or whose proxy answered 502/503/504, is **retried** with backoff for up to
  ``GOPAY_ACTION_RETRY_SECONDS`` (default 10). Retrying is safe: the actions' effects are
  idempotent (a ticket is filed under a key derived from the conversation and the form run,
  unique in the tickets store);
* if the action server is still away, :class:`ActionServerUnavailable` is raised. It is a
  ``BaseException`` on purpose, so Rasa's processor does not swallow it: the turn stops
  **before the tracker is saved** (the conversation stays where it was, e.g. at the ticket
  confirmation), the conversation's lock is released, and the channel decides: keep the
  message in its inbox and replay it later (Telegram), and tell the customer in their
  language (``notice.temporarily_unavailable``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import aiohttp
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

RETRY_ENV = "GOPAY_ACTION_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 10.0
#: Answers of a proxy or load balancer whose action server is away (a 500 is the action's
#: own failure: retrying would not help, and the action server answers it politely).
GATEWAY_FAILURES = frozenset({502, 503, 504})
_FIRST_WAIT = 0.25
_LONGEST_WAIT = 2.0


class ActionServerUnavailable(BaseException):  # noqa: N818 - a signal, not an error to swallow
    """The action server stayed unreachable: stop the turn without saving it."""

    def __init__(self, action: str) -> None:
        super().__init__(f"action server unavailable while running {action}")
        self.action = action


def retry_seconds() -> float:
    try:
        return max(float(os.environ.get(RETRY_ENV, DEFAULT_RETRY_SECONDS)), 0.0)
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def unreachable(exc: BaseException) -> bool:
    """Whether a failed action call means the action server was away (not a bad action)."""
    if isinstance(exc, ActionExecutionRejection):
        return False
    if isinstance(exc, asyncio.TimeoutError):
        return True
    for cause in (exc.__cause__, exc.__context__):
        if isinstance(cause, aiohttp.ClientConnectionError | asyncio.TimeoutError):
            return True
        if isinstance(cause, aiohttp.ClientResponseError) and cause.status in GATEWAY_FAILURES:
            return True
    return False


_original_run = RemoteAction.run


async def _patient_run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
    deadline = time.monotonic() + retry_seconds()
    wait = _FIRST_WAIT
    tries = 0
    while True:
        tries += 1
        try:
            return await _original_run(self, *args, **kwargs)
        except (RasaException, asyncio.TimeoutError) as exc:
            if not unreachable(exc):
                raise
            if time.monotonic() + wait > deadline:
                logger.error(
                    "action %s: action server unavailable after %d tries; the turn is stopped unsaved",
                    self.name(),
                    tries,
                )
                raise ActionServerUnavailable(self.name()) from exc
            logger.warning(
                "action %s: action server unavailable, try %d; again in %.2fs", self.name(), tries, wait
            )
            await asyncio.sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT)


def install() -> None:
    """Make every remote action call patient (idempotent)."""
    if RemoteAction.run is not _patient_run:
        RemoteAction.run = _patient_run  # type: ignore[method-assign]
