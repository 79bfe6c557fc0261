"""What the channel itself says when it refuses a message, in the customer's language."""

from __future__ import annotations

from channels.webchat.gate import Verdict
from gopay_support.core import catalogue, language

_NOTICE_KEYS: dict[Verdict, str] = {
    Verdict.TOO_LONG: "notice.too_long",
    Verdict.RATE_LIMITED: "notice.rate_limited",
}


def refusal_text(verdict: Verdict, text: str, ui_language: str | None, **params: int) -> str:
    """The notice for a refused message ("" when the verdict needs none, e.g. empty text).

    The language follows the message itself, else the widget's interface language, the
    same rule the bot uses for its answers.
    """
    key = _NOTICE_KEYS.get(verdict)
    if key is None:
        return ""
    return catalogue.text(key, language.resolve(text, ui_language), **params)
