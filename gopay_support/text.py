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
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
# One CJK character, or a run of anything else.
_CJK_RUN_RE = re.compile(f"[{_CJK}]|[^{_CJK}]+")
# Punctuation that spaCy's English rules leave attached to Chinese runs.
_CJK_PUNCT_RE = re.compile(r"[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+")


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


def _split_piece(text: str):
    """Cut one spaCy token at script changes and CJK punctuation."""
    if not _CJK_RE.search(text) and not _CJK_PUNCT_RE.search(text):
        yield text
        return
    for chunk in re.split(f"({_CJK_PUNCT_RE.pattern})", text):
        if not chunk:
            continue
        if _CJK_PUNCT_RE.fullmatch(chunk):
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


def tokens(text: str) -> list[tuple[str, int]]:
    """Tokens of ``text`` as ``(text, start offset)`` pairs, punctuation dropped."""
    return [(t.text, t.idx) for t in pipeline()(text) if not is_punctuation(t.text)]
