"""Decoding of mislabelled and raw 8-bit mail text (channels/email/charsets.py)."""

from __future__ import annotations

import base64

import pytest

from channels.email.charsets import codec_for, decode_bytes, decode_header_value


def test_gb2312_label_reads_gbk_only_characters() -> None:
    data = "朱镕基 张喆".encode("gbk")  # 镕 and 喆 are GBK, not GB2312
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")
    assert decode_bytes(data, "gb2312") == "朱镕基 张喆"


@pytest.mark.parametrize(
    "label,codec",
    [
        ("GB2312", "gb18030"),
        ("x-gbk", "gb18030"),
        ('"gbk"', "gb18030"),
        ("utf-8", "utf-8"),
        ("iso-8859-1", "cp1252"),
        ("no-such-charset", "utf-8"),
        (None, "utf-8"),
        ("", "utf-8"),
    ],
)
def test_codec_for_maps_labels_to_supersets(label: str | None, codec: str) -> None:
    assert codec_for(label) == codec


def test_wrong_label_falls_back_to_utf8_then_gb18030() -> None:
    assert decode_bytes("充值".encode(), "us-ascii") == "充值"
    assert decode_bytes("充值".encode("gbk"), "utf-8") == "充值"


def test_encoded_word_header_with_gbk_characters() -> None:
    word = base64.b64encode("回复：张喆的充值".encode("gbk")).decode()
    assert decode_header_value(f"=?gb2312?B?{word}?=") == "回复：张喆的充值"


def test_folded_mixed_header_keeps_plain_and_encoded_parts() -> None:
    word = base64.b64encode("客服".encode()).decode()
    assert decode_header_value(f"Gopay\r\n =?utf-8?B?{word}?= team") == "Gopay 客服 team"


def test_raw_8bit_header_as_parsed_from_bytes() -> None:
    for encoding in ("utf-8", "gbk"):
        raw = "充值失败".encode(encoding).decode("ascii", "surrogateescape")
        assert decode_header_value(raw) == "充值失败"


def test_encoded_word_with_unknown_charset_is_read_as_utf8() -> None:
    word = base64.b64encode("客服".encode()).decode()
    assert decode_header_value(f"=?x-unknown?B?{word}?=") == "客服"
