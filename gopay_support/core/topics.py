"""Names of the assistant's topics in both languages.

Used wherever a topic is offered as a button or shown to a person: clarification buttons
after a low-confidence guess, ticket categories, the agent console.
"""

from __future__ import annotations

from gopay_support.core.catalogue import Bilingual

#: label -> (Chinese title, English title); FAQ labels are retrieval intents ``faq/<topic>``.
TOPIC_TITLES: dict[str, Bilingual] = {
    "faq/register": Bilingual("如何注册", "How to sign up"),
    "faq/register_problem": Bilingual("注册/验证码问题", "Sign-up / verification code"),
    "faq/login_problem": Bilingual("登录问题/忘记密码", "Login trouble / password"),
    "faq/topup_failed": Bilingual("充值失败/未到账", "Top-up failed"),
    "faq/withdraw_delayed": Bilingual("提现延迟", "Withdrawal delayed"),
    "faq/account_security": Bilingual("账户安全建议", "Account security tips"),
    "faq/refund_failed": Bilingual("退款失败/未到账", "Refund failed"),
    "faq/privacy": Bilingual("数据隐私", "Data privacy"),
    "faq/service_hours": Bilingual("客服工作时间", "Support hours"),
    "faq/contact_channels": Bilingual("联系客服的方式", "Ways to contact us"),
    "faq/contact_email": Bilingual("邮件联系客服", "Contact by email"),
    "faq/ticket_process": Bilingual("问题处理流程", "How tickets are handled"),
    "faq/contact_tips": Bilingual("更快获得帮助", "Get help faster"),
    "faq/is_it_safe": Bilingual("Gopay安全吗", "Is Gopay safe?"),
    "account_compromised": Bilingual("账户被盗/异常交易", "Account hacked / unknown payment"),
    "open_ticket": Bilingual("提交工单", "Submit a ticket"),
    "ticket_status": Bilingual("查询工单进度", "Check ticket status"),
    "human_handoff": Bilingual("转人工客服", "Talk to an agent"),
}


def title(label: str, lang: str) -> str:
    found = TOPIC_TITLES.get(label)
    return found.get(lang) if found else label


def payload(label: str) -> str:
    """The button payload that selects ``label`` exactly (see nlu/faq_payload.py)."""
    return f"/{label}"
