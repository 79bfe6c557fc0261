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

from gopay_support.core.script import CJK_CHARS, CJK_PUNCT_RE, has_cjk

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


def tokens(text: str) -> list[tuple[str, int]]:
    """Tokens of ``text`` as ``(text, start offset)`` pairs, punctuation dropped."""
    return [(t.text, t.idx) for t in pipeline()(text) if not is_punctuation(t.text)]
