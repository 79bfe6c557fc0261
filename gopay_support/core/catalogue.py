"""The bilingual message catalogue: every text the code itself says, in Chinese and English.

Answers to customers mostly come from the Rasa domain (``domain/*.yml``); the few texts that
code produces (channel notices, button titles, transcript labels, ticket headers) live here,
keyed by a name, so a wording or a new language is changed in one place and the same
``Bilingual`` shape serves topic titles and ticket categories.
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
    # -- e-mail channel (channels/email): what the channel itself writes back -------------------
    "email.too_large": Bilingual(
        "您的邮件太大了（约 {size}），我们只能阅读 {limit} 以内的邮件。"
        "请去掉较大的附件，或直接在正文中描述问题后重新发送。",
        "Your mail is too large (about {size}); we can read mails up to {limit}. "
        "Please leave out large attachments, or describe the problem in the text, and send it again.",
    ),
    "email.too_many_attachments": Bilingual(
        "您的邮件附件太多了，我们每封邮件最多处理 {limit} 个附件。请精简附件后重新发送。",
        "Your mail has too many attachments; we handle at most {limit} per mail. "
        "Please send fewer attachments.",
    ),
    "email.too_complex": Bilingual(
        "抱歉，这封邮件的格式太复杂，我们无法阅读。请直接用文字描述您的问题后重新发送。",
        "Sorry, this mail is too complex for us to read. Please describe your question in plain text "
        "and send it again.",
    ),
    "email.empty": Bilingual(
        "我们收到了您的邮件，但没有找到正文内容。请在邮件正文中用文字描述您的问题。",
        "We received your mail but found no text in it. "
        "Please describe your question in the body of the mail.",
    ),
    "email.ticket_followup": Bilingual(
        "您的补充信息已记入工单 {ticket_id}。客服处理时会一并查看，并在这个邮件会话中回复您。",
        "We've added your message to ticket {ticket_id}. Support will see it with the ticket and reply in "
        "this mail thread.",
    ),
    "email.ticket_details_withheld": Bilingual(
        "为保护您的信息，工单详情只会发送到提交该工单时使用的邮箱，并且需要在带有工单跟踪号码的邮件会话中询问。"
        "如需查询，请回复我们发给您的带有跟踪号码（例如 [GP-XXXXXXXX]）的邮件。",
        "To protect your information, ticket details are only sent to the address the ticket was filed "
        "from, in a mail thread that carries its tracking number. To ask about a ticket, please reply to "
        "our mail whose subject has the tracking number (like [GP-XXXXXXXX]).",
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
    # -- an agent's message on channels without a sender field (Telegram) ---------------------
    "agent.prefix": Bilingual("👤 {name}（人工客服）：", "👤 {name} (support agent):"),
    # -- contact details not configured: what customers read instead (no invented facts) ------
    "contact.unset.phone": Bilingual("官网公布的客服电话", "the support number on Gopay's official website"),
    "contact.unset.email": Bilingual("官网公布的客服邮箱", "the support address on Gopay's official website"),
    "contact.unset.social": Bilingual("Gopay 官方账号", "Gopay's official accounts"),
    "contact.unset.website": Bilingual("Gopay 官方网站", "Gopay's official website"),
}


def text(key: str, lang: str | None, **params: Any) -> str:
    """The message ``key`` in ``lang`` (Chinese when unknown), with ``params`` filled in."""
    return MESSAGES[key].format(lang, **params)
