"""Names of the assistant's topics in both languages.

Used wherever a topic is offered as a button or shown to a person: clarification buttons
after a low-confidence guess, ticket categories, the agent console.
"""

from __future__ import annotations

#: label -> (Chinese title, English title); FAQ labels are retrieval intents ``faq/<topic>``.
TOPIC_TITLES: dict[str, tuple[str, str]] = {
    "faq/register": ("如何注册", "How to sign up"),
    "faq/register_problem": ("注册/验证码问题", "Sign-up / verification code"),
    "faq/login_problem": ("登录问题/忘记密码", "Login trouble / password"),
    "faq/topup_failed": ("充值失败/未到账", "Top-up failed"),
    "faq/withdraw_delayed": ("提现延迟", "Withdrawal delayed"),
    "faq/account_security": ("账户安全建议", "Account security tips"),
    "faq/refund_failed": ("退款失败/未到账", "Refund failed"),
    "faq/privacy": ("数据隐私", "Data privacy"),
    "faq/service_hours": ("客服工作时间", "Support hours"),
    "faq/contact_channels": ("联系客服的方式", "Ways to contact us"),
    "faq/contact_email": ("邮件联系客服", "Contact by email"),
    "faq/ticket_process": ("问题处理流程", "How tickets are handled"),
    "faq/contact_tips": ("更快获得帮助", "Get help faster"),
    "faq/is_it_safe": ("Gopay安全吗", "Is Gopay safe?"),
    "account_compromised": ("账户被盗/异常交易", "Account hacked / unknown payment"),
    "open_ticket": ("提交工单", "Submit a ticket"),
    "ticket_status": ("查询工单进度", "Check ticket status"),
    "human_handoff": ("转人工客服", "Talk to an agent"),
}


def title(label: str, lang: str) -> str:
    zh, en = TOPIC_TITLES.get(label, (label, label))
    return en if lang == "en" else zh


def payload(label: str) -> str:
    """The button payload that selects ``label`` exactly (see nlu/faq_payload.py)."""
    return f"/{label}"
