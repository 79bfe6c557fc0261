"""Checks and normalisation of what users type into the ticket form.

Pure functions without Rasa or database dependencies, so the form validation action stays a
thin adapter and the rules are unit-tested directly. Users answer in Chinese or English, in
a sentence or with the bare value ("我的手机是 138 1234 5678"), so parsing is forgiving.
"""

from __future__ import annotations

import enum
import re
import unicodedata

from gopay_support.core.script import CHARS_PER_WORD, count_cjk, has_cjk
from gopay_support.core.tickets.model import (
    CATEGORIES,
    CATEGORY_BY_KEY,
    TOPIC_CATEGORY,
)

_WORD_RE = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_TRANSACTION_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9][A-Za-z0-9_-]{3,63})(?![A-Za-z0-9])")

#: Phrases that carry no information about the problem (seed 5.2: "我不能用了").
_VAGUE_PHRASES = (
    "不能用了",
    "不能用",
    "用不了",
    "不好用",
    "没法用",
    "有问题",
    "出问题了",
    "出问题",
    "坏了",
    "不行了",
    "不行",
    "出错了",
    "出错",
    "帮帮我",
    "帮我",
    "救命",
    "怎么回事",
    "搞不定",
    "gopay",
    "it doesn't work",
    "it does not work",
    "doesn't work",
    "does not work",
    "not working",
    "it's broken",
    "broken",
    "help me",
    "please help",
    "help",
    "a problem",
    "problem",
    "an issue",
    "issue",
    "error",
    "something wrong",
    "something is wrong",
)
#: Minimum information after vague phrases are removed: Chinese characters count 1/1.5 of an
#: English word, the same weighting as language detection. "我的账户被冻结" passes.
_MIN_DESCRIPTION_WEIGHT = 4.0

_CANCEL_EXACT = frozenset(
    {
        "算了",
        "算了吧",
        "算啦",
        "取消",
        "取消吧",
        "取消工单",
        "取消提交",
        "不用了",
        "不用",
        "不要了",
        "不要",
        "不了",
        "不需要",
        "不需要了",
        "不提交",
        "不提交了",
        "不弄了",
        "不办了",
        "不查了",
        "放弃",
        "退出",
        "不想提交了",
        "cancel",
        "cancel it",
        "cancel please",
        "please cancel",
        "never mind",
        "nevermind",
        "forget it",
        "stop",
        "quit",
        "abort",
        "no thanks",
        "no thank you",
        "not now",
        "don't submit",
        "do not submit",
    }
)
#: "No need" answers: at an optional field they decline the field, elsewhere they cancel.
_NO_NEED_EXACT = frozenset({"不用了", "不用", "不要了", "不要", "不了", "不需要", "不需要了"})
_SKIP_EXACT = frozenset(
    {
        "跳过",
        "跳过吧",
        "没有",
        "没",
        "无",
        "不知道",
        "不清楚",
        "记不清",
        "记不清了",
        "不记得",
        "不记得了",
        "忘了",
        "没有交易号",
        "没有交易",
        "skip",
        "none",
        "no",
        "nope",
        "n/a",
        "na",
        "don't know",
        "dont know",
        "i don't know",
        "not sure",
        "don't have",
        "i don't have one",
        "no idea",
        "-",
    }
)
_QUESTION_MARKERS_ZH = (
    "吗",
    "怎么",
    "如何",
    "为什么",
    "多久",
    "什么时候",
    "能不能",
    "可不可以",
    "是否",
    "哪里",
    "哪个",
    "几点",
    "多长时间",
    "是什么",
)
_QUESTION_WORDS_EN = frozenset(
    {
        "how",
        "what",
        "when",
        "why",
        "where",
        "which",
        "who",
        "can",
        "could",
        "is",
        "are",
        "do",
        "does",
        "should",
        "will",
        "would",
    }
)


class DescriptionProblem(str, enum.Enum):
    VAGUE = "vague"
    TOO_LONG = "too_long"


def check_description(text: str, max_chars: int) -> DescriptionProblem | None:
    """``None`` when the description is usable, else why not."""
    text = (text or "").strip()
    if len(text) > max_chars:
        return DescriptionProblem.TOO_LONG
    return DescriptionProblem.VAGUE if _information(text) < _MIN_DESCRIPTION_WEIGHT else None


def _information(text: str) -> float:
    lowered = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    for phrase in sorted(_VAGUE_PHRASES, key=len, reverse=True):
        lowered = lowered.replace(phrase, " ")
    cjk = count_cjk(lowered)
    words = [w for w in _WORD_RE.findall(lowered) if w not in {"it", "the", "a"}]
    return cjk / CHARS_PER_WORD + len(words) + 0.5 * len(re.findall(r"\d+", lowered))


def _normalise_short(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip().lower().replace("’", "'")
    return re.sub(r"[\s!！。.,，~～?？]+$", "", re.sub(r"\s+", " ", text))


def is_cancel(text: str) -> bool:
    """Whether the message asks to abandon the form ("算了", "cancel", "never mind")."""
    short = _normalise_short(text)
    return short in _CANCEL_EXACT or (short.startswith("算了") and len(short) <= 8)


def is_skip(text: str) -> bool:
    """Whether the user declines an optional field ("跳过", "没有", "skip", "don't know",
    and, asked for an optional value, "不用了")."""
    short = _normalise_short(text)
    return short in _SKIP_EXACT or short in _NO_NEED_EXACT


def is_question(text: str) -> bool:
    """Whether the message is phrased as a question, as opposed to a statement of a problem."""
    text = (text or "").strip()
    if not text:
        return False
    if text.endswith(("?", "？")) or any(m in text for m in _QUESTION_MARKERS_ZH):
        return True
    first = _WORD_RE.match(text.lower())
    return bool(first and first.group(0) in _QUESTION_WORDS_EN and not has_cjk(text))


def parse_transaction_id(text: str) -> str | None:
    """A transaction reference in ``text`` (letters/digits, 4-64 characters, with a digit)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    for match in _TRANSACTION_RE.finditer(text):
        if any(ch.isdigit() for ch in match.group(1)):
            return match.group(1)
    return None


def parse_problem_time(text: str, max_chars: int = 100) -> str | None:
    """The time of the problem as the user wrote it ("昨天下午3点", "today 10am")."""
    text = re.sub(r"\s+", " ", (text or "").strip())
    return text if 0 < len(text) <= max_chars else None


def category_from_topic(topic: str | None) -> str | None:
    """The ticket category for an FAQ topic (``faq/topup_failed``) or an intent name."""
    return TOPIC_CATEGORY.get(topic or "")


def category_from_text(text: str) -> str | None:
    """A category key from a button value, a label typed back, or a key word."""
    short = _normalise_short(text)
    if short in CATEGORY_BY_KEY:
        return short
    for category in CATEGORIES:
        if short in (category.title.zh.lower(), category.title.en.lower()):
            return category.key
    for key, words in _CATEGORY_WORDS.items():
        if any(word in short for word in words):
            return key
    return None


_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "security": (
        "盗",
        "被骗",
        "诈骗",
        "安全",
        "可疑",
        "hack",
        "stolen",
        "fraud",
        "security",
        "suspicious",
        "unauthori",
    ),
    "refund": ("退款", "refund"),
    "withdrawal": ("提现", "withdraw", "cash out", "cash-out"),
    "topup": ("充值", "top-up", "top up", "topup", "recharge"),
    "account_access": (
        "注册",
        "登录",
        "登陆",
        "密码",
        "验证码",
        "冻结",
        "锁定",
        "register",
        "sign up",
        "sign-up",
        "login",
        "log in",
        "password",
        "otp",
        "locked",
        "frozen",
    ),
    "privacy": ("隐私", "个人信息", "privacy", "personal data"),
    "other": ("其他", "其它", "other"),
}


#: The form fields a customer can ask to change, and the words that name them.
_FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "category": ("类别", "分类", "类型", "category"),
    "description": ("描述", "description"),
    "contact": ("联系", "手机", "电话", "邮箱", "contact", "phone", "email"),
    "transaction_id": ("交易", "订单", "transaction", "order"),
    "problem_time": ("时间", "time", "when"),
}
FORM_FIELDS = tuple(_FIELD_WORDS)
_EDIT_VERBS = ("改", "修改", "更正", "换", "错", "不对", "change", "edit", "correct", "fix", "wrong")
#: Button values of the confirmation step that name a field (``edit_contact``).
EDIT_PREFIX = "edit_"
#: At the confirmation and in the status lookup, a short message the NLU calls ``deny`` is a
#: refusal ("不了", "nope"). While the ticket form collects answers only explicit cancel
#: words count: answers are often classified as deny ("我不能用了", "改一下类别").
_SHORT_REFUSAL_CHARS = 12
#: Corrections asked in the middle of the form are short ("改一下类别", "wrong category");
#: a longer message is an answer that happens to contain such words ("the time was wrong").
_SHORT_CORRECTION_CHARS = 24


def is_refusal(text: str, intent: str | None) -> bool:
    """An explicit cancel ("算了", "cancel") or a short message the NLU calls ``deny``."""
    return is_cancel(text) or (intent == "deny" and len(text.strip()) <= _SHORT_REFUSAL_CHARS)


def asks_to_change(text: str) -> bool:
    """Whether the message says something is wrong or should change, without naming what."""
    lowered = text.lower()
    return any(verb in lowered for verb in _EDIT_VERBS)


def edited_field(text: str) -> str | None:
    """Which form field the user wants to change ("edit_contact", "改一下联系方式")."""
    if text.startswith(EDIT_PREFIX):
        field = text[len(EDIT_PREFIX) :]
        return field if field in _FIELD_WORDS else None
    if not asks_to_change(text):
        return None
    lowered = text.lower()
    for field, words in _FIELD_WORDS.items():
        if any(word in lowered for word in words):
            return field
    return None


def correction(text: str) -> str | None:
    """The form field a short mid-form message asks to change, if any."""
    if len(text.strip()) > _SHORT_CORRECTION_CHARS:
        return None
    return edited_field(text)
