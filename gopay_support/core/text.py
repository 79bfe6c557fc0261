"""Bilingual segmentation on top of spaCy's tokenizer.

spaCy's English rules handle what customers type in Latin script (punctuation, e-mail
addresses, URLs, "top-up", "didn't"); Chinese has no spaces, so every run of CJK characters
is cut into single characters, which the NLU featurizer turns into character n-grams.
Tracking numbers, numbers and e-mail addresses glued to Chinese text stay whole.
One spaCy pipeline serves both the Rasa tokenizer and the masking of personal data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from gopay_support.core.script import CJK_CHARS, CJK_PUNCT_RE, count_cjk, has_cjk

_WORD_RE = re.compile(r"[A-Za-z']+")
# One CJK character, or a run of anything else.
_CJK_RUN_RE = re.compile(f"[{CJK_CHARS}]|[^{CJK_CHARS}]+")


class BilingualSpacyTokenizer:
    """A spaCy tokenizer: English rules first, then CJK runs split into characters."""

    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self._english = nlp.tokenizer

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        for token in self._english(text):
            pieces = list(_split_piece(token.text))
            for i, piece in enumerate(pieces):
                words.append(piece)
                last = i == len(pieces) - 1
                spaces.append(bool(token.whitespace_) if last else False)
        return Doc(self.vocab, words=words, spaces=spaces)


def _split_piece(text: str) -> Iterator[str]:
    """Cut one spaCy token at script changes and CJK punctuation."""
    if not has_cjk(text) and not CJK_PUNCT_RE.search(text):
        yield text
        return
    for chunk in re.split(f"({CJK_PUNCT_RE.pattern})", text):
        if not chunk:
            continue
        if CJK_PUNCT_RE.fullmatch(chunk):
            yield from chunk
            continue
        yield from _CJK_RUN_RE.findall(chunk)


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The shared, model-free spaCy pipeline (nothing is downloaded)."""
    nlp = spacy.blank("en")
    nlp.tokenizer = BilingualSpacyTokenizer(nlp)
    return nlp


def is_punctuation(text: str) -> bool:
    return bool(text) and all(unicodedata.category(ch).startswith("P") for ch in text)


# Contrast: "不是提现 是充值没到账", "充值没问题 就是提现不到账", "not a refund, my top up failed".
# The negated first clause names what the message is *not* about; the point follows it.
_ZH_CONTRAST_RE = re.compile(
    r"^\s*(?:我?(?:问的|说的|要问的|想问的)?(?:并?不是|没有要|没要|不用|不要|不想)[^，,；;。！!？?\s]{1,24}"
    r"|[^，,；;。！!？?\s]{1,12}(?:没问题|都正常|是好的))"
    r"[，,；;。\s]+(?=(?:而是|就是|只是|我是|是|直接|我只是|我想|我要|但是|可是|给我|帮我))"
)
_EN_CONTRAST_RE = re.compile(
    r"^\s*(?:(?:it'?s|this|that|my question)\s+)?"
    r"(?:(?:i\s+)?(?:is\s*n'?t|is not|was\s*n'?t|was not|did\s*n'?t|did not|do\s*n'?t|do not)"
    r"|not|i'?m not|i am not|nobody|no one|no)"
    r"\s+[^,;.!?]{2,60}[,;.!?]+\s*(?:but\s+|it'?s\s+|its\s+)?",
    re.IGNORECASE,
)
#: The point after a contrast must still say something: 3 English words or 3 Chinese characters.
_MIN_POINT_WORDS, _MIN_POINT_CJK = 3, 3


def contrast_point(text: str) -> int:
    """Where the point of a contrast starts ("不是提现 是充值没到账" → at 是), 0 without one.

    Only an explicit contrast counts: a negated first clause followed by what it is instead,
    so "我没有收到验证码 注册不了" (two facts, no contrast) keeps all of its text.
    """
    for pattern in (_ZH_CONTRAST_RE, _EN_CONTRAST_RE):
        match = pattern.match(text)
        if not match:
            continue
        rest = text[match.end() :]
        if count_cjk(rest) >= _MIN_POINT_CJK or len(_WORD_RE.findall(rest)) >= _MIN_POINT_WORDS:
            return match.end()
    return 0


def tokens(text: str) -> list[tuple[str, int]]:
    """Tokens of ``text`` as ``(text, start offset)`` pairs, punctuation dropped."""
    return [(t.text, t.idx) for t in pipeline()(text) if not is_punctuation(t.text)]
