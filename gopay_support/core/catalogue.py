"""The bilingual message catalogue: every text the code itself says, in Chinese and English.

Answers to customers mostly come from the Rasa domain (``domain/*.yml``); the few texts that
code produces (notices every channel shares, button titles, transcript labels, ticket
headers) live here, keyed by a name, so a wording or a new language is changed in one place.
The same ``Bilingual`` shape serves topic titles, ticket categories and a channel's own
notices, which live in the channel's folder (``channels/<name>/texts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gopay_support.core import language


@dataclass(frozen=True)
class Bilingual:
    """One text in both supported languages; Chinese first, as the assistant speaks."""

    zh: str
    en: str

    def get(self, lang: str | None) -> str:
        return self.en if language.normalize(lang) == "en" else self.zh

    def format(self, lang: str | None, **params: Any) -> str:
        return self.get(lang).format(**params)


MESSAGES: dict[str, Bilingual] = {
    # -- channel notices (the channel answers itself, the bot never sees the message) ---------
    "notice.too_long": Bilingual(
        "这条消息太长了（{length} 个字符），最多可以发送 {limit} 个字符。请缩短后重新发送。",
        "This message is too long ({length:,} characters); the limit is {limit:,}. "
        "Please shorten it and send it again.",
    ),
    "notice.rate_limited": Bilingual(
        "您发送消息的速度有点快，请稍等片刻再发送。我们会认真处理您的每一个问题。",
        "You're sending messages a little quickly. Please wait a moment and try again; "
        "we'll answer each of your questions.",
    ),
    "notice.unsupported_media": Bilingual(
        "抱歉，我目前只能阅读文字消息。请用文字描述您的问题，我会尽快为您解答。",
        "Sorry, I can only read text messages for now. "
        "Please describe your question in words and I'll help right away.",
    ),
    "notice.edited_message": Bilingual(
        "我无法处理修改过的消息。如需更正，请直接发送一条新消息。",
        "I can't process edited messages. To correct something, please send a new message.",
    ),
    "notice.unknown_command": Bilingual(
        "抱歉，我不认识这个命令。请直接用文字描述您的问题，或发送 /start 开始。",
        "Sorry, I don't know that command. Just describe your question in words, or send /start to begin.",
    ),
    "notice.greeting": Bilingual("你好", "Hello"),
    "notice.temporarily_unavailable": Bilingual(
        "服务暂时不可用，您的消息已保留，恢复后会立即为您处理，无需重复发送。",
        "The service is temporarily unavailable. Your message is kept and will be handled "
        "as soon as it is back; no need to send it again.",
    ),
    "notice.temporarily_unavailable_retry": Bilingual(
        "服务暂时不可用，这条消息还没有处理，请稍后再发送一次。",
        "The service is temporarily unavailable and this message was not processed yet. "
        "Please send it again in a moment.",
    ),
    # -- buttons -------------------------------------------------------------------------------
    "button.none_of_these": Bilingual("都不是", "None of these"),
    # -- transcripts and tickets (read by agents) ---------------------------------------------
    "transcript.user": Bilingual("用户", "User"),
    "transcript.bot": Bilingual("机器人", "Bot"),
    "transcript.agent": Bilingual("客服", "Agent"),
    "ticket.escalated_header": Bilingual("已转人工客服", "Escalated to a human agent"),
    # -- a ticket's new status told in a conversation an agent is handling (the bot is paused) --
    "ticket.status_changed": Bilingual(
        "您的工单 {number} 状态已更新：{status}。", "Your ticket {number} has a new status: {status}."
    ),
    "ticket.status.open": Bilingual("待处理", "open"),
    "ticket.status.in_progress": Bilingual("处理中", "in progress"),
    "ticket.status.waiting_for_user": Bilingual("等待您的回复", "waiting for your reply"),
    "ticket.status.resolved": Bilingual("已解决", "resolved"),
    "ticket.status.closed": Bilingual("已关闭", "closed"),
    # -- contact details not configured: what customers read instead (no invented facts) ------
    "contact.unset.phone": Bilingual("官网公布的客服电话", "the support number on Gopay's official website"),
    "contact.unset.email": Bilingual("官网公布的客服邮箱", "the support address on Gopay's official website"),
    "contact.unset.social": Bilingual("Gopay 官方账号", "Gopay's official accounts"),
    "contact.unset.website": Bilingual("Gopay 官方网站", "Gopay's official website"),
}


def text(key: str, lang: str | None, **params: Any) -> str:
    """The message ``key`` in ``lang`` (Chinese when unknown), with ``params`` filled in."""
    return MESSAGES[key].format(lang, **params)
