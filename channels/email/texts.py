"""What the e-mail channel itself writes back, in Chinese and English.

The channel's own notices live here, in its folder, as :class:`~gopay_support.core.catalogue.Bilingual`
texts (one shape for bilingual text everywhere); notices every channel shares
(``notice.too_long``, ...) stay in the core catalogue (``channels/README.md``).
"""

from __future__ import annotations

from gopay_support.core.catalogue import Bilingual

TOO_LARGE = Bilingual(
    "您的邮件太大了（约 {size}），我们只能阅读 {limit} 以内的邮件。"
    "请去掉较大的附件，或直接在正文中描述问题后重新发送。",
    "Your mail is too large (about {size}); we can read mails up to {limit}. "
    "Please leave out large attachments, or describe the problem in the text, and send it again.",
)
TOO_MANY_ATTACHMENTS = Bilingual(
    "您的邮件附件太多了，我们每封邮件最多处理 {limit} 个附件。请精简附件后重新发送。",
    "Your mail has too many attachments; we handle at most {limit} per mail. Please send fewer attachments.",
)
TOO_COMPLEX = Bilingual(
    "抱歉，这封邮件的格式太复杂，我们无法阅读。请直接用文字描述您的问题后重新发送。",
    "Sorry, this mail is too complex for us to read. Please describe your question in plain text "
    "and send it again.",
)
EMPTY = Bilingual(
    "我们收到了您的邮件，但没有找到正文内容。请在邮件正文中用文字描述您的问题。",
    "We received your mail but found no text in it. Please describe your question in the body of the mail.",
)
TICKET_FOLLOWUP = Bilingual(
    "您的补充信息已记入工单 {ticket_id}。客服处理时会一并查看，并在这个邮件会话中回复您。",
    "We've added your message to ticket {ticket_id}. Support will see it with the ticket and reply in "
    "this mail thread.",
)
TICKET_DETAILS_WITHHELD = Bilingual(
    "为保护您的信息，工单详情只会发送到提交该工单时使用的邮箱，并且需要在带有工单跟踪号码的邮件会话中询问。"
    "如需查询，请回复我们发给您的带有跟踪号码（例如 [GP-XXXXXXXX]）的邮件。",
    "To protect your information, ticket details are only sent to the address the ticket was filed "
    "from, in a mail thread that carries its tracking number. To ask about a ticket, please reply to "
    "our mail whose subject has the tracking number (like [GP-XXXXXXXX]).",
)
