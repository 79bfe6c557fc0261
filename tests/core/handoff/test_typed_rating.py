"""A rating typed instead of pressed after the CSAT prompt (issue 12)."""

from __future__ import annotations

import pytest

from gopay_support.core.handoff.model import typed_rating


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5", 5), (" 1 ", 1), ("4分", 4), ("3 stars", 3), ("5/5", 5), ("５", 5), ("2星", 2)],
)
def test_a_typed_rating_is_read(text: str, expected: int) -> None:
    assert typed_rating(text) == expected


@pytest.mark.parametrize("text", ["0", "6", "12", "5 块钱", "我给5分", "GP-7K3D9Q2X", "", "five"])
def test_anything_else_is_not_a_rating(text: str) -> None:
    assert typed_rating(text) is None
