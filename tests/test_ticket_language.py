"""Values typed into the ticket form carry no language: a Chinese conversation stays
Chinese when the user gives an e-mail address or a transaction ID."""

import pytest

from gopay_support import language


@pytest.mark.parametrize(("text", "expected"), [
    ("li.ming@example.com", None),
    ("abc@", None),
    ("TX20261124001", None),
    ("https://www.gopay.example/help", None),
    ("我的邮箱是 li@example.com", "zh"),
    ("交易号TX20261124001", "zh"),
    ("my email is li@example.com", "en"),
    ("order 12345 failed", "en"),
])
def test_form_values_are_not_a_language_signal(text: str, expected: str | None) -> None:
    assert language.detect(text) == expected


def test_conversation_keeps_chinese_after_an_email() -> None:
    turns = [{"language": language.detect("li@example.com")}, {"language": "zh"}]
    assert language.of_conversation(turns) == "zh"
