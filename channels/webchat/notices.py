"""What the channel itself says when it refuses a message, in the customer's language."""

from __future__ import annotations

from channels.webchat.gate import Verdict
from gopay_support import language

_TEXTS: dict[Verdict, dict[str, str]] = {
    Verdict.TOO_LONG: {
        "zh": "这条消息太长了（{length} 个字符），最多可以发送 {limit} 个字符。请缩短后重新发送。",
        "en": (
            "This message is too long ({length:,} characters); the limit is {limit:,}. "
            "Please shorten it and send it again."
        ),
    },
    Verdict.RATE_LIMITED: {
        "zh": "您发送消息的速度有点快，请稍等片刻再发送。我们会认真处理您的每一个问题。",
        "en": (
            "You're sending messages a little quickly. Please wait a moment and try again; "
            "we'll answer each of your questions."
        ),
    },
}


def refusal_text(verdict: Verdict, text: str, ui_language: str | None, **params: int) -> str:
    """The notice for a refused message ("" when the verdict needs none, e.g. empty text).

    The language follows the message itself, else the widget's interface language, the
    same rule the bot uses for its answers.
    """
    texts = _TEXTS.get(verdict)
    if texts is None:
        return ""
    return texts[language.resolve(text, ui_language)].format(**params)
