"""The bilingual message catalogue."""

from __future__ import annotations

import string

import pytest

from gopay_support.core import catalogue


def test_texts_follow_the_language_with_chinese_by_default() -> None:
    assert catalogue.text("button.none_of_these", "en") == "None of these"
    assert catalogue.text("button.none_of_these", "zh-CN") == "都不是"
    assert catalogue.text("button.none_of_these", None) == "都不是"
    assert catalogue.text("notice.too_long", "en", length=2500, limit=2000).startswith(
        "This message is too long (2,500"
    )


@pytest.mark.parametrize("key", sorted(catalogue.MESSAGES))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    message = catalogue.MESSAGES[key]
    assert message.zh.strip() and message.en.strip()

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert fields(message.zh) == fields(message.en)
