"""Which characters are Chinese: the one definition every text rule uses.

Language detection, the tokenizer, the vagueness heuristic of ticket descriptions and the
question heuristic all need to tell Chinese characters apart from Latin text; they import
these patterns instead of writing the Unicode ranges again.
"""

from __future__ import annotations

import re

#: CJK Unified Ideographs, Extension A and the compatibility block, as a character class body.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK_CHARS}]")
#: CJK and full-width punctuation (、。「」！？ etc.), which spaCy's English rules keep attached.
CJK_PUNCT_RE = re.compile(r"[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+")

#: Roughly how many Chinese characters carry the information of one English word.
CHARS_PER_WORD = 1.5


def count_cjk(text: str) -> int:
    return len(CJK_RE.findall(text))


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None
