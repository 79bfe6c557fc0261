"""Which characters are Chinese: the one definition every text rule uses.

Language detection, the tokenizer, the vagueness heuristic of ticket descriptions and the
question heuristic all need to tell Chinese characters apart from Latin text; they import
these patterns instead of writing the Unicode ranges again. Traditional characters are
normalised to simplified ones here too (:func:`to_simplified`, OpenCC's tables), so the NLU
model, trained mostly on simplified text, reads 儲值失敗 as 储值失败.
"""

from __future__ import annotations

import re
from functools import lru_cache

from opencc import OpenCC

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


#: OpenCC's traditional-to-simplified conversion (characters and its phrase table). Its
#: Taiwan variants (tw2s, tw2sp) are not used: they also rewrite simplified text (么 → 幺).
_T2S = "t2s"


@lru_cache(maxsize=1)
def _converter(config: str) -> OpenCC:
    return OpenCC(config)


def to_simplified(text: str) -> str:
    """``text`` with traditional Chinese characters and words in simplified Chinese.

    The result has the same length as ``text`` (token offsets stay valid): when a phrase
    conversion changed the length, characters are converted one by one instead. Text
    without Chinese characters is returned unchanged.
    """
    if not has_cjk(text):
        return text
    converter = _converter(_T2S)
    converted = str(converter.convert(text))
    if len(converted) == len(text):
        return converted
    return "".join(_single(converter.convert(ch), ch) for ch in text)


def _single(converted: object, original: str) -> str:
    return converted if isinstance(converted, str) and len(converted) == 1 else original
