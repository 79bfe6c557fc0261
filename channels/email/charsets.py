"""Decoding mail text whatever charset it claims.

Chinese mail is often labelled ``gb2312`` while it holds GBK characters (张喆, 朱镕基), and
some clients put raw 8-bit bytes in headers; a strict decode would turn a customer's name or
problem into replacement characters. So labels are mapped to their usual supersets, and text
that fails its label is retried as UTF-8, then GB18030, before anything is replaced.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

# Labels whose real-world content is a superset encoding (same mapping as browsers use).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_ENCODED_WORD_RE = re.compile(r"=\?[^?\s]+\?[bBqQ]\?")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")


def codec_for(charset: str | None) -> str:
    """The Python codec to read ``charset`` with (UTF-8 when unknown or missing)."""
    label = (charset or "").strip().strip('"').lower()
    label = _SUPERSETS.get(label, label)
    if not label:
        return "utf-8"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return "utf-8"


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """``data`` as text: the declared charset, then UTF-8, then GB18030 with replacement."""
    for codec in dict.fromkeys((codec_for(charset), "utf-8")):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("gb18030", errors="replace")


def decode_header_value(raw: str) -> str:
    """An unfolded, decoded header value from its raw form (RFC 2047 words or 8-bit bytes).

    ``raw`` is the value as :meth:`email.message.Message.raw_items` gives it: bytes that
    were not ASCII are surrogate escapes there.
    """
    value = _FOLD_RE.sub("", raw)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = decode_bytes(value.encode("ascii", "surrogateescape"))
    if not _ENCODED_WORD_RE.search(value):
        return value.strip()
    try:
        parts = decode_header(value)
    except (ValueError, LookupError):  # malformed encoded word: keep the text as it came
        return value.strip()
    text = "".join(_decode_part(part, charset) for part, charset in parts)
    return text.strip()


def _decode_part(part: bytes | str, charset: str | None) -> str:
    if isinstance(part, str):
        return part
    if charset is None:  # plain text between encoded words, escaped by decode_header
        return part.decode("raw-unicode-escape")
    return decode_bytes(part, charset)
