"""Web chat channel settings, from ``GOPAY_WEBCHAT_*`` environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gopay_support.wiring import Environment


@dataclass(frozen=True)
class WebChatSettings:
    """Limits of the web chat channel (issue 4); deployments tune them without code changes."""

    #: Origins of other sites whose pages may open the chat socket, besides the pages the
    #: Rasa server serves itself (the demo page at ``/webchat/``, always allowed). Empty: the
    #: demo page only. ``("*",)`` allows every origin.
    allowed_origins: tuple[str, ...] = ()
    #: Longest accepted message, in characters; longer ones never reach the bot.
    max_message_chars: int = 2000
    #: At most ``rate_limit_messages`` messages per session within ``rate_limit_window`` seconds.
    rate_limit_messages: int = 20
    rate_limit_window: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebChatSettings:
        """``GOPAY_WEBCHAT_ORIGINS`` is comma-separated; ``GOPAY_WEBCHAT_RATE_LIMIT`` is ``20/60``."""
        env = Environment(environ)
        messages, window = env.pair(
            "GOPAY_WEBCHAT_RATE_LIMIT", (cls.rate_limit_messages, cls.rate_limit_window), "/"
        )
        return cls(
            allowed_origins=tuple(o.rstrip("/") for o in env.items("GOPAY_WEBCHAT_ORIGINS")),
            max_message_chars=env.integer("GOPAY_WEBCHAT_MAX_CHARS", cls.max_message_chars),
            rate_limit_messages=int(messages),
            rate_limit_window=window,
        )
