"""Input bounds: bounded JSON, texts and integers, refused with a clear message."""

from __future__ import annotations

import pytest

from gopay_support.core import bounds
from gopay_support.core.bounds import InputRejected


def test_valid_json_passes() -> None:
    assert bounds.parse_json(b'{"a": [1, "x", null, true, 1.5]}', max_bytes=100) == {
        "a": [1, "x", None, True, 1.5]
    }


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (b"", 400, "must be JSON"),
        (b"{", 400, "not valid JSON"),
        (b"\xff\xfe", 400, "UTF-8"),
        (b"[" * 5000 + b"]" * 5000, 400, "JSON"),
        (b"[" * 40 + b"]" * 40, 400, "nested deeper"),
        (b'"\\ud800"', 400, "surrogates"),
        (b'{"\\udfff": 1}', 400, "surrogates"),
        (str(2**63).encode(), 400, "out of range"),
        (str(-(2**63) - 1).encode(), 400, "out of range"),
        (b"NaN", 400, "not valid JSON"),
        (b"x" * 101, 413, "larger than"),
    ],
)
def test_garbage_is_refused_with_a_reason(raw: bytes, status: int, words: str) -> None:
    with pytest.raises(InputRejected) as refused:
        bounds.parse_json(raw, max_bytes=100 if len(raw) < 1000 else 100_000)
    assert refused.value.status == status
    assert words in str(refused.value)


def test_limits_of_integers_and_nodes() -> None:
    assert bounds.parse_json(str(2**63 - 1), max_bytes=100) == 2**63 - 1
    with pytest.raises(InputRejected, match="more than 10 values"):
        bounds.parse_json("[" + ",".join("1" * 20) + "]", max_bytes=1000, max_nodes=10)
    assert bounds.in_int64(-(2**63)) and not bounds.in_int64(2**63) and not bounds.in_int64(True)


def test_text_fields() -> None:
    assert bounds.check_text("你好", "message", 2) == "你好"
    for value, words in (
        (None, "string"),
        ("  ", "empty"),
        ("abc", "longer"),
        ("a\x00", "NUL"),
        ("\ud800", "surrogates"),
    ):
        with pytest.raises(InputRejected, match=words):
            bounds.check_text(value, "message", 2)
