"""Checks and normalisation of what users type into the ticket form.

Pure functions without Rasa or database dependencies, so the form validation action stays a
thin adapter and the rules are unit-tested directly. Users answer in Chinese or English, in
a sentence or with the bare value ("我的手机是 138 1234 5678"), so parsing is forgiving.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from gopay_support.tickets.model import (
    CATEGORIES,
    CATEGORY_BY_KEY,
    TOPIC_CATEGORY,
    ContactKind,
)

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24})(?![\w-])"
)
# Digits written in groups ("138 1234 5678", "138-1234-5678", "(+86) 138...") are joined first.
_PHONE_SEPARATORS_RE = re.compile(r"(?<=[\d)）])[\s\-.()（）]+(?=[\d(（])|(?<=\+)[\s(（]+|[()（）]")
_CN_MOBILE_RE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86)?(1[3-9]\d{9})(?!\d)")
_INTL_RE = re.compile(r"(?<![\d+])(?:\+|00)([1-9]\d{7,14})(?!\d)")
_TRANSACTION_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9][A-Za-z0-9_-]{3,63})(?![A-Za-z0-9])")

#: Phrases that carry no information about the problem (seed 5.2: "我不能用了").
_VAGUE_PHRASES = (
    "不能用了", "不能用", "用不了", "不好用", "没法用", "有问题", "出问题了", "出问题", "坏了",
    "不行了", "不行", "出错了", "出错", "帮帮我", "帮我", "救命", "怎么回事", "搞不定",
    "gopay", "it doesn't work", "it does not work", "doesn't work", "does not work",
    "not working", "it's broken", "broken", "help me", "please help", "help", "a problem",
    "problem", "an issue", "issue", "error", "something wrong", "something is wrong",
)
#: Minimum information after vague phrases are removed: Chinese characters count 1/1.5 of an
#: English word, the same weighting as language detection. "我的账户被冻结" passes.
_MIN_DESCRIPTION_WEIGHT = 4.0
_CHARS_PER_WORD = 1.5

_CANCEL_EXACT = frozenset({
    "算了", "算了吧", "算啦", "取消", "取消吧", "取消工单", "取消提交", "不用了", "不用", "不要了",
    "不要", "不了", "不需要", "不需要了", "不提交", "不提交了", "不弄了", "不办了", "不查了", "放弃",
    "退出", "不想提交了", "cancel", "cancel it", "cancel please", "please cancel", "never mind",
    "nevermind", "forget it", "stop", "quit", "abort", "no thanks", "no thank you", "not now",
    "don't submit", "do not submit",
})
#: "No need" answers: at an optional field they decline the field, elsewhere they cancel.
_NO_NEED_EXACT = frozenset({"不用了", "不用", "不要了", "不要", "不了", "不需要", "不需要了"})
_SKIP_EXACT = frozenset({
    "跳过", "跳过吧", "没有", "没", "无", "不知道", "不清楚", "记不清", "记不清了", "不记得",
    "不记得了", "忘了", "没有交易号", "没有交易", "skip", "none", "no", "nope", "n/a", "na",
    "don't know", "dont know", "i don't know", "not sure", "don't have", "i don't have one",
    "no idea", "-",
})
_QUESTION_MARKERS_ZH = ("吗", "怎么", "如何", "为什么", "多久", "什么时候", "能不能", "可不可以",
                        "是否", "哪里", "哪个", "几点", "多长时间", "是什么")
_QUESTION_WORDS_EN = frozenset({"how", "what", "when", "why", "where", "which", "who", "can",
                                "could", "is", "are", "do", "does", "should", "will", "would"})


class DescriptionProblem(str, enum.Enum):
    VAGUE = "vague"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Contact:
    kind: ContactKind
    value: str


def parse_contact(text: str) -> Contact | None:
    """A mobile number or e-mail address in ``text``, normalised; ``None`` if there is none.

    Chinese mobiles become their 11 digits, other numbers ``+<country><number>`` (E.164),
    e-mail addresses are lower-cased.
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    email = _EMAIL_RE.search(text)
    if email:
        return Contact(ContactKind.EMAIL, email.group(1).lower())
    compact = _PHONE_SEPARATORS_RE.sub("", text)
    mobile = _CN_MOBILE_RE.search(compact)
    if mobile:
        return Contact(ContactKind.PHONE, mobile.group(1))
    intl = _INTL_RE.search(compact)
    if intl and not intl.group(1).startswith("86"):
        return Contact(ContactKind.PHONE, "+" + intl.group(1))
    return None


def contact_matches(contact: str, kind: ContactKind, answer: str) -> bool:
    """Whether ``answer`` confirms ``contact``: the full e-mail, the full phone number, or
    the last 4 digits of the phone number."""
    answer = unicodedata.normalize("NFKC", answer or "").strip()
    if kind is ContactKind.EMAIL:
        parsed = parse_contact(answer)
        return parsed is not None and parsed.value == contact
    digits = re.sub(r"\D", "", answer)
    if len(digits) == 4:
        return contact.endswith(digits)
    parsed = parse_contact(answer)
    return parsed is not None and parsed.value == contact


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
    cjk = len(_CJK_RE.findall(lowered))
    words = [w for w in _WORD_RE.findall(lowered) if w not in {"it", "the", "a"}]
    return cjk / _CHARS_PER_WORD + len(words) + 0.5 * len(re.findall(r"\d+", lowered))


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
    return bool(first and first.group(0) in _QUESTION_WORDS_EN and not _CJK_RE.search(text))


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
        if short in (category.zh.lower(), category.en.lower()):
            return category.key
    for key, words in _CATEGORY_WORDS.items():
        if any(word in short for word in words):
            return key
    return None


_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "security": ("盗", "被骗", "诈骗", "安全", "可疑", "hack", "stolen", "fraud", "security",
                 "suspicious", "unauthori"),
    "refund": ("退款", "refund"),
    "withdrawal": ("提现", "withdraw", "cash out", "cash-out"),
    "topup": ("充值", "top-up", "top up", "topup", "recharge"),
    "account_access": ("注册", "登录", "登陆", "密码", "验证码", "冻结", "锁定", "register",
                       "sign up", "sign-up", "login", "log in", "password", "otp", "locked",
                       "frozen"),
    "privacy": ("隐私", "个人信息", "privacy", "personal data"),
    "other": ("其他", "其它", "other"),
}
