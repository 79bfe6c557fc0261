"""Which characters are Chinese."""

from __future__ import annotations

from gopay_support.core.script import CJK_PUNCT_RE, count_cjk, has_cjk


def test_cjk_characters_are_counted_and_latin_text_is_not() -> None:
    assert count_cjk("gopay 充值失败") == 4
    assert has_cjk("我") and not has_cjk("top-up failed 123")
    assert count_cjk("㐀豈") == 2  # extension A and the compatibility block


def test_full_width_punctuation_is_cjk_punctuation() -> None:
    assert CJK_PUNCT_RE.fullmatch("。！？，")
    assert not CJK_PUNCT_RE.search("!?,.")
