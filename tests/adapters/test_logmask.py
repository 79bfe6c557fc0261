"""The masking filter on log records: messages, their arguments and exception texts."""

from __future__ import annotations

import logging

from gopay_support.adapters.logmask import MaskingFilter


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_message_and_arguments_are_masked_before_formatting() -> None:
    item = record("user %s wrote %s", "rest:a", "我的手机是13812345678 邮箱 li.lei@example.com")
    assert MaskingFilter().filter(item)
    text = item.getMessage()
    assert "13812345678" not in text and "li.lei@example.com" not in text
    assert "138****5678" in text and "rest:a" in text


def test_exception_texts_are_masked_and_the_stack_kept() -> None:
    try:
        raise ValueError("bad card 6222 0212 3456 7890")
    except ValueError as exc:
        item = record("failed", exc=exc)
    MaskingFilter().filter(item)
    assert item.exc_info is None and item.exc_text is not None
    assert "6222 0212" not in item.exc_text and "7890" in item.exc_text and "ValueError" in item.exc_text


def test_a_broken_format_string_still_logs_masked() -> None:
    item = record("phone 13812345678 %s %s", "only one")
    MaskingFilter().filter(item)
    assert "13812345678" not in item.getMessage()
