"""Shaping answers for Telegram: length limits and inline keyboards."""

from __future__ import annotations

from support.telegram import long_answer

from channels.telegram.formatting import split_text


def test_long_text_is_split_on_the_paragraph_boundary_in_order() -> None:
    text = long_answer()
    parts = split_text(text)
    assert len(parts) == 2
    assert all(len(p) <= 4096 for p in parts)
    assert parts == text.split("\n\n")


def test_paragraph_longer_than_the_limit_is_cut_without_losing_text() -> None:
    text = "x" * 9000
    parts = split_text(text)
    assert [len(p) for p in parts] == [4096, 4096, 808]
    assert "".join(parts) == text
    emoji = "😀" * 2100  # 4,200 UTF-16 units: Telegram counts each emoji twice
    assert [len(p) for p in split_text(emoji)] == [2048, 52]
